"""The Llama-1B-shape GGUF files of issue 21's side by side (never on CI's path): a random-weight
LlamaForCausalLM with meta-llama/Llama-3.2-1B's config.json values (those of bench/make_bench_models.cpp's
"llama-1b": hidden 2048, 16 layers, GQA 32/8, intermediate 8192, vocab 128256, tied embeddings),
initialised by transformers 4.51 (normal, std 0.02) in bfloat16 and saved with save_pretrained, plus
the byte-level BPE tokenizer.json of tests/oracle/make_gguf_llama_cpp.py (llama.cpp refuses a file
without tokenizer.ggml.* metadata; ids above its ~100 tokens are written as [PAD{i}]). Then our
`transformers-cli convert --format gguf --quant Q` writes each file; bench/quant_smollm2.py --gguf FILE
measures ours and llama.cpp on the same file.

  /work/venv/bin/python bench/make_llama1b_gguf.py --out /tmp/llama1b [--quant q8_0 q4_k_m]
"""
import argparse
import json
import os
import subprocess
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "oracle"))

CONFIG = dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
              num_key_value_heads=8, head_dim=64, vocab_size=128256, max_position_embeddings=131072,
              rms_norm_eps=1e-5, rope_theta=500000.0,
              rope_scaling={"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                            "original_max_position_embeddings": 8192, "rope_type": "llama3"},
              hidden_act="silu", tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, initializer_range=0.02)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/llama1b")
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "build", "transformers-cli"))
    ap.add_argument("--quant", nargs="*", default=["q8_0", "q4_k_m"])
    a = ap.parse_args()
    src = os.path.join(a.out, "llama-1b")
    if not os.path.exists(os.path.join(src, "model.safetensors")):
        import torch
        from transformers import LlamaConfig, LlamaForCausalLM

        torch.manual_seed(0)
        torch.set_default_dtype(torch.bfloat16)
        model = LlamaForCausalLM(LlamaConfig(**CONFIG))
        model.save_pretrained(src, max_shard_size="20GB")
        # the oracle module imports llama_cpp at its top; its tokenizer_json needs nothing of it
        stub = types.ModuleType("llama_cpp")
        stub.Llama = None
        sys.modules.setdefault("llama_cpp", stub)
        from make_gguf_llama_cpp import tokenizer_json

        with open(os.path.join(src, "tokenizer.json"), "w") as f:
            json.dump(tokenizer_json(CONFIG["vocab_size"]), f)
    for q in a.quant:
        path = os.path.join(a.out, f"llama-1b-{q}.gguf")
        if not os.path.exists(path):
            subprocess.run([a.cli, "convert", "--model", src, "--format", "gguf", "--quant", q, "--output", path],
                           check=True)
        print(path)


if __name__ == "__main__":
    main()
