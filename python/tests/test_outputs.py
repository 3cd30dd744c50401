"""Outputs of transformers 4.51's classes and names: each model class returns the output class its
4.51 forward declares, with that class's fields in order (tests/data/python/output_classes_hf451.json,
made by tests/oracle/python_output_classes.py from transformers 4.51.3); attribute, key and
position access as ModelOutput; past_key_values out of one call and into the next continues the
sequence with transformers' logits."""
import json

import numpy as np
import pytest

import transformers_cpp as tc
from conftest import MODELS, TEST_DATA, assert_close, load_safetensors
from transformers_cpp import _core
from transformers_cpp.outputs import output_class

ORACLE = json.loads((TEST_DATA / "python" / "output_classes_hf451.json").read_text())


def test_every_model_class_returns_its_451_output_class():
    assert ORACLE["transformers_version"] == "4.51.3"
    assert len(ORACLE["classes"]) == 76 and len(ORACLE["fields"]) == 17
    # a newly registered class fails here until the oracle is run for it (the oracle may name classes
    # a branch does not register yet)
    missing = sorted(set(_core.registered_model_classes()) - set(ORACLE["classes"]))
    assert not missing, f"run tests/oracle/python_output_classes.py for {missing}"
    assert len(_core.registered_model_classes()) >= 56
    for model_class, want in ORACLE["classes"].items():
        assert output_class(model_class).__name__ == want, model_class
    for name, fields in ORACLE["fields"].items():
        cls = getattr(tc, name)
        assert list(cls._fields) == fields, name
        assert issubclass(cls, tc.ModelOutput)


def test_output_objects_read_like_transformers():
    exp, _ = load_safetensors(MODELS / "gpt2" / "expected.safetensors")
    out = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")(input_ids=exp["input_ids"],
                                                                              attention_mask=exp["attention_mask"])
    assert type(out) is tc.CausalLMOutputWithCrossAttentions
    assert list(out.keys()) == ["logits", "past_key_values"]  # the set fields, in field order
    assert out.loss is None and out.cross_attentions is None  # fields of the class that are not set
    with pytest.raises(AttributeError):
        out.last_hidden_state  # not a field of this class
    assert out[0] is out["logits"] is out.logits and out.to_tuple()[1] is out.past_key_values
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    last = model(exp["input_ids"], exp["attention_mask"], logits_to_keep=1).logits  # positional as declared
    assert last.shape == (2, 1, 99) and np.array_equal(last, model(exp["input_ids"], num_logits_to_keep=1,
                                                                   attention_mask=exp["attention_mask"]).logits)
    bert, _ = load_safetensors(MODELS / "bert" / "expected.safetensors")
    inputs = {k: bert[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    out = tc.AutoModel.from_pretrained(MODELS / "bert" / "base")(**inputs, output_hidden_states=True)
    assert type(out) is tc.BaseModelOutputWithPoolingAndCrossAttentions
    assert list(out.keys()) == ["last_hidden_state", "pooler_output", "hidden_states"]
    assert isinstance(out.hidden_states, tuple) and len(out.hidden_states) == 3
    out = tc.AutoModelForMaskedLM.from_pretrained(MODELS / "bert" / "model")(**inputs)
    assert type(out) is tc.MaskedLMOutput and list(out.keys()) == ["logits"]


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_past_key_values_continue_the_sequence(arch):
    exp, _ = load_safetensors(MODELS / arch / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / arch / "model")
    ids, mask = exp["input_ids"], exp["attention_mask"]
    first = model(input_ids=ids[:, :4], attention_mask=mask[:, :4])
    cache = first.past_key_values
    assert isinstance(cache, tc.DynamicCache) and cache.get_seq_length() == 4
    layers = model.config.num_hidden_layers
    assert len(cache) == layers and len(cache.key_cache) == layers and cache[0][0].shape[2] == 4
    rest = model(input_ids=ids[:, 4:], attention_mask=mask, past_key_values=cache)
    assert rest.past_key_values is cache and cache.get_seq_length() == ids.shape[1]
    # both parts together are transformers' logits of the whole sequence
    assert_close(np.concatenate([first.logits, rest.logits], axis=1), exp["logits"], what=f"{arch} cached")
    cache.crop(4)
    assert cache.get_seq_length() == 4
    assert model(input_ids=ids, use_cache=False).past_key_values is None
    with pytest.raises(ValueError, match="past_key_values: expected a DynamicCache"):
        model(input_ids=ids[:, 4:], past_key_values=((np.zeros(1), np.zeros(1)),))
