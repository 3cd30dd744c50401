#!/usr/bin/env python3
"""Makes tests/data/tokenizers/models/t5_precompiled/tokenizer.json: a SentencePiece Unigram model
trained here (nmt_nfkc rule, so the model carries a precompiled charsmap) and converted with
transformers' AlbertConverter, then given the T5 normalizer (Precompiled, then " {2,}" -> " ").
Needs: pip install sentencepiece protobuf transformers tokenizers. Run it before
make_tokenizer_corpus.py, which picks the file up and writes its expected results.
"""
import json
import os
import random
import tempfile

import sentencepiece as spm
from transformers import AlbertTokenizer
from transformers.convert_slow_tokenizer import AlbertConverter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "tokenizers", "models", "t5_precompiled")


def main():
    with open(os.path.join(ROOT, "tests", "data", "tokenizers", "corpus.jsonl"), encoding="utf-8") as f:
        lines = [json.loads(l) for l in f]
    rnd = random.Random(3)
    words = [w for l in lines for w in l.split() if len(w) < 30 and w.isprintable()]
    with tempfile.TemporaryDirectory() as d:
        train = os.path.join(d, "train.txt")
        with open(train, "w", encoding="utf-8") as f:
            for _ in range(4000):
                f.write(" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 10))) + "\n")
        spm.SentencePieceTrainer.train(input=train, model_prefix=os.path.join(d, "m"), vocab_size=500,
                                       model_type="unigram", character_coverage=0.9995,
                                       normalization_rule_name="nmt_nfkc", hard_vocab_limit=False)
        fast = AlbertConverter(AlbertTokenizer(os.path.join(d, "m.model"))).converted()
        j = json.loads(fast.to_str())
    pre = [n for n in j["normalizer"]["normalizers"] if n["type"] == "Precompiled"]
    j["normalizer"] = {"type": "Sequence", "normalizers": pre + [
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(j, f, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
