#!/usr/bin/env python
"""Continue pre-training an encoder with SoftMCL-style soft momentum contrastive learning (+ MLM),
then export it as a plain encoder checkpoint of its own type.

    python examples/run_softmcl.py --corpus benchmark --lexicon warriner --output_dir runs/softmcl \
        --max_steps 1000 --per_device_train_batch_size 32
    python examples/run_softmcl.py --train_file my_texts.txt --lexicon vader --output_dir runs/softmcl ...
    accelerate launch examples/run_softmcl.py ...   # several processes: keys are gathered across them

Corpus (`--corpus benchmark`, read from `--data_dir`): unlabelled sentences from *train* splits
only (SST-5 train, EmoBank train, SemEval-2014 Laptop and Restaurant train, TweetEval emotion
train); labels are dropped, and only EmoBank brings sentence valences. `--train_file` takes a
`.txt` file (one text a line) or a `.csv` / `.json` / `.jsonl` file with a `text` column and an
optional `valence` column already in [0, 1].

Lexicon (`--lexicon`): `vader` (embedded, default), `warriner` (Warriner et al. 2013 from
`--data_dir`, restricted to XANEW's train split so that its dev/test words stay held out), or a
CSV path with `--lexicon_word_column`, `--lexicon_rating_column` and `--lexicon_scale low high`.

The exported encoder (`<output_dir>/encoder`, with the tokenizer) loads with any `AutoModel*`
class and fine-tunes like the original.
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
