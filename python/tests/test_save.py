"""save_pretrained writes what transformers 4.51 loads: the folder's files are byte for byte those
that tests/oracle/python_save_pretrained.py saved and transformers 4.51.3 loaded (no missing or
unexpected keys), and the logits transformers computed from them equal the engine's after reloading."""
import hashlib
import json

import pytest

import transformers_cpp as tc
from conftest import MODELS, TEST_DATA, assert_close, load_safetensors

GOLDEN, META = load_safetensors(TEST_DATA / "python" / "save_pretrained_hf451.safetensors")
CLASSES = {"bert": "BertForMaskedLM", "gpt2": "GPT2LMHeadModel", "llama": "LlamaForCausalLM"}
LAYOUTS = {"single": {}, "sharded": {"max_shard_size": "30KB"}}


def test_golden_count():
    assert META["transformers_version"] == "4.51.3" and len(GOLDEN) == 6


@pytest.mark.parametrize("arch", sorted(CLASSES))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_saved_folder_is_what_transformers_loaded(tmp_path, arch, layout):
    cls = getattr(tc, CLASSES[arch])
    cls.from_pretrained(MODELS / arch / "model").save_pretrained(tmp_path, **LAYOUTS[layout])
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tmp_path.iterdir())}
    assert hashes == json.loads(META[f"{arch}_{layout}_files"])
    exp, _ = load_safetensors(MODELS / arch / "expected.safetensors")
    inputs = {k: exp[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in exp}
    reloaded = cls.from_pretrained(tmp_path, attn_implementation="eager")
    assert_close(reloaded(**inputs).logits, GOLDEN[f"{arch}_{layout}_logits"], what=f"{arch} {layout}")
