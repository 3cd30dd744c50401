"""attn_implementation validation of transformers 4.51.3 (PreTrainedModel._autoset_attn_implementation)
on the shared fixtures: for each architecture's base and head class and each requested value, the
exception class and message from_pretrained raises, or "ok".

Writes tests/data/modeling/attn_implementation_goldens.json. Run from the repo root with
/work/venv/bin/python (flash_attn is not installed there, as on every machine of this project).
"""
import json
import os

import transformers
from transformers import (BertForMaskedLM, BertModel, GPT2LMHeadModel, GPT2Model, LlamaForCausalLM,
                          LlamaModel)

assert transformers.__version__ == "4.51.3"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "..", "shared", "fixtures", "hf", "models")
CLASSES = {"bert": [BertModel, BertForMaskedLM], "gpt2": [GPT2Model, GPT2LMHeadModel],
           "llama": [LlamaModel, LlamaForCausalLM]}
VALUES = ["eager", "sdpa", "foo", "EAGER", "flash_attention_2", "flex_attention"]

out = []
for arch, classes in CLASSES.items():
    for cls in classes:
        for value in VALUES:
            try:
                cls.from_pretrained(os.path.join(FIX, arch, "model"), attn_implementation=value)
                result = {"error": None, "message": None}
            except Exception as e:  # noqa: BLE001 - the class is the golden
                result = {"error": type(e).__name__, "message": str(e)}
            out.append({"arch": arch, "class": cls.__name__, "attn_implementation": value, **result})

path = os.path.join(ROOT, "tests", "data", "modeling", "attn_implementation_goldens.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", path, len(out), "cases")
