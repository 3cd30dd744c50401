#!/usr/bin/env bash
# Issue 24: the official `openai` Python client against `transformers-cli serve` on 127.0.0.1 (the
# GPT-2 fixture with the chat CLI tests' chat tokenizer). The client lives in BINARY_DIR/venv-openai,
# made here with python3 -m venv + pip install openai on the first run and reused after; a client
# that cannot be installed fails the test (it is never skipped).
# usage: run_openai_client_test.sh CLI FIXTURES_DIR TEST_DATA_DIR BINARY_DIR
set -euo pipefail
cli=$1 fixtures=$2 data=$3 bin=$4
here=$(cd "$(dirname "$0")" && pwd)

venv=$bin/venv-openai
if ! "$venv/bin/python" -c 'import openai' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" || { echo "error: python3 -m venv failed (Debian: python3-venv)" >&2; exit 1; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check openai ||
    { echo "error: pip install openai failed" >&2; exit 1; }
fi

tmp=$(mktemp -d)
server=
embed_server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  [ -n "$embed_server" ] && kill "$embed_server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/model"
cp "$fixtures"/hf/models/gpt2/model/* "$data"/cli/chat_tokenizer/* "$tmp/model/"

"$cli" serve --model "$tmp/model" --model-id tiny --port 0 --api-key test-key --max-batch 4 >"$tmp/out" 2>"$tmp/err" &
server=$!
for _ in $(seq 600); do
  grep -q '^serving ' "$tmp/out" && break
  kill -0 "$server" 2>/dev/null || { echo "error: serve exited: $(cat "$tmp/err")" >&2; exit 1; }
  sleep 0.1
done
port=$(sed -nE 's|^serving .* on http://127\.0\.0\.1:([0-9]+)/v1$|\1|p' "$tmp/out")
[ -n "$port" ] || { echo "error: serve did not report its port: $(cat "$tmp/out" "$tmp/err")" >&2; exit 1; }

# An embedding model (a sentence-transformers folder of the embed tests, with its oracle values).
embed_case=$data/sentence/mean_dense_tanh_normalize_lower
"$cli" serve --embeddings --model "$embed_case" --model-id emb --port 0 --api-key test-key >"$tmp/eout" 2>"$tmp/eerr" &
embed_server=$!
for _ in $(seq 600); do
  grep -q '^serving ' "$tmp/eout" && break
  kill -0 "$embed_server" 2>/dev/null || { echo "error: serve --embeddings exited: $(cat "$tmp/eerr")" >&2; exit 1; }
  sleep 0.1
done
export EMBED_PORT=$(sed -nE 's|^serving .* on http://127\.0\.0\.1:([0-9]+)/v1$|\1|p' "$tmp/eout")
[ -n "$EMBED_PORT" ] || { echo "error: serve --embeddings did not report its port" >&2; exit 1; }
export EMBED_EXPECTED=$embed_case/expected.json

# What the chat command answers: the server's greedy and seeded replies must equal it.
export SERVE_PORT=$port
export EXPECTED_GREEDY=$("$cli" chat --model "$tmp/model" --message "hello there" --max-new-tokens 6)
export EXPECTED_SEEDED=$("$cli" chat --model "$tmp/model" --message "hello" --max-new-tokens 8 --do-sample --seed 7 --temperature 1.5)
"$venv/bin/python" "$here/test_openai_client.py"

# SIGTERM stops the server cleanly (exit 0).
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=
[ "$status" -eq 0 ] || { echo "error: serve exited with $status after SIGTERM: $(cat "$tmp/err")" >&2; exit 1; }
echo "openai client test passed"
