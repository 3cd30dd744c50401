"""generate() with transformers' keyword arguments gives transformers' tokens (the fixtures'
gen_* sequences: greedy, beam search, repetition penalty, no-repeat n-grams, left-padded batch,
min_new_tokens with an early eos), and streams them."""
import numpy as np
import pytest

import transformers_cpp as tc
from conftest import MODELS, TOKENIZERS, load_safetensors

# (expected key, generate kwargs), all with pad_token_id=0 as the fixtures were made
RUNS = [
    ("gen_greedy", dict(max_new_tokens=10)),
    ("gen_beam3", dict(num_beams=3, max_new_tokens=8, early_stopping=True)),
    ("gen_rep_penalty", dict(max_new_tokens=10, repetition_penalty=1.3)),
    ("gen_no_repeat_2", dict(max_new_tokens=10, no_repeat_ngram_size=2)),
]


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
@pytest.mark.parametrize("key,kwargs", RUNS, ids=[r[0] for r in RUNS])
def test_generate_equals_transformers(arch, key, kwargs):
    exp, _ = load_safetensors(MODELS / arch / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / arch / "model")
    out = model.generate(exp["gen_prompt"], pad_token_id=0, **kwargs)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, exp[key])


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_generate_left_padded_batch_and_min_new_tokens(arch):
    exp, _ = load_safetensors(MODELS / arch / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / arch / "model")
    out = model.generate(input_ids=exp["gen_left_input_ids"], attention_mask=exp["gen_left_attention_mask"],
                         max_new_tokens=8, pad_token_id=0)
    np.testing.assert_array_equal(out, exp["gen_batch_left_pad"])
    eos = int(exp["gen_greedy"][0, exp["gen_prompt"].shape[1] + 2])  # the 3rd greedy token
    out = model.generate(exp["gen_prompt"], max_new_tokens=10, min_new_tokens=6, eos_token_id=eos, pad_token_id=0)
    np.testing.assert_array_equal(out, exp["gen_min_new_eos"])


def test_generate_return_dict_and_streamer():
    exp, _ = load_safetensors(MODELS / "gpt2" / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")

    class Collect(tc.BaseStreamer):
        def __init__(self):
            self.puts, self.ended = [], 0

        def put(self, value):
            self.puts.append(np.asarray(value).tolist())

        def end(self):
            self.ended += 1

    s = Collect()
    out = model.generate(exp["gen_prompt"], max_new_tokens=10, pad_token_id=0, streamer=s,
                         return_dict_in_generate=True, output_scores=True)
    np.testing.assert_array_equal(out.sequences, exp["gen_greedy"])
    assert len(out.scores) == 10 and out.scores[0].shape == (1, 99)
    # the prompt first, then one token per step (transformers' streamer protocol)
    assert s.puts[0] == exp["gen_prompt"].tolist() and len(s.puts) == 11 and s.ended == 1
    assert [p[0] for p in s.puts[1:]] == exp["gen_greedy"][0, 5:].tolist()


def test_text_streamer_prints_the_decoded_text(capsys):
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    tok = tc.AutoTokenizer.from_pretrained(TOKENIZERS / "gpt2_bpe")
    ids = tok("Hello world", return_tensors="np")["input_ids"] % 99  # the tiny model's vocabulary
    out = model.generate(ids, max_new_tokens=6, pad_token_id=0, streamer=tc.TextStreamer(tok, skip_prompt=True))
    assert capsys.readouterr().out == tok.decode(out[0, ids.shape[1]:]) + "\n"


def test_sampling_is_seeded():
    exp, _ = load_safetensors(MODELS / "gpt2" / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    runs = []
    for _ in range(2):
        tc.set_seed(7)
        runs.append(model.generate(exp["gen_prompt"], do_sample=True, top_k=20, max_new_tokens=8, pad_token_id=0))
    np.testing.assert_array_equal(runs[0], runs[1])
