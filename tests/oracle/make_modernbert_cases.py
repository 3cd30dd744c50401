#!/usr/bin/env python3
"""Oracle for ModernBERT (issue #23) with transformers 4.51.3: the case folders of
make_encoder_cases.py (same layout, same test: tests/models/test_encoders.cpp) for ModernBertForMaskedLM,
ModernBertModel, ModernBertForSequenceClassification (classifier_pooling "cls" and "mean"),
ModernBertForTokenClassification and ModernBertForQuestionAnswering.

    /work/venv/bin/python tests/oracle/make_modernbert_cases.py [--out tests/data/models/encoders]

(make_encoder_cases.py also calls modernbert_cases(), since it rewrites the whole folder.)

Tiny random checkpoints: hidden 32, 3 layers (global_attn_every_n_layers 2: layers 0 and 2 global,
layer 1 local with local_attention 4, i.e. two positions each side, on 10-token inputs), 4 heads,
GeGLU intermediate 24, global and local rope theta 160000 / 10000. A second base case turns on every
bias (norm_bias, attention_bias, mlp_bias, classifier_bias), drops decoder_bias, and uses silu / tanh
activations. The eager run is the padded path 4.51 takes without flash-attention.
"""
import argparse
import os
import sys

import transformers as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MODERNBERT = dict(vocab_size=99, hidden_size=32, intermediate_size=24, num_hidden_layers=3, num_attention_heads=4,
                  global_attn_every_n_layers=2, local_attention=4, max_position_embeddings=64, pad_token_id=0,
                  bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2)


def modernbert_cases(out):
    from make_encoder_cases import make  # noqa: E402 (make_encoder_cases imports this module in main)
    seq = 10
    base = make(out, "modernbert_masked_lm", T.ModernBertForMaskedLM, T.ModernBertConfig(**MODERNBERT), 141, 3, seq,
                "right", ["logits"], "AutoModelForMaskedLM")
    heads = [  # name, class, config kwargs, seed offset, batch, padding, outputs, Auto class
        ("model", T.ModernBertModel, {}, 1, 2, "middle", ["last_hidden_state"], "AutoModel"),
        ("seq_cls", T.ModernBertForSequenceClassification, {"num_labels": 3}, 2, 3, "left", ["logits"],
         "AutoModelForSequenceClassification"),
        ("seq_cls_mean", T.ModernBertForSequenceClassification, {"num_labels": 2, "classifier_pooling": "mean"}, 3,
         3, "right", ["logits"], "AutoModelForSequenceClassification"),
        ("token_cls", T.ModernBertForTokenClassification, {"num_labels": 5}, 4, 2, "right", ["logits"],
         "AutoModelForTokenClassification"),
        ("qa", T.ModernBertForQuestionAnswering, {}, 5, 3, "left", ["start_logits", "end_logits"],
         "AutoModelForQuestionAnswering"),
    ]
    for name, cls, kw, off, b, pad, outputs, auto in heads:
        make(out, f"modernbert_{name}", cls, T.ModernBertConfig(**MODERNBERT, **kw), 141 + off, b, seq, pad, outputs,
             auto, base=base)
    biased = dict(MODERNBERT, norm_bias=True, attention_bias=True, mlp_bias=True, classifier_bias=True,
                  decoder_bias=False, hidden_activation="silu", classifier_activation="tanh")
    make(out, "modernbert_bias_masked_lm", T.ModernBertForMaskedLM, T.ModernBertConfig(**biased), 151, 3, seq, "left",
         ["logits"], "AutoModelForMaskedLM")


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models", "encoders"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    modernbert_cases(a.out)


if __name__ == "__main__":
    main()
