"""Checks that checkpoints resized and pruned by our C++ (through transformers-cli) load in Python
transformers 4.51.3, and records what Python computes on them: tests/data/utils/python_on_cpp.json
(loading info, config fields) and python_on_cpp.safetensors (logits on the fixture inputs). The C++
test tests/utils/test_python_interop.cpp rebuilds the same checkpoints (the commands are seeded)
and compares its own logits with these.

Run after building the CLI:
  /work/venv/bin/python tests/oracle/check_utils_outputs.py [path/to/transformers-cli]
"""
import json
import os
import subprocess
import sys
import tempfile

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM

assert transformers.__version__ == "4.51.3", transformers.__version__

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "..", "shared", "fixtures", "hf", "models")
OUT = os.path.join(ROOT, "tests", "data", "utils")
CLI = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-utils", "transformers-cli")

# Keep in sync with kCases in tests/utils/test_python_interop.cpp.
CASES = {
    "resize_up": ["resize", "--new-num-tokens", "102", "--pad-to-multiple-of", "8", "--seed", "5"],
    "resize_up_nomean": ["resize", "--new-num-tokens", "101", "--no-mean-resizing", "--seed", "6"],
    "resize_down": ["resize", "--new-num-tokens", "92"],
    "prune": ["prune", "--heads", '{"0": [1, 2, 3], "1": [0]}'],
}
AUTO = {"bert": AutoModelForMaskedLM, "gpt2": AutoModelForCausalLM, "llama": AutoModelForCausalLM}

tensors, facts = {}, {"transformers": transformers.__version__}
with tempfile.TemporaryDirectory() as tmp:
    for arch in ("bert", "gpt2", "llama"):
        e = load_file(os.path.join(FIX, arch, "expected.safetensors"))
        # ids below 92 so that the shrunk vocabulary (resize_down) holds them all
        kw = {"input_ids": e["input_ids"] % 92, "attention_mask": e["attention_mask"]}
        if arch == "bert":
            kw["token_type_ids"] = e["token_type_ids"]
        for case, args in CASES.items():
            if case == "prune" and arch == "llama":
                continue
            out = os.path.join(tmp, f"{arch}_{case}")
            cmd = [CLI, args[0], "--model", os.path.join(FIX, arch, "model"), "--output", out] + args[1:]
            subprocess.run(cmd, check=True, capture_output=True)
            m, info = AUTO[arch].from_pretrained(out, attn_implementation="eager", output_loading_info=True)
            m.eval()
            with torch.no_grad():
                tensors[f"{arch}.{case}.logits"] = m(**kw).logits.contiguous()
            facts[f"{arch}.{case}"] = {
                "missing_keys": sorted(info["missing_keys"]),
                "unexpected_keys": sorted(info["unexpected_keys"]),
                "mismatched_keys": [list(x) for x in info["mismatched_keys"]],
                "vocab_size": m.config.vocab_size,
                "pruned_heads": {str(k): sorted(v) for k, v in sorted(m.config.pruned_heads.items())},
                "embedding_rows": m.get_input_embeddings().weight.shape[0],
                "tied": m.get_output_embeddings().weight.data_ptr() == m.get_input_embeddings().weight.data_ptr(),
            }

save_file(tensors, os.path.join(OUT, "python_on_cpp.safetensors"))
with open(os.path.join(OUT, "python_on_cpp.json"), "w") as fh:
    json.dump(facts, fh, indent=1, sort_keys=True)
print("checked", len(tensors), "C++ checkpoints in Python")
