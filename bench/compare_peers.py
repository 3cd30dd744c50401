#!/usr/bin/env python3
"""Peers side by side (issue 27; not CI): transformers.cpp against Hugging Face transformers
(PyTorch), CTranslate2 and ONNX Runtime on the same random-weight folders, same thread count, in
one run, alternating the systems round by round, reporting the median and the spread (min-max) of
the rounds, with the load average before, during and after (the machine is shared and noisy).

Workloads (scripts/make_bench_models writes the folders):
  bert-base  b1 x prompt-len forward (ms)             ours f32 / bf16 / int8, HF f32 / bf16 (sdpa),
                                                      CT2 f32 / bf16 / int8, ONNX Runtime f32
  gpt2       prefill prompt-len (tok/s), decode (tok/s) ours f32 / bf16 / int8, HF f32 / bf16 (sdpa),
                                                      CT2 f32 / bf16 / int8
Ours bf16 runs twice: the native vdpbf16ps kernels and, with TRANSFORMERS_BF16_DOT=0 in the same
binary, the widening path (bf16 weights multiplied in float32), to show what the kernels change.
Ours and HF bf16 read the bf16 folders (bert-base-bf16, gpt2-bf16: the same weights rounded to
bf16). CTranslate2 converts the float32 folder once with its own converter
(ctranslate2.converters.TransformersConverter; the folders have no tokenizer, so a word-level one
over the ids is written next to a symlinked copy) and picks the compute type at load; a compute
type this CPU lacks (ctranslate2.get_supported_compute_types) is reported as such. ONNX Runtime
runs BERT exported once by torch.onnx.export (input_ids only, static shape).

Each measurement is its own process (load excluded from the times): one warm-up, then the best of
--reps; a round runs every configuration once, in an order rotated from round to round.
CTranslate2's GPT-2 times come from generate_tokens (greedy, min_length = max_length = gen-len):
prefill = time to the first token, decode = the mean step after it.

  /work/venv/bin/python bench/compare_peers.py --threads 2 --rounds 5
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from compare_hf import bench_ids  # noqa: E402  (the same ids as transformers-cli bench)


# ---------------------------------------------------------------- workers (one process each)
def wordlevel_tokenizer_dir(model_dir, out_dir, specials):
    """A copy of model_dir (symlinks) plus a word-level tokenizer whose token i is "<i>"."""
    from tokenizers import Tokenizer, models
    from transformers import AutoConfig, PreTrainedTokenizerFast

    conf = AutoConfig.from_pretrained(model_dir)
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(model_dir):
        dst = os.path.join(out_dir, f)
        if not os.path.exists(dst):
            os.symlink(os.path.join(os.path.abspath(model_dir), f), dst)
    vocab = {"<%d>" % i: i for i in range(conf.vocab_size)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<0>"))
    PreTrainedTokenizerFast(tokenizer_object=tok, **{k: "<%d>" % v for k, v in specials.items()}).save_pretrained(out_dir)


def ct2_model(cfg):
    """Converted once per model into cfg['cache']; returns the converted folder."""
    import ctranslate2

    out = os.path.join(cfg["cache"], "ct2-" + os.path.basename(cfg["model"]))
    if os.path.exists(os.path.join(out, "model.bin")):
        return out
    src = os.path.join(cfg["cache"], "tok-" + os.path.basename(cfg["model"]))
    specials = (
        {"bos_token": 50256, "eos_token": 50256, "unk_token": 50256}
        if cfg["causal"]
        else {"unk_token": 100, "cls_token": 101, "sep_token": 102, "pad_token": 0, "mask_token": 103}
    )
    wordlevel_tokenizer_dir(cfg["model"], src, specials)

    class Converter(ctranslate2.converters.TransformersConverter):
        # CTranslate2 4.8's converter passes from_pretrained(dtype=...), transformers 4.51's torch_dtype
        def load_model(self, model_class, model_name_or_path, **kwargs):
            if "dtype" in kwargs:
                kwargs["torch_dtype"] = kwargs.pop("dtype")
            return model_class.from_pretrained(model_name_or_path, **kwargs)

    Converter(src).convert(out, force=True)
    return out


def ct2_worker(cfg):
    import ctranslate2

    if cfg["compute_type"] not in ctranslate2.get_supported_compute_types("cpu"):
        return {"unsupported": "compute type %s not supported on this CPU by CTranslate2 %s"
                % (cfg["compute_type"], ctranslate2.__version__)}
    path = ct2_model(cfg)
    ids = bench_ids(1, cfg["prompt_len"], cfg["vocab"])[0]
    kw = dict(device="cpu", compute_type=cfg["compute_type"], intra_threads=cfg["threads"], inter_threads=1)
    res = {"version": ctranslate2.__version__}
    if not cfg["causal"]:
        enc = ctranslate2.Encoder(path, **kw)
        best = 1e30
        for rep in range(cfg["reps"] + 1):
            t0 = time.perf_counter()
            enc.forward_batch([ids])
            if rep:
                best = min(best, time.perf_counter() - t0)
        res["forward_ms"] = best * 1e3
        return res
    gen = ctranslate2.Generator(path, **kw)
    n = cfg["gen_len"]
    best_p, best_d = 1e30, 1e30
    for rep in range(cfg["reps"] + 1):
        t0 = time.perf_counter()
        stamps = []
        for _ in gen.generate_tokens(["<%d>" % i for i in ids], max_length=n, min_length=n, sampling_topk=1):
            stamps.append(time.perf_counter())
        if rep:
            best_p = min(best_p, stamps[0] - t0)
            best_d = min(best_d, (stamps[-1] - stamps[0]) / max(len(stamps) - 1, 1))
    res["prefill_ms"] = best_p * 1e3
    res["decode_ms_per_token"] = best_d * 1e3
    res["steps"] = len(stamps)
    return res


def ort_worker(cfg):
    import numpy as np
    import onnxruntime as ort

    path = os.path.join(cfg["cache"], "onnx-%s-%d.onnx" % (os.path.basename(cfg["model"]), cfg["prompt_len"]))
    ids = np.array(bench_ids(1, cfg["prompt_len"], cfg["vocab"]), dtype=np.int64)
    if not os.path.exists(path):
        import torch
        from transformers import AutoModel

        model = AutoModel.from_pretrained(cfg["model"], torch_dtype=torch.float32, attn_implementation="eager").eval()
        torch.onnx.export(model, (torch.from_numpy(ids),), path, input_names=["input_ids"],
                          output_names=["last_hidden_state"], opset_version=17, dynamo=False)
    so = ort.SessionOptions()
    so.intra_op_num_threads = cfg["threads"]
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    best = 1e30
    for rep in range(cfg["reps"] + 1):
        t0 = time.perf_counter()
        sess.run(["last_hidden_state"], {"input_ids": ids})
        if rep:
            best = min(best, time.perf_counter() - t0)
    return {"forward_ms": best * 1e3, "version": ort.__version__}


# ---------------------------------------------------------------- driver
def run_json(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        return {"error": ((r.stderr or r.stdout).strip().splitlines() or ["exit %d" % r.returncode])[-1][:200]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def configs(args):
    md = args.models_dir
    out = []
    for model in args.models:
        causal = model == "gpt2"
        f32, b16 = os.path.join(md, model), os.path.join(md, model + "-bf16")
        vocab = 50257 if causal else 30522
        common = dict(threads=args.threads, prompt_len=args.prompt_len, gen_len=args.gen_len if causal else 0,
                      reps=args.reps, causal=causal, vocab=vocab, cache=args.cache)
        out.append((model, "ours", "float32", dict(common, kind="ours", model=f32)))
        out.append((model, "ours", "bfloat16", dict(common, kind="ours", model=b16)))
        # the int8 compute type: the float32 folder quantized at load (docs/int8.md)
        out.append((model, "ours", "int8", dict(common, kind="ours", model=f32, dtype="int8")))
        out.append((model, "ours widen", "bfloat16", dict(common, kind="ours", model=b16, env={"TRANSFORMERS_BF16_DOT": "0"})))
        for dt, folder in (("float32", f32), ("bfloat16", b16)):
            out.append((model, "HF", dt, dict(common, kind="hf", model=folder, dtype=dt, attn="sdpa", batch=1)))
        for ct in ("float32", "bfloat16", "int8"):
            out.append((model, "CT2", ct, dict(common, kind="ct2", model=f32, compute_type=ct)))
        if not causal:
            out.append((model, "ORT", "float32", dict(common, kind="ort", model=f32)))
    return out


def measure(cfg, args):
    """One process for one configuration: {'forward_ms'} or {'prefill_ms', 'decode_ms_per_token'}."""
    env = dict(os.environ, **cfg.get("env", {}))
    if cfg["kind"] == "ours":
        cmd = [args.cli, "bench", "--model", cfg["model"], "--threads", str(cfg["threads"]), "--prompt-len",
               str(cfg["prompt_len"]), "--gen-len", str(cfg["gen_len"]), "--reps", str(cfg["reps"]), "--json"]
        if "dtype" in cfg:
            cmd += ["--dtype", cfg["dtype"]]
        r = run_json(cmd, env)
        if "error" in r or not cfg["causal"]:
            return r
        return {"prefill_ms": r["forward_ms"], "decode_ms_per_token": r["decode_ms_per_token"], "dtype": r["dtype"]}
    if cfg["kind"] == "hf":
        r = run_json([sys.executable, os.path.join(HERE, "compare_hf.py"), "--hf-worker", json.dumps(cfg)], env)
        if "error" in r or not cfg["causal"]:
            return r
        return {"prefill_ms": r["forward_ms"], "decode_ms_per_token": 1e3 / r["decode_tokens_per_s"]}
    return run_json([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(cfg)], env)


def summary(vals):
    if not vals:
        return "-"
    med = statistics.median(vals)
    return "%.1f (%.1f-%.1f)" % (med, min(vals), max(vals))


def common_args(ap):
    """The options this script shares with bench/compare_int8.py."""
    ap.add_argument("--models-dir", default=os.path.join(HERE, "models"))
    ap.add_argument("--models", nargs="+", default=["bert-base", "gpt2"], choices=["bert-base", "gpt2"])
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "transformers-cli"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--cache", default="/tmp/compare_peers", help="converted CT2 / ONNX models")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(ap)
    ap.add_argument("--gen-len", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions per process (best reported)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--systems", nargs="+", default=["ours", "ours widen", "HF", "CT2", "ORT"])
    ap.add_argument("--dtypes", nargs="+", help="only these dtypes / compute types (e.g. int8)")
    ap.add_argument("--json-out", help="also write every raw result to this file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        cfg = json.loads(args.worker)
        print(json.dumps(ct2_worker(cfg) if cfg["kind"] == "ct2" else ort_worker(cfg)))
        return
    os.makedirs(args.cache, exist_ok=True)
    todo = [c for c in configs(args) if c[1] in args.systems and (not args.dtypes or c[2] in args.dtypes)]
    results = {i: [] for i in range(len(todo))}
    notes = {}
    loads = [("start", os.getloadavg())]
    t_start = time.time()
    for rnd in range(args.rounds):
        shift = rnd % len(todo)
        for i in list(range(shift, len(todo))) + list(range(shift)):
            model, system, dt, cfg = todo[i]
            r = measure(cfg, args)
            if "error" in r or "unsupported" in r:
                notes[i] = r.get("error") or r.get("unsupported")
            else:
                results[i].append(r)
            print("round %d %-9s %-10s %-8s %s" % (rnd, model, system, dt, json.dumps(r)), file=sys.stderr, flush=True)
        loads.append(("after round %d" % rnd, os.getloadavg()))
    print("\n%d rounds, %d threads, prompt %d, gen %d, %.0f s; load average (1/5/15 min): %s\n"
          % (args.rounds, args.threads, args.prompt_len, args.gen_len, time.time() - t_start,
             "; ".join("%s %.2f/%.2f/%.2f" % (k, *v) for k, v in loads)))
    print("| model | system | dtype | forward or prefill ms | prefill tok/s | decode tok/s |")
    print("|---|---|---|---|---|---|")
    for i, (model, system, dt, cfg) in enumerate(todo):
        rs = results[i]
        if not rs:
            print("| %s | %s | %s | %s | | |" % (model, system, dt, notes.get(i, "no result")))
            continue
        if cfg["causal"]:
            pre = [r["prefill_ms"] for r in rs]
            print("| %s | %s | %s | %s | %s | %s |" % (
                model, system, dt, summary(pre), summary([cfg["prompt_len"] / (p / 1e3) for p in pre]),
                summary([1e3 / r["decode_ms_per_token"] for r in rs])))
        else:
            print("| %s | %s | %s | %s | | |" % (model, system, dt, summary([r["forward_ms"] for r in rs])))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"loads": loads, "configs": [c[:3] for c in todo], "results": results, "notes": notes}, f, indent=1)


if __name__ == "__main__":
    main()
