"""Argument conversion shared by the package: arrays in (NumPy, lists, or anything with DLPack such
as torch tensors, which are never required), dtype names, and the CPU-only device checks."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np


def as_array(x: Any, dtype: Optional[type] = None) -> Optional[np.ndarray]:
    """A C-contiguous NumPy array viewing `x` where possible (no copy for a contiguous array of the
    right dtype; torch CPU tensors through DLPack), converted to `dtype` when given."""
    if x is None:
        return None
    if not isinstance(x, np.ndarray):
        if hasattr(x, "__dlpack__"):
            x = np.from_dlpack(x.detach() if hasattr(x, "detach") else x)
        else:
            x = np.asarray(x)
    return np.ascontiguousarray(x, dtype=dtype)


def as_ids(x: Any) -> Optional[np.ndarray]:
    """Token ids, masks, positions and labels: int64 arrays (torch.long's place)."""
    if type(x) is np.ndarray and x.dtype == np.int64 and x.flags.c_contiguous:
        return x  # the common case, checked first: this runs on every forward call
    a = as_array(x)
    if a is None:
        return None
    if a.dtype != np.int64:
        if a.dtype.kind not in "iub":
            raise ValueError(f"expected integer ids, found an array of dtype {a.dtype}")
        a = a.astype(np.int64)
    return a


def dtype_name(dtype: Any) -> str:
    """torch_dtype as the engine spells it: "auto", "float16", torch.bfloat16, numpy.float32, ..."""
    if isinstance(dtype, str):
        return dtype[len("torch."):] if dtype.startswith("torch.") else dtype
    text = str(dtype)
    if text.startswith("torch."):
        return text[len("torch."):]
    return np.dtype(dtype).name


def check_device(device: Any, what: str = "device_map") -> None:
    """The engine runs on the CPU: accept what means the CPU (and "auto", which resolves to it)."""
    if device is None:
        return
    if isinstance(device, dict):
        for v in device.values():
            check_device(v, what)
        return
    text = str(device)
    if text in ("cpu", "auto") or text.startswith("cpu:"):
        return
    raise ValueError(f"{what}: this engine runs on the CPU; expected None, 'auto' or 'cpu', found {device!r}")
