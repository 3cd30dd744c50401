#!/usr/bin/env python3
"""Oracle for the Llama-like decoder families (issue #22): Qwen2, Qwen3, Mistral, Gemma, Gemma 2, Phi-3 and
OLMo 2, with transformers 4.51.

    /work/venv/bin/python tests/oracle/make_decoder_family_cases.py [--out tests/data/models]

Writes tests/data/models/cases/<name>/ the way models_parity.py does (config.json, model.safetensors
from save_pretrained, expected.safetensors with eager / sdpa float32 logits, hidden states,
attentions and a cached decode step), plus generate.safetensors: greedy generate() of 4.51 on the
same (padded) prompts and num_parameters() (all, without embeddings), read by tests/models/test_llama_family.cpp. Tiny random checkpoints: hidden
32, 2 layers, 4 heads, 2 kv heads, vocab 99, weights std 0.25 (models_parity.redraw).

The sliding-window cases use windows shorter than the sequence: 4.51's eager/sdpa mask
(_prepare_4d_causal_attention_mask_with_cache_position) masks keys more than `sliding_window - 1`
positions back whenever config.sliding_window is set -- for Qwen2/Qwen3 whatever use_sliding_window says.

Gemma 2 (even layers local, odd global) has no cached decode step here: a forward with use_cache
builds a HybridCache as long as the prompt, which one more token overflows. Its generate() uses a
HybridCache sized for the whole generation; that equals the exact attention when the prompt is at
least the window long (the greedy case below), but once a shorter prompt grows to window - 1
tokens 4.51's rolling buffer drops the first key and attends a zero slot. generate.safetensors
therefore also holds a short prompt's greedy tokens recomputed without a cache (short_sequences_exact,
what this library produces) beside 4.51's generate() tokens (short_sequences_hybrid_cache).
"""
import argparse
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models_parity  # noqa: E402
from models_parity import make_case, masks  # noqa: E402

_redraw = models_parity.redraw


def redraw_unit_offset(model, seed):
    """models_parity.redraw, then Gemma's norm weights moved to 0 +- 0.2: its RMSNorm multiplies by
    (1 + weight), so the scale stays 1 +- 0.2 and the logits ~5 like the other families'."""
    _redraw(model, seed)
    if type(model).__name__.startswith("Gemma"):
        for name, p in model.named_parameters():
            if p.dim() == 1 and "norm" in name and name.endswith("weight"):
                p.sub_(1.0)


models_parity.redraw = redraw_unit_offset  # make_case looks the name up when it runs

assert transformers.__version__ == "4.51.3", transformers.__version__
torch.set_grad_enabled(False)


def small(**kw):
    base = dict(vocab_size=99, hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, bos_token_id=1,
                eos_token_id=2, pad_token_id=0)
    base.update(kw)
    return base


