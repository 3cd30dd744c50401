"""Goldens for keep_quantized (tests/modeling/test_gguf_quantized.cpp): transformers 4.51.3 loads
tests/data/modeling/gguf/tiny_llama{,_tied}.gguf with gguf_file= and runs it with the activation
rounding of our native quantized kernels emulated: before each Linear whose GGUF weight is a block
type (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K: all are kept as blocks), its input is rounded per block
of 32 as src/ops/cpu/quant_gemm.cpp does (d = max|x| / 127 in float32, q = round-half-even(x * (1/d)),
x = q * d). The lm_head is the exception where its weight is Q8_0 or Q6_K: the model runs it under
QuantFloatActivationsGuard (float activations, no rounding), so its input is left as it is. Our
kernels then differ from this only by float32 summation order.

Writes tests/data/modeling/gguf/q8_activations.safetensors (logits per file) and
q8_activations.json (greedy tokens, 10 new, per file).

Run: /work/venv/bin/python tests/oracle/make_gguf_q8_activations.py
"""
import json
import os

import torch
from gguf import GGUFReader
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

from keep_quantized_emulation import FLOAT_ACTIVATION_HEAD, round_q8

GG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "modeling", "gguf")
NATIVE = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}
HF = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
      "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
      "ffn_down": "mlp.down_proj"}


def main():
    with open(os.path.join(GG, "expected.json")) as f:
        expected = json.load(f)
    logits_out, greedy = {}, {}
    for stem in ("tiny_llama", "tiny_llama_tied"):
        r = GGUFReader(os.path.join(GG, stem + ".gguf"))
        kept = set()
        for t in r.tensors:
            if t.tensor_type.name not in NATIVE:
                continue
            parts = t.name.split(".")
            if t.name == "output.weight":
                if t.tensor_type.name not in FLOAT_ACTIVATION_HEAD:
                    kept.add("lm_head")
            elif parts[0] == "blk" and parts[2] in HF:
                kept.add(f"model.layers.{parts[1]}.{HF[parts[2]]}")
        model = AutoModelForCausalLM.from_pretrained(GG, gguf_file=stem + ".gguf").eval()
        hooked = 0
        for name, module in model.named_modules():
            if name in kept:
                module.register_forward_pre_hook(lambda m, args: (round_q8(args[0]),))
                hooked += 1
        ids = torch.tensor([expected[stem]["input_ids"]])
        with torch.no_grad():
            logits_out[stem] = model(ids).logits[0].contiguous()
            greedy[stem] = model.generate(ids, max_new_tokens=10, do_sample=False)[0].tolist()
        print(stem, "linears with rounded inputs:", hooked, "greedy", greedy[stem])
    save_file(logits_out, os.path.join(GG, "q8_activations.safetensors"))
    with open(os.path.join(GG, "q8_activations.json"), "w") as f:
        json.dump(greedy, f, indent=1)


if __name__ == "__main__":
    main()
