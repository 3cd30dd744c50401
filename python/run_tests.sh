#!/usr/bin/env bash
# CI's Python check (ctest python.pytest): a fresh venv, the wheel built against the already built
# library in BUILD_DIR (no second compile of libtransformers), numpy + pytest, then python/tests.
# Any failure, including a venv that cannot be made, fails the test.
set -euo pipefail
BUILD_DIR=$(cd "${1:?usage: run_tests.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")" && pwd)
# The venv is made anew each run, at a fixed place: with the build tools installed in it (no build
# isolation, whose temporary paths would differ every run), ccache finds the extension's objects again.
venv="$BUILD_DIR/python-venv"
rm -rf "$venv"
python3 -m venv "$venv"
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check numpy pytest "scikit-build-core>=0.10" "pybind11>=2.12"
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} "$py" -m pip install --quiet \
  --disable-pip-version-check --no-build-isolation "$SRC" \
  -Ccmake.define.TRANSFORMERS_CPP_BUILD_DIR="$BUILD_DIR" -Cbuild-dir="$BUILD_DIR/python-wheel"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # import the installed package, not the source folder
export HUB_SERVER="$BUILD_DIR/tests/hub_server"  # the test Hub test_hub.py pushes to (built with the tests)
export TRANSFORMERS_CLI="$BUILD_DIR/transformers-cli"  # test_trainer.py compares Trainer with `train`
"$py" -m pytest -q -p no:cacheprovider "$SRC/tests"
