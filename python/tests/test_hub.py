"""push_to_hub against the project's test Hub (tests/hub_server, the server the C++ Hub tests and the
huggingface_hub oracles use; run_tests.sh points HUB_SERVER at the built program): a model and its
tokenizer pushed from Python download again through from_pretrained and give transformers' logits and
the same encodings; save_pretrained(push_to_hub=True) pushes too; a wrong token is an OSError."""
import json
import os
import subprocess

import pytest

import transformers_cpp as tc
from conftest import MODELS, REPO, TOKENIZERS, assert_close, load_safetensors

TOKEN = "hf_python_push"


@pytest.fixture
def hub(tmp_path, monkeypatch):
    binary = os.environ.get("HUB_SERVER", str(REPO / "build" / "tests" / "hub_server"))
    assert os.path.exists(binary), f"HUB_SERVER: expected the hub_server program at {binary} (cmake --build build --target hub_server)"
    proc = subprocess.Popen([binary, "--write-token", TOKEN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        endpoint = json.loads(proc.stdout.readline())["endpoint"]
        for name in ("HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "http_proxy", "https_proxy", "HTTP_PROXY",
                     "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        yield endpoint
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_push_model_and_tokenizer_then_download(hub, tmp_path):
    exp, _ = load_safetensors(MODELS / "gpt2" / "expected.safetensors")
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    url = model.push_to_hub("me/tiny-gpt2", token=TOKEN, max_shard_size="30KB", commit_message="from Python")
    assert isinstance(url, str) and "me/tiny-gpt2" in url
    tok = tc.AutoTokenizer.from_pretrained(TOKENIZERS / "gpt2_bpe")
    tok.push_to_hub("me/tiny-gpt2", token=TOKEN)
    again = tc.AutoModelForCausalLM.from_pretrained("me/tiny-gpt2", token=TOKEN, cache_dir=tmp_path / "cache")
    assert_close(again(input_ids=exp["input_ids"], attention_mask=exp["attention_mask"]).logits, exp["logits"],
                 what="pushed and downloaded")
    tok_again = tc.AutoTokenizer.from_pretrained("me/tiny-gpt2", token=TOKEN, cache_dir=tmp_path / "cache")
    assert tok_again("Hello world, again")["input_ids"] == tok("Hello world, again")["input_ids"]


def test_save_pretrained_push_and_bad_token(hub, tmp_path):
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "llama" / "model")
    model.save_pretrained(tmp_path / "saved", push_to_hub=True, repo_id="me/tiny-llama", token=TOKEN)
    exp, _ = load_safetensors(MODELS / "llama" / "expected.safetensors")
    again = tc.AutoModelForCausalLM.from_pretrained("me/tiny-llama", token=TOKEN, cache_dir=tmp_path / "cache")
    assert_close(again(input_ids=exp["input_ids"], attention_mask=exp["attention_mask"]).logits, exp["logits"],
                 what="save_pretrained(push_to_hub=True)")
    with pytest.raises(OSError):
        model.push_to_hub("me/other", token="hf_wrong")
    # the model card is written into the folder too, as 4.51's save_pretrained(push_to_hub=True) does
    assert sorted(os.listdir(tmp_path / "saved")) == ["README.md", "config.json", "generation_config.json",
                                                      "model.safetensors"]
