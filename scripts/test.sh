#!/usr/bin/env bash
# Set up the environment, then run the test suite (fast tests; `-m slow` for the long ones).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1
python -m pytest "$@"
