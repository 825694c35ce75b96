#!/usr/bin/env python
"""Train and evaluate FCKT for targeted sentiment analysis.

The same job as `hf-sentiment train fckt`; its options, defaults and usage are documented in
`hf_sentiment/cli/train_fckt.py` (or `--help`).

    python examples/run_fckt.py --train_file train.txt --validation_file dev.txt --test_file test.txt --output_dir runs/fckt
"""

from __future__ import annotations

# Re-exported: main, the arguments and helpers tests and benchmarks use.
from hf_sentiment.cli.train_fckt import *
from hf_sentiment.cli.train_fckt import main

if __name__ == "__main__":
    main()
