"""The GGUF writer (io::GGUFWriter, save_gguf, `transformers-cli convert --format gguf`) held to the
`gguf` Python package and transformers 4.51.3.

1. Quantizer goldens: gguf.quants.quantize of float32 rows (ties, a zero block, random values) to
   Q8_0 and Q4_0 -> tests/data/io/gguf_quantize.safetensors (x, q8_0, q4_0 as uint8 bytes).
2. For each --quant (f32, f16, bf16, q8_0, q4_0): our CLI converts tests/data/modeling/gguf/
   tiny_llama.gguf (a model 4.51 loads to tiny_llama_state.safetensors) to GGUF. Independently,
   gguf-py's GGUFWriter writes the file llama.cpp's converter would from 4.51's state dict: the
   same llama.* keys (uint32 counts, float32 rope base / epsilon), Q/K rows permuted with
   convert_hf_to_gguf's permute, 1-D tensors F32, 2-D weights quantized by gguf.quants.quantize
   (F16 where a row is not whole blocks). Our file must equal it byte for byte; gguf-py's
   GGUFReader must read every key and tensor of ours back; 4.51 must load ours with gguf_file= and
   give the logits of the original file (f32: within 1e-6).
   -> tests/data/modeling/gguf/writer_expected.json: per quant the sha256 of the validated file
   and 4.51's max |logit diff| against the original (the C++ test checks our bytes still hash so);
   writer_logits.safetensors: 4.51's logits of each of our files (our loader must match them).

Run: /work/venv/bin/python tests/oracle/make_gguf_writer.py [--cli build/transformers-cli]
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import gguf
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader
from safetensors.numpy import save_file
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from make_gguf_common import finish

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
GG = os.path.join(DATA, "modeling", "gguf")

# GGUF_CONFIG_MAPPING's llama rows in the order gguf_load.cpp lists them (the writer's key order)
LLAMA_KEYS = [("context_length", "max_position_embeddings"), ("block_count", "num_hidden_layers"),
              ("feed_forward_length", "intermediate_size"), ("embedding_length", "hidden_size"),
              ("rope.dimension_count", "head_dim"), ("rope.freq_base", "rope_theta"),
              ("attention.head_count", "num_attention_heads"), ("attention.head_count_kv", "num_key_value_heads"),
              ("attention.layer_norm_rms_epsilon", "rms_norm_eps"), ("vocab_size", "vocab_size")]
HF_TO_GGUF = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
              "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
              "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm",
              "post_attention_layernorm": "ffn_norm"}
QUANTS = {"f32": T.F32, "f16": T.F16, "bf16": T.BF16, "q8_0": T.Q8_0, "q4_0": T.Q4_0}


def permute(w, n_head, n_kv):
    # convert_hf_to_gguf.py's LlamaModel.permute
    if n_kv is not None and n_head != n_kv:
        n_head = n_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def quantize_goldens():
    rng = np.random.default_rng(21)
    x = rng.standard_normal((8, 64)).astype(np.float32)
    x[0, :32] = 0  # a zero block (d = 0)
    x[1, :32] = np.concatenate([[127.0, -126.5, 2.5, -3.5, 0.5, -0.5], np.arange(26) - 12.5]).astype(np.float32)
    x[2, :32] = np.concatenate([[-8.0, 7.5, -7.5, 0.5, -0.5], np.arange(27) * 0.25 - 3.25]).astype(np.float32)
    x[3] *= 1000
    out = {"x": x, "q8_0": gguf.quants.quantize(x, T.Q8_0), "q4_0": gguf.quants.quantize(x, T.Q4_0)}
    os.makedirs(os.path.join(DATA, "io"), exist_ok=True)
    save_file({k: np.ascontiguousarray(v) for k, v in out.items()}, os.path.join(DATA, "io", "gguf_quantize.safetensors"))


def gguf_name(hf):
    if hf == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf == "model.norm.weight":
        return "output_norm.weight"
    if hf == "lm_head.weight":
        return "output.weight"
    parts = hf.split(".")  # model.layers.N.<module...>.weight
    return f"blk.{parts[2]}.{HF_TO_GGUF['.'.join(parts[3:-1])]}.{parts[-1]}"


def reference_file(path, ours, state, cfg, qtype, metadata=None):
    """gguf-py's file for 4.51's state dict, keys and tensors in the order of our file; `metadata(w)`
    adds keys after general.alignment (the tokenizer's, make_gguf_tokenizer_writer.py)."""
    w = gguf.GGUFWriter(path, "llama")
    name_field = ours.fields["general.name"]
    w.add_name(bytes(name_field.parts[name_field.data[0]]).decode())
    for gkey, ckey in LLAMA_KEYS:
        v = cfg[ckey]
        if isinstance(v, float):
            w.add_float32("llama." + gkey, v)
        else:
            w.add_uint32("llama." + gkey, v)
    w.add_uint32("general.alignment", 32)
    if metadata is not None:
        metadata(w)
    by_gguf = {gguf_name(k): k for k in state}
    for t in ours.tensors:
        a = state[by_gguf[t.name]].float().numpy()
        if t.name.endswith("attn_q.weight"):
            a = permute(a, cfg["num_attention_heads"], cfg["num_attention_heads"])
        elif t.name.endswith("attn_k.weight"):
            a = permute(a, cfg["num_attention_heads"], cfg["num_key_value_heads"])
        if a.ndim == 1 or qtype == T.F32:
            w.add_tensor(t.name, a.astype(np.float32))
        elif qtype == T.F16 or (qtype in (T.Q8_0, T.Q4_0) and a.shape[1] % 32):
            w.add_tensor(t.name, a.astype(np.float16))
        else:
            w.add_tensor(t.name, gguf.quants.quantize(a, qtype), raw_dtype=qtype)
    finish(w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "..", "build", "transformers-cli"))
    args = ap.parse_args()
    quantize_goldens()
    with open(os.path.join(GG, "expected.json")) as f:
        exp = json.load(f)["tiny_llama"]
    cfg = exp["config"]
    state = load_file(os.path.join(GG, "tiny_llama_state.safetensors"))
    want_logits = load_file(os.path.join(GG, "tiny_llama_logits.safetensors"))["logits"]
    ids = torch.tensor([exp["input_ids"]])
    result, ok, logits_out = {}, True, {}
    with tempfile.TemporaryDirectory() as tmp:
        for quant, qtype in QUANTS.items():
            ours_path = os.path.join(tmp, f"ours_{quant}.gguf")
            subprocess.run([args.cli, "convert", "--model", os.path.join(GG, "tiny_llama.gguf"), "--output", ours_path,
                            "--format", "gguf", "--quant", quant], check=True)
            ours = GGUFReader(ours_path)
            ref_path = os.path.join(tmp, f"ref_{quant}.gguf")
            reference_file(ref_path, ours, state, cfg, qtype)
            a, b = open(ours_path, "rb").read(), open(ref_path, "rb").read()
            same = a == b
            ok &= same
            # gguf-py reads ours: the keys and tensors of the reference, value for value
            ref = GGUFReader(ref_path)
            keys_equal = list(ours.fields) == list(ref.fields) and all(
                ours.fields[k].types == ref.fields[k].types and
                all(np.array_equal(ours.fields[k].parts[i], ref.fields[k].parts[i]) for i in ours.fields[k].data)
                for k in ref.fields)
            tensors_equal = [t.name for t in ours.tensors] == [t.name for t in ref.tensors] and all(
                t.tensor_type == r.tensor_type and list(t.shape) == list(r.shape) and np.array_equal(t.data, r.data)
                for t, r in zip(ours.tensors, ref.tensors))
            ok &= keys_equal and tensors_equal
            model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=f"ours_{quant}.gguf").eval()
            with torch.no_grad():
                got = model(ids).logits[0]
                diff = float((got - want_logits).abs().max())
            logits_out[quant] = got.contiguous()
            if quant == "f32":
                ok &= diff <= 1e-6
            types = sorted({t.tensor_type.name for t in ours.tensors})
            print(f"{quant}: {len(a)} bytes, bytes equal to gguf-py's: {same}, keys equal: {keys_equal}, "
                  f"tensors equal: {tensors_equal}, types {types}, 4.51 max |logit diff| vs original {diff:.3g}")
            result[quant] = {"sha256": hashlib.sha256(a).hexdigest(), "bytes": len(a),
                             "max_abs_logit_diff_451": diff, "tensor_types": types}
    if not ok:
        sys.exit("our GGUF differs from gguf-py's: goldens not written")
    from safetensors.torch import save_file as save_torch
    save_torch(logits_out, os.path.join(GG, "writer_logits.safetensors"))
    with open(os.path.join(GG, "writer_expected.json"), "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
