"""llama.cpp loads the GGUF files our writer makes and agrees with our runtime on greedy tokens
(issue 21). Run with the interpreter of a venv holding llama-cpp-python (built from source):

  /work/venv-llama/bin/python tests/oracle/make_gguf_llama_cpp.py [--cli build/transformers-cli]

Source: the tiny random Llama of ../shared/fixtures/hf/models/llama/model (Hugging Face's weights)
with a byte-level BPE tokenizer.json written here (<pad> <s> </s> as added special tokens at ids
0-2, as the config names them, 95 single-byte tokens and one merge; llama.cpp needs
tokenizer.ggml.* metadata to load a file, the fixture has no tokenizer).

For each --quant of `transformers-cli convert --format gguf` (f16, bf16, q8_0, q4_0) the file is
written to tests/data/modeling/gguf/llama_cpp/tiny_llama_<quant>.gguf. llama.cpp (llama-cpp-python's
Llama, 1 thread, n_batch 64) evaluates each prompt (the fixture's input_ids rows and gen_prompt)
and takes NEW_TOKENS greedy steps (argmax of the last logits, end-of-sequence suppressed as
min_new_tokens suppresses it). Our CLI generates the same (`generate --input-ids ... --max-new-tokens
N --min-new-tokens N`), once as 4.51 loads (dequantized) and once with --keep-quantized.

Writes tests/data/modeling/gguf/llama_cpp/report.json: versions, per file its sha256 and per prompt
llama.cpp's tokens, the margin between its two best logits at each step, ours, and how many leading
tokens agree; tests/modeling/test_gguf_llama_cpp.cpp loads the same files and asserts its tokens
equal llama.cpp's up to there, and that a step where they part is a near tie for llama.cpp (top-2
margin < NEAR_TIE: llama.cpp multiplies f16 weights with f16-rounded activations and quantizes
activations to Q8 blocks for Q8_0 / Q4_0, so such a step may go either way). Exits 1 otherwise.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import llama_cpp
from llama_cpp import Llama

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
FIXTURE = os.path.join(ROOT, "..", "shared", "fixtures", "hf", "models", "llama", "model")
OUT = os.path.join(ROOT, "tests", "data", "modeling", "gguf", "llama_cpp")
QUANTS = ["f16", "bf16", "q8_0", "q4_0"]
NEW_TOKENS = 10
NEAR_TIE = 0.05  # logits of this random model reach ~5; llama.cpp rounds activations to f16 / q8 blocks
# the fixture's expected.safetensors input_ids rows and gen_prompt (README of the fixtures)
PROMPTS = [[18, 54, 9, 56, 47, 55, 27], [60, 82, 84, 90, 76, 61, 97], [18, 54, 9, 56, 47]]


def byte_alphabet():
    # GPT-2's bytes_to_unicode: printable bytes as themselves, the rest shifted past 255
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def tokenizer_json(vocab_size):
    alpha = byte_alphabet()
    specials = ["<pad>", "<s>", "</s>"]
    # single bytes: space, newline, then printable ASCII; the last id is two spaces, the one merge
    # (llama.cpp refuses a BPE vocabulary without tokenizer.ggml.merges)
    chars = [alpha[32], alpha[10]] + [alpha[b] for b in range(33, 127)]
    tokens = specials + chars[: vocab_size - len(specials) - 1] + [alpha[32] * 2]
    vocab = {t: i for i, t in enumerate(tokens)}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(specials)],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [[alpha[32], alpha[32]]]},
    }


def llama_cpp_greedy(path, prompt):
    # KV cache in float32 (type 0) as ours keeps it; llama.cpp's default F16 cache rounds K and V
    llm = Llama(model_path=path, n_ctx=64, n_batch=64, n_threads=1, n_threads_batch=1, type_k=0, type_v=0,
                verbose=False)
    eos = llm.token_eos()
    llm.eval(prompt)
    out, margins = [], []
    for _ in range(NEW_TOKENS):
        # the last position's logits (llama-cpp-python keeps no copy without logits_all)
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).copy()
        if eos >= 0:
            logits[eos] = -np.inf
        tok = int(np.argmax(logits))
        top2 = np.sort(logits)[-2:]
        out.append(tok)
        margins.append(float(top2[1] - top2[0]))
        llm.eval([tok])
    return out, margins, eos


def ours_greedy(cli, path, prompt, keep):
    cmd = [cli, "generate", "--model", path, "--input-ids", ",".join(map(str, prompt)), "--max-new-tokens",
           str(NEW_TOKENS), "--min-new-tokens", str(NEW_TOKENS), "--json"] + (["--keep-quantized"] if keep else [])
    seq = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)["sequences"][0]
    return seq[len(prompt):]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "transformers-cli"))
    args = ap.parse_args()
    with open(os.path.join(FIXTURE, "config.json")) as f:
        vocab_size = json.load(f)["vocab_size"]
    os.makedirs(OUT, exist_ok=True)
    report = {"llama_cpp_python": llama_cpp.__version__, "source": "shared/fixtures/hf/models/llama/model",
              "new_tokens": NEW_TOKENS, "prompts": PROMPTS, "files": {}}
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "tiny_llama")  # general.name comes from the folder's name: fixed
        os.makedirs(src)
        for f in ("config.json", "generation_config.json", "model.safetensors"):
            os.symlink(os.path.abspath(os.path.join(FIXTURE, f)), os.path.join(src, f))
        with open(os.path.join(src, "tokenizer.json"), "w") as f:
            json.dump(tokenizer_json(vocab_size), f)
        for quant in QUANTS:
            path = os.path.join(OUT, f"tiny_llama_{quant}.gguf")
            subprocess.run([args.cli, "convert", "--model", src, "--format", "gguf", "--quant", quant, "--output", path],
                           check=True, capture_output=True, text=True)
            with open(path, "rb") as f:
                entry = {"sha256": hashlib.sha256(f.read()).hexdigest(), "results": []}
            for prompt in PROMPTS:
                theirs, margins, eos = llama_cpp_greedy(path, prompt)
                res = {"prompt": prompt, "llama_cpp": theirs, "llama_cpp_top2_margins": margins}
                for name, keep in (("dequantized", False), ("keep_quantized", True)):
                    ours = ours_greedy(args.cli, path, prompt, keep)
                    res["ours_" + name] = ours
                    # first step where the tokens differ (NEW_TOKENS when none): a step where
                    # llama.cpp's two best logits are within NEAR_TIE of each other may go either way
                    first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), NEW_TOKENS)
                    res["agree_" + name] = first
                    ok = first == NEW_TOKENS or margins[first] < NEAR_TIE
                    bad += not ok
                    print(f"{quant} {prompt} ours {name}: " + ("equal" if first == NEW_TOKENS else
                          f"first {first} equal, then llama.cpp's top-2 margin {margins[first]:.4f}") +
                          f" (llama.cpp {theirs}, ours {ours})")
                entry["results"].append(res)
            entry["eos"] = eos
            report["files"][quant] = entry
    with open(os.path.join(OUT, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(f"{bad} sequences differ other than at a near tie")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
