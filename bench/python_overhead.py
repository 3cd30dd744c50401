#!/usr/bin/env python3
"""The Python binding's cost (issue 28): the same work timed through transformers_cpp and through the
C++ API, same model, threads and shapes, in alternating rounds (median and spread over rounds of the
best-of-reps figure of each side).

  tiny forward:  the shared tiny BERT fixture (AutoModel -> BertModel) on 1 x prompt-len ids.
                 Three figures per round:
                   cli     transformers-cli bench --json (the C++ API in its own process)
                   cpp     the same C++ forward looped inside this Python process (_core._forward_times)
                   python  model(input_ids=ids) from Python
                 python - cpp is the binding's own per-call cost (argument conversion, GIL release,
                 output object); cpp - cli is what running inside a Python process costs the engine.
  gpt2 decode:   a GPT-2 small sized model (random weights from AutoConfig.for_model("gpt2"), saved
                 once to a temporary folder): model.generate(max_new_tokens=G) against the CLI's
                 prefill + G decode steps.

  OMP_NUM_THREADS=2 python bench/python_overhead.py --cli build/transformers-cli
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np

import transformers_cpp as tc
from transformers_cpp import _core

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "shared", "fixtures", "hf", "models")


def cli_bench(cli, model, threads, reps, extra):
    cmd = [cli, "bench", "--model", model, "--json", "--threads", str(threads), "--reps", str(reps)]
    for k, v in extra.items():
        cmd += [f"--{k}", str(v)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def best_ms(fn, reps):
    fn()  # warm-up
    best = float("inf")
    pc = time.perf_counter
    for _ in range(reps):
        t = pc()
        fn()
        best = min(best, pc() - t)
    return best * 1e3


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "rounds": values}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "build", "transformers-cli"))
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--reps", type=int, default=2000, help="timed calls per side and round (tiny forward)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--gen-len", type=int, default=32)
    ap.add_argument("--decode-rounds", type=int, default=3)
    ap.add_argument("--skip-decode", action="store_true")
    args = ap.parse_args()
    report = {"load_average_start": os.getloadavg()}

    # ---- per-call cost: a tiny encoder's forward ----
    bert = os.path.join(FIXTURES, "bert", "model")
    model = tc.AutoModel.from_pretrained(bert)
    ids = np.random.default_rng(0).integers(0, 99, size=(1, args.prompt_len), dtype=np.int64)
    _core._forward_times(model._m, ids, 10)  # warm-up
    cli, cpp, py = [], [], []
    for _ in range(args.rounds):
        cli.append(cli_bench(args.cli, bert, args.threads, args.reps,
                             {"batch": 1, "prompt-len": args.prompt_len, "gen-len": 0,
                              "model-class": "BertModel"})["forward_ms"])  # the class AutoModel builds
        cpp.append(min(_core._forward_times(model._m, ids, args.reps)))
        py.append(best_ms(lambda: model(input_ids=ids), args.reps))
    report["tiny_forward_ms"] = {"cli": summary(cli), "cpp_in_process": summary(cpp), "python": summary(py)}
    binding = [100 * (p - c) / c for p, c in zip(py, cpp)]
    vs_cli = [100 * (p - c) / c for p, c in zip(py, cli)]
    report["tiny_forward_binding_overhead_pct"] = summary(binding)
    report["tiny_forward_vs_cli_pct"] = summary(vs_cli)

    # ---- GPT-2 small decode ----
    if not args.skip_decode:
        with tempfile.TemporaryDirectory() as folder:
            tc.set_seed(0)
            tc.AutoModelForCausalLM.from_config(tc.AutoConfig.for_model("gpt2")).save_pretrained(folder)
            model = tc.AutoModelForCausalLM.from_pretrained(folder)
            ids = np.random.default_rng(0).integers(0, 50257, size=(1, args.prompt_len), dtype=np.int64)
            cli, py = [], []
            for _ in range(args.decode_rounds):
                j = cli_bench(args.cli, folder, args.threads, 2, {"batch": 1, "prompt-len": args.prompt_len,
                                                                  "gen-len": args.gen_len})
                cli.append(args.prompt_len / j["prefill_tokens_per_s"] * 1e3 + args.gen_len * j["decode_ms_per_token"])
                py.append(best_ms(lambda: model.generate(ids, max_new_tokens=args.gen_len, min_new_tokens=args.gen_len,
                                                         do_sample=False, pad_token_id=0), 2))
            report["gpt2_small_generate_ms"] = {"cli_prefill_plus_decode": summary(cli), "python_generate": summary(py)}
            report["gpt2_small_generate_vs_cli_pct"] = summary([100 * (p - c) / c for p, c in zip(py, cli)])
    report["load_average_end"] = os.getloadavg()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
