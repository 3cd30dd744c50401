"""What the TF / Flax oracle scripts (make_tf_flax_goldens.py, check_tf_flax_saved.py) share: the
CPU-only TF (tf-keras) / JAX setup, the version check, the fixture paths and the fixture classes."""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import transformers  # noqa: E402

assert transformers.__version__ == "4.51.3", transformers.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "../../../shared/fixtures/hf/models")
DATA = os.path.join(HERE, "../data/tfflax")
CASES = {"bert": "BertForMaskedLM", "gpt2": "GPT2LMHeadModel", "llama": "LlamaForCausalLM"}
