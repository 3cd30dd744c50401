#!/usr/bin/env python3
"""Oracle for the `transformers-cli train` test (tests/cli/test_cli_train.cpp): Trainer's loop
(4.51 Trainer.train for a causal LM, logging_steps=1) written out in PyTorch on the shared GPT-2
fixture, over the rows of train_rows.jsonl taken in file order (the C++ command does not shuffle).

    /work/venv/bin/python tests/oracle/make_train_cli_case.py [--fixtures ../shared/fixtures] [--out tests/data/training]

The run: batch 2, gradient accumulation 2 (8 rows: 4 batches, 2 updates per epoch), 4 optimizer
steps (2 epochs), AdamW(lr=1e-2) over Trainer's groups (weight_decay 0.1 / 0.0), cosine schedule
with 1 warmup step, clip_grad_norm_(1.0); each micro-batch's loss = model(batch,
num_items_in_batch=N).loss with N = labels != -100 over the window (GPT2LMHeadModel takes
**kwargs). Labels = input_ids with pad-token positions -100 (DataCollatorForLanguageModeling(mlm=False),
the fixture config's pad_token_id 0 standing for the tokenizer's).

Writes train_rows.jsonl (8 rows of 8 token ids below the fixture's vocab of 99) and
train_cli.safetensors: losses [4] (the window's micro-batch losses summed), grad_norms [4]
(before clipping), lrs [4] (the lr each step used), final.<name> (named_parameters after step 4),
checkpoint2.<name> (after step 2, the checkpoint-2 folder).
"""
import json
import os

import torch
import transformers
from safetensors.torch import save_file
from transformers import Trainer

from training_oracle import arguments


def main():
    a = arguments()
    g = torch.Generator().manual_seed(20)
    rows = torch.randint(0, 99, (8, 8), generator=g)
    with open(os.path.join(a.out, "train_rows.jsonl"), "w") as f:
        for r in rows.tolist():
            f.write(json.dumps({"input_ids": r}) + "\n")

    model = transformers.GPT2LMHeadModel.from_pretrained(os.path.join(a.fixtures, "hf/models/gpt2/model"))
    model.train()
    decay = set(Trainer.get_decay_parameter_names(None, model))
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if n in decay], "weight_decay": 0.1},
              {"params": [p for n, p in named if n not in decay], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-2)
    sched = transformers.get_scheduler("cosine", opt, num_warmup_steps=1, num_training_steps=4)
    out = {}
    losses, norms, lrs = [], [], []
    step = 0
    for epoch in range(2):
        for first in range(0, 4, 2):  # windows of two batches of two rows
            batches = [rows[2 * b:2 * b + 2] for b in (first, first + 1)]
            labels = [b.masked_fill(b == model.config.pad_token_id, -100) for b in batches]
            n_items = sum(int((l != -100).sum()) for l in labels)
            total = 0.0
            for b, l in zip(batches, labels):
                loss = model(input_ids=b, attention_mask=torch.ones_like(b), labels=l, num_items_in_batch=n_items).loss
                loss.backward()
                total += loss.item()
            norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
            model.zero_grad()
            losses.append(total)
            step += 1
            if step == 2:
                for n, p in model.named_parameters():
                    out[f"checkpoint2.{n}"] = p.detach().clone().contiguous()
    out.update({"losses": torch.tensor(losses, dtype=torch.float64), "grad_norms": torch.tensor(norms, dtype=torch.float64),
                "lrs": torch.tensor(lrs, dtype=torch.float64)})
    for n, p in model.named_parameters():
        out[f"final.{n}"] = p.detach().contiguous()
    save_file(out, os.path.join(a.out, "train_cli.safetensors"))
    print("losses", [round(x, 6) for x in losses], "norms", [round(x, 4) for x in norms], "lrs", lrs)


if __name__ == "__main__":
    main()
