#!/usr/bin/env python3
"""Load test of `transformers-cli serve` (issue 24): concurrent streaming clients on 127.0.0.1.

Starts the server on a free loopback port, then for each concurrency level C (default 1, 16, 64)
runs C streaming /v1/completions clients at once (greedy, max_tokens G, prompts of P tokens,
prompt i % 8 of eight different ones). Every stream must parse as Server-Sent Events of JSON chunks,
end with `data: [DONE]`, report usage.completion_tokens == G tokens streamed, and its text must
equal the non-streamed greedy reply to the same prompt asked alone (taken first): a lost, cut or
mixed-up stream fails the run (exit 1). Prints one JSON line per level: aggregate decode tokens/s
end to end (all completion tokens / the level's wall time from the first request to the last
[DONE], prefills included) and decode (the sum of the streams' decode rates, each (tokens - 1) /
(last chunk - first chunk): the tokens/s the running batch produces), the mean per-stream decode
rate, time to first token p50/p99 (request sent -> first text chunk), and the load average; then the
16-vs-1 speed-ups. Bounded: every request has a timeout, the server is
killed at the end. Standard library only.

  /work/venv/bin/python bench/serve_load.py --cli build/transformers-cli --model bench/models/gpt2 \\
      [--levels 1,16,64] [--max-tokens 32] [--threads N] [--server ours|llama|both --gguf F.gguf]

--server llama measures llama.cpp's `llama-server` (--llama-server PATH) on a GGUF of the same
weights (bench/make_gpt2_gguf.py) the same way, started with `--parallel <largest level> -c <largest
level * (prompt + max_tokens)> --threads T --threads-batch T --cont-batching` (T: --threads, else the
number of CPUs, which is also serve's default on a machine without SMT); --server both runs ours, then
llama-server, each alone on the machine, per --rounds. llama-server gets the same prompts as token id
lists (the ids our word-level tokenizer gives the words) with `cache_prompt: false` (serve has no
prompt cache; the eight prompts repeat). Its text is not ours (a different tokenizer and, under
batching, a different reduction order), so only speed is compared: each llama-server stream must
still end with `[DONE]` and carry as many tokens as the same prompt asked alone; a text that differs
from the prompt's reply alone is counted (text_differs), not failed.

The model's folder has no tokenizer (scripts/make_bench_models writes weights only): a word-level
one made with `tokenizers` (token i is "<i>") is written to a temporary folder and passed as
--tokenizer, so the Python needs `tokenizers` and `transformers` (the project's oracle venv has them).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

def word_tokenizer(vocab_size, eos, out_dir):
    """A tokenizer for random-weight models: token i is the word "<i>" (whitespace-split, so every
    generated token is visible text and a prompt of N words is N tokens); `eos` is its eos token."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({"<%d>" % i: i for i in range(vocab_size)}, unk_token="<0>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<%d>" % eos, unk_token="<0>").save_pretrained(out_dir)


def prompt_ids(i, n_tokens, vocab_size):
    return [(i * 7919 + k * 104729) % vocab_size for k in range(n_tokens)]


def prompt(i, n_words, vocab_size):
    """Prompt i as words of the word-level tokenizer: the same ids as prompt_ids."""
    return " ".join("<%d>" % t for t in prompt_ids(i, n_words, vocab_size))


def post(port, body, timeout):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
    return c, c.getresponse()


def request(text, max_tokens, extra, streaming=False):
    body = {"model": "bench", "prompt": text, "max_tokens": max_tokens, "temperature": 0, **extra}
    if streaming:
        body.update(stream=True, stream_options={"include_usage": True})
    return body


def alone(port, text, max_tokens, extra, timeout):
    c, r = post(port, request(text, max_tokens, extra), timeout)
    body = json.loads(r.read())
    c.close()
    if r.status != 200:
        raise SystemExit(f"error: reference request failed: {r.status} {body}")
    return body["choices"][0]["text"], body["usage"]["completion_tokens"]


