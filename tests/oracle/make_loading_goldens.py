"""from_pretrained / save_pretrained goldens from transformers 4.51.3 on the shared fixtures.

Writes tests/data/modeling/loading_goldens.json:
  loading_info: the three output_loading_info results (with mismatched shapes)
  stale_cleanup: for each scenario, the files an older save left, the save arguments, and the
                 folder listing after 4.51's save_pretrained
  utils: num_parameters / get_memory_footprint of 4.51's own classes (buffers differ per version)
Run from the repo root with /work/venv/bin/python.
"""
import json
import os
import tempfile

import torch
import transformers
from transformers import AutoModelForCausalLM, BertForMaskedLM, BertForSequenceClassification, BertModel

assert transformers.__version__ == "4.51.3"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "..", "shared", "fixtures", "hf", "models")
out = {"loading_info": {}, "stale_cleanup": [], "utils": {}}


def info_json(info, model, ckpt_shapes):
    mism = []
    for k in info["mismatched_keys"]:
        mism.append([k, list(ckpt_shapes[k]), list(model.state_dict()[k].shape)])
    return {"missing_keys": info["missing_keys"], "unexpected_keys": info["unexpected_keys"],
            "mismatched_keys": mism, "error_msgs": info["error_msgs"]}


from safetensors import safe_open
def shapes(folder):
    with safe_open(os.path.join(FIX, folder, "model.safetensors"), "pt") as f:
        return {k: f.get_slice(k).get_shape() for k in f.keys()}

m, i = BertForMaskedLM.from_pretrained(os.path.join(FIX, "bert/base"), output_loading_info=True)
out["loading_info"]["load_base_into_head"] = info_json(i, m, shapes("bert/base"))
m, i = BertModel.from_pretrained(os.path.join(FIX, "bert/model"), output_loading_info=True)
out["loading_info"]["load_head_into_base"] = info_json(i, m, shapes("bert/model"))
m, i = BertForSequenceClassification.from_pretrained(os.path.join(FIX, "bert/cls3"), output_loading_info=True,
                                                     num_labels=5, ignore_mismatched_sizes=True)
out["loading_info"]["load_mismatched"] = info_json(i, m, shapes("bert/cls3"))

model = AutoModelForCausalLM.from_pretrained(os.path.join(FIX, "gpt2/model"))
scenarios = [
    {"old": ["model-00001-of-00005.safetensors", "model-00005-of-00005.safetensors", "model.safetensors.index.json",
             "model.fp16-00001-of-00002.safetensors", "pytorch_model-00001-of-00002.bin", "model-notes.txt",
             "model-00001-of-00002.safetensors.bak", "other-00001-of-00002.safetensors", "model-1-of-2.safetensors"],
     "args": {}},
    {"old": ["model-00001-of-00005.safetensors", "model-00002-of-00003.safetensors", "model.safetensors",
             "model.v2-00001-of-00002.safetensors", "pytorch_model-00001-of-00002.bin"],
     "args": {"max_shard_size": "30KB"}},
    {"old": ["pytorch_model-00001-of-00004.bin", "pytorch_model.bin.index.json", "model-00001-of-00002.safetensors",
             "pytorch_model.v2-00001-of-00002.bin"],
     "args": {"safe_serialization": False}},
    {"old": ["model.v2-00001-of-00004.safetensors", "model-00001-of-00002.safetensors", "model.v2.safetensors"],
     "args": {"variant": "v2", "max_shard_size": "30KB"}},
]
for sc in scenarios:
    with tempfile.TemporaryDirectory() as d:
        for name in sc["old"]:
            with open(os.path.join(d, name), "w") as f:
                f.write("old")
        os.mkdir(os.path.join(d, "model-00009-of-00009.safetensors.dir"))
        model.save_pretrained(d, **sc["args"])
        after = sorted(os.listdir(d))
        kept_old = sorted(n for n in sc["old"] + ["model-00009-of-00009.safetensors.dir"]
                          if n in after and (os.path.isdir(os.path.join(d, n)) or open(os.path.join(d, n), "rb").read() == b"old"))
    out["stale_cleanup"].append({"old": sc["old"] + ["model-00009-of-00009.safetensors.dir/"], "args": sc["args"],
                                 "after": after, "old_kept": kept_old})

for arch, cls in (("bert", BertForMaskedLM), ("gpt2", None), ("llama", None)):
    m = cls.from_pretrained(os.path.join(FIX, arch, "model")) if cls else AutoModelForCausalLM.from_pretrained(os.path.join(FIX, arch, "model"))
    out["utils"][arch] = {"num_parameters": m.num_parameters(), "num_parameters_no_embeddings": m.num_parameters(exclude_embeddings=True),
                          "num_parameters_trainable": m.num_parameters(only_trainable=True),
                          "memory_footprint": m.get_memory_footprint(), "memory_footprint_no_buffers": m.get_memory_footprint(return_buffers=False),
                          "buffers": {n: [list(b.shape), str(b.dtype)] for n, b in m.named_buffers()}}
    for v in ("fp16", "bf16"):
        mm = (cls or AutoModelForCausalLM).from_pretrained(os.path.join(FIX, arch, v))
        ma = (cls or AutoModelForCausalLM).from_pretrained(os.path.join(FIX, arch, v), torch_dtype="auto")
        out["utils"][arch][v + "_default_dtype"] = str(mm.dtype).replace("torch.", "")
        out["utils"][arch][v + "_auto_dtype"] = str(ma.dtype).replace("torch.", "")

path = os.path.join(ROOT, "tests", "data", "modeling", "loading_goldens.json")
with open(path, "w") as f:
    json.dump(out, f, indent=2, sort_keys=True)
    f.write("\n")
print("wrote", path)
