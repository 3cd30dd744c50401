"""Goldens of the int8 compute type (issue 27, docs/int8.md) from transformers 4.51.3's own models:
the tiny BERT (BertForMaskedLM) and GPT-2 (GPT2LMHeadModel) fixtures in float32, eager attention,
with every nn.Linear and Conv1D product replaced by the documented int8 scheme:
  weight per output channel: sw = max|w| / 127 (float32), qw = round_half_even(w * (1 / sw)), |qw| <= 127
  activations per row:       sx = max|x| / 127,           qx likewise
  y = fma(float32(sum qx * qw), float32(sx * sw), bias)   (the dot exact in float64, one rounding)
Everything else is HF's float32 code. Writes tests/data/models/int8_goldens.safetensors with the
logits of each fixture's expected inputs, and the float32 logits for the error statement.

  /work/venv/bin/python tests/oracle/make_int8_goldens.py
"""
import os

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM
from transformers.pytorch_utils import Conv1D

assert transformers.__version__ == "4.51.3", transformers.__version__
HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "hf", "models")
OUT = os.path.join(HERE, "..", "data", "models", "int8_goldens.safetensors")


def quantize_rows(t):
    """t [R, K] float32 -> (q as float64 [R, K], scale float32 [R])."""
    amax = t.abs().amax(dim=1)
    d = amax / 127.0  # float32
    inv = torch.where(d > 0, 1.0 / d, torch.zeros_like(d))  # float32
    q = torch.round(t * inv[:, None]).clamp(-127, 127)  # round half to even, as nearbyint
    return q.double(), d


def int8_product(x, w_nk, bias):
    shape = x.shape
    x2 = x.reshape(-1, shape[-1]).float()
    qx, sx = quantize_rows(x2)
    qw, sw = quantize_rows(w_nk.float())
    dot = (qx @ qw.T).float()  # exact in float64 (|dot| < 2^24 here), exact in float32
    s = (sx[:, None] * sw[None, :]).float()
    y = dot.double() * s.double()  # exact product of two float32
    if bias is not None:
        y = y + bias.double()[None, :]
    return y.float().reshape(*shape[:-1], w_nk.shape[0])


def linear_forward(self, x):
    return int8_product(x, self.weight, self.bias)


def conv1d_forward(self, x):
    return int8_product(x, self.weight.T, self.bias)


def main():
    out = {}
    cases = {"bert": AutoModelForMaskedLM, "gpt2": AutoModelForCausalLM}
    for name, cls in cases.items():
        exp = load_file(os.path.join(FIX, name, "expected.safetensors"))
        kw = {k: exp[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in exp}
        model = cls.from_pretrained(os.path.join(FIX, name, "model"), torch_dtype=torch.float32,
                                    attn_implementation="eager").eval()
        with torch.no_grad():
            out[name + "/float32_logits"] = model(**kw).logits.contiguous()
            saved = (torch.nn.Linear.forward, Conv1D.forward)
            torch.nn.Linear.forward, Conv1D.forward = linear_forward, conv1d_forward
            try:
                out[name + "/int8_logits"] = model(**kw).logits.contiguous()
            finally:
                torch.nn.Linear.forward, Conv1D.forward = saved
        d = (out[name + "/int8_logits"] - out[name + "/float32_logits"]).abs().max().item()
        print(name, "max|int8 - float32| =", d, "max|float32| =", out[name + "/float32_logits"].abs().max().item())
    save_file(out, OUT, metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
