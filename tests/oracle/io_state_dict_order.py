#!/usr/bin/env python3
"""state_dict() key order of the fixture models (transformers 4.51.3, built from each fixture's
config.json), for tests/io/test_save_load.cpp: save_state_dict in this order must reproduce the
fixture's sharded safetensors files byte for byte. Writes tests/data/io/state_dict_order.json.
Run: /work/venv/bin/python tests/oracle/io_state_dict_order.py
"""
import json
import os

from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "hf", "models")
out = {}
for arch, cls in [("bert", AutoModelForMaskedLM), ("gpt2", AutoModelForCausalLM), ("llama", AutoModelForCausalLM)]:
    config = AutoConfig.from_pretrained(os.path.join(FIX, arch, "model"))
    model = cls.from_config(config)
    out[arch] = list(model.state_dict().keys())
with open(os.path.join(HERE, "..", "data", "io", "state_dict_order.json"), "w") as f:
    json.dump(out, f, indent=1)
print({k: len(v) for k, v in out.items()})
