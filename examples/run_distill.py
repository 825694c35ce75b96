#!/usr/bin/env python
"""Targeted distillation (KnowDist, then ICLDist) into a LoRA student, with SentiBench.

The same job as `hf-sentiment train distill`; its options, defaults and usage are documented in
`hf_sentiment/cli/train_distill.py` (or `--help`).

    python examples/run_distill.py --stage knowdist --teacher gemma-3-270m --student smollm2-135m-instruct --output_dir runs/distill/knowdist
"""

from __future__ import annotations

import os
from pathlib import Path

from hf_sentiment.cli import train_distill as _train_distill

# Re-exported: the arguments and helpers that tests and benchmarks use.
from hf_sentiment.cli.train_distill import *

# A checkout keeps the shared data beside it; the installed `hf-sentiment` command cannot guess that.
CHECKOUT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> dict:
    """`hf-sentiment train distill`, with `../shared/data` beside the checkout as the last-resort data folder."""
    return _train_distill.main(argv, default_data_dir=os.fspath(CHECKOUT_DATA))


if __name__ == "__main__":
    main()
