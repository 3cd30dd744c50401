"""The checkpoint folder 4.51.3's TF models write for load_repo_checkpoint (issue 25): the bert
fixture in TFBertForMaskedLM (weights converted by 4.51's load_pytorch_state_dict_in_tf2_model),
compiled with (legacy) Adam and its slots created, saved by TFPreTrainedModel._save_checkpoint(dir, epoch=3)
-> tests/data/tfflax/bert/repo_checkpoint/checkpoint/{weights.h5, extra_data.pickle} (the pickle's
optimizer state holds numpy arrays). Also what an optimizer without state gives,
{"epoch": 3, "optimizer_state": []}, pickled as 4.51 pickles it -> extra_data_plain.pickle beside.

Run with the TF / Flax venv (see make_tf_flax_goldens.py):
  /work/venv-tf/bin/python tests/oracle/make_tf_repo_checkpoint.py
"""
import os
import pickle
import shutil

from tf_flax_common import DATA, FIX  # sets up TF / JAX for the CPU first
import tf_keras
from safetensors.numpy import load_file
import transformers
from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model


def main():
    src = os.path.join(FIX, "bert", "model")
    model = transformers.TFBertForMaskedLM(transformers.AutoConfig.from_pretrained(src))
    load_pytorch_state_dict_in_tf2_model(model, load_file(os.path.join(src, "model.safetensors")))
    # _save_checkpoint calls optimizer.get_weights(), which only Keras' legacy optimizers have
    model.compile(optimizer=tf_keras.optimizers.legacy.Adam(1e-3))
    model.optimizer._create_all_weights(model.trainable_variables)
    out = os.path.join(DATA, "bert", "repo_checkpoint")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    model._save_checkpoint(os.path.join(out, "checkpoint"), epoch=3)
    with open(os.path.join(out, "extra_data_plain.pickle"), "wb") as f:
        pickle.dump({"epoch": 3, "optimizer_state": []}, f)
    with open(os.path.join(out, "checkpoint", "extra_data.pickle"), "rb") as f:
        extra = pickle.load(f)
    print(extra["epoch"], len(extra["optimizer_state"]), type(extra["optimizer_state"][0]))


if __name__ == "__main__":
    main()
