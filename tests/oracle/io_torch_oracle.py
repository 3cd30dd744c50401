#!/usr/bin/env python3
"""Oracle for the C++ PyTorch checkpoint reader (tests/io/test_torch_read.cpp).

Writes into tests/data/io/:
  torch_views.bin      torch.save of tied weights (one storage, two names), a view with a storage
                       offset, a transposed (non-contiguous) tensor and a strided slice
  torch_dtypes.bin     every dtype torch stores that the library holds (float8 uses
                       UntypedStorage + _rebuild_tensor_v3), a 0-dim and an empty tensor
  torch_zip64.bin      torch_views.bin re-zipped with ZIP64 local headers and a ZIP64 end record
                       (entries no longer 64-byte aligned: exercises the copy path)
  torch_expected.safetensors  contiguous copies of every tensor above and of the fixtures
                       models/legacy/{zip_format,legacy_format}.bin, named "<file>/<tensor>"
  torch_expected.json  per file and tensor: shape, stride, storage_offset, and which names share
                       a storage, as torch.load(weights_only=True) reports them
Run: /work/venv/bin/python tests/oracle/io_torch_oracle.py
"""
import collections
import json
import os
import struct
import sys
import zipfile

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "io")
FIX = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "hf", "models", "legacy")


def base(n, dtype=torch.float32):
    return ((torch.arange(n, dtype=torch.float32) - n // 2) * 0.25).to(dtype)


def views():
    w = base(12).reshape(3, 4)
    sd = collections.OrderedDict()
    sd["embed.weight"] = w
    sd["lm_head.weight"] = w  # tied: same tensor
    sd["row1"] = w[1]  # storage offset 4
    sd["wt"] = w.t()  # strides (1, 4)
    sd["cols"] = w[:, ::2]  # strides (4, 2)
    sd["other"] = base(5, torch.float16)
    return sd


def dtypes():
    sd = collections.OrderedDict()
    for dt in [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.float8_e4m3fn, torch.float8_e5m2]:
        sd[str(dt).replace("torch.", "")] = base(6, dt).reshape(2, 3)
    sd["int64"] = torch.arange(4, dtype=torch.int64) * 1000000007 - 5
    sd["int32"] = torch.arange(3, dtype=torch.int32) * 70000 - 1
    sd["int16"] = torch.arange(3, dtype=torch.int16) * 300 - 7
    sd["int8"] = torch.arange(5, dtype=torch.int8) * 20 - 50
    sd["uint8"] = torch.arange(4, dtype=torch.uint8) * 60
    sd["bool"] = torch.arange(7) % 3 == 0
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 3)
    return sd


def rezip64(src, dst):
    """Copy a zip with ZIP64 local/central extras and a ZIP64 end-of-central-directory record."""
    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            with zout.open(zipfile.ZipInfo(info.filename), "w", force_zip64=True) as f:
                f.write(zin.read(info.filename))
    data = bytearray(open(dst, "rb").read())
    eocd = data.rfind(b"PK\x05\x06")
    _, _, _, _, count, cd_size, cd_off, clen = struct.unpack("<IHHHHIIH", data[eocd:eocd + 22])
    rec64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_off)
    loc64 = struct.pack("<IIQI", 0x07064B50, 0, eocd, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    open(dst, "wb").write(bytes(data[:eocd]) + rec64 + loc64 + end)


def describe(path, sd):
    groups = {}
    info = collections.OrderedDict()
    for k, v in sd.items():
        ptr = v.untyped_storage().data_ptr()
        groups.setdefault(ptr, []).append(k)
        info[k] = {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                   "stride": list(v.stride()), "storage_offset": v.storage_offset()}
    shared = [g for g in groups.values() if len(g) > 1]
    return {"keys": list(sd.keys()), "tensors": info, "shared": shared}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.save(views(), os.path.join(OUT, "torch_views.bin"))
    torch.save(dtypes(), os.path.join(OUT, "torch_dtypes.bin"))
    rezip64(os.path.join(OUT, "torch_views.bin"), os.path.join(OUT, "torch_zip64.bin"))
    files = {
        "torch_views.bin": os.path.join(OUT, "torch_views.bin"),
        "torch_dtypes.bin": os.path.join(OUT, "torch_dtypes.bin"),
        "torch_zip64.bin": os.path.join(OUT, "torch_zip64.bin"),
        "zip_format.bin": os.path.join(FIX, "zip_format.bin"),
        "legacy_format.bin": os.path.join(FIX, "legacy_format.bin"),
    }
    expected, facts = {}, {}
    for name, path in files.items():
        sd = torch.load(path, weights_only=True)
        facts[name] = describe(path, sd)
        for k, v in sd.items():
            expected[name + "/" + k] = v.contiguous().clone()
        print(name, list(sd.keys()))
    save_file(expected, os.path.join(OUT, "torch_expected.safetensors"))
    with open(os.path.join(OUT, "torch_expected.json"), "w") as f:
        json.dump(facts, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
