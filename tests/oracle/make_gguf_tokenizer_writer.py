"""The tokenizer.* metadata of the GGUF files we write (add_gguf_tokenizer, `transformers-cli convert
--format gguf`) held to llama.cpp's converter, gguf-py and transformers 4.51.3.

A checkpoint folder: the shared fixture llama3_regex_bpe's byte-level BPE tokenizer.json (1100
tokens, Llama 3's split regex + ByteLevel), a tokenizer_config.json naming bos/eos/pad and a chat
template, and a tiny random LlamaForCausalLM whose vocab_size (1104) leaves 4 ids without a token.
Our CLI converts it (f32). The reference file: gguf-py's GGUFWriter with the hyperparameters and
tensors as make_gguf_writer.py writes them, and the tokenizer as llama.cpp's convert_hf_to_gguf.py
writes a "gpt2" vocabulary (facts of its get_vocab_base / get_vocab_base_pre: every id below
vocab_size, "[PAD{i}]" UNUSED where there is no token, added tokens CONTROL when special or looking
special else USER_DEFINED, the rest NORMAL; the pre-tokenizer named by the sha256 of str(ids) of its
check text, "default" for a hash it does not know, where it would refuse) followed by gguf-py's own
SpecialVocab(folder, load_merges=True).add_to_gguf. Our file must equal it byte for byte; gguf-py's
GGUFReader reads every tokenizer key back; 4.51's AutoTokenizer with gguf_file= on our file gives
the ids and decodes recorded for the C++ test (which builds gguf_tokenizer from our metadata), and
4.51's AutoModelForCausalLM with gguf_file= gives the folder model's logits.

Writes under tests/data/tokenizers/gguf_write/: the folder's tokenizer.json, tokenizer_config.json,
config.json (the C++ test converts the tokenizer from it), tokenizer_only.gguf (gguf-py's file with
general.architecture and the reference tokenizer keys only: the C++ test's byte golden) and
expected.json.

Run: /work/venv/bin/python tests/oracle/make_gguf_tokenizer_writer.py [--cli build/transformers-cli]
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import gguf
import numpy as np
import torch
from gguf import GGUFReader
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

from make_gguf_common import finish
from make_gguf_writer import T, reference_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "tokenizers", "gguf_write")
FIX = "/work/shared/fixtures/hf/tokenizers/llama3_regex_bpe"
VOCAB_SIZE = 1104
CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
                 "{{ m['content'] }}<|eot_id|>{% endfor %}")
# llama.cpp's check text (convert_hf_to_gguf.py get_vocab_base_pre) and a few of the names it gives
CHKTXT = ('\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 '
          '3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ '
          '------======= нещо на Български \'\'\'\'\'\'```````\"\"\"\"......!!!!!!?????? I\'ve been \'told he\'s there, '
          '\'RE you sure? \'M not sure I\'ll make it, \'D you like some tea? We\'Ve a\'lL')
KNOWN_PRE = {"0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",
             "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm"}
CORPUS = ["Hello world", "  two leading spaces", "tabs\tand\nnewlines\n\nend", "Ünïcödé àccents café 日本語",
          "emoji 🤗🚀 test", "don't you're I'll", "numbers 1234567 3.14159", "<|begin_of_text|>hi<|eot_id|>", ""]
TOKEN_TYPE = {"NORMAL": 1, "CONTROL": 3, "USER_DEFINED": 4, "UNUSED": 5}


def looks_special(t):
    return (t in ("<pad>", "<mask>", "<2mass>", "[@BOS@]") or (t.startswith("<|") and t.endswith("|>"))
            or (t.startswith("<\uff5c") and t.endswith("\uff5c>")) or (t.startswith("<unused") and t.endswith(">")))


def reference_tokenizer(w, folder, vocab_size):
    """The tokenizer keys llama.cpp's _set_vocab_gpt2 writes (see the module docstring)."""
    tok = AutoTokenizer.from_pretrained(folder)
    chkhsh = hashlib.sha256(str(tok.encode(CHKTXT)).encode()).hexdigest()
    by_id = {i: t for t, i in tok.vocab.items()}
    added = tok.get_added_vocab()
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in by_id:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            continue
        t = by_id[i]
        if t not in added:
            types.append(gguf.TokenType.NORMAL)
        elif tok.added_tokens_decoder[i].special or looks_special(t):
            types.append(gguf.TokenType.CONTROL)
        else:
            t = t.replace("\u2581", " ")
            types.append(gguf.TokenType.USER_DEFINED)
        tokens.append(t)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(KNOWN_PRE.get(chkhsh, "default"))
    w.add_token_list(tokens)
    w.add_token_types(types)
    gguf.SpecialVocab(folder, load_merges=True).add_to_gguf(w)
    return chkhsh, types


