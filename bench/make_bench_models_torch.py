#!/usr/bin/env python3
"""Writes the benchmark models of bench/make_bench_models.cpp with Hugging Face transformers (4.51)
instead: the same specs (config values), read from `make_bench_models --specs`, random weights from
torch's init (normal(0, initializer_range), seeded), saved in the spec's dtype. Only the weight
values differ from the C++ writer's; a benchmark reads the shapes. It exists for speed: the C++
writer draws its normals one at a time on one thread (about a minute per billion parameters on a
quiet core, many more on a shared one), torch fills them on all threads in seconds.

  /work/venv/bin/python bench/make_bench_models_torch.py --tool build/bench/make_bench_models \\
      --out bench/models mistral-1b gemma2-1b phi3-1b
Existing folders (with a config.json) are kept, as the C++ writer does.
"""
import argparse
import json
import os
import subprocess
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", default="build/bench/make_bench_models", help="make_bench_models binary (for --specs)")
    ap.add_argument("--out", default="bench/models")
    ap.add_argument("names", nargs="*", help="spec names (default: all)")
    args = ap.parse_args()

    specs = json.loads(subprocess.run([args.tool, "--specs"], check=True, capture_output=True, text=True).stdout)
    unknown = [n for n in args.names if n not in specs]
    if unknown:
        raise SystemExit("unknown model(s) %s (known: %s)" % (", ".join(unknown), ", ".join(specs)))

    import torch
    import transformers

    torch.manual_seed(1234)
    for name in args.names or list(specs):
        spec, folder = specs[name], os.path.join(args.out, name)
        if os.path.isfile(os.path.join(folder, "config.json")):
            print("%s: exists, kept (%s)" % (name, folder))
            continue
        t0 = time.time()
        dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[spec["dtype"]]
        config = transformers.AutoConfig.for_model(spec["model_type"], **spec["kwargs"])
        model = getattr(transformers, spec["auto_class"]).from_config(config, torch_dtype=dtype)
        model.save_pretrained(folder)
        print("%s: %d parameters, %s, written to %s in %.1f s" % (
            name, sum(p.numel() for p in model.parameters()), spec["dtype"], folder, time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
