"""AutoTokenizer through transformers' call API gives the fixtures' encodings (made by Hugging Face's
tokenizers): ids with and without special tokens, tokens, offsets, decode with and without special
tokens, a padded and truncated batch as NumPy; and 4.51's apply_chat_template."""
import json

import numpy as np
import pytest

import transformers_cpp as tc
from conftest import TEST_DATA, TOKENIZERS

NAMES = ["bert_wordpiece", "gpt2_bpe", "llama2_bytefallback", "llama3_regex_bpe", "unigram_metaspace"]


@pytest.mark.parametrize("name", NAMES)
def test_encodings_equal_transformers(name):
    exp = json.loads((TOKENIZERS / name / "expected.json").read_text())
    tok = tc.AutoTokenizer.from_pretrained(TOKENIZERS / name)
    assert len(exp["cases"]) in (35, 36)
    for c in exp["cases"]:
        enc = tok(c["text"], return_offsets_mapping=True)
        assert enc["input_ids"] == c["ids"], c["text"]
        assert [tuple(o) for o in enc["offset_mapping"]] == [tuple(o) for o in c["offsets"]], c["text"]
        assert tok.convert_ids_to_tokens(c["ids"]) == c["tokens"], c["text"]
        assert tok(c["text"], add_special_tokens=False).input_ids == c["ids_no_special"], c["text"]
        assert tok.decode(c["ids"]) == c["decode"], c["text"]
        assert tok.decode(np.array(c["ids"]), skip_special_tokens=True) == c["decode_skip_special"], c["text"]


@pytest.mark.parametrize("name", NAMES)
def test_padded_truncated_batch_as_numpy(name):
    exp = json.loads((TOKENIZERS / name / "expected.json").read_text())["batch_pad_trunc_12"]
    tok = tc.AutoTokenizer.from_pretrained(TOKENIZERS / name)
    enc = tok(exp["texts"], padding=True, truncation=True, max_length=12, return_tensors="np")
    assert isinstance(enc.input_ids, np.ndarray) and enc.input_ids.dtype == np.int64
    np.testing.assert_array_equal(enc.input_ids, exp["input_ids"])
    np.testing.assert_array_equal(enc.attention_mask, exp["attention_mask"])
    assert tok.batch_decode(enc.input_ids) == [tok.decode(r) for r in exp["input_ids"]]
    with pytest.raises(ValueError, match="Unable to create tensor"):
        tok(exp["texts"], return_tensors="np")  # ragged rows need padding, as in transformers


def test_apply_chat_template_equals_transformers_451():
    cases = json.loads((TEST_DATA / "chat_templates" / "cases.json").read_text())
    tok = tc.AutoTokenizer.from_pretrained(TOKENIZERS / cases["tokenized_fixture"])
    assert len(cases["tokenized"]) == 3
    for c in cases["tokenized"]:
        template = (TEST_DATA / "chat_templates" / "templates" / (c["template"] + ".jinja")).read_text()
        conv = cases["conversations"][c["conversation"]]
        kw = dict(chat_template=template, add_generation_prompt=conv.get("add_generation_prompt", False),
                  tools=conv.get("tools"), **cases["common_kwargs"])
        assert tok.apply_chat_template(conv["messages"], tokenize=False, **kw) == c["text"]
        out = tok.apply_chat_template(conv["messages"], return_dict=True, return_tensors="np", **kw)
        np.testing.assert_array_equal(out["input_ids"], [c["input_ids"]])
        np.testing.assert_array_equal(out["attention_mask"], [c["attention_mask"]])


SPLIT = json.loads((TEST_DATA / "python" / "split_into_words_hf451.json").read_text())


def _check_split(enc, exp, rows, what):
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        assert (k in enc) == (k in exp), (what, k)
        if k in exp:
            assert enc[k] == exp[k], (what, k)
    assert [[list(o) for o in r] for r in enc["offset_mapping"]] == exp["offset_mapping"], what
    assert [enc.word_ids(i) for i in range(rows)] == exp["word_ids"], what
    assert [enc.tokens(i) for i in range(rows)] == exp["tokens"], what


@pytest.mark.parametrize("name", NAMES)
def test_is_split_into_words_equals_transformers_451(name):
    exp = SPLIT["cases"][name]
    assert set(exp) == {"class", "row", "pair", "batch", "single_input_ids", "single_word_ids"}
    tok = tc.AutoTokenizer.from_pretrained(TOKENIZERS / name)
    _check_split(tok([SPLIT["row"]], is_split_into_words=True, return_offsets_mapping=True), exp["row"], 1, "row")
    _check_split(tok([SPLIT["row"]], [SPLIT["pair"]], is_split_into_words=True, return_offsets_mapping=True),
                 exp["pair"], 1, "pair")
    _check_split(tok(SPLIT["batch"], is_split_into_words=True, padding=True, truncation=True, max_length=8,
                     return_offsets_mapping=True), exp["batch"], 2, "batch")
    single = tok(SPLIT["row"], is_split_into_words=True)  # one example as a plain list of words
    assert single["input_ids"] == exp["single_input_ids"]
    assert single.word_ids() == exp["single_word_ids"]
    np.testing.assert_array_equal(tok(SPLIT["batch"], is_split_into_words=True, padding=True,
                                      return_tensors="np").input_ids.shape[0], 2)
    with pytest.raises(TypeError, match="PreTokenizedEncodeInput"):  # 4.51's error for a str
        tok("a string", is_split_into_words=True)
