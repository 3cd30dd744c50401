"""Every fixture model through model(**inputs) equals transformers' logits (float32 parity):
the shared BERT / GPT-2 / Llama fixtures (eager and sdpa, fp16/bf16 folders, base and classifier
checkpoints) and the decoder cases made with transformers 4.51 (tests/data/models/cases)."""
import json

import numpy as np
import pytest

import transformers_cpp as tc
from conftest import MODELS, TEST_DATA, assert_close, load_safetensors

AUTO = {"bert": tc.AutoModelForMaskedLM, "gpt2": tc.AutoModelForCausalLM, "llama": tc.AutoModelForCausalLM}


def inputs_of(exp, arch):
    kw = dict(input_ids=exp["input_ids"], attention_mask=exp["attention_mask"])
    if arch == "bert":
        kw["token_type_ids"] = exp["token_type_ids"]
    return kw


@pytest.mark.parametrize("arch", ["bert", "gpt2", "llama"])
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_fixture_logits(arch, attn):
    exp, _ = load_safetensors(MODELS / arch / "expected.safetensors")
    model = AUTO[arch].from_pretrained(MODELS / arch / "model", attn_implementation=attn)
    out = model(**inputs_of(exp, arch), output_hidden_states=True)
    assert_close(out.logits, exp["logits" if attn == "eager" else "logits_sdpa"], what=f"{arch} {attn}")
    assert_close(np.stack(out.hidden_states), exp["hidden_states"], what=f"{arch} hidden_states")
    assert not hasattr(out, "last_hidden_state")  # a head's output class has no base-model fields, as in 4.51


@pytest.mark.parametrize("arch", ["bert", "gpt2", "llama"])
@pytest.mark.parametrize("folder", ["sharded", "bin", "variant"])
def test_fixture_layouts(arch, folder):
    exp, _ = load_safetensors(MODELS / arch / "expected.safetensors")
    kw = {"variant": "v2"} if folder == "variant" else {}
    model = AUTO[arch].from_pretrained(MODELS / arch / folder, **kw)
    assert_close(model(**inputs_of(exp, arch)).logits, exp["logits"], what=f"{arch}/{folder}")


@pytest.mark.parametrize("arch", ["bert", "gpt2", "llama"])
def test_half_folders_load_as_transformers_451(arch):
    facts = json.loads((MODELS / "facts.json").read_text())[arch]
    for half in ("fp16", "bf16"):
        # 4.51: float32 by default; torch_dtype="auto" keeps the checkpoint's dtype
        assert AUTO[arch].from_pretrained(MODELS / arch / half).dtype == "float32"
        auto = AUTO[arch].from_pretrained(MODELS / arch / half, torch_dtype="auto")
        assert "torch." + auto.dtype == facts[f"{half}_auto_dtype"]


def test_bert_base_and_classifier():
    exp, _ = load_safetensors(MODELS / "bert" / "expected.safetensors")
    base = tc.AutoModel.from_pretrained(MODELS / "bert" / "base")
    out = base(**inputs_of(exp, "bert"))
    assert type(base).__name__ == "BertModel"
    assert_close(out.last_hidden_state, exp["base_last_hidden_state"], what="last_hidden_state")
    assert_close(out.pooler_output, exp["base_pooler_output"], what="pooler_output")
    cls = tc.AutoModelForSequenceClassification.from_pretrained(MODELS / "bert" / "cls3")
    assert cls(**inputs_of(exp, "bert")).logits.shape == (2, 3)


CASES = sorted(p.name for p in (TEST_DATA / "models" / "cases").iterdir())


def test_case_count():
    assert len(CASES) == 43  # tests/models/test_cases.cpp kOracleCases (Mixtral and Gemma 3 text added 5)


@pytest.mark.parametrize("case", CASES)
def test_transformers_451_cases(case):
    folder = TEST_DATA / "models" / "cases" / case
    exp, meta = load_safetensors(folder / "expected.safetensors")
    cls = getattr(tc, json.loads(meta["class"]))  # the model class by name, e.g. LlamaForSequenceClassification
    key = json.loads(meta["output"])
    inputs = {k: exp[k] for k in ("input_ids", "attention_mask", "position_ids", "token_type_ids") if k in exp}
    for attn, want in (("eager", "logits"), ("sdpa", "logits_sdpa")):
        model = cls.from_pretrained(folder, attn_implementation=attn)
        assert_close(getattr(model(**inputs), key), exp[want], what=f"{case} {attn}")


