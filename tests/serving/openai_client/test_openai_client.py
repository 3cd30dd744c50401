"""The official openai client (pip `openai`) against transformers-cli serve (run_openai_client_test.sh).

Greedy chat equals the chat command's reply, streaming equals non-streaming, completions, the model
list, seeded sampling reproducible, two concurrent streaming clients, n choices with logprobs,
penalties, embeddings equal to sentence-transformers', and the client's typed errors
for an unknown model (404), bad parameters (400) and a wrong API key (401). Exits 1 on any failure.
"""
import os
import sys
import threading

import openai

BASE = f"http://127.0.0.1:{os.environ['SERVE_PORT']}/v1"
client = openai.OpenAI(base_url=BASE, api_key="test-key", max_retries=0, timeout=60)
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)


def chat(content, **kw):
    return client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": content}], **kw)


def streamed_chat(content, **kw):
    text, finish, usage = "", None, None
    for chunk in chat(content, stream=True, **kw):
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    return text, finish, usage


# /v1/models
ids = [m.id for m in client.models.list()]
check(ids == ["tiny"], f"models.list: {ids}")

# chat, greedy, not streamed: the chat command's reply
r = chat("hello there", max_tokens=6, temperature=0)
greedy = os.environ["EXPECTED_GREEDY"]
check(r.choices[0].message.content == greedy, f"greedy chat {r.choices[0].message.content!r} != chat command {greedy!r}")
check(r.choices[0].finish_reason == "length", f"finish_reason {r.choices[0].finish_reason}")
check(r.usage.completion_tokens == 6 and r.usage.total_tokens == r.usage.prompt_tokens + 6, f"usage {r.usage}")

# chat, streamed
text, finish, usage = streamed_chat("hello there", max_tokens=6, temperature=0, stream_options={"include_usage": True})
check(text == greedy, f"streamed chat {text!r} != {greedy!r}")
check(finish == "length", f"streamed finish_reason {finish}")
check(usage is not None and usage.completion_tokens == 6, f"streamed usage {usage}")

# stop sequence: the reply ends before it
words = greedy.split(" ")
if len(words) > 1:
    r = chat("hello there", max_tokens=6, temperature=0, stop=[" " + words[1]])
    check(r.choices[0].message.content == words[0], f"stop: {r.choices[0].message.content!r} != {words[0]!r}")
    check(r.choices[0].finish_reason == "stop", f"stop finish_reason {r.choices[0].finish_reason}")
else:
    check(False, f"the greedy reply has one word: {greedy!r}")

# completions, streamed and not
c = client.completions.create(model="tiny", prompt="hello there", max_tokens=7, temperature=0)
check(c.usage.completion_tokens == 7 and c.choices[0].text != "", f"completion {c}")
streamed = "".join(ch.choices[0].text for ch in client.completions.create(
    model="tiny", prompt="hello there", max_tokens=7, temperature=0, stream=True) if ch.choices)
check(streamed == c.choices[0].text, f"streamed completion {streamed!r} != {c.choices[0].text!r}")

# sampling with a seed is reproducible (and is the chat command's with --seed)
a = chat("hello", max_tokens=8, temperature=1.5, seed=7).choices[0].message.content
b = chat("hello", max_tokens=8, temperature=1.5, seed=7).choices[0].message.content
check(a == b == os.environ["EXPECTED_SEEDED"], f"seeded replies {a!r}, {b!r}, chat command {os.environ['EXPECTED_SEEDED']!r}")

# two concurrent streaming clients get the answers they get alone
prompts = ["hello there", "hi again"]
alone = [streamed_chat(p, max_tokens=20, temperature=0)[0] for p in prompts]
together = [None, None]


def run(i):
    together[i] = streamed_chat(prompts[i], max_tokens=20, temperature=0)[0]


threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check(together == alone, f"concurrent {together} != alone {alone}")


# n choices, logprobs, penalties
r = chat("hello there", max_tokens=6, temperature=0, n=2, logprobs=True, top_logprobs=3,
         presence_penalty=0.0, frequency_penalty=0.0)
check([c.message.content for c in r.choices] == [greedy, greedy], f"n = 2 greedy choices {r.choices}")
lp = r.choices[0].logprobs.content
check(len(lp) == 6 and all(t.token == t.top_logprobs[0].token and len(t.top_logprobs) == 3 for t in lp),
      f"logprobs {r.choices[0].logprobs}")
r = chat("hello there", max_tokens=6, temperature=0, frequency_penalty=2.0, presence_penalty=2.0)
check(r.choices[0].message.content != "" and r.usage.completion_tokens == 6, f"penalized chat {r}")


# embeddings (serve --embeddings on a sentence-transformers folder): SentenceTransformer.encode's
# vectors (tests/data/sentence/*/expected.json), as base64 (the client's default) and as floats
import json  # noqa: E402

expected = json.load(open(os.environ["EMBED_EXPECTED"]))["calls"][0]
embedder = openai.OpenAI(base_url=f"http://127.0.0.1:{os.environ['EMBED_PORT']}/v1", api_key="test-key", max_retries=0,
                         timeout=60)


def close(got, want):
    return len(got) == len(want) and all(len(g) == len(w) and all(abs(a - b) <= 1e-5 for a, b in zip(g, w))
                                         for g, w in zip(got, want))


for fmt in ("base64", "float"):  # base64: the client's default, asked for and decoded by the client itself
    kw = {"encoding_format": "float"} if fmt == "float" else {}
    e = embedder.embeddings.create(model="emb", input=expected["sentences"], **kw)
    check(close([d.embedding for d in e.data], expected["embeddings"]) and e.usage.prompt_tokens > 0,
          f"embeddings ({fmt}) differ from sentence-transformers")


# errors: the client's typed exceptions from OpenAI's status codes and error objects
def expect_error(cls, param, call, what):
    try:
        call()
    except cls as e:
        body = e.body if isinstance(e.body, dict) else {}
        check(body.get("param") == param, f"{what}: param {body.get('param')!r} != {param!r} ({e})")
        return
    except Exception as e:  # noqa: BLE001 - any other outcome is a failure
        check(False, f"{what}: {type(e).__name__} {e}, expected {cls.__name__}")
        return
    check(False, f"{what}: no error, expected {cls.__name__}")


expect_error(openai.NotFoundError, "model",
             lambda: client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}]), "unknown model")
expect_error(openai.BadRequestError, "temperature", lambda: chat("hi", temperature=5), "temperature 5")
expect_error(openai.BadRequestError, "messages",
             lambda: client.chat.completions.create(model="tiny", messages=[]), "no messages")
expect_error(openai.BadRequestError, "n", lambda: chat("hi", n=0), "n = 0")
wrong_key = openai.OpenAI(base_url=BASE, api_key="wrong", max_retries=0, timeout=60)
expect_error(openai.AuthenticationError, None, lambda: wrong_key.models.list(), "wrong API key")

# still serving after the errors
check(chat("hello there", max_tokens=6, temperature=0).choices[0].message.content == greedy, "greedy chat after the errors")

print(f"openai {openai.__version__}: {checks} checks, {len(failures)} failed")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures or checks != 24 else 0)
