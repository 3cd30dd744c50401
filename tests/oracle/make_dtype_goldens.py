#!/usr/bin/env python3
"""Writes tests/data/core/dtype_goldens.json: bit patterns PyTorch produces when converting tricky
float32 values to float16 / bfloat16 / float8_e4m3fn / float8_e5m2, and every 8-bit float8 code
(plus selected float16/bfloat16 codes) back to float32. Run with /work/venv/bin/python; the C++
test tests/core/test_dtype_goldens.cpp reads the JSON (CI needs no Python)."""
import json
import pathlib
import struct

import numpy as np
import torch


def f32_from_bits(u):
    return struct.unpack("<f", struct.pack("<I", u))[0]


def tricky_f32_bits():
    vals = []
    b = lambda f: struct.unpack("<I", struct.pack("<f", f))[0]
    # zeros, infinities, NaNs with payloads (quiet and signalling, both signs)
    vals += [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7FA00000,
             0x7F800001, 0xFFC12345, 0x7FFFFFFF, 0x7F812345]
    # float16 halfway cases around 1 (ulp 2^-10): ties go to even
    for k in range(0, 8):
        vals.append(b(1.0 + k * 2.0 ** -11))
        vals.append(b(-(1.0 + k * 2.0 ** -11)))
    # bfloat16 halfway cases around 1 (ulp 2^-7)
    for k in range(0, 8):
        vals.append(b(1.0 + k * 2.0 ** -8))
        vals.append(b(1.0 + k * 2.0 ** -8 + 2.0 ** -20))  # just above halfway
        vals.append(b(1.0 + k * 2.0 ** -8 - 2.0 ** -20))  # just below
    # float16 range edges: max 65504, rounding to max / to inf, min normal, subnormals, underflow
    for f in [65504.0, 65519.0, 65519.996, 65520.0, 65536.0, 1e6, 2.0 ** -14, 2.0 ** -14 - 2.0 ** -25,
              2.0 ** -24, 2.0 ** -25, 2.0 ** -25 + 2.0 ** -40, 3 * 2.0 ** -26, 1.5 * 2.0 ** -24, 2.5 * 2.0 ** -24,
              2.0 ** -26, 6.1e-5, 5.96e-8, 448.0, 464.0, 480.0, 57344.0, 61440.0, 1.0 / 3, 0.1, -0.1, 3.14159265]:
        vals.append(b(f))
        vals.append(b(-f))
    # float32 max / min normal / subnormals, bfloat16 overflow by rounding
    vals += [0x7F7FFFFF, 0xFF7FFFFF, 0x7F7F8000, 0x7F7F7FFF, 0x00800000, 0x00000001, 0x007FFFFF, 0x80000001,
             0x3F808000, 0x3F818000, 0x3F80C000]
    # float8 e4m3 / e5m2 neighbourhoods
    for f in [0.001953125, 0.0009765625, 0.00146484375, 0.01, 240.0, 248.0, 256.0, 440.0, 452.0, 456.0, 0.5 + 1 / 32,
              0.5 + 1 / 16 + 1 / 32, 1.0 + 1 / 16, 1.0 + 3 / 16, 2.0 ** -16, 2.0 ** -17, 3 * 2.0 ** -18]:
        vals.append(b(f))
        vals.append(b(-f))
    rng = np.random.default_rng(0)
    vals += [int(x) for x in rng.integers(0, 2 ** 32, size=300, dtype=np.uint64)]
    vals += [b(float(x)) for x in rng.standard_normal(200).astype(np.float32) * 100]
    return vals


def to_bits(t):
    if t.dtype in (torch.float16, torch.bfloat16):
        return [int(x) & 0xFFFF for x in t.view(torch.int16).tolist()]
    if t.dtype in (torch.float8_e4m3fn, torch.float8_e5m2):
        return [int(x) & 0xFF for x in t.view(torch.uint8).tolist()]
    return [int(x) & 0xFFFFFFFF for x in t.view(torch.int32).tolist()]


def main():
    bits = tricky_f32_bits()
    src = torch.tensor(np.array(bits, dtype=np.uint32).view(np.int32)).view(torch.float32)
    out = {
        "torch_version": torch.__version__,
        "f32_bits": bits,
        "to_float16": to_bits(src.to(torch.float16)),
        "to_bfloat16": to_bits(src.to(torch.bfloat16)),
        "to_float8_e4m3fn": to_bits(src.to(torch.float8_e4m3fn)),
        "to_float8_e5m2": to_bits(src.to(torch.float8_e5m2)),
    }
    # one element at a time too: torch's scalar and vector paths must agree for the goldens to mean anything
    for name, dt in [("to_float16", torch.float16), ("to_bfloat16", torch.bfloat16)]:
        single = [to_bits(src[i:i + 1].to(dt))[0] for i in range(len(bits))]
        out[name + "_single"] = single
    codes8 = torch.arange(256, dtype=torch.int32).to(torch.uint8)
    out["e4m3fn_to_f32"] = to_bits(codes8.view(torch.float8_e4m3fn).to(torch.float32))
    out["e5m2_to_f32"] = to_bits(codes8.view(torch.float8_e5m2).to(torch.float32))
    codes16 = list(range(0, 65536, 97)) + [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00, 0x7C01,
                                           0x7E00, 0xFE01, 0x7FFF, 0x3C00, 0x3C01]
    c16 = torch.tensor(np.array(codes16, dtype=np.uint16).view(np.int16))
    out["f16_codes"] = codes16
    out["f16_to_f32"] = to_bits(c16.view(torch.float16).to(torch.float32))
    out["bf16_to_f32"] = to_bits(c16.view(torch.bfloat16).to(torch.float32))
    path = pathlib.Path(__file__).resolve().parents[1] / "data" / "core" / "dtype_goldens.json"
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print("wrote", path, len(bits), "values")


if __name__ == "__main__":
    main()
