"""The README's transformers script runs with only its import line changed (it was written for
transformers). The folder it loads: the tiny GPT-2 fixture, resized to the gpt2_bpe tokenizer's
vocabulary and saved by the engine, with that tokenizer's files beside it."""
import re
import shutil

import numpy as np

import transformers_cpp as tc
from conftest import MODELS, REPO, TOKENIZERS


def test_readme_script_runs_unchanged(tmp_path, capsys):
    readme = (REPO / "python" / "README.md").read_text()
    script = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    assert script.startswith("from transformers_cpp import AutoModelForCausalLM, AutoTokenizer")
    folder = tmp_path / "model"
    model = tc.AutoModelForCausalLM.from_pretrained(MODELS / "gpt2" / "model")
    tok = tc.AutoTokenizer.from_pretrained(TOKENIZERS / "gpt2_bpe")
    model.resize_token_embeddings(len(tok))
    model.save_pretrained(folder)
    for f in (TOKENIZERS / "gpt2_bpe").iterdir():
        if f.name != "expected.json":
            shutil.copy(f, folder / f.name)
    exec(compile(script.replace('"path/to/a/causal-lm"', repr(str(folder))), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    # what the same calls give, step by step
    ids = tok(["The quick brown fox"], return_tensors="np")
    reloaded = tc.AutoModelForCausalLM.from_pretrained(folder)
    out = reloaded.generate(ids["input_ids"], attention_mask=ids["attention_mask"], max_new_tokens=20)
    assert out.shape[1] > ids["input_ids"].shape[1] and np.all(out < len(tok))
    assert printed == tok.decode(out[0], skip_special_tokens=True) + "\n"
