"""`hf-sentiment sentibench`: evaluate a causal LM (or a LoRA adapter on one) on SentiBench.

A thin front to `evaluate_sentibench` (the paper's few-shot protocol; see
`hf_sentiment.evaluation.sentibench`): it checks the folder, the task names and the data folder
before any weights load, prints the Markdown table and, with `--output`, leaves the JSON results and
every prediction there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import (
    NOT_AN_ADAPTER,
    CLIError,
    add_batch_size,
    check_at_least,
    expect_file,
    model_folder,
    require_kind,
    resolve_data_dir,
)

DESCRIPTION = """\
Evaluate a causal LM on SentiBench with the few-shot protocol of Zhang et al. (2025) and print the
Markdown table (scores in %, mean ± std over seeds).

  --model DIR          a causal LM folder, or with --adapter a LoRA adapter folder (from `train distill`)
  --data_dir DIR       the shared data folder holding sentibench/, or the SentiBench folder itself
                       (default: $HF_SENTIMENT_DATA, else ../shared/data beside a checkout)
  --tasks ...          task names, space- or comma-separated, or 'all' (the 12 datasets)
  --prompt_style S     paper (default: the paper's instructions and "Label:" key) or hf_sentiment
                       (our earlier wording and "Answer:" key)

Example:
  hf-sentiment sentibench --model runs/distill/icldist/merged --data_dir ../shared/data \\
      --tasks sst2 atsa_rest16 --seeds 42 --max_examples 50 --output runs/sentibench
"""


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of `hf-sentiment sentibench` beside `--model` (the parser comes from `hf_sentiment.cli.COMMANDS`)."""
    parser.add_argument("--adapter", action="store_true", help="--model is a PEFT adapter folder")
    parser.add_argument(
        "--data_dir",
        default=None,
        metavar="DIR",
        help="SentiBench data (default: $HF_SENTIMENT_DATA, else ../shared/data beside a checkout)",
    )
    parser.add_argument("--tasks", nargs="+", default=["all"], metavar="TASK", help="tasks to run (default: all)")
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=[42, 52, 62], metavar="SEED", help="one score per seed (42 52 62)"
    )
    parser.add_argument("--k", type=int, default=4, help="demonstrations per prompt (default 4; 0 for zero-shot)")
    parser.add_argument("--max_examples", type=int, default=None, metavar="N", help="first N test rows per dataset")
    add_batch_size(parser, 8, "prompts")
    parser.add_argument("--max_new_tokens", type=int, default=64, metavar="N", help="extraction answer budget (64)")
    parser.add_argument("--chat_template", action="store_true", help="wrap prompts in the tokenizer's chat template")
    parser.add_argument(
        "--prompt_style",
        # hf_sentiment.data.sentibench.PROMPT_STYLES, not imported here: --help stays fast.
        choices=["paper", "hf_sentiment"],
        default="paper",
        help="paper: the paper's instructions and 'Label:' key (default; scores compare with the paper's); "
        "hf_sentiment: our earlier wording and 'Answer:' key (the recorded docs/distill_runs)",
    )
    parser.add_argument("--output", default=None, metavar="DIR", help="write results JSON / Markdown / predictions")


def task_list(specs: list[str]) -> list[str]:
    """Task names from `--tasks` (space- and/or comma-separated; `all`), checked against SentiBench.

    Raises:
        CLIError: naming the unknown tasks and listing the known ones.
    """
    from ..data.sentibench import SENTIBENCH_TASKS

    names = [name.strip() for spec in specs for name in spec.split(",") if name.strip()]
    if names == ["all"]:
        return list(SENTIBENCH_TASKS)
    unknown = [name for name in names if name not in SENTIBENCH_TASKS]
    if unknown or not names:
        raise CLIError(f"unknown SentiBench task(s) {unknown}; choose from all, {', '.join(SENTIBENCH_TASKS)}.")
    if len(set(names)) != len(names):
        raise CLIError(f"--tasks repeats a task: {names}.")
    return names


def run(args: argparse.Namespace) -> int:
    tasks = task_list(args.tasks)
    check_at_least(args, k=0, max_examples=1, batch_size=1, max_new_tokens=1)
    if len(set(args.seeds)) != len(args.seeds):
        raise CLIError(f"--seeds repeats a seed: {args.seeds}.")
    try:
        data_dir = resolve_data_dir(args.data_dir)
    except SystemExit as error:
        raise CLIError(str(error.code)) from None

    from ..data.sentibench import resolve_sentibench_root

    try:
        resolve_sentibench_root(data_dir)
    except FileNotFoundError as error:
        raise CLIError(f"--data_dir: {error}.") from None
    model, tokenizer = _load(Path(args.model), args.adapter)

    from ..evaluation import evaluate_sentibench

    results = evaluate_sentibench(
        model,
        tokenizer,
        data_dir,
        tasks=tasks,
        seeds=args.seeds,
        k=args.k,
        max_examples=args.max_examples,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        output_dir=args.output,
        use_chat_template=args.chat_template,
        prompt_style=args.prompt_style,
        show_progress=sys.stderr.isatty(),  # a bar per batch is noise in logs
    )
    sys.stdout.write(results.to_markdown().rstrip("\n") + "\n")
    return 0


def _load(path: Path, adapter: bool) -> tuple[Any, Any]:
    """The model in eval mode and its tokenizer, after checking the folder is the right kind."""
    if adapter:
        expect_file(
            path,
            "--model",
            "adapter_config.json",
            instead=("config.json", f"{NOT_AN_ADAPTER} (drop --adapter for a full model)."),
            otherwise=f"{NOT_AN_ADAPTER}.",
        )
        from peft import AutoPeftModelForCausalLM
        from transformers import AutoTokenizer

        return AutoPeftModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)
    folder = model_folder(path)
    require_kind(folder, ("causal-lm",), "sentibench", hint="SentiBench prompts a generative (causal) LM.")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


__all__ = ["add_options", "run", "task_list"]
