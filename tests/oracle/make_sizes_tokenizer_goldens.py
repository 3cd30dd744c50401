#!/usr/bin/env python3
"""Goldens of issue 29 items 3 and 9 from Hugging Face tokenizers (the package transformers 4.51.3
uses), written to tests/data/tokenizers/sizes/:

- wordpiece_long_words.json: the bert_wordpiece fixture with max_input_chars_per_word = 100000
  encoding single long words (no spaces or punctuation, so each is one WordPiece word); the ids
  tokenizers gives. Our longest-match loop was cubic in the word length (10k chars: 19 s).
- precompiled_bad_utf8.json: whether tokenizers loads the t5_precompiled tokenizer once a byte of
  a replacement string in its charsmap is made an incomplete UTF-8 sequence (it refuses it).

Run with /work/venv/bin/python; CI never runs it.
"""
import base64
import json
import pathlib
import random
import struct

from tokenizers import Tokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT.parent / "shared" / "fixtures" / "hf" / "tokenizers"
if not FIX.exists():
    FIX = pathlib.Path("/work/shared/fixtures/hf/tokenizers")
OUT = ROOT / "tests" / "data" / "tokenizers" / "sizes"


def wordpiece():
    j = json.loads((FIX / "bert_wordpiece" / "tokenizer.json").read_text())
    j["model"]["max_input_chars_per_word"] = 100000
    tok = Tokenizer.from_str(json.dumps(j))
    rnd = random.Random(29)
    vocab = [k for k in j["model"]["vocab"] if k.isalnum() and k.islower()]
    cases = []
    # A word of whole vocab entries, one of single letters (the worst case of the old loop: one
    # short piece per step), and one that cannot be covered (a character outside the vocab at
    # the end: the whole word becomes [UNK] only after every prefix was tried).
    words = ["".join(rnd.choice(vocab) for _ in range(1500))[:10000],
             "".join(rnd.choice("abcdefghik") for _ in range(10000)),
             "documentation" * 300 + "\u00df"]
    for w in words:
        enc = tok.encode(w, add_special_tokens=False)
        cases.append({"word": w, "ids": enc.ids})
    return {"max_input_chars_per_word": 100000, "cases": cases}


def find_precompiled(node):
    if isinstance(node, dict):
        if node.get("type") == "Precompiled":
            return node
        for v in node.values():
            r = find_precompiled(v)
            if r:
                return r
    if isinstance(node, list):
        for v in node:
            r = find_precompiled(v)
            if r:
                return r
    return None


def precompiled():
    path = ROOT / "tests" / "data" / "tokenizers" / "models" / "t5_precompiled" / "tokenizer.json"
    j = json.loads(path.read_text())
    pc = find_precompiled(j["normalizer"])
    raw = base64.b64decode(pc["precompiled_charsmap"])
    trie = struct.unpack("<I", raw[:4])[0]
    blob = bytearray(raw[4 + trie:])
    at = next(i for i, c in enumerate(blob) if c != 0)
    blob[at] = 0xE2  # the lead byte of a three-byte sequence, followed by ASCII or NUL
    pc["precompiled_charsmap"] = base64.b64encode(raw[:4 + trie] + bytes(blob)).decode()
    try:
        Tokenizer.from_str(json.dumps(j))
        loads = True
    except BaseException as e:  # tokenizers raises a pyo3 PanicException (a BaseException)
        loads = False
        message = str(e)
    return {"blob_offset": 4 + trie + at, "byte": 0xE2, "loads": loads, "message": message if not loads else ""}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "wordpiece_long_words.json").write_text(json.dumps(wordpiece()) + "\n")
    (OUT / "precompiled_bad_utf8.json").write_text(json.dumps(precompiled(), indent=1) + "\n")


if __name__ == "__main__":
    main()
