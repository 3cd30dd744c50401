"""What our keep_quantized runtime does to a Linear's input, for the oracles that run 4.51 with it
emulated (make_gguf_q8_activations.py, make_gguf_kquant.py)."""
import torch

# A Llama lm_head whose weight is one of these runs on float activations (ops::QuantFloatActivationsGuard,
# ops::has_quantized_linear_float_activations): its input is not rounded.
FLOAT_ACTIVATION_HEAD = {"Q8_0", "Q6_K"}


def round_q8(x):
    """Our kernels' activation rounding (src/ops/cpu/quant_gemm.cpp): per block of 32, d = max|x| / 127
    (float32), q = round half to even of x * (1 / d) clamped to +-127, x = q * d."""
    shape = x.shape
    b = x.float().reshape(-1, 32)
    d = b.abs().amax(dim=1, keepdim=True) / 127
    inv = torch.where(d > 0, 1 / d, torch.zeros_like(d))
    q = torch.round(b * inv).clamp(-127, 127)
    return (q * d).reshape(shape)
