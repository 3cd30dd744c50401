#!/usr/bin/env python3
"""Same-model check for bench/serve_load.py --server both (issue 24; never on CI's path): the GGUF
that llama-server measures holds the weights `transformers-cli serve` measures, shown by equal greedy
token ids. Starts each server in turn (as serve_load.py does), asks it the load test's first prompts
alone (greedy, --tokens ids each) and compares: ours come back as words of the word-level tokenizer
("<id>"), llama-server's as ids from its native /completion (`return_tokens`). Exit 1 on a difference.

  /work/venv/bin/python bench/serve_same_ids.py [--gguf /tmp/gpt2-gguf/gpt2-f32.gguf] [--prompts 3] [--tokens 16]
"""
import argparse
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_load  # noqa: E402 - the load test's servers and prompts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default="build/transformers-cli")
    ap.add_argument("--model", default="bench/models/gpt2")
    ap.add_argument("--llama-server", default="/tmp/llama.cpp/build/bin/llama-server")
    ap.add_argument("--gguf", default="/tmp/gpt2-gguf/gpt2-f32.gguf")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--prompt-words", type=int, default=24)
    ap.add_argument("--max-tokens", type=int, default=32)  # sizes llama-server's slots, as in serve_load.py
    ap.add_argument("--prompts", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=16)
    a = ap.parse_args()
    config = json.load(open(os.path.join(a.model, "config.json")))
    vocab, eos = config["vocab_size"], config.get("eos_token_id") or 0

    ours = serve_load.Ours(a, vocab, eos, [1])
    try:
        port = ours.start()
        mine = [[int(w[1:-1]) for w in serve_load.alone(port, ours.prompt(i, a.prompt_words), a.tokens, {}, 300)[0].split()]
                for i in range(a.prompts)]
    finally:
        ours.close()
    llama = serve_load.Llama(a, vocab, [1])
    theirs = []
    try:
        port = llama.start()
        for i in range(a.prompts):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            c.request("POST", "/completion", json.dumps({"prompt": llama.prompt(i, a.prompt_words), "n_predict": a.tokens,
                                                         "temperature": 0, "return_tokens": True, "cache_prompt": False}))
            theirs.append(json.loads(c.getresponse().read())["tokens"])
            c.close()
    finally:
        llama.close()
    same = sum(m == t for m, t in zip(mine, theirs))
    for i, (m, t) in enumerate(zip(mine, theirs)):
        print(json.dumps({"prompt": i, "serve": m, "llama_server": t, "equal": m == t}))
    if same != a.prompts:
        raise SystemExit(f"error: greedy ids differ on {a.prompts - same} of {a.prompts} prompts")


if __name__ == "__main__":
    main()
