#!/usr/bin/env python3
"""Oracle for bf16 mixed-precision training (tests/training/test_bf16_training.cpp): Trainer's --bf16
on CPU is torch.autocast("cpu", dtype=torch.bfloat16) around the forward (and loss) with float32
master weights, the backward and AdamW outside it. 20 steps of the gpt2_adamw.safetensors run
(make_grad_cases.py: AdamW lr 1e-2, weight decay 0.01, linear warmup 5 of 20, clip 1.0, the GPT-2
fixture's batch, sdpa) under autocast.

    /work/venv/bin/python tests/oracle/make_bf16_cases.py [--fixtures ../shared/fixtures] [--out tests/data/training]

Writes gpt2_adamw_bf16.safetensors: `losses` [20] and `grad_norms` [20] (float64) of the autocast
run, `losses_f32` [20] of the same run in float32. Prints the largest relative loss differences.
"""
import os

import torch
import transformers
from safetensors.torch import save_file

from make_grad_cases import batch, load
from training_oracle import arguments


def run(path, ids, mask, labels, bf16):
    torch.manual_seed(0)
    model = load(path, "sdpa")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    sched = transformers.get_linear_schedule_with_warmup(opt, num_warmup_steps=5, num_training_steps=20)
    losses, norms = [], []
    for _ in range(20):
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0).item())
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses, norms


def main():
    a = arguments()
    path = os.path.join(a.fixtures, "hf/models/gpt2/model")
    ids, mask, labels = batch(a.fixtures)
    losses, norms = run(path, ids, mask, labels, True)
    f32, _ = run(path, ids, mask, labels, False)
    save_file({"losses": torch.tensor(losses, dtype=torch.float64), "grad_norms": torch.tensor(norms, dtype=torch.float64),
               "losses_f32": torch.tensor(f32, dtype=torch.float64)},
              os.path.join(a.out, "gpt2_adamw_bf16.safetensors"))
    worst = max(abs(x - y) / abs(y) for x, y in zip(losses, f32))
    print("bf16 autocast losses", [round(x, 5) for x in losses])
    print("float32 losses      ", [round(x, 5) for x in f32])
    print(f"largest |loss_bf16 - loss_f32| / loss_f32 over 20 steps: {worst:.3e}")


if __name__ == "__main__":
    main()
