#!/usr/bin/env python3
"""Oracle for the sparse mixture-of-experts decoder Qwen2-MoE (issue #22), with transformers 4.51.

    /work/venv/bin/python tests/oracle/make_qwen2_moe_cases.py [--out tests/data/models]

Writes tests/data/models/cases/qwen2_moe_*/ like make_moe_cases.py does for Mixtral (config.json,
model.safetensors, expected.safetensors with eager / sdpa float32 logits, hidden states, attentions,
a cached decode step; generate.safetensors with greedy generate() of 4.51 and num_parameters;
router.safetensors with the sparse layers' router logits, aux_loss and the loss), plus in
generate.safetensors beam_sequences: beam search (num_beams 3, 2 returned, 6 new tokens) on the
first greedy prompt. Tiny random checkpoints (hidden 32, 4 heads, 2 kv heads, vocab 99, weights std
0.25) covering the Qwen2-MoE switches: the shared expert and its sigmoid gate, norm_topk_prob both
ways, decoder_sparse_step, mlp_only_layers, qkv_bias off, use_sliding_window with a window shorter
than the sequence.
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
M = transformers.Qwen2MoeForCausalLM


def router_goldens(out_dir, name):
    d = os.path.join(out_dir, "cases", name)
    model = M.from_pretrained(d, attn_implementation="eager").eval()
    e = load_file(os.path.join(d, "expected.safetensors"))
    ids, mask = e["input_ids"], e["attention_mask"]
    labels = ids.masked_fill(mask == 0, -100)
    o = model(input_ids=ids, attention_mask=mask, labels=labels, output_router_logits=True)
    plain = model(input_ids=ids, attention_mask=mask, labels=labels)
    res = {"labels": labels, "router_logits": torch.stack(o.router_logits), "aux_loss": o.aux_loss.reshape(1),
           "loss": o.loss.reshape(1), "loss_without_router_logits": plain.loss.reshape(1)}
    save_file({k: v.contiguous() for k, v in res.items()}, os.path.join(d, "router.safetensors"))


def beam_goldens(out_dir, name):
    d = os.path.join(out_dir, "cases", name)
    path = os.path.join(d, "generate.safetensors")
    g = load_file(path)
    model = M.from_pretrained(d, attn_implementation="sdpa").eval()
    g["beam_sequences"] = model.generate(input_ids=g["input_ids"], attention_mask=g["attention_mask"],
                                         do_sample=False, num_beams=3, num_return_sequences=2, max_new_tokens=6,
                                         min_new_tokens=6)
    save_file({k: v.contiguous() for k, v in g.items()}, path)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models"))
    a = ap.parse_args()
    moe = dict(moe_intermediate_size=24, shared_expert_intermediate_size=36)
    cases = [
        # name, config, seed, batch, seq, padding, positions
        ("qwen2_moe_shared_top2_left_pad",
         small(num_experts=4, num_experts_per_tok=2, norm_topk_prob=False, **moe), 141, 3, 9, "left", True),
        ("qwen2_moe_step2_mlp_only_window4_norm_topk",
         small(num_hidden_layers=4, num_experts=5, num_experts_per_tok=3, norm_topk_prob=True, decoder_sparse_step=2,
               mlp_only_layers=[3], use_sliding_window=True, sliding_window=4, tie_word_embeddings=True,
               router_aux_loss_coef=0.02, **moe), 142, 2, 12, "right", False),
        ("qwen2_moe_top1_no_qkv_bias_mlp_only0",
         small(num_hidden_layers=3, num_experts=3, num_experts_per_tok=1, qkv_bias=False, mlp_only_layers=[0],
               rope_theta=100.0, **moe), 143, 2, 11, "middle", False),
    ]
    for name, cfg, seed, b, s, pad, pos in cases:
        make_case(a.out, name, M, cfg, seed, b, s, pad, with_positions=pos, decode_step=True)
        greedy(a.out, name, M, seed, 2, 5, 8)
        beam_goldens(a.out, name)
        router_goldens(a.out, name)
        print("wrote", name)


if __name__ == "__main__":
    main()
