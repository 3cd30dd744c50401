#!/usr/bin/env python3
"""Accuracy of the int8 compute type (issue 27; not CI): ours (transformers-cli forward --dtype int8)
and CTranslate2's compute_type int8 on the same random-weight folders (bench/models, written by
scripts/make_bench_models; CT2's conversion cached by bench/compare_peers.py), each against Hugging
Face 4.51's float32 output on the same ids (bench_ids, as transformers-cli bench uses):
  bert-base: last_hidden_state of BertModel (what CTranslate2's Encoder returns), b1 x prompt-len
  gpt2:      logits of GPT2LMHeadModel (CTranslate2's Generator.forward_batch), b1 x prompt-len
Prints max |a - b|, the root mean square of a - b and max |HF| for every pair (ours int8, ours
float32, CT2 int8 against HF float32, and ours int8 against CT2 int8).

  /work/venv/bin/python bench/compare_int8.py --prompt-len 128
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare_hf import bench_ids  # noqa: E402
from compare_peers import common_args, ct2_model  # noqa: E402


def hf_output(folder, causal, ids, threads):
    import torch
    from transformers import AutoModel, AutoModelForCausalLM

    torch.set_num_threads(threads)
    cls = AutoModelForCausalLM if causal else AutoModel
    model = cls.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        out = model(torch.tensor([ids]))
    return (out.logits if causal else out.last_hidden_state)[0].numpy().astype(np.float64)


def ours_output(cli, folder, causal, ids, dtype, threads):
    from safetensors.numpy import load_file, save_file

    with tempfile.TemporaryDirectory() as d:
        inp, outp = os.path.join(d, "in.safetensors"), os.path.join(d, "out.safetensors")
        save_file({"input_ids": np.array([ids], dtype=np.int64)}, inp)
        cls = "GPT2LMHeadModel" if causal else "BertModel"
        subprocess.run([cli, "forward", "--model", folder, "--model-class", cls, "--dtype", dtype, "--attn", "eager",
                        "--threads", str(threads), "--inputs", inp, "--output", outp], check=True)
        out = load_file(outp)
    return out["logits" if causal else "last_hidden_state"][0].astype(np.float64)


def ct2_output(folder, causal, ids, threads, cache):
    import ctranslate2

    cfg = dict(model=folder, causal=causal, cache=cache)
    path = ct2_model(cfg)
    kw = dict(device="cpu", compute_type="int8", intra_threads=threads, inter_threads=1)
    if causal:
        gen = ctranslate2.Generator(path, **kw)
        out = gen.forward_batch([["<%d>" % i for i in ids]])
        return np.array(out)[0].astype(np.float64)
    enc = ctranslate2.Encoder(path, **kw)
    return np.array(enc.forward_batch([ids]).last_hidden_state)[0].astype(np.float64)


def stats(a, b):
    d = a - b
    return {"max_abs": float(np.abs(d).max()), "rms": float(np.sqrt((d * d).mean())), "max_ref": float(np.abs(b).max())}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(ap)
    args = ap.parse_args()
    rows = {}
    for model in args.models:
        causal = model == "gpt2"
        folder = os.path.join(args.models_dir, model)
        ids = bench_ids(1, args.prompt_len, 50257 if causal else 30522)[0]
        hf = hf_output(folder, causal, ids, args.threads)
        ours8 = ours_output(args.cli, folder, causal, ids, "int8", args.threads)
        ours32 = ours_output(args.cli, folder, causal, ids, "float32", args.threads)
        ct2 = ct2_output(folder, causal, ids, args.threads, args.cache)
        rows[model] = {
            "ours int8 vs HF f32": stats(ours8, hf),
            "CT2 int8 vs HF f32": stats(ct2, hf),
            "ours int8 vs CT2 int8": stats(ours8, ct2),
            "ours f32 vs HF f32": stats(ours32, hf),
        }
    print("| model | pair | max abs | rms | max abs of the reference |")
    print("|---|---|---|---|---|")
    for model, pairs in rows.items():
        for pair, s in pairs.items():
            print("| %s | %s | %.4g | %.4g | %.4g |" % (model, pair, s["max_abs"], s["rms"], s["max_ref"]))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
