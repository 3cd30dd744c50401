"""Goldens of the tokenizer transformers 4.51.3 builds from GGUF metadata (AutoTokenizer with
gguf_file=, integrations/ggml.py's converters), for a Llama-architecture file with a byte-level BPE
vocabulary (tokenizer.ggml.model "gpt2": 4.51's "Llama 3" branch, SmolLM2's case).

The vocabulary and merges are the shared fixture gpt2_bpe's (1200 tokens); the last token is marked
special (token_type 3) and is bos/eos; the unknown token is id 0. Two files: one with
tokenizer.ggml.add_space_prefix false (no Strip decoder), one without the key (4.51's default
true). Writes under tests/data/tokenizers/gguf/: <stem>.gguf and expected.json (per file: the
backend tokenizer.json 4.51 builds, ids of every corpus line with and without special tokens,
decodes, bos/eos/unk/pad tokens, chat template).

Run: /work/venv/bin/python tests/oracle/make_gguf_tokenizer.py
"""
import json
import os

import gguf
from make_gguf_common import finish
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "tokenizers", "gguf")
FIX = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "hf", "tokenizers", "gpt2_bpe", "tokenizer.json")
if not os.path.exists(FIX):
    FIX = "/work/shared/fixtures/hf/tokenizers/gpt2_bpe/tokenizer.json"
CORPUS = [
    "Hello world, it's 2024!",
    "  leading spaces and trailing  ",
    "The capital of France is Paris.",
    "naïve café — ünïcödé 😀 and 中文",
    "line one\nline two\r\n\ttabbed",
    "OS inside text OS",
    "",
]


def write(path, add_space_prefix):
    t = json.load(open(FIX))
    vocab, merges = t["model"]["vocab"], t["model"]["merges"]
    tokens = [None] * len(vocab)
    for k, v in vocab.items():
        tokens[v] = k
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tok")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(tokens)
    types = [1] * len(tokens)
    types[-1] = 3
    w.add_token_types(types)
    w.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in merges])
    w.add_bos_token_id(len(tokens) - 1)
    w.add_eos_token_id(len(tokens) - 1)
    w.add_unk_token_id(0)
    if add_space_prefix is not None:
        w.add_add_space_prefix(add_space_prefix)
    w.add_chat_template("{% for m in messages %}<|x|>{{ m['content'] }}{% endfor %}")
    finish(w)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for stem, asp in (("llama3_bpe", False), ("llama3_bpe_default_prefix", None)):
        write(os.path.join(OUT, stem + ".gguf"), asp)
        tok = AutoTokenizer.from_pretrained(OUT, gguf_file=stem + ".gguf")
        rows = []
        for text in CORPUS:
            ids = tok(text)["input_ids"]
            rows.append({"text": text, "ids": ids, "ids_no_special": tok(text, add_special_tokens=False)["input_ids"],
                         "decoded": tok.decode(ids), "decoded_skip": tok.decode(ids, skip_special_tokens=True),
                         # the backend alone (no clean_up_tokenization_spaces, which 4.51 turns on here)
                         "backend_decoded": tok.backend_tokenizer.decode(ids, skip_special_tokens=False),
                         "backend_decoded_skip": tok.backend_tokenizer.decode(ids, skip_special_tokens=True)})
        expected[stem] = {
            "class": type(tok).__name__,
            "tokenizer_json": json.loads(tok.backend_tokenizer.to_str()),
            "bos_token": tok.bos_token, "eos_token": tok.eos_token, "unk_token": tok.unk_token,
            "pad_token": tok.pad_token, "clean_up_tokenization_spaces": tok.clean_up_tokenization_spaces,
            "chat_template": tok.chat_template, "corpus": rows,
        }
        print(stem, rows[0]["ids"])
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
