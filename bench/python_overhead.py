#!/usr/bin/env python3
"""The Python binding's cost (issue 28): the same work timed through transformers_cpp and through the
C++ API (`transformers-cli bench --json`, which calls the library directly), same model, threads
and shapes; the best of --reps timed repetitions after a warm-up on each side.

  encoder forward: a tiny BERT (the shared fixture) on batch x prompt-len ids: model(input_ids=...)
                   against the CLI's encoder forward_ms; the difference is the per-call overhead
                   (argument conversion, GIL release, output objects).
  causal decode:   a GPT-2 small sized model (random weights from AutoConfig.for_model("gpt2"),
                   saved once to a temporary folder): model.generate(max_new_tokens=G) against the
                   CLI's prefill + G decode steps.

  OMP_NUM_THREADS=2 python bench/python_overhead.py --cli build/transformers-cli
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np

import transformers_cpp as tc

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "shared", "fixtures", "hf", "models")


def cli_bench(cli, model, args, extra):
    cmd = [cli, "bench", "--model", model, "--json", "--threads", str(args.threads), "--reps", str(extra.pop("reps"))]
    for k, v in extra.items():
        cmd += [f"--{k}", str(v)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def best_ms(fn, reps):
    fn()  # warm-up
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "build", "transformers-cli"))
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--gen-len", type=int, default=32)
    ap.add_argument("--skip-decode", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    report = {}

    # ---- per-call overhead: a tiny encoder's forward ----
    bert = os.path.join(FIXTURES, "bert", "model")
    cpp = cli_bench(args.cli, bert, args, {"reps": args.reps, "batch": 1, "prompt-len": args.prompt_len, "gen-len": 0,
                                           "model-class": "BertModel"})  # the class AutoModel builds
    model = tc.AutoModel.from_pretrained(bert)
    ids = np.random.default_rng(0).integers(0, 99, size=(1, args.prompt_len), dtype=np.int64)
    py = best_ms(lambda: model(input_ids=ids), args.reps)
    report["tiny_forward"] = {"cpp_ms": cpp["forward_ms"], "python_ms": py,
                              "overhead_pct": 100 * (py - cpp["forward_ms"]) / cpp["forward_ms"]}

    # ---- GPT-2 small decode ----
    if not args.skip_decode:
        with tempfile.TemporaryDirectory() as folder:
            tc.set_seed(0)
            tc.AutoModelForCausalLM.from_config(tc.AutoConfig.for_model("gpt2")).save_pretrained(folder)
            cpp = cli_bench(args.cli, folder, args, {"reps": 3, "batch": 1, "prompt-len": args.prompt_len,
                                                     "gen-len": args.gen_len})
            model = tc.AutoModelForCausalLM.from_pretrained(folder)
            ids = np.random.default_rng(0).integers(0, 50257, size=(1, args.prompt_len), dtype=np.int64)
            py = best_ms(lambda: model.generate(ids, max_new_tokens=args.gen_len, min_new_tokens=args.gen_len,
                                                do_sample=False, pad_token_id=0), 3)
            cpp_ms = args.prompt_len / cpp["prefill_tokens_per_s"] * 1e3 + args.gen_len * cpp["decode_ms_per_token"]
            report["gpt2_small_generate"] = {"cpp_prefill_plus_decode_ms": cpp_ms, "python_generate_ms": py,
                                             "overhead_pct": 100 * (py - cpp_ms) / cpp_ms}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
