"""The GGUF writer's k-quant mixes (`transformers-cli convert --format gguf --quant
q2_k|q3_k_s|q3_k_m|q3_k_l|q4_k_m|q5_k_m|q6_k`) held to the `gguf` Python package and transformers
4.51.3, and our keep_quantized runtime's activation rounding emulated on each file.

1. Quantizer goldens: gguf.quants.quantize of float32 rows (ties, a zero block, random values) to
   Q4_1, Q5_0 and Q5_1 (the mixes' fallbacks for rows that are not whole 256-element super-blocks)
   -> tests/data/modeling/gguf/kquant_quantize.safetensors (x and the bytes of each type).
   gguf-py has no quantizer for Q4_K / Q5_K / Q6_K; those are checked through its dequantizer.
2. A LlamaForCausalLM of 4.51 (hidden 256 so rows are whole super-blocks, intermediate 288 so
   ffn_down's rows are not and fall back, 2 layers so use_more_bits picks layer 1) whose weights are
   a hash of the element index (the C++ test computes the same float32 values; see weights()),
   saved to a folder named "model". Our CLI converts it with each mix. Checked here:
   - the type of every tensor equals llama-quantize's rule (llama_tensor_get_type's facts, stated
     independently in expected_type() below);
   - gguf-py's GGUFReader reads the file, gguf.quants.dequantize of every tensor is within the
     type's error bound of the float weight (relative RMS error, bounds in MAX_REL_RMS);
   - general.file_type / general.quantization_version as llama-quantize sets them;
   - 4.51 loads the file with gguf_file= and its logits are within MAX_LOGIT_DIFF of the float
     model's;
   - 4.51 with our kernels' int8 activation rounding emulated before every block-typed Linear
     (what keep_quantized runs) stays within KEEP_LOGIT_BOUND of its plain run and takes the same
     NEW_TOKENS greedy tokens, but where the plain run's two best scores lie within twice that bound
     (a near-tie the rounding may flip; recorded as greedy_part_at); its logits ("<quant>_keep") and
     tokens are what our kernels must reproduce.
   -> tests/data/modeling/gguf/kquant_expected.json (per mix: sha256 of the validated file, tensor
   types, measured errors) and kquant_logits.safetensors (4.51's logits of each file, and of the
   float model).

Run: /work/venv/bin/python tests/oracle/make_gguf_kquant.py [--cli build/transformers-cli]
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader
from safetensors.numpy import save_file
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

from keep_quantized_emulation import FLOAT_ACTIVATION_HEAD, round_q8
from make_gguf_writer import gguf_name, permute

HERE = os.path.dirname(os.path.abspath(__file__))
GG = os.path.join(HERE, "..", "data", "modeling", "gguf")

CONFIG = dict(vocab_size=128, hidden_size=256, intermediate_size=288, num_hidden_layers=2, num_attention_heads=8,
              num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=10000.0,
              tie_word_embeddings=False)
INPUT_IDS = [1, 5, 17, 42, 99, 127, 3, 64]
MIXES = {"q4_k_m": (T.Q4_K, 15), "q5_k_m": (T.Q5_K, 17), "q6_k": (T.Q6_K, 18), "q2_k": (T.Q2_K, 10),
         "q3_k_s": (T.Q3_K, 11), "q3_k_m": (T.Q3_K, 12), "q3_k_l": (T.Q3_K, 13)}
# relative RMS error of dequantized vs float weights, a little above what the bits allow for values
# uniform in a 32- (Q6_K: 16-) element block of range ~0.94 R: step / sqrt(12) over R / sqrt(12), step
# R / 15 (Q4_K), R / 31 (Q5_K, Q5_0, Q5_1), 2 amax / 63 (Q6_K), 2 amax / 254 (Q8_0); per 16 elements
# R / 3 (Q2_K: 4 levels with an offset) and 2 amax / 7 (Q3_K: 8 symmetric levels); Q4_0 2 amax / 15
MAX_REL_RMS = {"Q4_K": 0.075, "Q5_K": 0.037, "Q6_K": 0.018, "Q5_0": 0.036, "Q5_1": 0.036, "Q8_0": 0.0045, "F32": 0.0,
               "Q2_K": 0.36, "Q3_K": 0.155, "Q4_0": 0.075}
# max |logit diff| of 4.51 on our file vs the float model: this random 2-layer model turns a weight
# error of relative RMS r into logit errors of about 15 r (measured with shuffled errors as well);
# the bounds are about 22 r of the mix's main type
MAX_LOGIT_DIFF = {"q4_k_m": 1.2, "q5_k_m": 0.6, "q6_k": 0.35, "q2_k": 7.0, "q3_k_s": 3.0, "q3_k_m": 3.0,
                  "q3_k_l": 3.0}
# keep_quantized (our runtime keeps every block-typed Linear and rounds its input to int8 per block
# of 32): 4.51 runs each file with that rounding emulated; ours must equal that at float32 parity.
# Against 4.51's plain (dequantized) run, the rounding may move the logits by at most this much
# (measured on these files: see kquant_expected.json's keep_max_abs_logit_diff_vs_dequantized)
KEEP_LOGIT_BOUND = 0.1
BLOCK_TYPES = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}
HF_LINEAR = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
             "ffn_down": "mlp.down_proj"}
NEW_TOKENS = 10


def uniform(n, k):
    """n values in [-0.5, 0.5): splitmix64 of the state (i + 1 + k * 2^32) * golden ratio, top 24 bits
    / 2^24 - 0.5, in float64 (exact)."""
    z = (np.arange(n, dtype=np.uint64) + np.uint64(1 + k * 2**32)) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(40)).astype(np.float64) / 2.0**24 - 0.5


def weights(state):
    """The k-th tensor in sorted name order: 1-D (norms) 1 + u / 2, else u / 4, as float32."""
    out = {}
    for k, name in enumerate(sorted(state)):
        t = state[name]
        u = uniform(t.numel(), k)
        v = 1.0 + u * 0.5 if t.dim() == 1 else u * 0.25
        out[name] = torch.from_numpy(v.astype(np.float32).reshape(tuple(t.shape)))
    return out


def use_more_bits(i, n):
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def expected_type(name, shape, quant, mix_type, n_layers, has_output, n_gqa):
    """llama-quantize's choice (LLAMA_FTYPE_MOSTLY_Q2_K / Q3_K_S / Q3_K_M / Q3_K_L / Q4_K_M / Q5_K_M /
    Q6_K, no imatrix, not a 70B or MoE shape) for a tensor of the f32 file; shape is numpy's (rows,
    cols). One deliberate difference: llama-quantize falls back from Q2_K / Q3_K to IQ4_NL for rows
    that are not whole super-blocks, a type we cannot write; we write Q4_0 (the same size)."""
    if len(shape) != 2 or "_norm.weight" in name:
        return T.F32
    cols = shape[1]
    blk = lambda t: gguf.GGML_QUANT_SIZES[t][0]
    t = mix_type
    layer = int(name.split(".")[1]) if name.startswith("blk.") else -1
    more = quant in ("q4_k_m", "q5_k_m")
    if name == "output.weight" or (not has_output and name == "token_embd.weight"):
        t = T.Q8_0 if cols % blk(mix_type) else T.Q6_K
    elif "attn_v.weight" in name:
        if quant == "q2_k":
            t = T.Q4_K if n_gqa >= 4 else T.Q3_K
        elif quant == "q3_k_m":
            t = T.Q5_K if layer < 2 else T.Q4_K
        elif quant == "q3_k_l":
            t = T.Q5_K
        elif more and use_more_bits(layer, n_layers):
            t = T.Q6_K
    elif "ffn_down" in name:
        if quant == "q2_k":
            t = T.Q3_K
        elif quant == "q3_k_m":
            t = T.Q5_K if layer < n_layers // 16 else T.Q4_K
        elif quant == "q3_k_l":
            t = T.Q5_K
        elif more and use_more_bits(layer, n_layers):
            t = T.Q6_K
    elif "attn_output.weight" in name:
        t = {"q2_k": T.Q3_K, "q3_k_m": T.Q4_K, "q3_k_l": T.Q5_K}.get(quant, t)
    if cols % blk(t):
        t = {T.Q4_K: T.Q5_0, T.Q5_K: T.Q5_1, T.Q6_K: T.Q8_0, T.Q2_K: T.Q4_0, T.Q3_K: T.Q4_0}[t]
        if cols % blk(t):
            t = T.F16
    return t


def run(model, ids):
    """Logits of ids, NEW_TOKENS greedy tokens, and the margin between the two best scores at each step."""
    with torch.no_grad():
        logits = model(ids).logits[0].contiguous()
        out = model.generate(ids, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                             pad_token_id=0, output_scores=True, return_dict_in_generate=True)
    margins = [float(v[0] - v[1]) for v in (sc[0].topk(2).values for sc in out.scores)]
    return logits, out.sequences[0].tolist(), margins


def quantize_goldens():
    rng = np.random.default_rng(2121)
    x = rng.standard_normal((8, 64)).astype(np.float32)
    x[0, :32] = 0  # a zero block (d = 0)
    x[1, :32] = np.concatenate([[15.5, -16.0, 2.5, -3.5, 0.5, -0.5], np.arange(26) - 12.5]).astype(np.float32)
    x[2, :32] = np.arange(32) * 0.5 - 8.0  # values on the grid: ties of the rounding
    x[3] *= 1000
    x[4, :32] = 3.0  # a constant block (max == min)
    out = {"x": x}
    for name, t in (("q4_1", T.Q4_1), ("q5_0", T.Q5_0), ("q5_1", T.Q5_1)):
        out[name] = gguf.quants.quantize(x, t)
    save_file({k: np.ascontiguousarray(v) for k, v in out.items()}, os.path.join(GG, "kquant_quantize.safetensors"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "..", "build", "transformers-cli"))
    args = ap.parse_args()
    quantize_goldens()
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(**CONFIG)).eval()
    model.load_state_dict(weights(model.state_dict()))
    state = {k: v.float().numpy() for k, v in model.state_dict().items()}
    ids = torch.tensor([INPUT_IDS])
    with torch.no_grad():
        float_logits = model(ids).logits[0]
    result, ok, logits_out = {}, True, {"float": float_logits.contiguous()}
    cfg = CONFIG
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "model")
        model.save_pretrained(folder)
        for quant, (mix_type, ftype) in MIXES.items():
            path = os.path.join(tmp, f"{quant}.gguf")
            subprocess.run([args.cli, "convert", "--model", folder, "--output", path, "--format", "gguf",
                            "--quant", quant], check=True)
            r = GGUFReader(path)
            by_gguf = {gguf_name(k): k for k in state}
            has_output = any(t.name == "output.weight" for t in r.tensors)
            types, errs = {}, {}
            for t in r.tensors:
                a = state[by_gguf[t.name]]
                if t.name.endswith("attn_q.weight"):
                    a = permute(a, cfg["num_attention_heads"], cfg["num_attention_heads"])
                elif t.name.endswith("attn_k.weight"):
                    a = permute(a, cfg["num_attention_heads"], cfg["num_key_value_heads"])
                want = expected_type(t.name, a.shape, quant, mix_type, cfg["num_hidden_layers"], has_output,
                                     cfg["num_attention_heads"] // cfg["num_key_value_heads"])
                if t.tensor_type != want:
                    print(f"{quant}: {t.name} stored as {t.tensor_type.name}, llama-quantize: {want.name}")
                    ok = False
                deq = gguf.quants.dequantize(t.data, t.tensor_type).reshape(a.shape)
                rel = float(np.sqrt(np.mean((deq.astype(np.float64) - a) ** 2)) / np.sqrt(np.mean(a.astype(np.float64) ** 2)))
                tn = t.tensor_type.name
                types[t.name] = tn
                errs[tn] = max(errs.get(tn, 0.0), rel)
                if rel > MAX_REL_RMS[tn]:
                    print(f"{quant}: {t.name} ({tn}) relative RMS error {rel:.4g} > {MAX_REL_RMS[tn]}")
                    ok = False
            ft = r.fields["general.file_type"]
            qv = r.fields["general.quantization_version"]
            meta_ok = int(ft.parts[ft.data[0]][0]) == ftype and int(qv.parts[qv.data[0]][0]) == 2
            ok &= meta_ok
            m = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=f"{quant}.gguf").eval()
            got, plain_tokens, margins = run(m, ids)
            diff = float((got - float_logits).abs().max())
            ok &= diff <= MAX_LOGIT_DIFF[quant]
            logits_out[quant] = got.contiguous()
            # keep_quantized emulated: every Linear whose weight is stored as blocks gets rounded inputs
            kept = set()
            for name, tn in types.items():
                parts = name.split(".")
                if tn not in BLOCK_TYPES:
                    continue
                if name == "output.weight":
                    # a Q8_0 / Q6_K lm_head runs on float activations (QuantFloatActivationsGuard): no rounding
                    if tn not in FLOAT_ACTIVATION_HEAD:
                        kept.add("lm_head")
                elif parts[0] == "blk" and parts[2] in HF_LINEAR:
                    kept.add(f"model.layers.{parts[1]}.{HF_LINEAR[parts[2]]}")
            hooked = 0
            for mname, module in m.named_modules():
                if mname in kept:
                    module.register_forward_pre_hook(lambda mod, a: (round_q8(a[0]),))
                    hooked += 1
            keep_logits, keep_tokens, _ = run(m, ids)
            keep_diff = float((keep_logits - got).abs().max())
            # the first new token where the two runs part (None: all equal); the rounding moves each
            # logit by at most the bound, so it may only flip a step whose two best scores lie within
            # twice the bound in the dequantized run
            part = next((i for i in range(NEW_TOKENS) if keep_tokens[len(INPUT_IDS) + i] != plain_tokens[len(INPUT_IDS) + i]), None)
            tie_ok = part is None or margins[part] <= 2 * KEEP_LOGIT_BOUND
            ok &= hooked == len(kept) and keep_diff <= KEEP_LOGIT_BOUND and tie_ok
            logits_out[quant + "_keep"] = keep_logits
            print(f"{quant}: keep_quantized emulated on {hooked} Linears: max |logit diff| vs dequantized "
                  f"{keep_diff:.4g} (bound {KEEP_LOGIT_BOUND}), greedy {NEW_TOKENS} tokens part at "
                  f"{part} (dequantized run's top-2 margin there: {None if part is None else round(margins[part], 5)}), "
                  f"smallest margin {min(margins):.4g}")
            data = open(path, "rb").read()
            print(f"{quant}: {len(data)} bytes, types {sorted(set(types.values()))}, file_type ok {meta_ok}, "
                  f"max relative RMS error per type { {k: round(v, 5) for k, v in errs.items()} }, "
                  f"4.51 max |logit diff| vs float {diff:.4g} (bound {MAX_LOGIT_DIFF[quant]})")
            result[quant] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "tensor_types": types,
                             "max_rel_rms_error": errs, "max_abs_logit_diff_451": diff,
                             "logit_bound": MAX_LOGIT_DIFF[quant], "greedy_dequantized": plain_tokens,
                             "greedy_keep_emulated": keep_tokens, "keep_max_abs_logit_diff_vs_dequantized": keep_diff,
                             "keep_logit_bound": KEEP_LOGIT_BOUND,
                             "greedy_part_at": part, "greedy_margins_dequantized": margins}
    if not ok:
        sys.exit("a check failed: goldens not written")
    from safetensors.torch import save_file as save_torch
    save_torch(logits_out, os.path.join(GG, "kquant_logits.safetensors"))
    with open(os.path.join(GG, "kquant_expected.json"), "w") as f:
        json.dump({"config": CONFIG, "input_ids": INPUT_IDS, "max_rel_rms": MAX_REL_RMS, "mixes": result}, f, indent=1)


if __name__ == "__main__":
    main()
