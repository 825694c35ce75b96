#!/usr/bin/env python
"""Fine-tune a sentence classifier with label-aware contrastive loss (or CE / CE + SupCon).

Trains with `LossPartsTrainer` (a plain `transformers.Trainer` that also logs the loss parts; the
model computes its own loss), picks the best epoch
on the dev split (macro-F1), scores the test split once, writes per-class F1 and a confusion-matrix
PNG, and saves a lean classifier (the weighting network stripped) that loads with
`AutoModelForSequenceClassification`.

    python examples/run_lcl.py --dataset sst5 --output_dir runs/lcl-sst5 \
        --contrastive_loss label_aware --weighting_network shared --num_train_epochs 3

Datasets (read from `--data_dir`, default `../shared/data`): sst2, sst5, goemotions (the
single-label subset, 28 classes), tweeteval_emotion (4), empathetic_dialogues (32; only the
validation split exists offline, so it runs stratified cross-validation: `--fold i` of
`--num_folds`, with 10% of the training folds held out as dev).
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