def greedy(out_dir, name, cls, seed, batch, seq, new_tokens, same_tokens=True, short_prompt=0):
    """Left-padded greedy generation from the saved checkpoint (what a user runs). same_tokens:
    eager and sdpa agree (not for Gemma 2, whose sdpa path drops the attention soft-cap)."""
    d = os.path.join(out_dir, "cases", name)
    model = cls.from_pretrained(d, attn_implementation="sdpa").eval()
    g = torch.Generator().manual_seed(seed + 2)
    ids = torch.randint(3, model.config.vocab_size, (batch, seq), generator=g)
    mask = masks("left", batch, seq)
    ids = ids.masked_fill(mask == 0, model.config.pad_token_id)
    res = {"input_ids": ids, "attention_mask": mask}
    for attn in ["eager", "sdpa"]:
        m = cls.from_pretrained(d, attn_implementation=attn).eval()
        res["sequences_" + attn] = m.generate(input_ids=ids, attention_mask=mask, do_sample=False,
                                              max_new_tokens=new_tokens, min_new_tokens=new_tokens)
    if same_tokens:
        assert torch.equal(res["sequences_eager"], res["sequences_sdpa"])
    if short_prompt:
        m = cls.from_pretrained(d, attn_implementation="eager").eval()
        short = ids[:1, -short_prompt:].clone()
        res["short_input_ids"] = short
        res["short_sequences_hybrid_cache"] = m.generate(input_ids=short, do_sample=False,
                                                         max_new_tokens=new_tokens, min_new_tokens=new_tokens)
        seqs = short
        for _ in range(new_tokens):
            nxt = m(input_ids=seqs, use_cache=False).logits[:, -1].argmax(-1, keepdim=True)
            seqs = torch.cat([seqs, nxt], dim=1)
        res["short_sequences_exact"] = seqs
    res["num_parameters"] = torch.tensor([m.num_parameters(), m.num_parameters(exclude_embeddings=True)])
    save_file({k: v.contiguous() for k, v in res.items()}, os.path.join(d, "generate.safetensors"))


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models"))
    a = ap.parse_args()
    T = transformers
    cases = [
        # name, class, config, seed, batch, seq, padding, positions, decode step, generate
        ("qwen2_gqa_left_pad", T.Qwen2ForCausalLM, small(), 61, 3, 9, "left", True, True, True),
        ("qwen2_window4_use_sliding", T.Qwen2ForCausalLM,
         small(sliding_window=4, use_sliding_window=True, max_window_layers=1, tie_word_embeddings=True),
         62, 2, 12, "right", False, True, True),
        ("qwen2_window5_not_used", T.Qwen2ForCausalLM, small(sliding_window=5, use_sliding_window=False,
         rope_theta=100.0), 63, 2, 11, "middle", False, True, True),
        ("qwen3_qk_norm_bias_headdim", T.Qwen3ForCausalLM, small(attention_bias=True, head_dim=12), 65, 3, 9,
         "left", True, True, True),
        ("qwen3_window4", T.Qwen3ForCausalLM, small(sliding_window=4, head_dim=8), 66, 2, 12, "right", False, True,
         True),
        ("mistral_gqa_left_pad_no_window", T.MistralForCausalLM, small(sliding_window=None), 71, 3, 9, "left", True, True, True),
        ("mistral_window3_headdim", T.MistralForCausalLM, small(sliding_window=3, head_dim=12), 72, 2, 12,
         "middle", False, True, True),
    ]
    for name, cls, cfg, seed, b, s, pad, pos, step, gen in cases:
        make_case(a.out, name, cls, cfg, seed, b, s, pad, with_positions=pos, decode_step=step)
        if gen:
            greedy(a.out, name, cls, seed, 2, 5, 8)
        print("wrote", name)
    gemma_cases = [
        # name, class, config, seed, batch, seq, padding, positions, decode step, pad ids
        ("gemma_tied_headdim_left_pad", T.GemmaForCausalLM, small(head_dim=12), 81, 3, 9, "left", True, True,
         False),
        ("gemma_mqa_bias_untied_gelu", T.GemmaForCausalLM,
         small(num_key_value_heads=1, head_dim=8, attention_bias=True, tie_word_embeddings=False, hidden_act="gelu",
               rope_theta=100.0), 82, 2, 10, "middle", False, True, False),
        ("gemma_seq_cls", T.GemmaForSequenceClassification, small(num_labels=3, head_dim=10), 83, 3, 9, "right", False, False,
         True),
        ("gemma2_window4_softcap", T.Gemma2ForCausalLM,
         small(num_hidden_layers=3, head_dim=8, sliding_window=4, query_pre_attn_scalar=10,
               attn_logit_softcapping=2.0, final_logit_softcapping=4.0), 91, 2, 12, "right", False, False, False),
        ("gemma2_window3_left_pad_defaults", T.Gemma2ForCausalLM,
         small(num_hidden_layers=4, head_dim=12, sliding_window=3, query_pre_attn_scalar=20), 92, 3, 9, "left",
         True, False, False),
        ("gemma2_seq_cls", T.Gemma2ForSequenceClassification,
         small(num_labels=2, head_dim=8, sliding_window=3, query_pre_attn_scalar=8, attn_logit_softcapping=3.0),
         93, 3, 9, "left", False, False, True),
    ]
    for name, cls, cfg, seed, b, s, pad, pos, step, pad_ids in gemma_cases:
        make_case(a.out, name, cls, cfg, seed, b, s, pad, with_positions=pos, decode_step=step, pad_ids=pad_ids)
        if cls is T.GemmaForCausalLM:
            greedy(a.out, name, cls, seed, 2, 5, 8)
        elif cls is T.Gemma2ForCausalLM:
            # prompts at least the window long (4.51's HybridCache is exact there), plus a short one
            greedy(a.out, name, cls, seed, 2, cfg["sliding_window"] + 2, 8, same_tokens=False, short_prompt=2)
        print("wrote", name)
    # Phi-3: fused qkv_proj / gate_up_proj, partial rotary, longrope short/long factors by length (the
    # long case is longer than original_max_position_embeddings, its prompt too: 4.51's generate drops
    # the cache when a shorter prompt crosses that length, which this library refuses instead).
    longrope = {"type": "longrope", "short_factor": [1.0, 1.3], "long_factor": [1.7, 2.9]}
    phi3_cases = [
        ("phi3_fused_gqa_left_pad", T.Phi3ForCausalLM, small(), 101, 3, 9, "left", True, True, 5),
        ("phi3_longrope_partial_window", T.Phi3ForCausalLM,
         small(max_position_embeddings=32, original_max_position_embeddings=8, partial_rotary_factor=0.5,
               rope_scaling=longrope, sliding_window=5), 102, 2, 12, "right", False, True, 10),
        ("phi3_seq_cls", T.Phi3ForSequenceClassification, small(num_labels=3), 103, 3, 9, "right", False, False, 0),
    ]
    for name, cls, cfg, seed, b, s, pad, pos, step, prompt in phi3_cases:
        make_case(a.out, name, cls, cfg, seed, b, s, pad, with_positions=pos, decode_step=step,
                  pad_ids=cls is T.Phi3ForSequenceClassification)
        if prompt:
            greedy(a.out, name, cls, seed, 2, prompt, 8)
        print("wrote", name)
    # OLMo 2: q/k RMSNorm over the whole projection, post-norms instead of pre-norms.
    olmo2_cases = [
        ("olmo2_gqa_left_pad", small(), 111, 3, 9, "left", True),
        ("olmo2_bias_rope_linear_tied", small(attention_bias=True, tie_word_embeddings=True,
                                              rope_scaling={"type": "linear", "factor": 2.0}), 112, 2, 10, "middle",
         False),
    ]
    for name, cfg, seed, b, s, pad, pos in olmo2_cases:
        make_case(a.out, name, T.Olmo2ForCausalLM, cfg, seed, b, s, pad, with_positions=pos, decode_step=True)
        greedy(a.out, name, T.Olmo2ForCausalLM, seed, 2, 5, 8)
        print("wrote", name)
    # Sequence classification heads of the Llama-like families (pooled at the last non-pad token).
    seq_cls_cases = [
        ("llama_seq_cls", T.LlamaForSequenceClassification, small(num_labels=3), 121, "right"),
        ("qwen2_seq_cls", T.Qwen2ForSequenceClassification, small(num_labels=2), 122, "left"),
        ("qwen3_seq_cls", T.Qwen3ForSequenceClassification, small(num_labels=4, head_dim=12), 123, "right"),
        ("mistral_seq_cls", T.MistralForSequenceClassification, small(num_labels=3, sliding_window=4), 124, "right"),
    ]
    for name, cls, cfg, seed, pad in seq_cls_cases:
        make_case(a.out, name, cls, cfg, seed, 3, 9, pad, pad_ids=True)
        print("wrote", name)


if __name__ == "__main__":
    main()
