#!/usr/bin/env python3
"""Oracle for Gemma 3 text (Gemma3ForCausalLM / Gemma3TextConfig, issue #22), with transformers 4.51.

    /work/venv/bin/python tests/oracle/make_gemma3_cases.py [--out tests/data/models]

Writes tests/data/models/cases/gemma3_*/ like make_decoder_family_cases.py's Gemma 2 cases
(config.json, model.safetensors, expected.safetensors with eager / sdpa float32 logits, hidden
states and attentions; generate.safetensors with greedy generate() of 4.51 on prompts at least the
window long, where 4.51's HybridCache is exact, and num_parameters). What Gemma 3 adds to Gemma 2 is
exercised: q/k RMSNorm (1 + weight) per head, local layers (sliding_window_pattern) rotated with
rope_local_base_freq and the default rope while global layers use rope_theta and rope_scaling,
no soft-capping by default (one case sets attn_logit_softcapping, which 4.51's Gemma3Attention stores but
never applies, and final_logit_softcapping, which it applies).
Sequences are longer than the window. Tiny random checkpoints: hidden 32, 4 heads, 2 kv heads,
vocab 99, weights std 0.25, norm weights 0 +- 0.2.
"""
import argparse
import os
import sys

import torch
import transformers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_decoder_family_cases import greedy, small  # noqa: E402  (also sets Gemma's norm redraw)
from models_parity import make_case  # noqa: E402

assert transformers.__version__ == "4.51.3", transformers.__version__
torch.set_grad_enabled(False)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models"))
    a = ap.parse_args()
    G = transformers.Gemma3ForCausalLM
    cases = [
        # name, config, seed, batch, seq, padding, positions, same greedy tokens eager/sdpa
        ("gemma3_pattern3_local_rope_left_pad",
         small(num_hidden_layers=3, head_dim=8, sliding_window=4, sliding_window_pattern=3, query_pre_attn_scalar=10,
               rope_theta=10000.0, rope_local_base_freq=50.0), 141, 3, 11, "left", True, True),
        ("gemma3_pattern2_linear_rope_softcap",
         small(num_hidden_layers=4, head_dim=12, sliding_window=3, sliding_window_pattern=2, query_pre_attn_scalar=16,
               rope_scaling={"rope_type": "linear", "factor": 2.0}, rope_local_base_freq=100.0,
               attn_logit_softcapping=3.0, final_logit_softcapping=5.0, tie_word_embeddings=False), 142, 2, 12,
         "right", False, False),
    ]
    for name, cfg, seed, b, s, pad, pos, same in cases:
        make_case(a.out, name, G, cfg, seed, b, s, pad, with_positions=pos, decode_step=False)
        greedy(a.out, name, G, seed, 2, cfg["sliding_window"] + 2, 8, same_tokens=same)
        print("wrote", name)


if __name__ == "__main__":
    main()
