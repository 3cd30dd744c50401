"""C++ errors arrive as the Python exceptions transformers raises for the same failure, with the
engine's message: OSError (missing files), ValueError (bad arguments), KeyError,
NotImplementedError (a mode the engine refuses), RuntimeError (shapes), TemplateError."""
import os

import numpy as np
import pytest

import transformers_cpp as tc
from conftest import MODELS, TOKENIZERS


def test_missing_folder_is_oserror(tmp_path):
    with pytest.raises(OSError) as e:
        tc.AutoModelForCausalLM.from_pretrained(tmp_path / "absent", local_files_only=True)
    assert str(tmp_path / "absent") in str(e.value)
    with pytest.raises(OSError):
        tc.AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(OSError, match="config.json"):  # a file that is not what it should be
        tc.AutoConfig.from_pretrained(tmp_path)


def test_bad_arguments_are_valueerror():
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    with pytest.raises(ValueError) as e:
        model.generate(np.array([[1, 2, 3]]), num_beams=0)
    assert str(e.value) == "generate: `num_beams` has to be a positive integer, but is 0"
    with pytest.raises(ValueError, match="device_map"):
        tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model", device_map="cuda:0")
    with pytest.raises(ValueError):
        tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model", torch_dtype="float7")


def test_unsupported_mode_is_notimplementederror():
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    with pytest.raises(NotImplementedError, match="penalty_alpha"):
        model.generate(np.array([[1, 2, 3]]), penalty_alpha=0.6, top_k=4)


def test_auto_class_without_a_mapping_is_valueerror():
    with pytest.raises(ValueError, match="llama"):
        tc.AutoModelForMaskedLM.from_pretrained(MODELS / "llama" / "model")


def test_shape_mismatch_is_runtimeerror():
    model = tc.AutoModelForMaskedLM.from_pretrained(MODELS / "bert" / "model")
    with pytest.raises(RuntimeError):
        model(input_ids=np.array([[1, 2, 3]]), token_type_ids=np.array([[0, 0]]))


def test_forward_errors_keep_their_kinds():
    # model(**inputs) runs through a fast-call function of its own (python/src/forward.cpp): the
    # engine's errors are translated as everywhere else, the converter's arrive unchanged
    llama = tc.AutoModelForCausalLM.from_pretrained(MODELS / "llama" / "model")
    with pytest.raises(ValueError, match="LlamaModel: head_mask is not an argument of its forward"):
        llama(input_ids=np.array([[1, 2, 3]]), head_mask=np.ones((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="expected integer ids, found an array of dtype float64"):
        llama(input_ids=np.array([[1.5, 2.0]]))
    with pytest.raises(TypeError, match="unexpected keyword argument 'no_such_input'"):
        llama(input_ids=np.array([[1, 2]]), no_such_input=1)
    with pytest.raises(TypeError, match="multiple values for argument 'input_ids'"):
        llama(np.array([[1, 2]]), input_ids=np.array([[1, 2]]))


def test_missing_config_attribute_is_attributeerror():
    config = tc.AutoConfig.from_pretrained(MODELS / "gpt2" / "model")
    assert config.hidden_size == config.n_embd == 32  # attribute_map alias
    with pytest.raises(AttributeError):
        config.no_such_attribute


def test_template_error():
    tok = tc.AutoTokenizer.from_pretrained(TOKENIZERS / "gpt2_bpe")
    with pytest.raises(tc.TemplateError, match="no system messages"):
        tok.apply_chat_template([{"role": "system", "content": "x"}], tokenize=False,
                                chat_template="{{ raise_exception('no system messages') }}")


def test_engine_key_error_is_keyerror():
    config = tc.AutoConfig.from_pretrained(MODELS / "gpt2" / "model")
    with pytest.raises(KeyError, match="no_such_key"):
        config._core.get("no_such_key")  # the engine's lookup (attribute access turns it into AttributeError)
