#!/usr/bin/env python
"""Fine-tune a sentence classifier with label-aware contrastive loss (or CE / CE + SupCon).

The same job as `hf-sentiment train lcl`; its options, defaults and usage are documented in
`hf_sentiment/cli/train_lcl.py` (or `--help`).

    python examples/run_lcl.py --dataset sst5 --output_dir runs/lcl-sst5 --weighting_network shared
"""

from __future__ import annotations

import os
from pathlib import Path

from hf_sentiment.cli import train_lcl as _train_lcl

# Re-exported: the arguments and helpers that tests and benchmarks use.
from hf_sentiment.cli.train_lcl import *

# A checkout keeps the shared data beside it; the installed `hf-sentiment` command cannot guess that.
CHECKOUT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> dict:
    """`hf-sentiment train lcl`, with `../shared/data` beside the checkout as the last-resort data folder."""
    return _train_lcl.main(argv, default_data_dir=os.fspath(CHECKOUT_DATA))


if __name__ == "__main__":
    main()
