#!/usr/bin/env python3
"""Oracle for offload_folder (issue 26): what 4.51's from_pretrained writes there for weights a
device_map sends to "disk", and whether accelerate's own readers take the folder transformers.cpp
writes.

    cmake --build build --target transformers-cli
    /work/venv/bin/python tests/oracle/make_offload_folder_goldens.py [--cli build/transformers-cli]

For the llama fixture with an explicit map (layer 1, the final norm and the head on disk):
  1. 4.51 loads the float32 pytorch_model.bin as float32 and as bfloat16 with offload_folder: its
     index.json (accelerate's offload_weight / save_offload_index) and the sha256 of every .dat are
     the goldens the C++ test compares its own folder with (tests/data/modeling/device_map/offload/).
     From model.safetensors 4.51 writes nothing (the index points into the checkpoint); recorded too.
  2. transformers-cli forward loads the same checkpoints with the same map into a folder of its own
     (also model.safetensors cast to bfloat16, which the C++ side writes as .dat); accelerate's
     OffloadedWeightsLoader reads every tensor of it, each must equal 4.51's loaded weight, and
     load_offloaded_weights puts them into a 4.51 model whose disk weights were zeroed: its logits must
     equal the in-memory model's. The results are written to accelerate_reads_cpp.json.
"""
import argparse
import hashlib
import json
import os
import subprocess
import tempfile

import accelerate
import torch
import transformers
from accelerate.utils import OffloadedWeightsLoader, load_offloaded_weights
from safetensors.torch import save_file

assert transformers.__version__ == "4.51.3", transformers.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "data", "modeling", "device_map", "offload")
LLAMA = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "hf", "models", "llama")

DEVICE_MAP = {"model.embed_tokens": "cpu", "model.rotary_emb": "cpu", "model.layers.0": "cpu",
              "model.layers.1": "disk", "model.norm": "disk", "lm_head": "disk"}
INPUT_IDS = [[5, 17, 33, 42, 9, 71, 60, 3], [1, 8, 90, 4, 12, 44, 21, 7]]
# (case, checkpoint folder, dtype)
CASES = [("bin_float32", "bin", torch.float32), ("bin_bfloat16", "bin", torch.bfloat16),
         ("safetensors_bfloat16", "model", torch.bfloat16)]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def folder_golden(folder):
    """index.json's text and the .dat hashes of an offload folder (None when 4.51 wrote no index)."""
    index_file = os.path.join(folder, "index.json")
    if not os.path.exists(index_file):
        assert not os.listdir(folder), os.listdir(folder)
        return None
    with open(index_file) as f:
        text = f.read()
    dat = {n[:-4]: sha256(os.path.join(folder, n)) for n in sorted(os.listdir(folder)) if n.endswith(".dat")}
    assert sorted(dat) == sorted(json.loads(text)), (sorted(dat), text)
    return {"index_json": text, "dat_sha256": dat}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "transformers-cli"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    goldens, reads = {}, {}
    ids = torch.tensor(INPUT_IDS)
    with tempfile.TemporaryDirectory() as tmp:
        map_file = os.path.join(tmp, "device_map.json")
        with open(map_file, "w") as f:
            json.dump(DEVICE_MAP, f)
        inputs = os.path.join(tmp, "inputs.safetensors")
        save_file({"input_ids": ids}, inputs)
        for case, sub, dtype in CASES:
            ckpt = os.path.join(LLAMA, sub)
            dname = str(dtype).replace("torch.", "")
            # 1. 4.51's folder
            hf_folder = os.path.join(tmp, "hf_" + case)
            model = transformers.LlamaForCausalLM.from_pretrained(ckpt, device_map=dict(DEVICE_MAP), offload_folder=hf_folder,
                                                                  torch_dtype=dtype)
            assert dict(model.hf_device_map) == DEVICE_MAP, model.hf_device_map
            goldens[case] = {"checkpoint": "llama/" + sub, "torch_dtype": dname, "written": folder_golden(hf_folder)}
            memory = transformers.LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=dtype).eval()
            want_state = memory.state_dict()
            with torch.no_grad():
                want_logits = memory(ids).logits
            # 2. ours, read by accelerate
            cpp_folder = os.path.join(tmp, "cpp_" + case)
            subprocess.run([args.cli, "forward", "--model", ckpt, "--dtype", dname, "--device-map", map_file,
                            "--offload-folder", cpp_folder, "--inputs", inputs, "--output", os.path.join(tmp, "out.safetensors")],
                           check=True)
            loader = OffloadedWeightsLoader(save_folder=cpp_folder)
            equal = {k: bool(torch.equal(loader[k], want_state[k])) for k in sorted(loader)}
            with open(os.path.join(cpp_folder, "index.json")) as f:
                index = json.load(f)
            target = transformers.LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=dtype).eval()
            with torch.no_grad():
                for k in index:
                    target.get_parameter(k).zero_()
            load_offloaded_weights(target, index, cpp_folder)
            with torch.no_grad():
                got_logits = target(ids).logits
            ours = folder_golden(cpp_folder)
            reads[case] = {
                "tensors": len(equal), "all_equal_to_4_51_weights": all(equal.values()), "equal": equal,
                "logits_equal_after_load_offloaded_weights": bool(torch.equal(got_logits, want_logits)),
                "same_bytes_as_4_51": ours == goldens[case]["written"] if goldens[case]["written"] else None,
            }
            print(case, reads[case]["tensors"], reads[case]["all_equal_to_4_51_weights"],
                  reads[case]["logits_equal_after_load_offloaded_weights"], reads[case]["same_bytes_as_4_51"])
    meta = {"transformers": transformers.__version__, "accelerate": accelerate.__version__, "device_map": DEVICE_MAP,
            "input_ids": INPUT_IDS}
    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump({**meta, "cases": goldens}, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "accelerate_reads_cpp.json"), "w") as f:
        json.dump({**meta, "cases": reads}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
