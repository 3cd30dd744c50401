"""Python loads the bitsandbytes checkpoints this library saves: transformers 4.51.3 + bitsandbytes
0.50.2 (CPU path; the same IPEX check patched as in make_bnb_cases.py) load each folder pre-quantized
and compute the logits Python's own checkpoint gives (tests/data/modeling/bnb/<case>_out.safetensors).

Make the folders, then check them:
  TRANSFORMERS_BNB_SAVE_DIR=/tmp/bnb_ours build/tests/test_modeling --gtest_filter='Bnb.LoadsAndSaves*'
  nice -n 19 /work/venv/bin/python tests/oracle/check_bnb_saved.py /tmp/bnb_ours
Writes tests/data/modeling/bnb/python_loads_ours.json (per case: max |logits - Python's|, key count).
"""
import json
import os
import sys

import bitsandbytes as bnb
import torch
import transformers.integrations.bitsandbytes as hf_bnb
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

hf_bnb._validate_bnb_multi_backend_availability = lambda raise_exception: True

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "modeling", "bnb")


def main(root):
    expected = json.load(open(os.path.join(DATA, "expected.json")))
    ids = torch.tensor(expected["input_ids"])
    report, ok = {}, True
    for case in expected["cases"]:
        m = AutoModelForCausalLM.from_pretrained(os.path.join(root, case), torch_dtype=torch.float32,
                                                 device_map="cpu").eval()
        for mod in m.modules():
            if isinstance(mod, bnb.nn.Linear4bit):
                mod.support_avx512bf16_for_cpu = False
        with torch.no_grad():
            logits = m(ids).logits.float()
        want = load_file(os.path.join(DATA, case + "_out.safetensors"))["logits"]
        diff = float((logits - want).abs().max())
        keys = len(load_file(os.path.join(root, case, "model.safetensors")))
        report[case] = {"max_abs_logits_diff": diff, "saved_tensors": keys,
                        "is_quantized": bool(m.is_quantized)}
        ok = ok and diff == 0.0 and m.is_quantized
        print(case, report[case])
    with open(os.path.join(DATA, "python_loads_ours.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1])
