#!/usr/bin/env python3
"""Oracle for the training tests (tests/training/): gradients and optimiser steps of transformers
4.51 + torch on the shared tiny GPT-2 fixture, written as small float32 safetensors.

    /work/venv/bin/python tests/oracle/make_grad_cases.py [--fixtures ../shared/fixtures] [--out tests/data/training]

Writes gpt2_grads.safetensors:
  input_ids, attention_mask, labels   the batch (labels = input_ids, padding positions -100)
  <impl>.loss                         GPT2LMHeadModel(labels=...).loss, impl in {sdpa, eager}
  <impl>.grad.<name>                  every parameter's .grad after loss.backward() (named_parameters,
                                      so the tied lm_head.weight appears once, as transformer.wte.weight)
  <impl>.loss_items                   the loss with num_items_in_batch=5 (sum / 5)
llama_grads.safetensors: the same for LlamaForCausalLM; bert_grads.safetensors: the same for BertForMaskedLM (masked-LM loss over four labelled positions;
padding positions hold the pad token, whose embedding row gets no gradient), and gpt2_adamw.safetensors: 20 steps of torch.optim.AdamW(lr=1e-2, weight_decay=0.01) with
get_linear_schedule_with_warmup(5 warmup, 20 total) and clip_grad_norm_(max_norm=1.0) on the same
batch: `losses` [20], `grad_norms` [20] (before clipping, as Trainer logs), `lrs` [20] (the lr each
step used) and `final.<name>` every parameter after the last step.
It also prints how far float32 gradients are from float64 ones (the float32 rounding the C++
tolerance has to allow).
"""
import os

import torch
import transformers
from safetensors.torch import load_file, save_file

from training_oracle import arguments


def load(path, impl, dtype=torch.float32):
    m = transformers.GPT2LMHeadModel.from_pretrained(path, attn_implementation=impl, torch_dtype=dtype)
    m.train()  # dropout probabilities are 0 in the fixture's config: train mode changes nothing else
    return m


def batch(fixtures):
    e = load_file(os.path.join(fixtures, "hf/models/gpt2/expected.safetensors"))
    ids = e["input_ids"].long()
    mask = e["attention_mask"].long()
    labels = ids.clone()
    labels[mask == 0] = -100
    return ids, mask, labels


def grads(model, ids, mask, labels):
    model.zero_grad(set_to_none=True)
    out = model(input_ids=ids, attention_mask=mask, labels=labels)
    out.loss.backward()
    return out.loss.detach(), {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def record_grads(cls, path, store, label):
    """Loss and every parameter's gradient of `cls` on the batch in `store` (its tensors are the
    model's keyword arguments), for both attention implementations, added to `store`."""
    inputs = dict(store)
    for impl in ("sdpa", "eager"):
        model = cls.from_pretrained(path, attn_implementation=impl)
        model.train()
        out = model(**inputs)
        out.loss.backward()
        store[f"{impl}.loss"] = out.loss.detach().reshape(1)
        for n, p in model.named_parameters():
            store[f"{impl}.grad.{n}"] = p.grad.detach().contiguous()
        print(f"{label} {impl}: loss {out.loss.item():.8f}, {len(list(model.named_parameters()))} parameters")


def main():
    a = arguments()
    path = os.path.join(a.fixtures, "hf/models/gpt2/model")
    ids, mask, labels = batch(a.fixtures)

    out = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    for impl in ("sdpa", "eager"):
        model = load(path, impl)
        loss, g = grads(model, ids, mask, labels)
        out[f"{impl}.loss"] = loss.reshape(1)
        for n, t in g.items():
            out[f"{impl}.grad.{n}"] = t.contiguous()
        with torch.no_grad():
            out[f"{impl}.loss_items"] = model(input_ids=ids, attention_mask=mask, labels=labels,
                                              num_items_in_batch=5).loss.reshape(1)
        # float32 vs float64 gradients: the rounding any float32 implementation carries
        torch.set_default_dtype(torch.float64)  # 4.51's eager mask builder fills in the default dtype
        loss64, g64 = grads(load(path, impl, torch.float64), ids, mask, labels)
        torch.set_default_dtype(torch.float32)
        worst = max(((g[n].double() - g64[n]).norm() / g64[n].norm()).item() for n in g)
        print(f"{impl}: loss {loss.item():.8f}; worst |g32 - g64| / |g64| over parameters {worst:.2e}")
    save_file(out, os.path.join(a.out, "gpt2_grads.safetensors"))

    # Llama causal LM (grouped-query attention, rotary, RMSNorm, SiLU MLP): same batch as GPT-2.
    e = load_file(os.path.join(a.fixtures, "hf/models/llama/expected.safetensors"))
    lids, lmask = e["input_ids"].long(), e["attention_mask"].long()
    llabels = lids.clone()
    llabels[lmask == 0] = -100
    llama = {"input_ids": lids, "attention_mask": lmask, "labels": llabels}
    record_grads(transformers.LlamaForCausalLM, os.path.join(a.fixtures, "hf/models/llama/model"), llama, "llama")
    save_file(llama, os.path.join(a.out, "llama_grads.safetensors"))

    # BERT masked LM: labels at four positions, the padded positions hold the pad token 0 (so the
    # word embedding's padding_idx row must get no gradient).
    e = load_file(os.path.join(a.fixtures, "hf/models/bert/expected.safetensors"))
    bids, bmask, btt = e["input_ids"].long().clone(), e["attention_mask"].long(), e["token_type_ids"].long()
    bids[bmask == 0] = 0
    blabels = torch.full_like(bids, -100)
    for r, c in ((0, 1), (0, 4), (1, 2), (1, 3)):
        blabels[r, c] = bids[r, c]
    bert = {"input_ids": bids, "attention_mask": bmask, "token_type_ids": btt, "labels": blabels}
    record_grads(transformers.BertForMaskedLM, os.path.join(a.fixtures, "hf/models/bert/model"), bert, "bert")
    save_file(bert, os.path.join(a.out, "bert_grads.safetensors"))

    # 20 optimiser steps as Trainer runs them: clip, step, schedule.
    torch.manual_seed(0)
    model = load(path, "sdpa")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    sched = transformers.get_linear_schedule_with_warmup(opt, num_warmup_steps=5, num_training_steps=20)
    losses, norms, lrs = [], [], []
    for _ in range(20):
        opt.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0).item())
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        losses.append(loss.item())
    steps = {"losses": torch.tensor(losses, dtype=torch.float64), "grad_norms": torch.tensor(norms, dtype=torch.float64),
             "lrs": torch.tensor(lrs, dtype=torch.float64)}
    for n, p in model.named_parameters():
        steps[f"final.{n}"] = p.detach().contiguous()
    save_file(steps, os.path.join(a.out, "gpt2_adamw.safetensors"))
    print("adamw losses", [round(x, 6) for x in losses])


if __name__ == "__main__":
    main()
