"""A tiny random Llama checkpoint written as GGUF with gguf-py's GGUFWriter, loaded by transformers
4.51.3 with gguf_file= — the fidelity goldens of from_pretrained(path, {.gguf_file = ...}).

Writes under tests/data/modeling/gguf/:
  tiny_llama.gguf           2 layers, hidden 64, 4 heads / 2 kv heads (GQA, so Q and K are
                            permuted with different head counts), tensors in F32, F16, BF16, Q8_0,
                            Q4_0, Q4_1, Q5_0, Q5_1; untied output (output.weight present)
  tiny_llama_tied.gguf      the same without output.weight (4.51 then ties lm_head to the embedding)
  expected.json             per file: 4.51's GGUF config dict, the model config it builds, the input
                            ids, greedy tokens (10 new), logits shape
  tiny_llama_state.safetensors  the model's state_dict after 4.51's load (dequantized, Q/K un-permuted)
  *_logits.safetensors      logits of the input ids (float32)

Run: /work/venv/bin/python tests/oracle/make_gguf_llama.py   (needs gguf, accelerate)
"""
import json
import os
import tempfile

import numpy as np
import torch
import gguf
from make_gguf_common import finish
from gguf import GGMLQuantizationType as T
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM
from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "modeling", "gguf")
N_HEAD, N_KV = 4, 2


def permute(w, n_head, n_kv):
    # llama.cpp's convert_hf_to_gguf permutation of Q/K rows (interleaves each head's rotary halves)
    if n_kv is not None and n_head != n_kv:
        n_head = n_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


# per tensor kind: the ggml type it is stored as (layer 0, layer 1)
LAYER_TYPES = {
    "attn_q": (T.Q8_0, T.Q4_1), "attn_k": (T.Q4_0, T.Q5_1), "attn_v": (T.Q5_0, T.Q8_0),
    "attn_output": (T.Q4_1, T.F16), "ffn_gate": (T.Q8_0, T.Q4_0), "ffn_up": (T.Q5_1, T.Q5_0),
    "ffn_down": (T.Q4_1, T.BF16), "attn_norm": (T.F32, T.F32), "ffn_norm": (T.F32, T.F32),
}
HF = {
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
}


def add(w, name, t, qtype):
    a = t.detach().float().numpy()
    if qtype == T.F32:
        w.add_tensor(name, a.astype(np.float32))
    elif qtype == T.F16:
        w.add_tensor(name, a.astype(np.float16))
    else:
        w.add_tensor(name, gguf.quants.quantize(a, qtype), raw_dtype=qtype)


def write_gguf(path, model, cfg, with_output):
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tiny-llama")
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_freq_base(cfg.rope_theta)
    w.add_vocab_size(cfg.vocab_size)
    w.add_file_type(1)
    sd = model.state_dict()
    add(w, "token_embd.weight", sd["model.embed_tokens.weight"], T.F16)
    add(w, "output_norm.weight", sd["model.norm.weight"], T.F32)
    if with_output:
        add(w, "output.weight", sd["lm_head.weight"], T.Q8_0)
    for i in range(cfg.num_hidden_layers):
        for kind, types in LAYER_TYPES.items():
            t = sd[f"model.layers.{i}.{HF[kind]}.weight"]
            if kind == "attn_q":
                t = permute(t, N_HEAD, N_HEAD)
            elif kind == "attn_k":
                t = permute(t, N_HEAD, N_KV)
            add(w, f"blk.{i}.{kind}.weight", t, types[i])
    finish(w)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=96, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=N_HEAD, num_key_value_heads=N_KV, max_position_embeddings=128,
                      rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # larger weights than the init's 0.02 so quantization and logits matter
        for p in model.parameters():
            p.normal_(0, 0.3) if p.dim() > 1 else p.uniform_(0.5, 1.5)
    ids = torch.tensor([[1, 5, 9, 23, 42, 7, 88, 3]])
    expected = {}
    for stem, with_output in (("tiny_llama", True), ("tiny_llama_tied", False)):
        path = os.path.join(OUT, stem + ".gguf")
        write_gguf(path, model, cfg, with_output)
        loaded = AutoModelForCausalLM.from_pretrained(OUT, gguf_file=stem + ".gguf").eval()
        with torch.no_grad():
            logits = loaded(ids).logits
            gen = loaded.generate(ids, max_new_tokens=10, do_sample=False)
        state = {k: v.contiguous() for k, v in loaded.state_dict().items()}
        if with_output:  # the tied file holds the same weights minus output.weight
            save_file(state, os.path.join(OUT, stem + "_state.safetensors"))
        save_file({"logits": logits[0].contiguous()}, os.path.join(OUT, stem + "_logits.safetensors"))
        gguf_cfg = load_gguf_checkpoint(path, return_tensors=False)["config"]
        expected[stem] = {
            "gguf_config": gguf_cfg,
            "config": {k: loaded.config.to_dict()[k] for k in (
                "model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "head_dim", "rms_norm_eps", "rope_theta", "vocab_size",
                "max_position_embeddings", "tie_word_embeddings")},
            "input_ids": ids[0].tolist(),
            "greedy": gen[0].tolist(),
            "logits_shape": list(logits[0].shape),
            "state_keys": sorted(state.keys()),
        }
        print(stem, os.path.getsize(path), "bytes; greedy", gen[0].tolist())
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