def make_folder(folder):
    shutil.copy(os.path.join(FIX, "tokenizer.json"), folder)
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "pad_token": "<|eot_id|>",
                   "chat_template": CHAT_TEMPLATE, "tokenizer_class": "PreTrainedTokenizerFast"}, f, indent=1)
    torch.manual_seed(21)
    cfg = LlamaConfig(vocab_size=VOCAB_SIZE, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                      bos_token_id=0, eos_token_id=1, tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg).eval()
    model.save_pretrained(folder)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "..", "build", "transformers-cli"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "tiny_llama3_tok")
        os.makedirs(folder)
        model = make_folder(folder)
        ours_path = os.path.join(tmp, "ours.gguf")
        run = subprocess.run([args.cli, "convert", "--model", folder, "--output", ours_path, "--format", "gguf",
                              "--quant", "f32"], capture_output=True, text=True)
        print(run.stderr, end="")
        run.check_returncode()
        ours = GGUFReader(ours_path)
        cfg = model.config.to_dict()
        cfg["head_dim"] = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
        ref_path = os.path.join(tmp, "ref.gguf")
        hashes = {}
        reference_file(ref_path, ours, {k: v.detach() for k, v in model.state_dict().items()}, cfg, T.F32,
                       metadata=lambda w: hashes.setdefault("chk", reference_tokenizer(w, folder, VOCAB_SIZE)))
        chkhsh, types = hashes["chk"]
        same = open(ours_path, "rb").read() == open(ref_path, "rb").read()
        ok &= same
        # gguf-py reads every tokenizer key of ours back, equal to the reference's
        ref = GGUFReader(ref_path)
        tok_keys = [k for k in ours.fields if k.startswith("tokenizer.")]
        keys_equal = tok_keys == [k for k in ref.fields if k.startswith("tokenizer.")] and all(
            ours.fields[k].types == ref.fields[k].types and
            all(np.array_equal(ours.fields[k].parts[i], ref.fields[k].parts[i]) for i in ours.fields[k].data)
            for k in tok_keys)
        ok &= keys_equal
        print(f"bytes equal to the reference: {same}; tokenizer keys read back equal: {keys_equal}: {tok_keys}")
        # 4.51 reads our file: tokenizer and model
        tok = AutoTokenizer.from_pretrained(tmp, gguf_file="ours.gguf")
        cases = []
        for text in CORPUS:
            ids = tok.encode(text, add_special_tokens=True)
            ids_ns = tok.encode(text, add_special_tokens=False)
            cases.append({"text": text, "ids": ids, "ids_no_special": ids_ns,
                          "decode": tok.backend_tokenizer.decode(ids, skip_special_tokens=False),
                          "decode_skip_special": tok.backend_tokenizer.decode(ids, skip_special_tokens=True)})
        # the folder's own tokenizer gives the same ids (what the GGUF carries is the tokenizer)
        folder_tok = AutoTokenizer.from_pretrained(folder)
        same_ids = all(folder_tok.encode(c["text"], add_special_tokens=False) == c["ids_no_special"] for c in cases)
        print(f"4.51 GGUF tokenizer ids equal the folder tokenizer's (no special tokens): {same_ids}")
        gmodel = AutoModelForCausalLM.from_pretrained(tmp, gguf_file="ours.gguf").eval()
        ids = torch.tensor([cases[0]["ids"] + cases[3]["ids_no_special"]])
        with torch.no_grad():
            diff = float((gmodel(ids).logits - model(ids).logits).abs().max())
        ok &= diff <= 1e-5
        print(f"4.51 logits of our GGUF vs the folder model: max |diff| {diff:.3g}")
        # the C++ test's byte golden: general.architecture + the reference tokenizer keys
        only = gguf.GGUFWriter(os.path.join(OUT, "tokenizer_only.gguf"), "llama")
        reference_tokenizer(only, folder, VOCAB_SIZE)
        finish(only)
        for name in ("tokenizer.json", "tokenizer_config.json", "config.json"):
            shutil.copy(os.path.join(folder, name), OUT)
        result = {"vocab_size": VOCAB_SIZE, "chkhsh": chkhsh, "pre": KNOWN_PRE.get(chkhsh, "default"),
                  "file_bytes_equal_reference": same, "tokenizer_keys": tok_keys,
                  "token_type_counts": {n: types.count(v) for n, v in TOKEN_TYPE.items()},
                  "bos_token": tok.bos_token, "eos_token": tok.eos_token, "chat_template": tok.chat_template,
                  "max_abs_logit_diff_451": diff, "cases": cases}
    if not ok:
        sys.exit("our GGUF differs from the reference: goldens not written")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
