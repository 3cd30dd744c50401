#!/usr/bin/env python3
"""Oracle for `transformers-cli embed --input FILE --batch-size N --output FILE.npy|.safetensors` (issue #23):
SentenceTransformer.encode of sentence-transformers 3.4.1 (transformers 4.51.3) over a file of texts, in
batches formed longest text first, saved with numpy.save.

    /work/venv/bin/python tests/oracle/make_embed_file_case.py [--out tests/data/sentence_file]

Writes input.txt (40 texts of 0 to 30 words, one a line, some with surrounding spaces, one empty, one
with non-ASCII letters) and expected.npy: encode(texts, batch_size=6) with the model folder
tests/data/sentence/mean_dense_tanh_normalize_lower (max_seq_length 10 truncates the long ones, Dense,
Normalize), written by numpy.save (format 1.0; the test compares its header bytes too).
"""
import argparse
import os
import random

import numpy as np
import sentence_transformers
import transformers
from sentence_transformers import SentenceTransformer

assert transformers.__version__ == "4.51.3", transformers.__version__
assert sentence_transformers.__version__ == "3.4.1", sentence_transformers.__version__

WORDS = ["the", "cat", "dog", "on", "mat", "fox", "Quick", "brown", "over", "query", "zebra", "Jumps", "lazy", "cafe",
         "naïve", "big", "a"]


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "sentence_file"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(23)
    texts = []
    for i in range(40):
        n = rng.choice([1, 2, 3, 5, 8, 13, 21, 30])
        t = " ".join(rng.choice(WORDS) for _ in range(n))
        if i % 7 == 3:
            t = "  " + t + " "
        texts.append(t)
    texts[17] = ""
    with open(os.path.join(a.out, "input.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")
    model = os.path.join(here, "..", "data", "sentence", "mean_dense_tanh_normalize_lower")
    st = SentenceTransformer(model, device="cpu")
    emb = st.encode(texts, batch_size=6, convert_to_numpy=True)
    assert emb.dtype == np.float32 and emb.shape == (40, 12), (emb.dtype, emb.shape)
    np.save(os.path.join(a.out, "expected.npy"), emb)


if __name__ == "__main__":
    main()
