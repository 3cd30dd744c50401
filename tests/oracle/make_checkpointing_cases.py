#!/usr/bin/env python3
"""Oracle for tests/training/test_checkpointing.cpp: what 4.51's gradient checkpointing does on the
shared GPT-2 fixture with frozen embeddings (wte, wpe requires_grad_(False)), the case where
torch's reentrant and non-reentrant checkpoints differ.

    /work/venv/bin/python tests/oracle/make_checkpointing_cases.py [--fixtures ../shared/fixtures] [--out tests/data/training]

Writes checkpointing.json: {"reentrant": {...}, "non_reentrant": {...}}, each with
  "loss": the loss, "with_grad": the named_parameters whose .grad is not None after backward,
  "is_gradient_checkpointing": the model's property after gradient_checkpointing_enable(...),
and "use_cache_warning": whether the training forward logged 4.51's use_cache warning.
"""
import json
import logging
import os

import torch
import transformers
from safetensors.torch import load_file

from training_oracle import arguments


def main():
    a = arguments()
    g = load_file(os.path.join(a.out, "gpt2_grads.safetensors"))
    out = {}
    records = []

    class Catch(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    transformers.logging.get_logger("transformers.models.gpt2.modeling_gpt2").addHandler(Catch())
    for key, reentrant in (("reentrant", True), ("non_reentrant", False)):
        m = transformers.GPT2LMHeadModel.from_pretrained(os.path.join(a.fixtures, "hf/models/gpt2/model"),
                                                         attn_implementation="sdpa")
        m.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": reentrant})
        m.train()
        m.transformer.wte.weight.requires_grad_(False)
        m.transformer.wpe.weight.requires_grad_(False)
        loss = m(input_ids=g["input_ids"], attention_mask=g["attention_mask"], labels=g["labels"]).loss
        loss.backward()
        out[key] = {"loss": loss.item(), "with_grad": [n for n, p in m.named_parameters() if p.grad is not None],
                    "is_gradient_checkpointing": m.is_gradient_checkpointing}
        print(key, len(out[key]["with_grad"]), "parameters with a gradient")
    out["use_cache_warning"] = any("use_cache=True" in r for r in records)
    with open(os.path.join(a.out, "checkpointing.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
