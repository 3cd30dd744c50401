"""TensorFlow and Flax checkpoints of the fixture models, written by transformers 4.51.3's own TF and
Flax classes (issue 25).

For bert (BertForMaskedLM), gpt2 (GPT2LMHeadModel) and llama (LlamaForCausalLM, Flax only): the
fixture's model.safetensors is loaded into the TF / Flax class (4.51's PyTorch -> TF/Flax conversion
of the safetensors arrays, no torch), run on the fixture's inputs (the max difference to expected.safetensors' logits is printed
as a sanity check), and saved as
  tf/            tf_model.h5                                   (save_pretrained)
  tf_sharded/    tf_model.h5.index.json + tf_model-0000k-of-0000n.h5   (max_shard_size="30KB")
  flax/          flax_model.msgpack
  flax_sharded/  flax_model.msgpack.index.json + flax_model-0000k-of-0000n.msgpack  (max_shard_size="30KB")
  flax_bf16/     flax_model.msgpack of model.to_bf16(params), and expected_bf16.safetensors: the
                 Flax logits of those bf16 weights cast back to float32 (what PyTorch's from_flax
                 loads: 4.51 casts bf16 params to float32)
  to_bf16_mask.json  which parameters model.to_bf16(params, mask) leaves float32 with the mask of
                 4.51's to_bf16 docstring (flatten_dict paths, '/'-joined)

Needs a separate venv (CI never installs it; the outputs are committed), made with
  python3 -m venv /work/venv-tf && /work/venv-tf/bin/pip install 'transformers==4.51.3' \
    'tensorflow-cpu==2.19.*' 'tf-keras==2.19.*' 'jax[cpu]==0.4.30' 'flax==0.8.5' safetensors numpy
(no torch: the PyTorch -> TF/Flax conversions run on the safetensors arrays). Then:
  /work/venv-tf/bin/python tests/oracle/make_tf_flax_goldens.py
"""
import json
import os
import shutil

from tf_flax_common import CASES, DATA as OUT, FIX  # sets up TF / JAX for the CPU first
import numpy as np
import jax.numpy as jnp
from flax.traverse_util import flatten_dict
from safetensors.numpy import load_file, save_file
import transformers
from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model


def inputs(arch, framework):
    e = load_file(os.path.join(FIX, arch, "expected.safetensors"))
    kw = {"input_ids": e["input_ids"], "attention_mask": e["attention_mask"]}
    if arch == "bert":
        kw["token_type_ids"] = e["token_type_ids"]
    return kw, e["logits"]


def valid_diff(arch, got, want, mask):
    # Padded positions of a causal model differ between frameworks' masking; compare real tokens.
    m = mask.astype(bool)
    return float(np.abs(np.asarray(got)[m] - want[m]).max())


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def main():
    report = {}
    for arch, pt_name in CASES.items():
        src = os.path.join(FIX, arch, "model")
        out = os.path.join(OUT, arch)
        kw, want = inputs(arch, "np")
        if arch != "llama":
            tf_cls = getattr(transformers, "TF" + pt_name)
            # 4.51's own PyTorch -> TF conversion on the safetensors arrays (from_pt=True would import torch)
            tf_model = tf_cls(transformers.AutoConfig.from_pretrained(src))
            load_pytorch_state_dict_in_tf2_model(tf_model, load_file(os.path.join(src, "model.safetensors")))
            got = tf_model(**{k: v for k, v in kw.items()}, training=False).logits.numpy()
            report[arch + "/tf"] = valid_diff(arch, got, want, kw["attention_mask"])
            tf_model.save_pretrained(fresh(os.path.join(out, "tf")))
            tf_model.save_pretrained(fresh(os.path.join(out, "tf_sharded")), max_shard_size="30KB")
        flax_cls = getattr(transformers, "Flax" + pt_name)
        fm = flax_cls.from_pretrained(src, from_pt=True)
        got = fm(**kw).logits
        report[arch + "/flax"] = valid_diff(arch, got, want, kw["attention_mask"])
        fm.save_pretrained(fresh(os.path.join(out, "flax")))
        fm.save_pretrained(fresh(os.path.join(out, "flax_sharded")), max_shard_size="30KB")
        bf16 = fm.to_bf16(fm.params)
        d = fresh(os.path.join(out, "flax_bf16"))
        fm.save_pretrained(d, params=bf16)
        got = np.asarray(fm(**kw, params=fm.to_fp32(bf16)).logits, dtype=np.float32)
        save_file({"logits": got, "input_ids": np.asarray(kw["input_ids"]),
                   "attention_mask": np.asarray(kw["attention_mask"])},
                  os.path.join(out, "expected_bf16.safetensors"))
        # The doc example of FlaxPreTrainedModel.to_bf16, verbatim (its first test compares a str with
        # a tuple, so only ("LayerNorm", "scale") paths stay float32).
        flat = flatten_dict(fm.params)
        mask = {path: (path[-2] != ("LayerNorm", "bias") and path[-2:] != ("LayerNorm", "scale")) for path in flat}
        from flax.traverse_util import unflatten_dict
        cast = flatten_dict(fm.to_bf16(fm.params, unflatten_dict(mask)))
        with open(os.path.join(out, "to_bf16_mask.json"), "w") as f:
            json.dump({"mask_false": sorted("/".join(p) for p, m in mask.items() if not m),
                       "float32_after": sorted("/".join(p) for p, v in cast.items() if v.dtype == jnp.float32),
                       "bfloat16_after": sorted("/".join(p) for p, v in cast.items() if v.dtype == jnp.bfloat16)},
                      f, indent=1)
    with open(os.path.join(OUT, "oracle_report.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
