#!/usr/bin/env python3
"""GGUF files of bench/models/gpt2 for llama.cpp's `llama-server` (bench/serve_load.py --server llama;
never on CI's path), made by llama.cpp's own converter so the weights are the ones `serve` loads.

scripts/make_bench_models writes GPT-2 small's random weights without a tokenizer, and llama.cpp's
convert_hf_to_gguf.py needs one with the model's vocabulary size (50257). This script stages a folder
beside the model (symlinked model.safetensors; config.json plus `n_ctx`, which the converter reads and
the Hugging Face checkpoints of GPT-2 carry) with a GPT-2-style byte-level BPE tokenizer of exactly
that size: the 256 byte symbols, then every two- and then three-symbol string of printable ASCII and
space ("Ġ") in order, each reached by one merge, then `<|endoftext|>` as id vocab_size - 1 (GPT-2's
eos / bos). Nearly every id therefore decodes to whole ASCII text, so llama-server streams one text
chunk per token, as `serve` does with its word-level bench tokenizer. The converter recognises a
tokenizer's pre-tokenizer by hashing its encoding of a fixed text against known models; this
synthetic vocabulary has no entry there, so the converter's detection is answered with "gpt-2" (the
pre-tokenizer it has: GPT-2's ByteLevel split). The prompts of the load test are sent as token ids,
so the tokenizer matters only to detokenize llama-server's output.

  /work/venv/bin/python bench/make_gpt2_gguf.py --llama-cpp /tmp/llama.cpp --model bench/models/gpt2 \\
      --out /tmp/gpt2-gguf [--outtype f32,f16]
"""
import argparse
import json
import os
import runpy
import sys


def byte_symbols():
    """GPT-2's byte-level alphabet: byte b -> its printable stand-in character (printable Latin-1 bytes
    stand for themselves, the others take code points from 256 up, in byte order)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return out


def write_tokenizer(vocab_size, out_dir):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    sym = byte_symbols()
    vocab = {sym[b]: b for b in range(256)}
    merges = []
    base = [sym[b] for b in range(0x21, 0x7F)] + [sym[0x20]]
    wanted = vocab_size - 1  # the last id is <|endoftext|>
    prefixes = base
    while len(vocab) < wanted:
        longer = []
        for p in prefixes:
            for c in base:
                if len(vocab) == wanted:
                    break
                vocab[p + c] = len(vocab)
                merges.append((p, c))
                longer.append(p + c)
        prefixes = longer
    eos = "<|endoftext|>"
    vocab[eos] = vocab_size - 1
    tok = Tokenizer(models.BPE(vocab, merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=eos, bos_token=eos, unk_token=eos).save_pretrained(out_dir)


def stage(model, out):
    """The converter's input folder: the model's weights (symlinked), config with n_ctx, tokenizer."""
    src = os.path.join(out, "hf")
    os.makedirs(src, exist_ok=True)
    config = json.load(open(os.path.join(model, "config.json")))
    config.setdefault("n_ctx", config["n_positions"])
    json.dump(config, open(os.path.join(src, "config.json"), "w"), indent=2)
    link = os.path.join(src, "model.safetensors")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(os.path.join(model, "model.safetensors")), link)
    write_tokenizer(config["vocab_size"], src)
    return src


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llama-cpp", default="/tmp/llama.cpp", help="llama.cpp source tree")
    ap.add_argument("--model", default="bench/models/gpt2")
    ap.add_argument("--out", default="/tmp/gpt2-gguf")
    ap.add_argument("--outtype", default="f32,f16")
    a = ap.parse_args()
    src = stage(a.model, a.out)
    sys.path[:0] = [a.llama_cpp, os.path.join(a.llama_cpp, "gguf-py")]
    import conversion.base  # llama.cpp's converter package (the script imports it the same way)

    conversion.base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "gpt-2"
    script = os.path.join(a.llama_cpp, "convert_hf_to_gguf.py")
    for t in a.outtype.split(","):
        dst = os.path.join(a.out, f"gpt2-{t}.gguf")
        sys.argv = [script, src, "--outtype", t, "--outfile", dst]
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as e:
            if e.code:
                raise
        print(dst)


if __name__ == "__main__":
    main()
