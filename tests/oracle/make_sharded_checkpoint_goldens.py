"""Goldens for load_sharded_checkpoint (transformers 4.51.3 modeling_utils.load_sharded_checkpoint).

For each sharded fixture (safetensors `sharded`, pickle `bin_sharded`, and a folder holding both sets
of files) and each prefer_safe: the missing and unexpected keys it returns with strict=False, whether
strict=True raises, and whether a tied lm_head is still the input embedding after loading.

Run: /work/venv/bin/python tests/oracle/make_sharded_checkpoint_goldens.py
Writes tests/data/sharded_checkpoint/load_sharded.json.
"""
import json
import os
import shutil
import tempfile

import torch
import transformers
from transformers import AutoConfig
from transformers.modeling_utils import load_sharded_checkpoint

assert transformers.__version__ == "4.51.3", transformers.__version__

FIX = os.path.join(os.path.dirname(__file__), "../../../shared/fixtures/hf/models")
OUT = os.path.join(os.path.dirname(__file__), "../data/sharded_checkpoint/load_sharded.json")


def build(folder):
    config = AutoConfig.from_pretrained(folder)
    cls = getattr(transformers, config.architectures[0])
    torch.manual_seed(0)
    return cls(config).eval()


def main():
    cases = []
    tmp = tempfile.mkdtemp()
    try:
        for model_type in ("bert", "gpt2", "llama"):
            both = os.path.join(tmp, model_type, "both")
            os.makedirs(both)
            for sub in ("sharded", "bin_sharded"):
                for f in os.listdir(os.path.join(FIX, model_type, sub)):
                    shutil.copy(os.path.join(FIX, model_type, sub, f), both)
            for case in ("sharded", "bin_sharded", "both"):
                folder = both if case == "both" else os.path.join(FIX, model_type, case)
                for prefer_safe in (True, False):
                    model = build(folder)
                    r = load_sharded_checkpoint(model, folder, strict=False, prefer_safe=prefer_safe)
                    tied = None
                    out = model.get_output_embeddings()
                    if out is not None and model.config.tie_word_embeddings:
                        tied = out.weight is model.get_input_embeddings().weight
                    try:
                        load_sharded_checkpoint(build(folder), folder, strict=True, prefer_safe=prefer_safe)
                        strict_raises = False
                    except RuntimeError:
                        strict_raises = True
                    cases.append({
                        "model_type": model_type,
                        "case": case,
                        "prefer_safe": prefer_safe,
                        "missing_keys": list(r.missing_keys),
                        "unexpected_keys": list(r.unexpected_keys),
                        "strict_raises": strict_raises,
                        "lm_head_tied_after_load": tied,
                    })
    finally:
        shutil.rmtree(tmp)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"transformers_version": transformers.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