def stream(port, text, max_tokens, extra, timeout, out):
    """One streaming client; fills `out` with its text, tokens, timings and any defect found."""
    t0 = time.monotonic()
    out.update(start=t0, first=None, end=None, text="", tokens=None, done=False, error=None)
    try:
        c, r = post(port, request(text, max_tokens, extra, streaming=True), timeout)
        if r.status != 200:
            out["error"] = f"status {r.status}: {r.read()[:200]!r}"
            return
        for raw in r:
            line = raw.decode("utf-8").rstrip("\r\n")
            if not line:
                continue
            if not line.startswith("data: "):
                out["error"] = f"not an SSE data line: {line[:80]!r}"
                return
            data = line[6:]
            if out["done"]:
                out["error"] = "data after [DONE]"
                return
            if data == "[DONE]":
                out["done"] = True
                out["end"] = time.monotonic()
                continue
            chunk = json.loads(data)
            if "error" in chunk:
                out["error"] = f"error event {chunk}"
                return
            if chunk.get("usage"):
                out["tokens"] = chunk["usage"]["completion_tokens"]
            for ch in chunk["choices"]:
                if ch["text"] and out["first"] is None:
                    out["first"] = time.monotonic()
                out["text"] += ch["text"]
        c.close()
    except Exception as e:  # noqa: BLE001 - any failure of a stream is reported as a defect
        out["error"] = f"{type(e).__name__}: {e}"


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))]




class Server:
    """A server process this script started (`proc`), killed by stop()."""
    proc = None

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


class Ours(Server):
    """`transformers-cli serve` with the word-level tokenizer (prompts as text)."""
    name = "transformers-cli serve"
    extra = {}
    exact_text = True  # a stream's text must equal its prompt's reply alone

    def __init__(self, a, vocab, eos, levels):
        self.vocab, self.proc = vocab, None
        self.tok_dir = tempfile.mkdtemp(prefix="serve-load-tok-")
        word_tokenizer(vocab, eos, self.tok_dir)
        self.cmd = [a.cli, "serve", "--model", a.model, "--tokenizer", self.tok_dir, "--model-id", "bench", "--port", "0",
                    "--max-batch", str(max(levels)), "--max-queue", str(max(levels))]
        if a.threads:
            self.cmd += ["--threads", str(a.threads)]
        self.threads = a.threads or "default"

    def prompt(self, i, n):
        return prompt(i, n, self.vocab)

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"serving .* on http://127\.0\.0\.1:(\d+)/v1", line)
        if not m:
            raise SystemExit(f"error: serve did not start: {line!r} {self.proc.stderr.read()[:500]}")
        return int(m.group(1))

    def close(self):
        self.stop()
        shutil.rmtree(self.tok_dir, ignore_errors=True)


class Llama(Server):
    """llama.cpp's `llama-server` on a GGUF of the same weights (prompts as token id lists; no prompt cache)."""
    name = "llama-server"
    extra = {"cache_prompt": False}
    exact_text = False  # speed only: a differing text is counted, not failed

    def __init__(self, a, vocab, levels):
        self.vocab, self.proc = vocab, None
        self.threads = a.threads or os.cpu_count()
        n_ctx = max(levels) * (a.prompt_words + a.max_tokens)
        self.cmd = [a.llama_server, "-m", a.gguf, "--host", "127.0.0.1", "--parallel", str(max(levels)), "-c", str(n_ctx),
                    "--threads", str(self.threads), "--threads-batch", str(self.threads), "--cont-batching"]
        self.log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)

    def prompt(self, i, n):
        return prompt_ids(i, n, self.vocab)

    def start(self):
        with socket.socket() as s:  # a free loopback port (llama-server cannot report one it picked)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen(self.cmd + ["--port", str(port)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    return port
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"error: llama-server did not start: {open(self.log.name).read()[-800:]}")

    def close(self):
        self.stop()
        os.unlink(self.log.name)


