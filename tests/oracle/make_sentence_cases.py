#!/usr/bin/env python3
"""Oracle for the sentence-transformers pipeline that `transformers-cli embed` reads from a model folder
(issue #23): SentenceTransformer.encode of sentence-transformers 3.4.1 on transformers 4.51.3.

    /work/venv/bin/python tests/oracle/make_sentence_cases.py [--out tests/data/sentence]

Each case folder is what SentenceTransformer.save writes (modules.json, sentence_bert_config.json,
config_sentence_transformers.json with prompts, 1_Pooling/config.json, 2_Dense/, Normalize) around a
tiny random BERT, DistilBERT or MPNet (hidden 32, 1 layer, 4 heads, weights std 0.25) and a 99-token cased WordPiece
tokenizer, plus expected.json: for each call (no prompt or the default_prompt_name, prompt_name, an explicit prompt) the
sentences and SentenceTransformer.encode's float32 embeddings. The sentences are longer than
max_seq_length in places (truncation), carry surrounding spaces (encode strips them) and capitals
(do_lower_case).
"""
import argparse
import json
import os
import shutil
import string
import sys

import numpy as np
import sentence_transformers
import torch
import transformers
from sentence_transformers import SentenceTransformer, models

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models_parity import redraw  # noqa: E402

assert transformers.__version__ == "4.51.3", transformers.__version__
assert sentence_transformers.__version__ == "3.4.1", sentence_transformers.__version__
torch.set_grad_enabled(False)

SENTENCES = ["  A cat sat on the mat. ", "dogs bark", "The Quick brown fox jumps over the lazy dog again and again",
             "query", "Zebra!"]
PROMPTS = {"query": "query: ", "passage": "Passage: "}


def vocab():
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = ["the", "cat", "dog", "on", "mat", "fox", "query", "passage", "quick", "brown", "over"]
    letters = list(string.ascii_lowercase) + list(string.ascii_uppercase[:10])
    pieces = ["##" + c for c in string.ascii_lowercase]
    punct = [".", "!", ":", ",", "?"]
    v = special + words + letters + pieces + punct
    assert len(v) <= 99, len(v)
    return v + [f"[unused{i}]" for i in range(99 - len(v))]


def base_model(d, seed, arch):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab()) + "\n")
    if arch == "mpnet":  # as all-mpnet-base-v2: <s> ... </s> around WordPiece, <pad> at id 1 (MPNet's padding_idx)
        with open(os.path.join(d, "vocab.txt"), "w") as f:
            f.write("\n".join(["<s>", "<pad>", "</s>", "<unk>", "[UNK]", "<mask>"] + vocab()[5:98]) + "\n")
        tok = transformers.MPNetTokenizerFast(os.path.join(d, "vocab.txt"), do_lower_case=True)
        cfg = transformers.MPNetConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                       intermediate_size=20, max_position_embeddings=24)
        model_cls = transformers.MPNetModel
    elif arch == "distilbert":  # its tokenizer's model_input_names have no token_type_ids
        tok = transformers.DistilBertTokenizerFast(os.path.join(d, "vocab.txt"), do_lower_case=False)
        cfg = transformers.DistilBertConfig(vocab_size=99, dim=32, n_layers=1, n_heads=4, hidden_dim=20,
                                            max_position_embeddings=16)
        model_cls = transformers.DistilBertModel
    else:
        tok = transformers.BertTokenizerFast(os.path.join(d, "vocab.txt"), do_lower_case=False)
        cfg = transformers.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                                      intermediate_size=20, max_position_embeddings=16)
        model_cls = transformers.BertModel
    torch.manual_seed(seed)
    m = model_cls(cfg).eval()
    redraw(m, seed)
    m.save_pretrained(d)
    tok.save_pretrained(d)


def make(out, name, seed, max_seq_length, do_lower_case, pooling, dense, normalize, arch="bert",
         default_prompt_name=None):
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    tmp = d + "_hf"
    base_model(tmp, seed, arch)
    word = models.Transformer(tmp, max_seq_length=max_seq_length, do_lower_case=do_lower_case,
                              model_args={"attn_implementation": "eager"})
    mods = [word, models.Pooling(32, **pooling)]
    if dense:
        torch.manual_seed(seed + 1)
        layer = models.Dense(mods[-1].get_sentence_embedding_dimension(), 12, **dense)
        for p in layer.parameters():
            p.copy_(0.3 * torch.randn(p.shape))
        mods.append(layer)
    if normalize:
        mods.append(models.Normalize())
    st = SentenceTransformer(modules=mods, prompts=PROMPTS, default_prompt_name=default_prompt_name, device="cpu")
    st.save(d)
    shutil.rmtree(tmp)
    os.remove(os.path.join(d, "README.md"))  # the generated model card: not read, not needed
    st = SentenceTransformer(d, device="cpu")  # what a user loads
    calls = []
    for kw in [{}, {"prompt_name": "query" if default_prompt_name is None else "passage"}, {"prompt": "Passage: "}]:
        emb = st.encode(SENTENCES, batch_size=2, convert_to_numpy=True, **kw)
        calls.append({**kw, "sentences": SENTENCES, "embeddings": emb.astype(np.float64).tolist()})
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"sentence_transformers": sentence_transformers.__version__, "calls": calls}, f)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "sentence"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    make(a.out, "mean_dense_tanh_normalize_lower", 201, 10, True, {"pooling_mode": "mean"},
         {"activation_function": torch.nn.Tanh()}, True)
    make(a.out, "cls_max_sqrt_len", 202, 12, False,
         {"pooling_mode_cls_token": True, "pooling_mode_max_tokens": True, "pooling_mode_mean_tokens": False,
          "pooling_mode_mean_sqrt_len_tokens": True}, None, False)
    make(a.out, "weightedmean_lasttoken_no_prompt", 203, 9, False,
         {"pooling_mode_weightedmean_tokens": True, "pooling_mode_lasttoken": True, "pooling_mode_mean_tokens": False,
          "include_prompt": False}, {"activation_function": torch.nn.Identity(), "bias": False}, True)
    make(a.out, "distilbert_mean_default_prompt", 204, 12, False, {"pooling_mode": "mean"}, None, True,
         arch="distilbert", default_prompt_name="query")
    # all-mpnet-base-v2's pipeline (MPNet, mean pooling, Normalize) with 20 tokens, so the relative
    # position bias reaches its logarithmic buckets.
    make(a.out, "mpnet_mean_normalize", 205, 20, False, {"pooling_mode": "mean"}, None, True, arch="mpnet")


if __name__ == "__main__":
    main()
