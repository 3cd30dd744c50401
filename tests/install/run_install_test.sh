#!/usr/bin/env bash
# cmake --install the built tree into a temporary prefix, then configure, build and run a separate
# project that finds it with find_package(transformers).
set -euo pipefail
SRC=$1; BIN=$2; FIXTURES=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$BIN" --prefix "$work/prefix" >/dev/null
cmake -S "$SRC/tests/install/example" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" -j2 >/dev/null
out=$("$work/build/example" "$FIXTURES/hf/models/gpt2/model")
echo "$out"
# GPT-2 fixture: 18858 parameters (facts.json), vocab 99.
[ "$out" = "num_parameters=18858 logits=[1, 4, 99]" ]
