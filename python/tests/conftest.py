"""Paths to the golden data and the comparison rule of the suite (tests/common/compare.hpp's float32
parity: |got - want| <= 2e-5 + 1e-5 |want|, NaN only where NaN is expected)."""
import json
import os
import struct
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("TRANSFORMERS_FIXTURES_DIR", REPO.parent / "shared" / "fixtures"))
MODELS = FIXTURES / "hf" / "models"
TOKENIZERS = FIXTURES / "hf" / "tokenizers"
TEST_DATA = REPO / "tests" / "data"

_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "U8": np.uint8, "BOOL": np.bool_}


def load_safetensors(path):
    """(tensors, metadata) of a safetensors file, read with NumPy alone (independent of the engine)."""
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for k, v in header.items():
        start, end = v["data_offsets"]
        out[k] = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=_DTYPES[v["dtype"]]).reshape(v["shape"])
    return out, meta


def assert_close(got, want, atol=2e-5, rtol=1e-5, what=""):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    nan_want = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan_want), f"{what}: NaN positions differ"
    diff = np.abs(got - want)[~nan_want]
    bound = (atol + rtol * np.abs(want))[~nan_want]
    bad = int((diff > bound).sum())
    assert bad == 0, f"{what}: {bad} of {diff.size} values outside atol {atol} + rtol {rtol} (max |diff| {diff.max():.3g})"
