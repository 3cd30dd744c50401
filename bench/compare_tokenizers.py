#!/usr/bin/env python3
"""Python `tokenizers` on the same ~1 MB of mixed text as bench/bench_tokenizers.cpp, one thread.

Usage: RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false python bench/compare_tokenizers.py
Reports, per fixture tokenizer, wall and CPU seconds for encoding every line with
`Tokenizer.encode` (the C++ benchmark does the same) and with `encode_batch` (one Rayon thread).
"""
import json
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "hf", "tokenizers")


def text_1mb():
    with open(os.path.join(ROOT, "tests", "data", "tokenizers", "corpus.jsonl"), encoding="utf-8") as f:
        base = [json.loads(l) for l in f]
    out, total, i = [], 0, 0
    while total < (1 << 20):
        out.append(base[i % len(base)])
        total += len(out[-1].encode("utf-8"))
        i += 1
    return out, total


def best_of(fn, reps):
    best_wall, best_cpu = 1e9, 1e9
    for _ in range(reps):
        w, c = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu


def main():
    lines, nbytes = text_1mb()
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print("tokenizers %s, %d lines, %.3f MB" % (tokenizers.__version__, len(lines), nbytes / 1e6))
    for name in ["gpt2_bpe", "bert_wordpiece", "unigram_metaspace", "llama2_bytefallback", "llama3_regex_bpe"]:
        tok = Tokenizer.from_file(os.path.join(FIX, name, "tokenizer.json"))
        n = sum(len(tok.encode(l).ids) for l in lines)  # warm-up (fills the BPE cache as C++ does)
        w1, c1 = best_of(lambda: [tok.encode(l) for l in lines], reps)
        w2, c2 = best_of(lambda: tok.encode_batch(lines), reps)
        print("%-22s tokens=%d  encode: wall %.3fs cpu %.3fs (%.2f MB/s cpu)  encode_batch: wall %.3fs cpu %.3fs (%.2f MB/s cpu)"
              % (name, n, w1, c1, nbytes / 1e6 / c1, w2, c2, nbytes / 1e6 / c2))


if __name__ == "__main__":
    main()