def test_outputs_are_views_of_engine_memory():
    exp, _ = load_safetensors(MODELS / "gpt2" / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    logits = model(input_ids=exp["input_ids"]).logits
    assert not logits.flags["OWNDATA"] and logits.base is not None  # the array borrows the tensor's buffer
    weights = model.state_dict()["transformer.wte.weight"]
    assert not weights.flags["OWNDATA"] and not weights.flags["WRITEABLE"]  # a read-only mapping of the file
    assert model(input_ids=exp["input_ids"].tolist()).logits.shape == logits.shape  # lists work too
    ret = model(input_ids=exp["input_ids"], return_dict=False)
    assert isinstance(ret, tuple) and np.array_equal(ret[0], logits)


def test_counts_match_facts():
    facts = json.loads((MODELS / "facts.json").read_text())
    for arch in ("bert", "gpt2", "llama"):
        u = facts[arch]["utils"]
        model = AUTO[arch].from_pretrained(MODELS / arch / "model")
        assert model.num_parameters() == u["num_parameters"]
        assert model.num_parameters(only_trainable=True) == u["num_parameters_trainable"]
        assert model.num_parameters(exclude_embeddings=True) == u["num_parameters_no_embeddings"]
        if arch == "bert":  # GPT-2's and Llama's buffers differ between 4.51 and the fixtures' 5.x
            assert model.get_memory_footprint() == u["memory_footprint"]
        assert model.get_memory_footprint(return_buffers=False) == u["memory_footprint_no_buffers"]


def test_resize_token_embeddings_down():
    exp, _ = load_safetensors(MODELS / "gpt2" / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    emb = model.resize_token_embeddings(92)
    assert (emb.num_embeddings, emb.embedding_dim) == (92, 32) and model.config.vocab_size == 92
    out = model(input_ids=exp["resized_down_input_ids"], attention_mask=exp["attention_mask"])
    assert_close(out.logits, exp["resized_down_logits"], what="resized_down")


def test_threads_run_models_concurrently():
    # the GIL is released while the engine computes: threads share one model and get the same results
    import threading

    exp, _ = load_safetensors(MODELS / "llama" / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "llama" / "model")
    results = [None] * 4

    def run(i):
        results[i] = model(input_ids=exp["input_ids"], attention_mask=exp["attention_mask"]).logits

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert_close(r, exp["logits"], what="threaded")


def test_prune_heads_removes_the_heads_weights():
    # BERT fixture: hidden 32, 4 heads of 8. Pruning one head of layer 0 removes 8 rows of the query,
    # key and value weights (8 x 32 each) and their biases (8 each), and 8 columns of the attention
    # output dense weight (32 x 8): 3 * (256 + 8) + 256 = 1048 parameters.
    model = tc.AutoModelForMaskedLM.from_pretrained(MODELS / "bert" / "model")
    before = model.num_parameters()
    model.prune_heads({0: [1]})
    assert before - model.num_parameters() == 1048
    assert model.config.pruned_heads == {"0": [1]}
    assert model.state_dict()["bert.encoder.layer.0.attention.self.query.weight"].shape == (24, 32)


def test_dlpack_inputs_are_accepted():
    # torch tensors come in through DLPack (torch is not installed here): any object with
    # __dlpack__ / __dlpack_device__ is read without a copy
    class DLPackOnly:
        def __init__(self, a):
            self.a = a

        def __dlpack__(self, **kwargs):
            return self.a.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return self.a.__dlpack_device__()

    exp, _ = load_safetensors(MODELS / "gpt2" / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    out = model(input_ids=DLPackOnly(np.ascontiguousarray(exp["input_ids"])),
                attention_mask=DLPackOnly(np.ascontiguousarray(exp["attention_mask"])))
    assert_close(out.logits, exp["logits"], what="dlpack")
