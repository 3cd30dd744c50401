#!/usr/bin/env python3
"""Oracle for tests/training/test_optim.cpp: transformers 4.51's schedules, torch.optim.SGD,
Trainer's weight-decay groups and gradient accumulation, on the shared tiny GPT-2 fixture.

    /work/venv/bin/python tests/oracle/make_optim_cases.py [--fixtures ../shared/fixtures] [--out tests/data/training]

Writes
  schedules.safetensors   lr.<name> [25]: the lr of steps 0..24 from transformers.get_scheduler(name,
                          SGD(lr=0.1), num_warmup_steps=5, num_training_steps=20) for every
                          SchedulerType that is a LambdaLR; lr.polynomial_p2: power 2, lr_end 1e-3.
  decay_names.json        {arch: Trainer.get_decay_parameter_names(model) restricted to
                          named_parameters (the names create_optimizer puts in the decay group)}
  gpt2_sgd.safetensors    two SGD runs of 10 steps on the GPT-2 batch of gpt2_grads.safetensors:
                          plain.*    SGD(lr=0.05, weight_decay=0.01), one group, constant lr;
                          nesterov.* SGD(lr=0.05, momentum=0.9, nesterov=True) over Trainer's groups
                          (weight_decay 0.1 / 0.0), cosine schedule (2 warmup, 10 total), clipping 1.0.
                          <run>.losses [10], <run>.final.<name>.
  gpt2_accum.safetensors  Trainer's gradient accumulation (4.51 training_step for a model whose forward
                          takes **kwargs): the two rows of the batch as two micro-batches, each
                          loss = model(row, num_items_in_batch=N).loss with N = labels != -100 over
                          both rows (before the shift), backward per micro-batch, then clip 1.0,
                          AdamW(lr=1e-2) over Trainer's groups (weight_decay 0.1 / 0.0), linear
                          schedule (2 warmup, 6 total); 6 optimizer steps. losses [6] (sum of the
                          micro-batch losses), grad_norms [6], num_items [1], final.<name>.
"""
import json
import os

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import Trainer

from training_oracle import arguments


def gpt2(fixtures):
    m = transformers.GPT2LMHeadModel.from_pretrained(os.path.join(fixtures, "hf/models/gpt2/model"), attn_implementation="sdpa")
    m.train()
    return m


def decay_groups(model, wd):
    decay = set(Trainer.get_decay_parameter_names(None, model))  # does not use self
    named = list(model.named_parameters())
    return [{"params": [p for n, p in named if n in decay and p.requires_grad], "weight_decay": wd},
            {"params": [p for n, p in named if n not in decay and p.requires_grad], "weight_decay": 0.0}]


def finals(model, prefix, out):
    for n, p in model.named_parameters():
        out[f"{prefix}final.{n}"] = p.detach().contiguous()


def main():
    a = arguments()

    # Schedules: the lr of each step, read from the optimizer as Trainer's logs do.
    sched = {}
    names = ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt"]
    for name in names + ["polynomial_p2"]:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        if name == "polynomial_p2":
            s = transformers.get_polynomial_decay_schedule_with_warmup(opt, 5, 20, lr_end=1e-3, power=2.0)
        else:
            s = transformers.get_scheduler(name, opt, num_warmup_steps=5, num_training_steps=20)
        lrs = []
        for _ in range(25):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            s.step()
        sched[f"lr.{name}"] = torch.tensor(lrs, dtype=torch.float64)
    save_file(sched, os.path.join(a.out, "schedules.safetensors"))

    # Trainer's decay split on the three fixture models.
    decay = {}
    for arch, cls in (("gpt2", transformers.GPT2LMHeadModel), ("llama", transformers.LlamaForCausalLM),
                      ("bert", transformers.BertForMaskedLM)):
        m = cls.from_pretrained(os.path.join(a.fixtures, f"hf/models/{arch}/model"))
        d = set(Trainer.get_decay_parameter_names(None, m))
        decay[arch] = [n for n, _ in m.named_parameters() if n in d]
    with open(os.path.join(a.out, "decay_names.json"), "w") as f:
        json.dump(decay, f, indent=1)
        f.write("\n")

    g = load_file(os.path.join(a.out, "gpt2_grads.safetensors"))
    ids, mask, labels = g["input_ids"], g["attention_mask"], g["labels"]

    out = {}
    for run in ("plain", "nesterov"):
        model = gpt2(a.fixtures)
        if run == "plain":
            opt = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=0.01)
            s = transformers.get_constant_schedule(opt)
        else:
            opt = torch.optim.SGD(decay_groups(model, 0.1), lr=0.05, momentum=0.9, nesterov=True)
            s = transformers.get_cosine_schedule_with_warmup(opt, 2, 10)
        losses = []
        for _ in range(10):
            opt.zero_grad(set_to_none=True)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            if run == "nesterov":
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            opt.step()
            s.step()
            losses.append(loss.item())
        out[f"{run}.losses"] = torch.tensor(losses, dtype=torch.float64)
        finals(model, f"{run}.", out)
        print(run, [round(x, 6) for x in losses])
    save_file(out, os.path.join(a.out, "gpt2_sgd.safetensors"))

    model = gpt2(a.fixtures)
    opt = torch.optim.AdamW(decay_groups(model, 0.1), lr=1e-2)
    s = transformers.get_linear_schedule_with_warmup(opt, 2, 6)
    n_items = int((labels != -100).sum())
    losses, norms = [], []
    for _ in range(6):
        total = 0.0
        for r in range(2):
            loss = model(input_ids=ids[r:r + 1], attention_mask=mask[r:r + 1], labels=labels[r:r + 1],
                         num_items_in_batch=n_items).loss
            loss.backward()
            total += loss.item()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0).item())
        opt.step()
        s.step()
        opt.zero_grad(set_to_none=True)
        losses.append(total)
    acc = {"losses": torch.tensor(losses, dtype=torch.float64), "grad_norms": torch.tensor(norms, dtype=torch.float64),
           "num_items": torch.tensor([n_items], dtype=torch.int64)}
    finals(model, "", acc)
    save_file(acc, os.path.join(a.out, "gpt2_accum.safetensors"))
    print("accum", n_items, [round(x, 6) for x in losses])


if __name__ == "__main__":
    main()
