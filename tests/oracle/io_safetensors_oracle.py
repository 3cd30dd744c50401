#!/usr/bin/env python3
"""Oracle for the C++ safetensors writer: Python safetensors writes these files, and
tests/io/test_safetensors_write.cpp builds the same tensors by the same recipe and compares bytes.

Recipe (mirrored in the C++ test): base(n) = (arange(n, float32) - n // 2) * 0.25, cast to the
dtype; ints use arange(n) * mult - offset; bool is arange(n) % 3 == 0.
Run: /work/venv/bin/python tests/oracle/io_safetensors_oracle.py   (writes tests/data/io/)
"""
import os
import sys

import torch
from safetensors.torch import save_file, load_file

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "io")


def base(n, dtype):
    return ((torch.arange(n, dtype=torch.float32) - n // 2) * 0.25).to(dtype)


def mixed():
    return {
        "z.weight": base(6, torch.float32).reshape(2, 3),
        "a.weight": base(6, torch.float16).reshape(3, 2),
        "b16": base(5, torch.bfloat16),
        "d": base(3, torch.float64),
        "ids": torch.arange(4, dtype=torch.int64) * 1000000007 - 5,
        "i32": torch.arange(3, dtype=torch.int32) * 70000 - 1,
        "i16": torch.arange(3, dtype=torch.int16) * 300 - 7,
        "i8": torch.arange(5, dtype=torch.int8) * 20 - 50,
        "u8": torch.arange(4, dtype=torch.uint8) * 60,
        "mask": torch.arange(7) % 3 == 0,
        "f8a": base(4, torch.float8_e4m3fn),
        "f8b": base(4, torch.float8_e5m2),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "caf\u00e9.\u03b2": base(2, torch.float32),
        'q"uote\\slash\ttab\nnl\x01': base(1, torch.float32),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = {
        "st_mixed.safetensors": (mixed(), {"format": "pt"}),
        "st_mixed_nometa.safetensors": (mixed(), None),
        "st_empty.safetensors": ({}, None),
        "st_meta_only.safetensors": ({}, {"format": "pt"}),
    }
    for name, (tensors, meta) in cases.items():
        path = os.path.join(OUT, name)
        save_file(tensors, path, metadata=meta)
        back = load_file(path)
        assert set(back) == set(tensors), name
        print(name, os.path.getsize(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
