#!/usr/bin/env python3
"""Torch interop check, run outside CI with an interpreter that has torch (CI's test venv has none,
and the package never needs it): torch tensors go into model() and generate() through DLPack
without a copy, tokenizer(..., return_tensors="pt") gives torch tensors, and the results equal the
NumPy path's and the fixtures' transformers logits.

  mkdir -p /tmp/tc && ln -sf $PWD/build/python-venv/lib/python3.11/site-packages/transformers_cpp /tmp/tc/
  PYTHONPATH=/tmp/tc /work/venv/bin/python python/tests/check_torch.py
"""
import numpy as np
import torch

import transformers_cpp as tc

from conftest import MODELS, TOKENIZERS, assert_close, load_safetensors  # this folder is sys.path[0]

exp, _ = load_safetensors(MODELS / "llama" / "expected.safetensors")
model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "llama" / "model")
ids, mask = torch.from_numpy(exp["input_ids"].copy()), torch.from_numpy(exp["attention_mask"].copy())
out = model(input_ids=ids, attention_mask=mask)
assert_close(out.logits, exp["logits"], what="torch inputs")
assert_close(model(input_ids=ids.int(), attention_mask=mask.bool()).logits, exp["logits"], what="int32 / bool")
assert_close(model(input_ids=ids[:, ::1], attention_mask=mask.t().contiguous().t()).logits, exp["logits"],
             what="non-contiguous mask")
gen = model.generate(torch.from_numpy(exp["gen_prompt"].copy()), max_new_tokens=10, pad_token_id=0)
np.testing.assert_array_equal(gen, exp["gen_greedy"])
tok = tc.AutoTokenizer.from_pretrained(TOKENIZERS / "gpt2_bpe")
enc = tok(["Hello world", "Hi"], padding=True, return_tensors="pt")
assert isinstance(enc["input_ids"], torch.Tensor) and enc["input_ids"].dtype == torch.long
assert tok.batch_decode(enc["input_ids"]) == tok.batch_decode(enc["input_ids"].numpy())
print(f"torch {torch.__version__}: torch inputs, generate and return_tensors='pt' OK")
