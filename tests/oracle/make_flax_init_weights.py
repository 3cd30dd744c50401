"""FlaxPreTrainedModel with _do_init=False and init_weights(rng, input_shape, params) in 4.51.3
(issue 25), on the bert fixture's Flax checkpoint (tests/data/tfflax/bert/flax/, written by
make_tf_flax_goldens.py) with the MLM head's transform removed:

  tests/data/tfflax/bert/flax_missing/flax_model.msgpack   that checkpoint (to_bytes of the params
                                                           left), with config.json
  tests/data/tfflax/bert/flax_init_weights.json           what FlaxBertForMaskedLM.from_pretrained(
      ..., _do_init=False) reports missing (cls._missing_keys), the paths of the params it returns,
      and the paths / shapes / dtypes of init_weights(PRNGKey(0), (1, 1), params): the given params
      kept as they are, exactly the missing ones added from a fresh init.

Run with the TF / Flax venv (see make_tf_flax_goldens.py):
  /work/venv-tf/bin/python tests/oracle/make_flax_init_weights.py
"""
import json
import os
import shutil

from tf_flax_common import DATA  # sets up TF / JAX for the CPU first
import jax
import numpy as np
from flax.serialization import msgpack_restore, to_bytes
from flax.traverse_util import flatten_dict, unflatten_dict
import transformers


def main():
    src = os.path.join(DATA, "bert", "flax")
    out = os.path.join(DATA, "bert", "flax_missing")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    shutil.copy(os.path.join(src, "config.json"), out)
    with open(os.path.join(src, "flax_model.msgpack"), "rb") as f:
        flat = flatten_dict(msgpack_restore(f.read()))
    kept = {k: v for k, v in flat.items() if k[:3] != ("cls", "predictions", "transform")}
    with open(os.path.join(out, "flax_model.msgpack"), "wb") as f:
        f.write(to_bytes(unflatten_dict(kept)))

    model, params = transformers.FlaxBertForMaskedLM.from_pretrained(out, _do_init=False)
    missing = sorted("/".join(k) for k in model._missing_keys)
    given = flatten_dict(params)
    full = flatten_dict(model.init_weights(jax.random.PRNGKey(0), (1, 1), params))
    same = all(np.array_equal(np.asarray(full[k]), np.asarray(v)) for k, v in given.items())
    try:
        model.params
        params_error = None
    except ValueError as e:
        params_error = str(e)
    report = {
        "missing_keys": missing,
        "params_keys": sorted("/".join(k) for k in given),
        "init_weights": {"/".join(k): {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in sorted(full.items())},
        "given_params_unchanged": same,
        "params_property_error": params_error,
    }
    with open(os.path.join(DATA, "bert", "flax_init_weights.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    print(json.dumps({k: v for k, v in report.items() if k != "init_weights"}, indent=1))


if __name__ == "__main__":
    main()
