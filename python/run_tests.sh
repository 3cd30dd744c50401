#!/usr/bin/env bash
# CI's Python check (ctest python.pytest): a fresh venv, the wheel built against the already built
# library in BUILD_DIR (no second compile of libtransformers), numpy + pytest, then python/tests.
# Any failure, including a venv that cannot be made, fails the test.
set -euo pipefail
BUILD_DIR=$(cd "${1:?usage: run_tests.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check numpy pytest
# build-dir inside BUILD_DIR: a rerun rebuilds only what changed (ccache covers a fresh clone)
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} "$py" -m pip install --quiet \
  --disable-pip-version-check "$SRC" \
  -Ccmake.define.TRANSFORMERS_CPP_BUILD_DIR="$BUILD_DIR" -Cbuild-dir="$BUILD_DIR/python-wheel"
cd "$work"  # import the installed package, not the source folder
"$py" -m pytest -q -p no:cacheprovider "$SRC/tests"
