"""4.51.3's from_pretrained errors for a folder holding only TensorFlow or only Flax weights and no
from_tf / from_flax flag (issue 25). The folder path in each message is replaced by {dir}.

Run: /work/venv/bin/python tests/oracle/make_tf_flax_errors.py
Writes tests/data/tfflax/errors.json.
"""
import json
import os
import shutil
import tempfile

import transformers
from transformers import BertForMaskedLM

assert transformers.__version__ == "4.51.3", transformers.__version__

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../data/tfflax")


def message(folder, **kw):
    try:
        BertForMaskedLM.from_pretrained(folder, **kw)
    except OSError as e:
        return str(e).replace(folder, "{dir}")
    raise AssertionError("expected an error")


def main():
    out = {}
    tmp = tempfile.mkdtemp()
    try:
        for case, src in (("tf_only", "bert/tf"), ("flax_only", "bert/flax")):
            d = os.path.join(tmp, case)
            shutil.copytree(os.path.join(DATA, src), d)
            out[case] = message(d)
            out[case + "_use_safetensors"] = message(d, use_safetensors=True)
    finally:
        shutil.rmtree(tmp)
    with open(os.path.join(DATA, "errors.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