def measure(server, a, levels):
    """Starts `server`, takes each prompt's reply alone (also the warm-up), runs the levels, stops it.
    Returns ({level: figures}, streams failed)."""
    port = server.start()
    try:
        prompts = [server.prompt(i, a.prompt_words) for i in range(8)]
        refs = [alone(port, p, a.max_tokens, server.extra, a.timeout) for p in prompts]
        results, failures = {}, 0
        for c in levels:
            outs = [dict() for _ in range(c)]
            threads = [threading.Thread(target=stream, args=(port, prompts[i % 8], a.max_tokens, server.extra, a.timeout, outs[i]))
                       for i in range(c)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - t0
            bad, text_differs = [], 0
            for i, o in enumerate(outs):
                ref_text, ref_tokens = refs[i % 8]
                if o.get("error"):
                    bad.append(f"stream {i}: {o['error']}")
                elif not o["done"]:
                    bad.append(f"stream {i}: no [DONE]")
                elif o["tokens"] != ref_tokens or (o["text"] != ref_text and server.exact_text):
                    bad.append(f"stream {i}: {o['tokens']} tokens {o['text']!r} != alone {ref_tokens} {ref_text!r}")
                elif o["text"] != ref_text:
                    text_differs += 1
            failures += len(bad)
            for b in bad[:5]:
                print("FAIL", server.name, b, file=sys.stderr)
            good = [o for o in outs if not o.get("error") and o["done"] and o["first"]]
            tokens = sum(o["tokens"] or 0 for o in good)
            ttft = [o["first"] - o["start"] for o in good]
            per_stream = [(o["tokens"] - 1) / (o["end"] - o["first"]) for o in good if o["tokens"] > 1 and o["end"] > o["first"]]
            results[c] = {
                "server": server.name, "threads": server.threads,
                "concurrency": c, "streams_ok": len(good), "streams_failed": len(bad), "completion_tokens": tokens,
                "wall_s": round(wall, 3), "aggregate_tokens_per_s": round(tokens / wall, 2),
                "aggregate_decode_tokens_per_s": round(sum(per_stream), 2),
                "mean_stream_decode_tokens_per_s": round(sum(per_stream) / max(1, len(per_stream)), 2),
                "ttft_p50_s": round(percentile(ttft, 50), 3) if ttft else None,
                "ttft_p99_s": round(percentile(ttft, 99), 3) if ttft else None,
                "loadavg_1m": round(os.getloadavg()[0], 2),
            }
            if not server.exact_text:
                results[c]["text_differs"] = text_differs
            print(json.dumps(results[c]), flush=True)
        if 1 in results and 16 in results:
            print(json.dumps({"server": server.name, **{k: round(results[16][m] / results[1][m], 2) for k, m in (
                ("decode_speedup_16_vs_1", "aggregate_decode_tokens_per_s"), ("end_to_end_speedup_16_vs_1", "aggregate_tokens_per_s"))}}),
                  flush=True)
        return results, failures
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default="build/transformers-cli")
    ap.add_argument("--model", default="bench/models/gpt2")
    ap.add_argument("--levels", default="1,16,64")
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--prompt-words", type=int, default=24)
    ap.add_argument("--threads", type=int, default=0, help="serve --threads (0: its default)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per request")
    ap.add_argument("--server", choices=["ours", "llama", "both"], default="ours")
    ap.add_argument("--llama-server", default="/tmp/llama.cpp/build/bin/llama-server")
    ap.add_argument("--gguf", default="/tmp/gpt2-gguf/gpt2-f32.gguf", help="for --server llama|both")
    ap.add_argument("--rounds", type=int, default=1, help="times each server is measured, alternating")
    a = ap.parse_args()
    levels = [int(x) for x in a.levels.split(",")]
    config = json.load(open(os.path.join(a.model, "config.json")))
    vocab, eos = config["vocab_size"], config.get("eos_token_id") or 0

    servers = []
    try:
        if a.server in ("ours", "both"):
            servers.append(Ours(a, vocab, eos, levels))
        if a.server in ("llama", "both"):
            servers.append(Llama(a, vocab, levels))
        failures = 0
        for _ in range(a.rounds):
            for s in servers:
                failures += measure(s, a, levels)[1]
        if failures:
            raise SystemExit(f"error: {failures} streams lost or corrupted")
    finally:
        for s in servers:
            s.close()


if __name__ == "__main__":
    main()
