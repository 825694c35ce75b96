#!/usr/bin/env python
"""Continue pre-training an encoder SoftMCL-style, then export it as a plain encoder.

The same job as `hf-sentiment train softmcl`; its options, defaults and usage are documented in
`hf_sentiment/cli/train_softmcl.py` (or `--help`).

    python examples/run_softmcl.py --corpus benchmark --lexicon warriner --output_dir runs/softmcl --max_steps 1000
"""

from __future__ import annotations

import os
from pathlib import Path

from hf_sentiment.cli import train_softmcl as _train_softmcl

# Re-exported: the arguments and helpers that tests and benchmarks use.
from hf_sentiment.cli.train_softmcl import *

# A checkout keeps the shared data beside it; the installed `hf-sentiment` command cannot guess that.
CHECKOUT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> dict:
    """`hf-sentiment train softmcl`, with `../shared/data` beside the checkout as the last-resort data folder."""
    return _train_softmcl.main(argv, default_data_dir=os.fspath(CHECKOUT_DATA))


if __name__ == "__main__":
    main()
