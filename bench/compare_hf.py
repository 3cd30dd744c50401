#!/usr/bin/env python3
"""Side-by-side benchmark: transformers.cpp (`transformers-cli bench --json`) against Hugging Face
transformers (PyTorch, CPU) on the same model folders, same thread count and same settings, in one
run, together with the machine's limits measured in the same run.

Each Hugging Face configuration (attn eager / sdpa x float32 / bfloat16) runs in its own Python
process, so load time and peak RSS are its own. Both sides time the same thing:
  causal LM: prefill of batch x prompt-len ids into an empty KV cache (last logits only where the
             model supports logits_to_keep), then gen-len greedy steps of one token per row;
  encoder:   forward of batch x prompt-len ids.
The best of --reps timed repetitions after one warm-up is reported; with --rounds N both sides run N
times, alternating, and the median round is reported with the spread (min-max) of the rounds.

Limits: triad bandwidth, float32 FMA peak and float32 GEMM (2048^3) measured by `bench --peaks`
(ours) and by torch (triad with torch ops, torch.mm); the larger of each pair is the limit.
  decode limit  = bandwidth / bytes of weights per token (all weights are read once per step)
  prefill limit = GEMM peak / FLOPs per token (2 x matmul parameters + attention)

The "vs" columns are always "how many times better ours is": HF/ours for times and memory,
ours/HF for tokens/s (above 1: ours is ahead).

  /work/venv/bin/python bench/compare_hf.py --threads 2 --models gpt2 bert-base
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def bench_ids(batch, length, vocab):
    # Same ids as tools/cli/cmd_bench.cpp (multiplicative hash, never 0).
    return [[1 + ((r * length + i) * 2654435761 + 12345) % (vocab - 1) for i in range(length)] for r in range(batch)]


# ---------------------------------------------------------------- Hugging Face worker (subprocess)
def hf_worker(cfg):
    import torch

    torch.set_num_threads(cfg["threads"])
    import transformers
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[cfg["dtype"]]
    conf = AutoConfig.from_pretrained(cfg["model"])
    causal = any(a.endswith("LMHeadModel") or a.endswith("ForCausalLM") for a in (conf.architectures or []))
    cls = AutoModelForCausalLM if causal else AutoModel
    cls._model_mapping[type(conf)]  # import the modeling module now: load time is from_pretrained's own
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    model = cls.from_pretrained(cfg["model"], torch_dtype=dtype, attn_implementation=cfg["attn"])
    model.eval()
    load_ms = (time.perf_counter() - t0) * 1e3
    ids = torch.tensor(bench_ids(cfg["batch"], cfg["prompt_len"], conf.vocab_size), dtype=torch.long)
    import inspect

    keep = "logits_to_keep" in inspect.signature(model.forward).parameters
    prefill, decode, first = [], [], None
    with torch.inference_mode():
        for rep in range(cfg["reps"] + 1):
            if causal:
                # None: the model makes its own cache (DynamicCache for Llama, legacy tuples for 4.51's GPT-2)
                kw = {"logits_to_keep": 1} if keep else {}
                # Gemma 2/3 ("hybrid" cache_implementation): a cache made for the prompt alone has no
                # room for the decode steps, so make the HybridCache generate() would, sized for both.
                past = None
                if getattr(conf, "cache_implementation", None) == "hybrid":
                    from transformers import HybridCache

                    past = HybridCache(config=conf, max_batch_size=cfg["batch"],
                                       max_cache_len=cfg["prompt_len"] + cfg["gen_len"], device="cpu", dtype=dtype)
                t0 = time.perf_counter()
                out = model(input_ids=ids, past_key_values=past, use_cache=True, **kw)
                nxt = out.logits[:, -1, :].argmax(-1, keepdim=True)
                p = time.perf_counter() - t0
                t0 = time.perf_counter()
                for _ in range(cfg["gen_len"]):
                    out = model(input_ids=nxt, past_key_values=out.past_key_values, use_cache=True, **kw)
                    nxt = out.logits[:, -1, :].argmax(-1, keepdim=True)
                d = time.perf_counter() - t0
            else:
                t0 = time.perf_counter()
                model(input_ids=ids)
                p, d = time.perf_counter() - t0, 0.0
            if rep == 0:
                first = p * 1e3
            else:
                prefill.append(p * 1e3)
                decode.append(d * 1e3)
    weights = sum(t.numel() * t.element_size() for t in {id(p): p for p in model.parameters()}.values())
    # FLOPs per prompt token in the matmuls: every Linear/Conv1D weight once (lm_head excluded: only
    # the last position's logits are needed for prefill).
    mm_params = 0
    for name, mod in model.named_modules():
        if name.endswith("lm_head"):
            continue
        w = getattr(mod, "weight", None)
        if w is not None and w.dim() == 2 and type(mod).__name__ in ("Linear", "Conv1D"):
            mm_params += w.numel()
    n_layers = conf.num_hidden_layers if hasattr(conf, "num_hidden_layers") else conf.n_layer
    hidden = conf.hidden_size
    P = cfg["prompt_len"]
    attn_flops = 4 * n_layers * P * P * hidden * (0.5 if causal else 1.0)  # QK^T and PV per row
    best_p = min(prefill)
    res = {
        "impl": "hf",
        "attn": cfg["attn"],
        "dtype": cfg["dtype"],
        "causal": causal,
        "load_ms": load_ms,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rss_before_load_bytes": rss0,
        "weights_bytes": weights,
        "first_forward_ms": first,
        "forward_ms": best_p,
        "prefill_tokens_per_s": cfg["batch"] * P / (best_p / 1e3),
        "decode_tokens_per_s": (cfg["batch"] * cfg["gen_len"] / (min(decode) / 1e3)) if causal and cfg["gen_len"] else None,
        "prefill_flops": cfg["batch"] * (2 * mm_params * P + attn_flops),
        "logits_to_keep": keep,
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__},
    }
    print(json.dumps(res))


def torch_peaks(threads):
    import torch

    torch.set_num_threads(threads)
    n = 1 << 25
    a, b, c = torch.empty(n), torch.ones(n), torch.ones(n)
    best_bw = 0.0
    for _ in range(5):
        t0 = time.perf_counter()
        torch.add(b, c, alpha=3.0, out=a)
        best_bw = max(best_bw, 12.0 * n / (time.perf_counter() - t0) / 1e9)
    m = 2048
    x, w = torch.full((m, m), 0.5), torch.full((m, m), 0.25)
    best = 1e30
    for rep in range(4):
        t0 = time.perf_counter()
        torch.mm(x, w)
        if rep:
            best = min(best, time.perf_counter() - t0)
    return {"triad_gb_per_s": best_bw, "gemm_gflops": 2.0 * m**3 / best / 1e9}


# ---------------------------------------------------------------- driver
def run_json(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        return {"error": (r.stderr or r.stdout).strip().splitlines()[-1:] or ["exit %d" % r.returncode]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", default=os.path.join(HERE, "models"))
    ap.add_argument("--models", nargs="+", default=["bert-base", "gpt2", "llama-1b"])
    ap.add_argument("--cli", default=os.path.join(ROOT, "build-bench", "transformers-cli"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--gen-len", type=int, default=32)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate ours / HF this many times per model; report the median round and the spread")
    ap.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"])
    ap.add_argument("--attns", nargs="+", default=["eager", "sdpa"])
    ap.add_argument("--skip-hf", action="store_true", help="only ours and the limits")
    ap.add_argument("--json-out", help="also write every raw result to this file")
    ap.add_argument("--hf-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.hf_worker:
        hf_worker(json.loads(args.hf_worker))
        return

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    peaks_ours = run_json([args.cli, "bench", "--peaks", "--json", "--threads", str(args.threads)], env)
    peaks_torch = torch_peaks(args.threads)
    bw = max(peaks_ours.get("triad_gb_per_s", 0), peaks_torch["triad_gb_per_s"])
    gemm = max(peaks_ours.get("gemm_gflops", 0), peaks_torch["gemm_gflops"])
    print("limits (%d threads): triad ours %.1f GB/s, torch %.1f GB/s -> %.1f GB/s; float32 GEMM 2048^3 ours %.1f, "
          "torch %.1f GFLOP/s -> %.1f; float32 FMA peak %.1f GFLOP/s" % (
              args.threads, peaks_ours.get("triad_gb_per_s", 0), peaks_torch["triad_gb_per_s"], bw,
              peaks_ours.get("gemm_gflops", 0), peaks_torch["gemm_gflops"], gemm, peaks_ours.get("fma_gflops", 0)))
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print("load average at start: %.1f" % load)

    raw = {"peaks_ours": peaks_ours, "peaks_torch": peaks_torch, "load_average_start": load, "runs": []}
    rows = []
    for name in args.models:
        folder = os.path.join(args.models_dir, name)
        if not os.path.isfile(os.path.join(folder, "config.json")):
            print("skip %s: %s has no config.json (run scripts/make_bench_models)" % (name, folder))
            continue
        for dtype in args.dtypes:
            settings = ["--threads", str(args.threads), "--batch", str(args.batch), "--prompt-len", str(args.prompt_len),
                        "--gen-len", str(args.gen_len), "--reps", str(args.reps), "--dtype", dtype]
            # --rounds alternates the two sides (ours, then each HF configuration, then ours again...),
            # so a minute of load on a shared machine falls on both; each round keeps its best of --reps.
            ours_rounds, hf_rounds = [], {a: [] for a in args.attns}
            for _ in range(args.rounds):
                ours = run_json([args.cli, "bench", "--model", folder, "--json"] + settings, env)
                ours.update({"impl": "ours", "model_name": name})
                raw["runs"].append(ours)
                ours_rounds.append(ours)
                if not args.skip_hf:
                    for attn in args.attns:
                        cfg = {"model": folder, "threads": args.threads, "batch": args.batch,
                               "prompt_len": args.prompt_len, "gen_len": args.gen_len, "reps": args.reps,
                               "dtype": dtype, "attn": attn}
                        r = run_json([sys.executable, os.path.abspath(__file__), "--hf-worker", json.dumps(cfg)], env)
                        r.update({"model_name": name})
                        raw["runs"].append(r)
                        hf_rounds[attn].append(r)
            ours = median_run(ours_rounds)
            hf = {a: median_run(rs) for a, rs in hf_rounds.items() if rs}
            rows.append((name, dtype, ours, hf))
            print_row(name, dtype, ours, hf, bw, gemm, args)
            if args.rounds > 1:
                print_spread(ours_rounds, hf_rounds)
            sys.stdout.flush()
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(raw, f, indent=1)


TIMED = ("load_ms", "forward_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "peak_rss_bytes")


def median_run(runs):
    """One result whose timed keys are the medians over the rounds (the rest from the first run);
    a failed round's error when every round failed."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    out = dict(ok[0])
    for k in TIMED:
        vals = sorted(r[k] for r in ok if r.get(k) is not None)
        if vals:
            n = len(vals)
            out[k] = vals[n // 2] if n % 2 else 0.5 * (vals[n // 2 - 1] + vals[n // 2])
    return out


def print_spread(ours_rounds, hf_rounds):
    def spread(runs, key):
        vals = [r[key] for r in runs if "error" not in r and r.get(key) is not None]
        return "[%.1f-%.1f]" % (min(vals), max(vals)) if vals else "-"
    for key in ("prefill_tokens_per_s", "decode_tokens_per_s"):
        cells = ["ours %s" % spread(ours_rounds, key)] + ["hf %s %s" % (a, spread(rs, key)) for a, rs in hf_rounds.items() if rs]
        print("  %s over %d rounds (min-max): %s" % (key, len(ours_rounds), ", ".join(cells)))


def fmt(x, spec="%.1f"):
    return "-" if x is None else spec % x


def ratio(a, b, inverse=False):
    if a is None or b is None or not a or not b:
        return "-"
    return "%.2fx" % ((b / a) if inverse else (a / b))


def print_row(name, dtype, ours, hf, bw, gemm, args):
    if "error" in ours:
        print("%s %s: ours failed: %s" % (name, dtype, ours["error"]))
        return
    causal = ours.get("kind") == "causal-lm"
    wb = ours["weights_bytes"]
    flops = next((r.get("prefill_flops") for r in hf.values() if "prefill_flops" in r), None)
    print("\n== %s %s (batch %d, prompt %d%s, %d threads) weights %.0f MB" % (
        name, dtype, args.batch, args.prompt_len, (", gen %d" % args.gen_len) if causal else "", args.threads, wb / 1e6))
    print("%-22s %12s %12s %12s %10s %10s" % ("metric", "ours", "hf eager", "hf sdpa", "vs eager", "vs sdpa"))

    def line(label, key, better_low=False, spec="%.1f"):
        o = ours.get(key)
        cells = [hf.get(a, {}).get(key) for a in ("eager", "sdpa")]
        print("%-22s %12s %12s %12s %10s %10s" % (label, fmt(o, spec), fmt(cells[0], spec), fmt(cells[1], spec),
                                                 ratio(o, cells[0], better_low), ratio(o, cells[1], better_low)))

    line("load ms", "load_ms", True, "%.2f")
    o = ours.get("peak_rss_bytes")
    e, s = (hf.get(a, {}).get("peak_rss_bytes") for a in ("eager", "sdpa"))
    print("%-22s %12s %12s %12s %10s %10s" % ("peak RSS MB", fmt(o and o / 1e6, "%.0f"), fmt(e and e / 1e6, "%.0f"),
                                             fmt(s and s / 1e6, "%.0f"), ratio(o, e, True), ratio(o, s, True)))
    line("forward/prefill ms", "forward_ms", True, "%.1f")
    line("prefill tokens/s", "prefill_tokens_per_s")
    if causal:
        line("decode tokens/s", "decode_tokens_per_s")
    # fractions of the limits (ours; and the best HF figure for reference)
    if flops:
        tps_limit = gemm * 1e9 / (flops / (args.batch * args.prompt_len))
        best_hf = max((r.get("prefill_tokens_per_s") or 0) for r in hf.values()) if hf else None
        print("  prefill vs GEMM peak (%.0f GFLOP/s): ours %.0f%%%s" % (
            gemm, 100 * ours["prefill_tokens_per_s"] / tps_limit,
            (", best hf %.0f%%" % (100 * best_hf / tps_limit)) if best_hf else ""))
        hf_ms = [r["forward_ms"] for r in hf.values() if r.get("forward_ms")]
        print("  prefill GFLOP/s (per-FLOP speed; compare across models): ours %.1f%s" % (
            flops / (ours["forward_ms"] / 1e3) / 1e9,
            (", best hf %.1f" % (flops / (min(hf_ms) / 1e3) / 1e9)) if hf_ms else ""))
    if causal and ours.get("decode_tokens_per_s"):
        limit = bw * 1e9 / wb * args.batch
        best_hf = max((r.get("decode_tokens_per_s") or 0) for r in hf.values()) if hf else None
        print("  decode vs bandwidth limit (%.1f GB/s / %.0f MB = %.1f tokens/s): ours %.0f%%%s" % (
            bw, wb / 1e6, limit, 100 * ours["decode_tokens_per_s"] / limit,
            (", best hf %.0f%%" % (100 * best_hf / limit)) if best_hf else ""))
    for a, r in hf.items():
        if "error" in r:
            print("  hf %s failed: %s" % (a, r["error"]))


if __name__ == "__main__":
    main()
