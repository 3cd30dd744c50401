#!/usr/bin/env python3
"""Oracle for the half-precision parity of the decoder families (issue #22): transformers 4.51.3's
own bfloat16 and float16 logits (CPU, eager and sdpa) on one tiny random checkpoint per family of
tests/data/models/cases/ (made by make_decoder_family_cases.py, make_moe_cases.py,
make_gemma3_cases.py, make_qwen2_moe_cases.py), loaded with torch_dtype=bfloat16 / float16.

    /work/venv/bin/python tests/oracle/make_family_half_goldens.py [--out tests/data/models]

Writes family_half_goldens.safetensors (<case>/<bf16|fp16>/<eager|sdpa>/logits, in that dtype) and
family_half_goldens.json: per key HF's max |half logits - float32 logits| of the same attention
path ("err_vs_f32", what half precision costs 4.51 itself) and max |eager - sdpa| in that dtype
("spread"), both over the positions attention_mask keeps (a padded query attends nothing: torch's
float16 sdpa on CPU returns values there that differ from float32 by ~4, which measure nothing). tests/models/test_family_half.cpp holds our half-precision run to HF's within
err_vs_f32: no further from 4.51's half run than 4.51's half run is from its float32 run.
"""
import argparse
import json
import os

import torch
import transformers
from safetensors.torch import load_file, save_file

assert transformers.__version__ == "4.51.3", transformers.__version__
torch.set_grad_enabled(False)

CASES = ["qwen2_gqa_left_pad", "qwen2_moe_shared_top2_left_pad", "qwen3_qk_norm_bias_headdim",
         "mistral_window3_headdim", "mixtral_top2_gqa_left_pad", "gemma_tied_headdim_left_pad",
         "gemma2_window4_softcap", "gemma3_pattern3_local_rope_left_pad", "phi3_fused_gqa_left_pad",
         "olmo2_gqa_left_pad"]
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models"))
    a = ap.parse_args()
    tensors, facts = {}, {"transformers": transformers.__version__, "torch": torch.__version__}
    for case in CASES:
        d = os.path.join(a.out, "cases", case)
        e = load_file(os.path.join(d, "expected.safetensors"))
        inputs = {k: e[k] for k in ("input_ids", "attention_mask", "position_ids") if k in e}
        keep = e["attention_mask"].bool()

        def err(x, y):
            return (x.float() - y.float())[keep].abs().max().item()

        for sub, dt in DTYPES.items():
            per_attn = {}
            for attn, f32_key in (("eager", "logits"), ("sdpa", "logits_sdpa")):
                m = transformers.AutoModelForCausalLM.from_pretrained(d, torch_dtype=dt, attn_implementation=attn)
                logits = m.eval()(**inputs).logits
                assert logits.dtype == dt, (case, sub, logits.dtype)
                per_attn[attn] = logits
                key = f"{case}/{sub}/{attn}/logits"
                tensors[key] = logits.contiguous()
                facts[key] = {"err_vs_f32": err(logits, e[f32_key])}
            spread = err(per_attn["eager"], per_attn["sdpa"])
            for attn in per_attn:
                facts[f"{case}/{sub}/{attn}/logits"]["spread"] = spread
        print("wrote", case)
    save_file(tensors, os.path.join(a.out, "family_half_goldens.safetensors"))
    with open(os.path.join(a.out, "family_half_goldens.json"), "w") as f:
        json.dump(facts, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
