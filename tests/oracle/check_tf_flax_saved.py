"""Loads the tf_model.h5 / flax_model.msgpack files and the sharded TF / Flax checkpoints
(tf_model.h5.index.json + tf_model-0000k-of-0000n.h5, flax_model.msgpack.index.json + shards) that
transformers-cli convert --format tf|flax [--max-shard-size 30KB] wrote
(tests/data/tfflax/cpp_saved/<arch>/<tf|tf_sharded|flax|flax_sharded>/, committed) in transformers
4.51.3's own TF and Flax classes, runs them on the fixture's inputs and records, per case, the max |logits - fixture
logits| over the non-padding positions, and the weights 4.51 found missing / unexpected (TF:
output_loading_info; Flax: the saved params' paths and shapes against a freshly initialised
model's). tests/models/test_tf_flax.cpp asserts on the committed report.

Make the files first (from the repository root, with the built CLI):
  for a in bert gpt2 llama; do for f in tf flax; do [ $a/$f = llama/tf ] && continue
    build/transformers-cli convert --model ../shared/fixtures/hf/models/$a/model --format $f \
      --output tests/data/tfflax/cpp_saved/$a/$f
    build/transformers-cli convert --model ../shared/fixtures/hf/models/$a/model --format $f \
      --max-shard-size 30KB --output tests/data/tfflax/cpp_saved/$a/${f}_sharded; done; done
Run: /work/venv-tf/bin/python tests/oracle/check_tf_flax_saved.py
Writes tests/data/tfflax/cpp_saved/report.json.
"""
import json
import os

from tf_flax_common import CASES, DATA, FIX  # sets up TF / JAX for the CPU first
import numpy as np
from flax.serialization import msgpack_restore
from flax.traverse_util import flatten_dict
from safetensors.numpy import load_file
import transformers

SAVED = os.path.join(DATA, "cpp_saved")


def main():
    report = {}
    for arch, cls in CASES.items():
        e = load_file(os.path.join(FIX, arch, "expected.safetensors"))
        kw = {"input_ids": e["input_ids"], "attention_mask": e["attention_mask"]}
        if arch == "bert":
            kw["token_type_ids"] = e["token_type_ids"]
        m = e["attention_mask"].astype(bool)
        for fw in ("tf", "tf_sharded", "flax", "flax_sharded"):
            d = os.path.join(SAVED, arch, fw)
            if not os.path.isdir(d):
                continue
            if fw.startswith("tf"):
                model, info = getattr(transformers, "TF" + cls).from_pretrained(d, output_loading_info=True)
                logits = model(**kw, training=False).logits.numpy()
                missing, unexpected = sorted(info["missing_keys"]), sorted(info["unexpected_keys"])
            else:
                model = getattr(transformers, "Flax" + cls).from_pretrained(d)
                logits = np.asarray(model(**kw).logits)
                fresh = flatten_dict(getattr(transformers, "Flax" + cls)(model.config).params)
                saved = {}
                for name in sorted(os.listdir(d)):
                    if name.startswith("flax_model") and name.endswith(".msgpack"):
                        with open(os.path.join(d, name), "rb") as f:
                            saved.update(flatten_dict(msgpack_restore(f.read())))
                missing = sorted("/".join(k) for k in fresh if k not in saved)
                unexpected = sorted("/".join(k) for k in saved
                                    if k not in fresh or saved[k].shape != fresh[k].shape)
            report[f"{arch}/{fw}"] = {"max_abs_diff": float(np.abs(logits[m] - e["logits"][m]).max()),
                                      "missing": missing, "unexpected": unexpected}
    with open(os.path.join(SAVED, "report.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
