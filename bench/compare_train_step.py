"""One training step of GPT-2 small (batch 4 x 128) and BERT-base (batch 8 x 128), transformers.cpp
(bench/bench_train_step) beside PyTorch eager + transformers 4.51 on the same machine and threads:
forward with labels, backward, clip_grad_norm_(1.0), torch.optim.AdamW step, zero_grad, as Trainer's
step runs them; random weights from the configs' defaults, train() mode. float32, and bf16
(torch.autocast("cpu", torch.bfloat16) with float32 master weights, as Trainer's --bf16 on CPU; ours
ops::AutocastGuard) on both sides. Runs alternate (ours, torch, ours, ...), each a
fresh process with one warm-up step; prints the median and the spread (min-max) of the timed steps
and the load average before and after. Not a CI test; figures go to docs/benchmarks.md.

  python bench/compare_train_step.py --bin build/bench/bench_train_step --threads 16 --runs 5
  (--layers N: fewer layers on both sides, for a quick check that everything runs)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

TORCH_STEP = r"""
import json, sys, time, torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM
which, batch, seq, threads, reps, layers, dtype = sys.argv[1:8]
batch, seq, threads, reps, layers = int(batch), int(seq), int(threads), int(reps), int(layers)
torch.set_num_threads(threads)
torch.manual_seed(1234)
gpt2 = which == "gpt2"
kw = {}
if layers > 0:
    kw["n_layer" if gpt2 else "num_hidden_layers"] = layers
config = AutoConfig.for_model("gpt2" if gpt2 else "bert", **kw)
model = (AutoModelForCausalLM if gpt2 else AutoModelForMaskedLM).from_config(config)
model.train()
decay = [p for n, p in model.named_parameters() if "bias" not in n and "LayerNorm" not in n and "ln_" not in n]
rest = [p for n, p in model.named_parameters() if not any(p is q for q in decay)]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.0}, {"params": rest, "weight_decay": 0.0}], lr=5e-5)
ids = torch.tensor([(i * 7919 + 13) % config.vocab_size for i in range(batch * seq)]).view(batch, seq)
mask = torch.ones_like(ids)
for r in range(-1, reps):
    t0 = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == "bf16"):
        loss = model(input_ids=ids, attention_mask=mask, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    s = time.perf_counter() - t0
    if r >= 0:
        print(json.dumps({"impl": "pytorch", "model": which, "dtype": dtype, "batch": batch, "seq": seq,
                          "threads": threads, "seconds": s, "loss": loss.item()}), flush=True)
"""


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bench/bench_train_step")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--runs", type=int, default=5, help="processes per side, alternating")
    ap.add_argument("--reps", type=int, default=1, help="timed steps per process")
    ap.add_argument("--layers", type=int, default=0)
    ap.add_argument("--dtypes", nargs="+", default=["float32", "bf16"], choices=["float32", "bf16"])
    ap.add_argument("--models", nargs="+", default=["gpt2", "bert"], choices=["gpt2", "bert"],
                    help="one model per invocation keeps a locked measurement short")
    a = ap.parse_args()
    print(f"load average before: {os.getloadavg()}, threads {a.threads}, torch side: {sys.executable}")
    for which, batch, seq in (("gpt2", 4, 128), ("bert", 8, 128)):
        if which not in a.models:
            continue
        times = {}
        for _ in range(a.runs):
            common = [which, str(batch), str(seq), str(a.threads), str(a.reps)]
            for dtype in a.dtypes:
                for r in run([a.bin] + common + [str(a.layers), dtype]):
                    times.setdefault(("transformers.cpp", dtype), []).append(r["seconds"])
                    print(f"  transformers.cpp {dtype} step: {r['seconds']:.3f} s (forward {r['forward_s']:.3f}, "
                          f"backward {r['backward_s']:.3f}, clip + AdamW {r['optimizer_s']:.3f}), loss {r['loss']:.4f}",
                          flush=True)
            for dtype in a.dtypes:
                for r in run([sys.executable, "-c", TORCH_STEP] + common + [str(a.layers), dtype]):
                    times.setdefault(("pytorch", dtype), []).append(r["seconds"])
                    print(f"  pytorch {dtype} step: {r['seconds']:.3f} s, loss {r['loss']:.4f}", flush=True)
        for (impl, dtype), t in sorted(times.items()):
            print(f"{which} {batch}x{seq} {impl:16s} {dtype:8s} median {statistics.median(t):8.3f} s  "
                  f"spread {min(t):.3f}-{max(t):.3f} s  ({len(t)} steps)")
    print(f"load average after: {os.getloadavg()}  ({time.strftime('%Y-%m-%d %H:%M')})")


if __name__ == "__main__":
    main()
