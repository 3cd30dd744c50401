"""The SentencePiece-style tokenizer metadata of our GGUF writer (tokenizer.ggml.model "llama", from a
tokenizer.json BPE with byte fallback: add_gguf_tokenizer / `transformers-cli convert --format gguf`)
held to gguf-py and transformers 4.51.3.

The tokenizer: the shared fixture llama2_bytefallback (900 tokens, <0xXX> byte tokens, a <s>
template, Llama 2's Prepend/Replace normalizer). The folder converted: that tokenizer.json and
tokenizer_config.json beside a tiny random LlamaForCausalLM of vocab_size 904 (4 ids without a
token, padded as llama.cpp pads).

1. The reference metadata, written by gguf-py's GGUFWriter from the facts of llama.cpp's
   _set_vocab_llama_hf (gguf-py's LlamaHfVocab: the model vocabulary in id order, then added
   tokens above it; <0xXX> BYTE, the tokenizer_config's special tokens CONTROL, other added tokens
   USER_DEFINED, the rest NORMAL; pre "default") followed by gguf-py's own
   SpecialVocab(folder, load_merges=False, n_vocab).add_to_gguf; padding "[PAD{i}]" UNUSED score
   -1000 as its SentencePiece path pads. Scores: the BPE's merge order (-(k + 1) for the token merge
   k makes, 0 for BYTE / CONTROL, below every merge in id order for the rest), where LlamaHfVocab
   writes -1000 for all (see 4 for why). -> tests/data/tokenizers/gguf_write_spm/tokenizer_only.gguf
   (general.architecture + those keys: the C++ test's byte golden).
2. Our CLI converts the folder (f32); every tokenizer.* key of our file equals the reference's
   (GGUFReader, value for value and type for type).
3. transformers 4.51.3: AutoTokenizer.from_pretrained(folder, gguf_file=ours) encodes the corpus
   (the fixture's 35 strings and a few more) to the ids of the original tokenizer.json (tokenizers'
   Tokenizer, special tokens added) and decodes them to the same text (with skip_special_tokens the
   original also drops the <0xXX> tokens it marks special, which a GGUF types BYTE: recorded);
   AutoModelForCausalLM.from_pretrained(folder, gguf_file=ours) gives the float model's logits.
4. For the record: the same file with LlamaHfVocab's -1000 scores, read by 4.51 -> how many corpus
   strings then differ (recorded, not asserted).
-> tests/data/tokenizers/gguf_write_spm/expected.json (the report the C++ test asserts).

Run: /work/venv/bin/python tests/oracle/make_gguf_tokenizer_spm.py [--cli build/transformers-cli]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import gguf
import numpy as np
import torch
from gguf import GGUFReader
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

from make_gguf_common import finish

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "tokenizers", "gguf_write_spm")
FIX = "/work/shared/fixtures/hf/tokenizers/llama2_bytefallback"
VOCAB_SIZE = 904
EXTRA = ["Hello, how are you today?", "The capital of France is Paris.", "  multiple   spaces   here  ",
         "über naïve façade", "1+1=2, 2*3=6", "end with newline\n", "def f(x):\n    return x ** 2\n"]
TT = {"NORMAL": 1, "CONTROL": 3, "USER_DEFINED": 4, "UNUSED": 5, "BYTE": 6}


def llama_vocab(tok_json, tc, score_rule=True):
    """(tokens, scores, types) as the writer's rules make them."""
    model = tok_json["model"]
    vocab = model["vocab"]
    by_id = {i: t for t, i in vocab.items()}
    n_base = len(vocab)
    ids = dict(vocab)
    added = {}
    for a in tok_json.get("added_tokens", []):
        ids[a["content"]] = a["id"]
        if a["id"] >= n_base:
            added[a["id"]] = a["content"]
    special = set()
    for k in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"):
        e = tc.get(k)
        c = e.get("content") if isinstance(e, dict) else e
        if isinstance(c, str) and c in ids:
            special.add(ids[c])
    rank = {}
    for k, m in enumerate(model["merges"]):
        made = "".join(m) if isinstance(m, list) else m.replace(" ", "", 1)
        rank.setdefault(made, k)
    n_merges = len(model["merges"])
    tokens, scores, types = [], [], []

    def push(i, t, base):
        if base and re.fullmatch(r"<0x[0-9A-Fa-f]{2}>", t):
            typ = TT["BYTE"]
        elif i in special:
            typ = TT["CONTROL"]
        else:
            typ = TT["NORMAL"] if base else TT["USER_DEFINED"]
        if not score_rule:
            s = -1000.0
        elif typ in (TT["NORMAL"], TT["USER_DEFINED"]):
            s = -float(rank[t] + 1) if t in rank else -float(n_merges + 1 + i)
        else:
            s = 0.0
        tokens.append(t), scores.append(s), types.append(typ)

    for i in range(n_base):
        push(i, by_id[i], True)
    for i in sorted(added):
        push(i, added[i], False)
    for i in range(len(tokens), VOCAB_SIZE):
        tokens.append(f"[PAD{i}]"), scores.append(-1000.0), types.append(TT["UNUSED"])
    return tokens, scores, types


