"""Goldens for issue 28: what transformers 4.51.3 makes of a folder written by transformers_cpp's
save_pretrained.

For bert / gpt2 / llama: the fixture model is loaded with transformers_cpp and saved (one file, and
sharded with max_shard_size="30KB"); transformers 4.51.3 loads each saved folder (no missing or
unexpected keys allowed) and runs the fixture's inputs (eager attention). Written to
tests/data/python/save_pretrained_hf451.safetensors: `<arch>_<layout>_logits`, and in the metadata
the sha256 of every file of each saved folder, so the pytest (python/tests/test_save.py) checks that
its own save writes exactly the bytes transformers loaded here.

Run (with the package built, e.g. by python/run_tests.sh, or PYTHONPATH at a folder holding it):
  PYTHONPATH=<folder with transformers_cpp> /work/venv/bin/python tests/oracle/python_save_pretrained.py
"""
import hashlib
import json
import os
import tempfile

import numpy as np
import torch
import transformers
from safetensors.numpy import load_file, save_file

import transformers_cpp as tc

assert transformers.__version__ == "4.51.3", transformers.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "../../../shared/fixtures/hf/models")
OUT = os.path.join(HERE, "../data/python/save_pretrained_hf451.safetensors")
CLASSES = {"bert": "BertForMaskedLM", "gpt2": "GPT2LMHeadModel", "llama": "LlamaForCausalLM"}
LAYOUTS = {"single": {}, "sharded": {"max_shard_size": "30KB"}}


def file_hashes(folder):
    return {f: hashlib.sha256(open(os.path.join(folder, f), "rb").read()).hexdigest() for f in sorted(os.listdir(folder))}


def main():
    tensors, meta = {}, {"transformers_version": transformers.__version__}
    for arch, cls in CLASSES.items():
        exp = load_file(os.path.join(FIX, arch, "expected.safetensors"))
        for layout, kwargs in LAYOUTS.items():
            folder = tempfile.mkdtemp()
            getattr(tc, cls).from_pretrained(os.path.join(FIX, arch, "model")).save_pretrained(folder, **kwargs)
            model, info = getattr(transformers, cls).from_pretrained(folder, output_loading_info=True,
                                                                     attn_implementation="eager")
            assert not info["missing_keys"] and not info["unexpected_keys"], (arch, layout, info)
            inputs = {k: torch.from_numpy(exp[k]) for k in ("input_ids", "attention_mask", "token_type_ids") if k in exp}
            with torch.no_grad():
                logits = model.eval()(**inputs).logits
            tensors[f"{arch}_{layout}_logits"] = logits.numpy().astype(np.float32)
            meta[f"{arch}_{layout}_files"] = json.dumps(file_hashes(folder))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file(tensors, OUT, metadata=meta)
    print("wrote", OUT, sorted(tensors))


if __name__ == "__main__":
    main()
