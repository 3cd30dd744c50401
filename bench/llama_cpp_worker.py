"""llama.cpp's side of bench/quant_smollm2.py (issue 21 / 27; never on CI's path): one process, run
with the interpreter of a venv holding llama-cpp-python (built from source: `python3 -m venv
/work/venv-llama && /work/venv-llama/bin/pip install numpy llama-cpp-python`).

Loads the GGUF (the load is not timed), evaluates the same prompt ids as `transformers-cli bench`
(one llama_decode call of prompt-len tokens, n_batch = n_ubatch = prompt-len), then gen-len greedy
steps of one token each (argmax of the last logits; each step one llama_decode). Prefill tokens/s =
prompt-len / the prompt's time; decode tokens/s = gen-len / the steps' time. One warm-up run, then
the best of --reps, as our bench reports. Prints one JSON line.

  /work/venv-llama/bin/python bench/llama_cpp_worker.py --gguf F.gguf --threads 2 --prompt-len 64 --gen-len 32
"""
import argparse
import json
import time

import numpy as np
import llama_cpp
from llama_cpp import Llama


def bench_ids(length, vocab):
    # the ids of tools/cli/cmd_bench.cpp (multiplicative hash, never 0), batch row 0
    return [1 + (i * 2654435761 + 12345) % (vocab - 1) for i in range(length)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-len", type=int, default=64)
    ap.add_argument("--gen-len", type=int, default=32)
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    t0 = time.perf_counter()
    llm = Llama(model_path=a.gguf, n_ctx=a.prompt_len + a.gen_len + 8, n_batch=a.prompt_len, n_ubatch=a.prompt_len,
                n_threads=a.threads, n_threads_batch=a.threads, verbose=False)
    load_ms = (time.perf_counter() - t0) * 1e3
    n_vocab = llm.n_vocab()
    ids = bench_ids(a.prompt_len, n_vocab)
    prefill, decode = [], []
    for rep in range(a.reps + 1):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(ids)
        t1 = time.perf_counter()
        step_s = 0.0
        for _ in range(a.gen_len):
            # argmax of the last logits (llama-cpp-python keeps no copy without logits_all)
            tok = int(np.argmax(np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))))
            s0 = time.perf_counter()
            llm.eval([tok])
            step_s += time.perf_counter() - s0
        if rep:  # the first run warms up
            prefill.append(a.prompt_len / (t1 - t0))
            decode.append(a.gen_len / step_s)
    print(json.dumps({"engine": "llama.cpp", "llama_cpp_python": llama_cpp.__version__, "threads": a.threads,
                      "prompt_len": a.prompt_len, "gen_len": a.gen_len, "load_ms": load_ms,
                      "prefill_tokens_per_s": max(prefill), "decode_tokens_per_s": max(decode)}))


if __name__ == "__main__":
    main()
