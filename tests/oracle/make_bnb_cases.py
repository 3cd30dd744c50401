"""bitsandbytes quantization_config goldens: the tiny Llama fixture loaded by transformers 4.51.3 with
BitsAndBytesConfig (load_in_8bit; load_in_4bit nf4/fp4, blocksize 64, double quant on/off, compute
dtype float32/bfloat16), saved with save_pretrained, and what the quantized model computes.

bitsandbytes (pip, >= 0.45 ships a CPU library) quantizes on the CPU here. transformers 4.51.3's
validate_environment only accepts a CPU when intel_extension_for_pytorch is installed (its multi-backend
check names "Intel CPU"); that check is the only thing patched below: quantization, the Linear
replacement, saving and the forward are 4.51's and bitsandbytes' own code. One more switch: on a CPU
with AVX512-BF16 (this one) bitsandbytes 0.50 repacks 4-bit weights for a bf16 kernel at the first
forward, which fails for in_features < blocksize (the fixture's hidden size is 32: "shape '[32, 0]'
is invalid"); Linear4bit.support_avx512bf16_for_cpu = False keeps its generic CPU path (dequantize,
then the product in the compute dtype), the one every other CPU takes.

Writes under tests/data/modeling/bnb/:
  <case>/                 save_pretrained of the quantized model (config.json with quantization_config,
                          model.safetensors with weight/SCB/weight_format or weight/absmax/quant_map/
                          nested_*/quant_state.bitsandbytes__* as 4.51 writes them)
  <case>_out.safetensors  logits (float32) of INPUT_IDS from bitsandbytes' forward, and `deq_logits`:
                          the same float model with each quantized Linear's weight replaced by
                          bitsandbytes' dequantization of it (the float product of the stored weights)
  expected.json           per case: the config, get_memory_footprint() (with and without buffers),
                          the state_dict keys/dtypes/shapes, the quant_state dicts (JSON part),
                          max |logits - deq_logits| and max |logits - float logits|
  dynamic_map.safetensors bitsandbytes' signed dynamic 8-bit map (the double quantization's code)

Run: nice -n 19 /work/venv/bin/python tests/oracle/make_bnb_cases.py
"""
import json
import os
import shutil

import bitsandbytes as bnb
import bitsandbytes.functional as F
import torch
import transformers.integrations.bitsandbytes as hf_bnb
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, BitsAndBytesConfig

hf_bnb._validate_bnb_multi_backend_availability = lambda raise_exception: True  # see the docstring

SRC = "/work/shared/fixtures/hf/models/llama/model"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "modeling", "bnb")
INPUT_IDS = [[1, 5, 7, 9, 11, 3, 42, 17]]

CASES = {
    "int8": dict(load_in_8bit=True),
    "nf4_dq": dict(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                   bnb_4bit_compute_dtype=torch.float32),
    "fp4": dict(load_in_4bit=True, bnb_4bit_quant_type="fp4", bnb_4bit_use_double_quant=False,
                bnb_4bit_compute_dtype=torch.float32),
    "nf4_bf16": dict(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=False,
                     bnb_4bit_compute_dtype=torch.bfloat16),
    "fp4_dq_bf16": dict(load_in_4bit=True, bnb_4bit_quant_type="fp4", bnb_4bit_use_double_quant=True,
                        bnb_4bit_compute_dtype=torch.bfloat16),
}


def dequantized_copy(qmodel, float_model):
    """float_model with every bnb Linear's weight set to bitsandbytes' dequantization of it."""
    sd = float_model.state_dict()
    for name, mod in qmodel.named_modules():
        if isinstance(mod, bnb.nn.Linear4bit):
            w = F.dequantize_4bit(mod.weight.data, mod.weight.quant_state).float()
        elif isinstance(mod, bnb.nn.Linear8bitLt):
            scb = mod.weight.SCB if getattr(mod.weight, "SCB", None) is not None else mod.state.SCB
            w = F.int8_vectorwise_dequant(mod.weight.data, scb).float()
        else:
            continue
        sd[name + ".weight"].copy_(w)
    return float_model


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    ids = torch.tensor(INPUT_IDS)
    ref = AutoModelForCausalLM.from_pretrained(SRC, torch_dtype=torch.float32).eval()
    with torch.no_grad():
        float_logits = ref(ids).logits.float()
    expected = {"input_ids": INPUT_IDS, "cases": {}}
    for case, kw in CASES.items():
        cfg = BitsAndBytesConfig(**kw)
        m = AutoModelForCausalLM.from_pretrained(SRC, quantization_config=cfg, torch_dtype=torch.float32,
                                                 device_map="cpu").eval()
        folder = os.path.join(OUT, case)
        m.save_pretrained(folder)  # before the forward, which may move 8-bit statistics around
        for mod in m.modules():
            if isinstance(mod, bnb.nn.Linear4bit):
                mod.support_avx512bf16_for_cpu = False  # see the docstring
        with torch.no_grad():
            logits = m(ids).logits.float()
        deq = dequantized_copy(m, AutoModelForCausalLM.from_pretrained(SRC, torch_dtype=torch.float32).eval())
        with torch.no_grad():
            deq_logits = deq(ids).logits.float()
        sd = m.state_dict()
        qstates = {}
        for name, mod in m.named_modules():
            if isinstance(mod, bnb.nn.Linear4bit):
                d = mod.weight.quant_state.as_dict(packed=False)
                qstates[name] = {k: v for k, v in d.items() if not isinstance(v, torch.Tensor)}
        save_file({"logits": logits.contiguous(), "deq_logits": deq_logits.contiguous()},
                  os.path.join(OUT, case + "_out.safetensors"))
        expected["cases"][case] = {
            "kwargs": {k: (str(v).replace("torch.", "") if isinstance(v, torch.dtype) else v) for k, v in kw.items()},
            "quantization_config": m.config.quantization_config.to_dict(),
            "memory_footprint": m.get_memory_footprint(),
            "memory_footprint_no_buffers": m.get_memory_footprint(return_buffers=False),
            "is_quantized": bool(m.is_quantized),
            "state_dict": {k: [str(v.dtype).replace("torch.", ""), list(v.shape)] for k, v in sd.items()},
            "quant_states": qstates,
            "max_abs_logits_minus_deq": float((logits - deq_logits).abs().max()),
            "max_abs_logits_minus_float": float((logits - float_logits).abs().max()),
        }
        print(case, expected["cases"][case]["memory_footprint"], expected["cases"][case]["max_abs_logits_minus_deq"],
              expected["cases"][case]["max_abs_logits_minus_float"])
    # 4.51's default when quantization_config comes without torch_dtype: float16 (update_torch_dtype)
    m = AutoModelForCausalLM.from_pretrained(SRC, quantization_config=BitsAndBytesConfig(load_in_4bit=True),
                                             device_map="cpu")
    expected["default_dtype_4bit"] = {"dtype": str(m.dtype).replace("torch.", ""),
                                      "memory_footprint": m.get_memory_footprint()}
    code = F.create_dynamic_map(signed=True)
    save_file({"dynamic_map": code.contiguous()}, os.path.join(OUT, "dynamic_map.safetensors"))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
