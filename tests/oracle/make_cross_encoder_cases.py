#!/usr/bin/env python3
"""Oracle for `transformers-cli rerank` (issue #23): CrossEncoder.predict / CrossEncoder.rank of
sentence-transformers 3.4.1 on transformers 4.51.3.

    /work/venv/bin/python tests/oracle/make_cross_encoder_cases.py [--out tests/data/cross_encoder]

Each case folder is a tiny random BertForSequenceClassification (hidden 32, 1 layer, 4 heads, weights
std 0.25) saved with save_pretrained, with the 99-token cased WordPiece tokenizer of
make_sentence_cases.py, plus expected.json: the query, the documents (some longer than max_length, so
longest_first truncation of the pair matters; surrounding spaces, which predict strips), the
activation CrossEncoder chose by default and, per call, predict's float32 scores and rank's order.
Cases: one label (default Sigmoid), one label with config.sbert_ce_default_activation_function =
Identity, and the one-label model called with activation_fct=Identity (`--activation identity`).
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import sentence_transformers
import torch
import transformers
from sentence_transformers import CrossEncoder

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_sentence_cases import vocab  # noqa: E402
from models_parity import redraw  # noqa: E402

assert transformers.__version__ == "4.51.3", transformers.__version__
assert sentence_transformers.__version__ == "3.4.1", sentence_transformers.__version__
torch.set_grad_enabled(False)

QUERY = "  Where is the cat? "
DOCS = ["A cat sat on the mat.", "dogs bark", " The Quick brown fox jumps over the lazy dog again and again and again ",
        "the cat", "Zebra!"]


def make(out, name, seed, activation_in_config, max_length):
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab()) + "\n")
    tok = transformers.BertTokenizerFast(os.path.join(d, "vocab.txt"), do_lower_case=False,
                                         model_max_length=max_length)
    cfg = transformers.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                                  intermediate_size=20, max_position_embeddings=32, num_labels=1)
    if activation_in_config:
        cfg.sbert_ce_default_activation_function = activation_in_config
    torch.manual_seed(seed)
    m = transformers.BertForSequenceClassification(cfg).eval()
    redraw(m, seed)
    m.save_pretrained(d)
    tok.save_pretrained(d)
    ce = CrossEncoder(d, device="cpu", automodel_args={"attn_implementation": "eager"})
    calls = []
    for kw in [{}, {"activation_fct": torch.nn.Identity()}]:
        scores = ce.predict([[QUERY, doc] for doc in DOCS], batch_size=2, convert_to_numpy=True, **kw)
        ranked = ce.rank(QUERY, DOCS, batch_size=2, **kw)
        calls.append({"activation": "identity" if kw else None,
                      "scores": np.asarray(scores, dtype=np.float64).tolist(),
                      "order": [r["corpus_id"] for r in ranked]})
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"sentence_transformers": sentence_transformers.__version__, "query": QUERY, "documents": DOCS,
                   "default_activation": type(ce.default_activation_function).__name__, "calls": calls}, f)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "cross_encoder"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    make(a.out, "bert_sigmoid", 301, None, 14)
    make(a.out, "bert_identity_in_config", 302, "torch.nn.modules.linear.Identity", 30)


if __name__ == "__main__":
    main()
