"""GGUF reader and dequantization goldens from the `gguf` Python package (gguf-py), the library
transformers 4.51 reads GGUF files with.

Writes under tests/data/io/gguf/:
  blocks.gguf           GGUFWriter's file: metadata of every value type (arrays of strings, nested
                        arrays), and one tensor per block type filled with random blocks (random
                        quant bits, finite random fp16 scales)
  blocks_expected.json  what gguf.GGUFReader reads back: version, alignment, data offset, each key
                        with its type and value, each tensor with type, numpy shape and offset
  blocks_dequant.safetensors  gguf.quants.dequantize of every tensor (float32, numpy shape)

Run: /work/venv/bin/python tests/oracle/make_gguf_goldens.py   (needs `pip install gguf`)
"""
import json
import os

import numpy as np
import gguf
from make_gguf_common import finish
from gguf import GGMLQuantizationType as T, GGUFValueType as V
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "io", "gguf")

# Offsets of the fp16 scale fields inside each block (ggml's block structs): random bytes there
# would give inf/NaN scales, so they get finite random halves instead.
SCALE_OFFSETS = {
    T.Q8_0: [0], T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}


def random_blocks(rng, qtype, rows, cols):
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    nblocks = rows * cols // block
    raw = rng.integers(0, 256, size=(nblocks, size), dtype=np.uint8)
    for off in SCALE_OFFSETS[qtype]:
        scale = (rng.standard_normal(nblocks) * 0.05).astype(np.float16)
        raw[:, off:off + 2] = scale.view(np.uint8).reshape(nblocks, 2)
    return raw.reshape(rows, cols // block * size)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(2104)
    path = os.path.join(OUT, "blocks.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 0.1)
    w.add_uint64("test.u64", 2**63 - 5)
    w.add_int64("test.i64", -(2**62))
    w.add_float64("test.f64", 1e-300)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo ▁world")
    w.add_array("test.strings", ["a", "", "ĠĠ", "<|im_end|>"])
    w.add_key_value("test.i32s", [1, -2, 3], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("test.u8s", [0, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("test.f32s", [0.5, -1.25], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("test.nested", [[1, 2], [3]], V.ARRAY, sub_type=V.ARRAY)

    rows, cols = 4, 512
    tensors = {}
    f32 = rng.standard_normal((3, 5)).astype(np.float32)
    w.add_tensor("t.F32", f32)
    tensors["t.F32"] = f32
    f16 = rng.standard_normal((2, 3, 4)).astype(np.float16)
    w.add_tensor("t.F16", f16)
    bf16 = rng.integers(0, 2**16, size=(6, 8), dtype=np.uint16)
    bf16 = np.where((bf16 & 0x7F80) == 0x7F80, bf16 & 0x3FFF, bf16).astype(np.uint16)  # no inf/NaN
    w.add_tensor("t.BF16", bf16.view(np.uint8).reshape(6, 16), raw_dtype=T.BF16)
    for qtype in SCALE_OFFSETS:
        raw = random_blocks(rng, qtype, rows, cols)
        w.add_tensor("t." + qtype.name, raw, raw_dtype=qtype)
    finish(w)

    # What gguf-py reads back, and what it dequantizes to.
    r = gguf.GGUFReader(path)
    expected = {"version": 3, "alignment": r.alignment, "data_offset": r.data_offset, "fields": [], "tensors": []}
    for key, field in r.fields.items():
        types = [V(t).name for t in field.types]
        if field.types[0] == V.ARRAY and field.types[1] == V.ARRAY:
            value = None  # nested: gguf-py exposes parts only; the C++ test checks its own decoding
        else:
            value = field.contents()
        expected["fields"].append({"key": key, "types": types, "value": value})
    dequant = {}
    for t in r.tensors:
        deq = gguf.quants.dequantize(t.data, t.tensor_type)
        expected["tensors"].append({"name": t.name, "type": t.tensor_type.name, "shape": list(deq.shape),
                                    "offset": int(t.data_offset - r.data_offset), "n_bytes": int(t.n_bytes)})
        dequant[t.name] = np.ascontiguousarray(deq.astype(np.float32))
    with open(os.path.join(OUT, "blocks_expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
    save_file(dequant, os.path.join(OUT, "blocks_dequant.safetensors"))
    print("wrote", path, os.path.getsize(path), "bytes;", len(r.fields), "fields,", len(r.tensors), "tensors")


if __name__ == "__main__":
    main()
