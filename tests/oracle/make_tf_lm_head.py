"""What 4.51.3's TF classes answer to the LM-head bias methods of TFPreTrainedModel (issue 25):
get_lm_head, get_output_layer_with_bias, get_prefix_bias_name, get_bias, set_bias.

For every TF class of the model types we have (bert, roberta, xlm-roberta, distilbert, gpt2,
mistral), built from a small config in a fresh Keras session (so its name is the default one):
whether get_lm_head() is a layer (and its class), what get_output_layer_with_bias() returns (the
same layer), get_prefix_bias_name(), get_bias()'s keys, variable names and shapes, and the warnings
the deprecated two raise -> tests/data/tfflax/tf_lm_head.json ("configs" holds the configs used).

For the bert fixture (TFBertForMaskedLM with the fixture's weights, converted by 4.51's own
load_pytorch_state_dict_in_tf2_model): get_bias()["bias"], the logits after
set_bias({"bias": 0.01 * arange(vocab)}) and config.vocab_size after a set_bias with 3 more entries
-> tests/data/tfflax/bert/tf_lm_head.safetensors and the json's "fixture".

Run with the TF / Flax venv (see make_tf_flax_goldens.py):
  /work/venv-tf/bin/python tests/oracle/make_tf_lm_head.py
"""
import json
import os
import warnings

from tf_flax_common import DATA, FIX  # sets up TF / JAX for the CPU first
import numpy as np
import tensorflow as tf
import tf_keras
from safetensors.numpy import load_file, save_file
import transformers
from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

SMALL = {
    "bert": transformers.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                    intermediate_size=37),
    "roberta": transformers.RobertaConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                          intermediate_size=37),
    "xlm-roberta": transformers.XLMRobertaConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1,
                                                 num_attention_heads=2, intermediate_size=37),
    "distilbert": transformers.DistilBertConfig(vocab_size=99, dim=32, n_layers=1, n_heads=2, hidden_dim=37),
    "gpt2": transformers.GPT2Config(vocab_size=99, n_embd=32, n_layer=1, n_head=2),
    "mistral": transformers.MistralConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                          num_key_value_heads=1, intermediate_size=37),
}
PREFIX = {"bert": "Bert", "roberta": "Roberta", "xlm-roberta": "XLMRoberta", "distilbert": "DistilBert",
          "gpt2": "GPT2", "mistral": "Mistral"}


def tf_classes(model_type):
    p = "TF" + PREFIX[model_type]
    for name in sorted(dir(transformers)):
        rest = name[len(p):]
        if name.startswith(p) and (rest.startswith("For") or rest in ("Model", "LMHeadModel", "DoubleHeadsModel")):
            yield name


def methods(model):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lm = model.get_lm_head()
        out = model.get_output_layer_with_bias()
        prefix = model.get_prefix_bias_name()
    bias = model.get_bias()
    return {
        "tf_name": model.name,
        "lm_head": None if lm is None else type(lm).__name__,
        "output_layer_with_bias_is_lm_head": out is lm,
        "prefix_bias_name": prefix,
        "bias": None if bias is None else {k: {"name": v.name, "shape": v.shape.as_list()} for k, v in bias.items()},
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    }


def main():
    result = {"configs": {t: c.to_dict() for t, c in SMALL.items()}, "classes": {}}
    for model_type in SMALL:
        for name in tf_classes(model_type):
            tf_keras.backend.clear_session()
            model = getattr(transformers, name)(SMALL[model_type])
            model(model.dummy_inputs)
            result["classes"][name[2:]] = dict(model_type=model_type, **methods(model))

    tf_keras.backend.clear_session()
    src = os.path.join(FIX, "bert", "model")
    model = transformers.TFBertForMaskedLM(transformers.AutoConfig.from_pretrained(src))
    load_pytorch_state_dict_in_tf2_model(model, load_file(os.path.join(src, "model.safetensors")))
    e = load_file(os.path.join(FIX, "bert", "expected.safetensors"))
    kw = {k: e[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    got_bias = model.get_bias()["bias"].numpy()
    vocab = model.config.vocab_size
    new_bias = (0.01 * np.arange(vocab)).astype(np.float32)
    model.set_bias({"bias": tf.Variable(new_bias)})
    logits = model(**kw, training=False).logits.numpy()
    model.set_bias({"bias": tf.Variable(np.zeros(vocab + 3, np.float32))})
    result["fixture"] = {"vocab_size_before": vocab, "vocab_size_after_set_bias_plus_3": model.config.vocab_size}
    save_file({"bias": got_bias, "set_bias": new_bias, "logits_after_set_bias": logits},
              os.path.join(DATA, "bert", "tf_lm_head.safetensors"))
    with open(os.path.join(DATA, "tf_lm_head.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(json.dumps({k: (v["lm_head"], v["prefix_bias_name"]) for k, v in result["classes"].items()}, indent=1))
    print(result["fixture"])


if __name__ == "__main__":
    main()
