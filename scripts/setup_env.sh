#!/usr/bin/env bash
# Create (or reuse) .venv and install hf-sentiment with its test and demo extras.
# torch is pinned first: on this machine kind, torch==2.13.0 is a CPU build on disk, while an
# unpinned torch requirement with no torch installed would download a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "torch==2.13.0"
python -m pip install --quiet -e ".[test,demo]"
