#!/usr/bin/env python3
"""Oracle for the sparse mixture-of-experts decoder Mixtral (issue #22), with transformers 4.51.

    /work/venv/bin/python tests/oracle/make_moe_cases.py [--out tests/data/models]

Writes tests/data/models/cases/mixtral_*/ like make_decoder_family_cases.py (config.json,
model.safetensors, expected.safetensors with eager / sdpa float32 logits, hidden states,
attentions, a cached decode step; generate.safetensors with greedy generate() of 4.51 and
num_parameters), plus router.safetensors: with output_router_logits=True and labels, every layer's
router logits [layers, batch * seq, experts], aux_loss (load_balancing_loss_func with the attention
mask) and the loss (LM loss + router_aux_loss_coef * aux_loss), and aux_loss_no_mask (the same
inputs without an attention mask). Tiny random checkpoints: hidden 32, 2 layers, 4 heads, 2 kv
heads, vocab 99, weights std 0.25, 4-5 experts with top-2 / top-3 routing; and mixtral_seq_cls
(MixtralForSequenceClassification, 3 experts, logits / hidden states / attentions only).
"""
import argparse
import os
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_decoder_family_cases import greedy, small  # noqa: E402
from models_parity import make_case  # noqa: E402

assert transformers.__version__ == "4.51.3", transformers.__version__
torch.set_grad_enabled(False)


def router_goldens(out_dir, name):
    d = os.path.join(out_dir, "cases", name)
    model = transformers.MixtralForCausalLM.from_pretrained(d, attn_implementation="eager").eval()
    e = load_file(os.path.join(d, "expected.safetensors"))
    ids, mask = e["input_ids"], e["attention_mask"]
    labels = ids.masked_fill(mask == 0, -100)
    o = model(input_ids=ids, attention_mask=mask, labels=labels, output_router_logits=True)
    plain = model(input_ids=ids, attention_mask=mask, labels=labels)
    no_mask = model(input_ids=ids, output_router_logits=True)
    res = {"labels": labels, "router_logits": torch.stack(o.router_logits), "aux_loss": o.aux_loss.reshape(1),
           "loss": o.loss.reshape(1), "loss_without_router_logits": plain.loss.reshape(1),
           "aux_loss_no_mask": no_mask.aux_loss.reshape(1)}
    save_file({k: v.contiguous() for k, v in res.items()}, os.path.join(d, "router.safetensors"))


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models"))
    a = ap.parse_args()
    M = transformers.MixtralForCausalLM
    cases = [
        # name, config, seed, batch, seq, padding, positions
        ("mixtral_top2_gqa_left_pad", small(num_local_experts=4, num_experts_per_tok=2), 131, 3, 9, "left", True),
        ("mixtral_top3_window4_headdim_tied",
         small(num_local_experts=5, num_experts_per_tok=3, sliding_window=4, head_dim=12, tie_word_embeddings=True,
               router_aux_loss_coef=0.02), 132, 2, 12, "right", False),
    ]
    for name, cfg, seed, b, s, pad, pos in cases:
        make_case(a.out, name, M, cfg, seed, b, s, pad, with_positions=pos, decode_step=True)
        greedy(a.out, name, M, seed, 2, 5, 8)
        router_goldens(a.out, name)
        print("wrote", name)
    # MixtralForSequenceClassification: pooled at the last non-pad token, as Llama's.
    make_case(a.out, "mixtral_seq_cls", transformers.MixtralForSequenceClassification,
              small(num_labels=3, num_local_experts=3, num_experts_per_tok=2, sliding_window=5), 133, 3, 9, "right",
              pad_ids=True)
    print("wrote mixtral_seq_cls")


if __name__ == "__main__":
    main()