def add_reference(w, folder, score_rule=True):
    tok_json = json.load(open(os.path.join(folder, "tokenizer.json")))
    tc = json.load(open(os.path.join(folder, "tokenizer_config.json")))
    tokens, scores, types = llama_vocab(tok_json, tc, score_rule)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    gguf.SpecialVocab(folder, load_merges=False, n_vocab=len(tokens)).add_to_gguf(w)


def fields_equal(a, b):
    fa = {k: v for k, v in a.fields.items() if k.startswith("tokenizer.")}
    fb = {k: v for k, v in b.fields.items() if k.startswith("tokenizer.")}
    return list(fa) == list(fb) and all(
        fa[k].types == fb[k].types and len(fa[k].data) == len(fb[k].data) and
        all(np.array_equal(fa[k].parts[i], fb[k].parts[j]) for i, j in zip(fa[k].data, fb[k].data)) for k in fb)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "..", "build", "transformers-cli"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    ref_path = os.path.join(OUT, "tokenizer_only.gguf")
    w = gguf.GGUFWriter(ref_path, "llama")
    add_reference(w, FIX)
    finish(w)
    corpus = [c["text"] for c in json.load(open(os.path.join(FIX, "expected.json")))["cases"]] + EXTRA
    original = Tokenizer.from_file(os.path.join(FIX, "tokenizer.json"))
    ok = True
    report = {"vocab_size": VOCAB_SIZE, "corpus": corpus, "ids": [], "decoded": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "model")
        torch.manual_seed(0)
        model = LlamaForCausalLM(LlamaConfig(vocab_size=VOCAB_SIZE, hidden_size=32, intermediate_size=37,
                                             num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                             max_position_embeddings=64, bos_token_id=1, eos_token_id=2,
                                             pad_token_id=0)).eval()
        model.save_pretrained(folder)
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(FIX, f), folder)
        ours_path = os.path.join(tmp, "ours.gguf")
        subprocess.run([args.cli, "convert", "--model", folder, "--output", ours_path, "--format", "gguf",
                        "--quant", "f32"], check=True)
        same_keys = fields_equal(GGUFReader(ours_path), GGUFReader(ref_path))
        print("our tokenizer.* keys equal the reference's:", same_keys)
        ok &= same_keys
        tok = AutoTokenizer.from_pretrained(tmp, gguf_file="ours.gguf")
        equal = skip_same = 0
        for text in corpus:
            want = original.encode(text).ids
            got = tok(text)["input_ids"]
            dec_want = original.decode(want, skip_special_tokens=False)
            dec_got = tok.decode(got, skip_special_tokens=False)
            if got == want and dec_got == dec_want:
                equal += 1
            else:
                print(f"differs: {text!r}: ids {got} vs {want}; decode {dec_got!r} vs {dec_want!r}")
            # tokenizer.json marks the <0xXX> byte tokens special, a GGUF cannot (they are BYTE): with
            # skip_special_tokens the original drops them, 4.51's GGUF tokenizer keeps them
            skip_same += original.decode(want, skip_special_tokens=True) == tok.decode(got, skip_special_tokens=True)
            report["ids"].append(want)
            report["decoded"].append(dec_want)
        report["cases"] = len(corpus)
        report["equal_451_gguf_vs_original"] = equal
        report["decode_skip_special_equal"] = skip_same
        ok &= equal == len(corpus)
        ids = torch.tensor([[1, 100, 300, 500, 899, 7]])
        m = AutoModelForCausalLM.from_pretrained(tmp, gguf_file="ours.gguf").eval()
        with torch.no_grad():
            diff = float((m(ids).logits - model(ids).logits).abs().max())
        report["max_abs_logit_diff_451_gguf_vs_folder"] = diff
        ok &= diff <= 1e-5
        # the converter's -1000 scores, for the record
        minus = os.path.join(tmp, "minus1000.gguf")
        w = gguf.GGUFWriter(minus, "llama")
        w.add_name("model")
        w.add_uint32("llama.vocab_size", VOCAB_SIZE)
        add_reference(w, folder, score_rule=False)
        finish(w)
        tok_m = AutoTokenizer.from_pretrained(tmp, gguf_file="minus1000.gguf")
        report["equal_with_llama_hf_vocab_minus1000_scores"] = sum(
            tok_m(t)["input_ids"] == original.encode(t).ids for t in corpus)
    print(f"{report['equal_451_gguf_vs_original']}/{len(corpus)} strings equal; with -1000 scores "
          f"{report['equal_with_llama_hf_vocab_minus1000_scores']}; logit diff {diff:.3g}")
    if not ok:
        sys.exit("a check failed: goldens not written")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
