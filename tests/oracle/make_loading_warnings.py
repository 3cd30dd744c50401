"""The messages transformers 4.51.3 logs while from_pretrained loads the shared fixtures (unused
checkpoint weights, newly initialised weights, shape mismatches, all-used / all-initialised), with
their level, captured at INFO verbosity from the transformers.modeling_utils logger.

Writes tests/data/modeling/loading_warnings.json: {case: {"class", "folder", "kwargs", "arch_override",
"records": [[levelname, message], ...]}}. The checkpoint path in each message is replaced by "{path}"
(the C++ test substitutes its own). Run from the repo root with /work/venv/bin/python.
"""
import json
import logging
import os
import shutil
import tempfile

import transformers
from transformers.utils import logging as hf_logging

assert transformers.__version__ == "4.51.3"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "..", "shared", "fixtures", "hf", "models")
PREFIXES = ("Some weights of", "All model checkpoint weights", "All the weights of")


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        msg = record.getMessage()
        if record.name == "transformers.modeling_utils" and msg.startswith(PREFIXES):
            self.records.append([record.levelname, msg])


# (case, class, fixture folder, kwargs, architectures written into a copy of config.json or None)
CASES = [
    ("masked_lm_into_sequence_classification", "BertForSequenceClassification", "bert/model", {}, None),
    ("masked_lm_into_base", "BertModel", "bert/model", {}, None),
    ("base_into_masked_lm", "BertForMaskedLM", "bert/base", {}, None),
    ("exact_masked_lm", "BertForMaskedLM", "bert/model", {}, None),
    ("mismatched_num_labels", "BertForSequenceClassification", "bert/cls3",
     {"num_labels": 5, "ignore_mismatched_sizes": True}, None),
    ("causal_lm_into_base_listed", "LlamaModel", "llama/model", {}, ["LlamaModel"]),
    ("causal_lm_into_base", "LlamaModel", "llama/model", {}, None),
    ("exact_gpt2", "GPT2LMHeadModel", "gpt2/model", {}, None),
]

hf_logging.set_verbosity_info()
out = {}
for name, cls_name, folder, kwargs, archs in CASES:
    cls = getattr(transformers, cls_name)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(FIX, folder)
        if archs is not None:
            path = os.path.join(tmp, "m")
            shutil.copytree(os.path.join(FIX, folder), path)
            with open(os.path.join(path, "config.json")) as f:
                cfg = json.load(f)
            cfg["architectures"] = archs
            with open(os.path.join(path, "config.json"), "w") as f:
                json.dump(cfg, f, indent=2)
        cap = Capture()
        logging.getLogger("transformers.modeling_utils").addHandler(cap)
        try:
            cls.from_pretrained(path, **kwargs)
        finally:
            logging.getLogger("transformers.modeling_utils").removeHandler(cap)
        records = [[lvl, msg.replace(path, "{path}")] for lvl, msg in cap.records]
    assert records, name
    out[name] = {"class": cls_name, "folder": folder, "kwargs": kwargs, "arch_override": archs, "records": records}

with open(os.path.join(ROOT, "tests", "data", "modeling", "loading_warnings.json"), "w") as f:
    json.dump(out, f, indent=2, sort_keys=True)
    f.write("\n")
print("ok", len(out))
