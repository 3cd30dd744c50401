"""Checks that Python transformers 4.51.3 loads what our save_pretrained writes.

Usage (repo root):
  TRANSFORMERS_MODELING_SAVE_DIR=/tmp/tcpp_saved build-<you>/tests/test_modeling --gtest_filter='SavePretrained.*'
  /work/venv/bin/python tests/oracle/check_saved_loads_in_python.py /tmp/tcpp_saved
Writes tests/data/modeling/python_loads_saved.json: per folder, the loading info Python reports,
the largest difference between every loaded weight and the fixture's model/ weights, whether the
tied weights are tied, and a 64-bit FNV-1a fingerprint of every file (the C++ test re-saves and
compares fingerprints, so a change in what we write needs this script to run again).
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, BertForMaskedLM

assert transformers.__version__ == "4.51.3"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "..", "shared", "fixtures", "hf", "models")
saved = sys.argv[1]


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


FOLDERS = {"bert_model": {}, "bert_sharded": {}, "gpt2_model": {}, "gpt2_sharded": {},
           "gpt2_bin_v2": {"variant": "v2"}, "gpt2_bin_sharded": {}}
out = {"transformers_version": transformers.__version__, "folders": {}}
for name, kwargs in FOLDERS.items():
    arch = name.split("_")[0]
    path = os.path.join(saved, name)
    cls = BertForMaskedLM if arch == "bert" else AutoModelForCausalLM
    model, info = cls.from_pretrained(path, output_loading_info=True, **kwargs)
    ref = load_file(os.path.join(FIX, arch, "model", "model.safetensors"))
    sd = model.state_dict()
    diff = max(float((sd[k].float() - v.float()).abs().max()) for k, v in ref.items())
    if arch == "gpt2":
        tied = model.lm_head.weight is model.transformer.wte.weight
    else:
        tied = model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    files = sorted(f for f in os.listdir(path) if os.path.isfile(os.path.join(path, f)))
    out["folders"][name] = {
        "missing_keys": info["missing_keys"], "unexpected_keys": info["unexpected_keys"],
        "mismatched_keys": info["mismatched_keys"], "max_abs_diff": diff, "tied": tied,
        "fnv1a64": {f: fnv1a64(open(os.path.join(path, f), "rb").read()) for f in files},
    }
dest = os.path.join(ROOT, "tests", "data", "modeling", "python_loads_saved.json")
with open(dest, "w") as f:
    json.dump(out, f, indent=2, sort_keys=True)
    f.write("\n")
print("wrote", dest)
