#!/usr/bin/env python
"""SentiBench before and after targeted distillation, with the offline weights.

Rows (the same capped test subsets and demonstration seeds 42 / 52 / 62 for every row):

    teacher     Gemma-3-270M (base), few-shot as the protocol prompts it
    student     SmolLM2-135M-Instruct, before distillation
    knowdist    the student after KnowDist (LoRA, merged)
    icldist     the KnowDist student after ICLDist (LoRA, merged)

Training goes through `examples/run_distill.py`; teacher answers go to one cache, so an
interrupted benchmark resumes without paying for them twice, and finished rows are kept in
`--results` (one JSON file per row) and skipped on the next run.

    pip install 'hf-sentiment[distill]'
    python benchmarks/distill_sentibench.py --results docs/distill_runs --max_examples 20 --num_texts 60 --per_task 10
    python benchmarks/distill_sentibench.py --results docs/distill_runs --table
    python benchmarks/distill_sentibench.py --results docs/distill_runs --check_adapter sst2

`--check_adapter TASK` loads the final ICLDist adapter with `peft.AutoPeftModelForCausalLM` (not the
merged export the table used), scores TASK with the same protocol, and compares it with the
`icldist` row (`adapter_check_TASK.json`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

from hf_sentiment import evaluate_sentibench
from hf_sentiment.data.sentibench import SENTIBENCH_TASKS
from hf_sentiment.offline import offline_llm_folder
from runs import ROOT, load_example

ROWS = ("teacher", "student", "knowdist", "icldist")


def evaluate(folder: Path, args: argparse.Namespace, out: Path) -> dict:
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    results = evaluate_sentibench(
        model, tokenizer, args.data, seeds=(42, 52, 62), max_examples=args.max_examples, batch_size=args.batch_size,
        output_dir=out,
    )  # fmt: skip
    return results.to_dict()


def train_stage(example, stage: str, student: str, out: Path, args: argparse.Namespace) -> Path:
    argv = [
        "--stage", stage, "--teacher", "gemma-3-270m", "--student", student, "--cache", str(Path(args.work) / "teacher_cache.jsonl"),
        "--data_dir", args.data, "--output_dir", str(out), "--num_texts", str(args.num_texts), "--per_task", str(args.per_task),
        "--teacher_max_new_tokens", "48", "--num_train_epochs", "1", "--per_device_train_batch_size", "4",
        "--gradient_accumulation_steps", "2", "--learning_rate", "2e-4", "--max_length", "768", "--logging_steps", "10",
        "--save_strategy", "no", "--report_to", "none", "--seed", "42",
    ]  # fmt: skip
    if not (out / "merged" / "config.json").exists():
        example.main(argv)
    return out / "merged"


def check_adapter(args: argparse.Namespace) -> None:
    from peft import AutoPeftModelForCausalLM

    adapter = Path(args.work) / "icldist"
    model = AutoPeftModelForCausalLM.from_pretrained(adapter).eval()
    tokenizer = AutoTokenizer.from_pretrained(adapter)
    results = evaluate_sentibench(
        model, tokenizer, args.data, tasks=args.check_adapter, seeds=(42, 52, 62), max_examples=args.max_examples,
        batch_size=args.batch_size,
    )  # fmt: skip
    merged = json.loads((Path(args.results) / "icldist.json").read_text())["tasks"][args.check_adapter]["scores"]
    adapter_scores = results.tasks[args.check_adapter].scores
    check = {
        "task": args.check_adapter,
        "adapter": str(adapter),
        "model_class": type(model).__name__,
        "adapter_scores": {str(seed): score for seed, score in adapter_scores.items()},
        "merged_scores": merged,
    }
    check["equal"] = all(abs(check["adapter_scores"][seed] - merged[seed]) < 1e-9 for seed in merged)
    (Path(args.results) / f"adapter_check_{args.check_adapter}.json").write_text(json.dumps(check, indent=1))
    print(json.dumps(check, indent=1))


def table(results: dict[str, dict]) -> str:
    rows = [r for r in ROWS if r in results]
    lines = ["| dataset | metric | " + " | ".join(rows) + " |", "|---|---|" + "---|" * len(rows)]
    for name, task in SENTIBENCH_TASKS.items():
        cells = []
        for row in rows:
            scores = results[row]["tasks"].get(name, {}).get("scores")
            cells.append(_mean_std(list(scores.values())) if scores else "–")
        lines.append(f"| {name} | {task.metric} | " + " | ".join(cells) + " |")
    means = []
    for row in rows:
        per_seed = {}
        for task in results[row]["tasks"].values():
            for seed, score in task["scores"].items():
                per_seed.setdefault(seed, []).append(score)
        complete = [statistics.mean(v) for v in per_seed.values() if len(v) == len(SENTIBENCH_TASKS)]
        means.append(_mean_std(complete) if complete else "–")
    lines.append("| **mean of 12** | | " + " | ".join(means) + " |")
    return "\n".join(lines) + "\n\nScores × 100; mean ± std over the demonstration seeds 42 / 52 / 62."


def _mean_std(values: list[float]) -> str:
    values = [100 * v for v in values]
    return f"{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}" if len(values) > 1 else f"{values[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("HF_SENTIMENT_DATA", str(ROOT.parent / "shared" / "data")))
    parser.add_argument("--results", default=str(ROOT / "docs" / "distill_runs"))
    parser.add_argument("--work", default=str(ROOT / "runs" / "distill"), help="Teacher cache and trained students.")
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument(
        "--max_examples", type=int, default=20, help="Test examples per dataset (the same for every row)."
    )
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--num_texts", type=int, default=60, help="KnowDist: unlabelled train sentences.")
    parser.add_argument("--per_task", type=int, default=10, help="ICLDist: prompts per SentiBench task.")
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--check_adapter", metavar="TASK", help="Re-score TASK from the ICLDist adapter (PEFT).")
    args = parser.parse_args()
    if args.check_adapter:
        check_adapter(args)
        return

    results_dir = Path(args.results)
    results_dir.mkdir(parents=True, exist_ok=True)
    if not args.table:
        transformers.utils.logging.set_verbosity_error()
        example = load_example("run_distill")
        work = Path(args.work)
        folders = {
            "teacher": lambda: offline_llm_folder("gemma-3-270m"),
            "student": lambda: offline_llm_folder("smollm2-135m-instruct"),
        }
        folders["knowdist"] = lambda: train_stage(example, "knowdist", "smollm2-135m-instruct", work / "knowdist", args)
        folders["icldist"] = lambda: train_stage(
            example, "icldist", str(work / "knowdist" / "merged"), work / "icldist", args
        )
        for row in args.rows:
            path = results_dir / f"{row}.json"
            if path.exists():
                continue
            print(f"== {row}", flush=True)
            result = evaluate(folders[row](), args, work / f"sentibench-{row}")
            result["setting"] = {
                "max_examples": args.max_examples,
                "num_texts": args.num_texts,
                "per_task": args.per_task,
            }
            path.write_text(json.dumps(result, indent=1))
    results = {
        path.stem: json.loads(path.read_text()) for path in sorted(results_dir.glob("*.json")) if path.stem in ROWS
    }
    print(table(results))


if __name__ == "__main__":
    main()
