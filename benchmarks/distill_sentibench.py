#!/usr/bin/env python
"""SentiBench before and after targeted distillation, with the offline weights.

Rows (the same capped test subsets and demonstration seeds 42 / 52 / 62 for every row):

    teacher     Gemma-3-270M (base), few-shot as the protocol prompts it
    student     SmolLM2-135M-Instruct, before distillation
    knowdist    the student after KnowDist (LoRA, merged)
    icldist     the KnowDist student after ICLDist (LoRA, merged)

Training goes through `hf_sentiment.cli.train_distill.main` (the job behind `hf-sentiment train
distill`); teacher answers go to one cache, so an interrupted benchmark resumes without paying for
them twice, and finished rows are kept in `--results` (one JSON file per row) and skipped on the
next run.

    pip install 'hf-sentiment[distill]'
    python benchmarks/distill_sentibench.py --results docs/distill_runs --max_examples 20 --num_texts 60 --per_task 10
    python benchmarks/distill_sentibench.py --results docs/distill_runs --table
    python benchmarks/distill_sentibench.py --results docs/distill_runs --check_adapter sst2

`--tasks NAME ...` scores only those datasets (in a results folder of their own). `--compare
TREATED CONTROL` prints one JSON line per dataset the two rows scored in `--work`: the difference
of their scores paired by demonstration seed with its 95% CI and, on the classification sets,
McNemar's exact test over the (seed, example) pairs:

    python benchmarks/distill_sentibench.py --results docs/distill_sentibench_100 --work runs/distill100 --rows teacher student --max_examples 100
    python benchmarks/distill_sentibench.py --work runs/distill100 --compare teacher student

Each row is scored one dataset at a time into `--work`, so an interrupted row resumes at the
dataset it stopped in; students keep a checkpoint every `--save_steps` steps and resume from it.

`--prompt_style paper` (the default) prompts SentiBench, in ICLDist and in the evaluation, as the
paper's evaluation scripts do (their instructions, the `Label:` key); `--prompt_style hf_sentiment`
is our earlier wording with `Answer:`, the style the rows recorded in `docs/distill_runs` used (a
recorded row without a `prompt_style` setting is of that style). A results folder holds one style:
a row recorded in the other style stops the run instead of being skipped. The ICLDist student
depends on the style, so a paper-style one is trained into its own folder (`...-icldist-paper`);
the KnowDist student does not (KnowDist prompts are not SentiBench's) and is shared.

`--check_adapter TASK` loads the final ICLDist adapter with `peft.AutoPeftModelForCausalLM` (not the
merged export the table used), scores TASK with the same protocol, and compares it with the
`icldist` row (`adapter_check_TASK.json`).

`--reproduce ROW` reruns one recorded row under its recorded setting (`max_examples`,
`num_texts`, `per_task`, batch size) into the folder `--scratch DIR` (`DIR/ROW.json`; students
are trained afresh under `DIR/work`, teacher cache included), prints recorded against new for
every score and detail, and exits non-zero when one differs. `--reproduce_tasks TASK ...` scores
only those datasets (each is scored on its own, so a slice compares exactly; the means are then
left out):

    OMP_NUM_THREADS=1 python benchmarks/distill_sentibench.py --reproduce student --scratch /tmp/distill
    OMP_NUM_THREADS=1 python benchmarks/distill_sentibench.py --reproduce knowdist --reproduce_tasks sst2 --scratch /tmp/distill
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import transformers
from runs import ROOT, data_folder, keep_card, mcnemar, paired_difference, report_reproduction
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.trainer_utils import get_last_checkpoint

from hf_sentiment import SentiBenchResults, evaluate_sentibench
from hf_sentiment.data.sentibench import PROMPT_STYLES, SENTIBENCH_TASKS, read_sentibench, resolve_sentibench_root
from hf_sentiment.evaluation.sentibench import PREDICTIONS_JSONL, RESULTS_JSON
from hf_sentiment.offline import offline_llm_folder

ROWS = ("teacher", "student", "knowdist", "icldist")
SEEDS = (42, 52, 62)


def evaluate(folder: Path, args: argparse.Namespace, out: Path, tasks: list[str] | None = None) -> dict:
    """SentiBench scores of the causal LM in `folder` (all 12 datasets, or `tasks`), as a dict.

    Each dataset is scored on its own into `out/<dataset>/` (scores and per-example predictions),
    and a dataset already scored there under the same settings is read back, not scored again: an
    interrupted row resumes at the dataset it stopped in. Scoring a dataset alone gives the same
    numbers as scoring it among the others (demonstrations are drawn per dataset and seed)."""
    model = tokenizer = None
    parts = []
    for name in tasks or list(SENTIBENCH_TASKS):
        saved = out / name / RESULTS_JSON
        if saved.exists():
            part = SentiBenchResults.from_json(saved)
            if all(part.settings.get(key) == value for key, value in scoring_settings(args).items()):
                parts.append(part)
                continue
        if model is None:
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModelForCausalLM.from_pretrained(folder).eval()
        parts.append(
            evaluate_sentibench(
                model, tokenizer, args.data, tasks=name, seeds=SEEDS, output_dir=out / name, **scoring_settings(args)
            )
        )
    return SentiBenchResults.merge(parts).to_dict()


def scoring_settings(args: argparse.Namespace) -> dict:
    """The command-line settings a score depends on (beside the model and the seeds)."""
    return {"max_examples": args.max_examples, "batch_size": args.batch_size, "prompt_style": args.prompt_style}


def recorded_style(record: dict) -> str:
    """The prompt style a recorded row was scored with: rows recorded before the option existed
    used our earlier prompts, `hf_sentiment`."""
    return record.get("settings", {}).get("prompt_style", "hf_sentiment")


def icldist_folder(work: Path, prompt_style: str) -> Path:
    """Where the ICLDist student of `prompt_style` is trained: the `hf_sentiment` one keeps the
    folder the recorded rows used, the `paper` one gets its own (its training prompts differ)."""
    return work / ("smollm2-135m-knowdist-icldist" + ("" if prompt_style == "hf_sentiment" else f"-{prompt_style}"))


def row_folders(args: argparse.Namespace, work: Path) -> dict:
    """Row name -> a function giving the model folder to score (training the students on first call)."""
    folders = {
        "teacher": lambda: offline_llm_folder("gemma-3-270m"),
        "student": lambda: offline_llm_folder("smollm2-135m-instruct"),
    }
    # The training commands name the model after its folder (the card's title).
    knowdist, icldist = work / "smollm2-135m-knowdist", icldist_folder(work, args.prompt_style)
    folders["knowdist"] = lambda: train_stage("knowdist", "smollm2-135m-instruct", knowdist, args)
    folders["icldist"] = lambda: train_stage("icldist", str(folders["knowdist"]()), icldist, args)
    return folders


def train_stage(stage: str, student: str, out: Path, args: argparse.Namespace) -> Path:
    """The merged student of `stage` (KnowDist or ICLDist) in `out`, trained unless already there;
    with `args.card_dir`, the training run's model card is kept there (`keep_card`)."""
    # Imported here so that `--table` works while the training command is being edited.
    from hf_sentiment.cli.train_distill import main as train_distill

    argv = [
        "--stage", stage, "--teacher", "gemma-3-270m", "--student", student, "--cache", str(Path(args.work) / "teacher_cache.jsonl"),
        "--data_dir", args.data, "--output_dir", str(out), "--num_texts", str(args.num_texts), "--per_task", str(args.per_task),
        "--teacher_max_new_tokens", "48", "--num_train_epochs", "1", "--per_device_train_batch_size", "4",
        "--gradient_accumulation_steps", "2", "--learning_rate", "2e-4", "--max_length", "768", "--logging_steps", "10",
        "--report_to", "none", "--seed", "42", "--prompt_style", args.prompt_style,
        # A checkpoint every --save_steps steps (the last one kept): an interrupted stage resumes
        # from it, its teacher answers read back from the cache.
        "--save_strategy", "steps", "--save_steps", str(args.save_steps), "--save_total_limit", "1",
    ]  # fmt: skip
    last = get_last_checkpoint(str(out)) if out.is_dir() else None
    argv += ["--resume_from_checkpoint", last] if last else ["--overwrite_output_dir"]
    if not (out / "merged" / "config.json").exists():
        train_distill(argv)
        record = {"row": stage, "teacher": "gemma-3-270m", "student": student}
        record |= {"num_texts": args.num_texts, "per_task": args.per_task}
        settings = {"learning_rate": 2e-4, "num_train_epochs": 1, "per_device_train_batch_size": 4, "seed": 42}
        keep_card(out, args.card_dir, record, settings | {"gradient_accumulation_steps": 2})
    return out / "merged"


def check_adapter(args: argparse.Namespace) -> None:
    from peft import AutoPeftModelForCausalLM

    recorded = json.loads((Path(args.results) / "icldist.json").read_text())
    style = recorded_style(recorded)  # the recorded row's style wins over the command line's
    adapter = icldist_folder(Path(args.work), style)
    model = AutoPeftModelForCausalLM.from_pretrained(adapter).eval()
    tokenizer = AutoTokenizer.from_pretrained(adapter)
    results = evaluate_sentibench(
        model, tokenizer, args.data, tasks=args.check_adapter, seeds=SEEDS, max_examples=args.max_examples,
        batch_size=args.batch_size, prompt_style=style,
    )  # fmt: skip
    merged = recorded["tasks"][args.check_adapter]["scores"]
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


def reproduce(args: argparse.Namespace) -> int:
    """Rerun the recorded row `args.reproduce` under its recorded setting and compare; returns the
    exit code. With `--reproduce_tasks`, only those datasets are scored and compared (the means
    over all 12 are left out of the comparison)."""
    if args.scratch is None:
        raise SystemExit("--reproduce needs --scratch DIR (where the rerun goes; never the recorded results)")
    scratch = Path(args.scratch)
    if scratch.resolve() == Path(args.results).resolve():
        raise SystemExit("--scratch must not be the recorded results folder")
    recorded = json.loads((Path(args.results) / f"{args.reproduce}.json").read_text())
    # The recorded setting wins over the command line's.
    args.max_examples = recorded["setting"]["max_examples"]
    args.num_texts = recorded["setting"]["num_texts"]
    args.per_task = recorded["setting"]["per_task"]
    args.batch_size = recorded["settings"]["batch_size"]
    args.prompt_style = recorded_style(recorded)
    transformers.utils.logging.set_verbosity_error()
    work = scratch / "work"
    print(f"== reproduce {args.reproduce} ({args.reproduce_tasks or 'all 12 datasets'})", flush=True)
    folder = row_folders(args, work)[args.reproduce]()
    now = evaluate(folder, args, work / f"sentibench-{args.reproduce}", args.reproduce_tasks)
    now["setting"] = {"max_examples": args.max_examples, "num_texts": args.num_texts, "per_task": args.per_task}
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / f"{args.reproduce}.json").write_text(json.dumps(now, indent=1))
    if args.reproduce_tasks:
        recorded = {**recorded, "tasks": {name: recorded["tasks"][name] for name in now["tasks"]}}
        for name in ("mean", "group_means"):
            recorded.pop(name, None)
            now.pop(name, None)
    # The model's path is where this rerun keeps it, not a result.
    return report_reproduction(recorded, now, ignore=("settings.model",))


def compare(args: argparse.Namespace, treated: str, control: str) -> list[dict]:
    """Row `treated` against row `control`, one dict per dataset both scored: the mean score of
    each (× 100), their difference paired by demonstration seed with its 95% CI, and on the
    classification sets the accuracy of each and the exact McNemar test over the (seed, example)
    pairs (each test example once per seed, with that seed's demonstrations)."""
    root = resolve_sentibench_root(args.data)
    lines = []
    for name, task in SENTIBENCH_TASKS.items():
        folders = [Path(args.work) / f"sentibench-{row}" / name for row in (treated, control)]
        if not all((folder / RESULTS_JSON).exists() for folder in folders):
            continue
        a, b = (SentiBenchResults.from_json(folder / RESULTS_JSON).tasks[name] for folder in folders)
        if a.n_examples != b.n_examples:
            raise SystemExit(f"{name}: {treated} scored {a.n_examples} examples, {control} {b.n_examples}")
        seeds = sorted(a.scores.keys() & b.scores.keys())
        line = {"task": name, "metric": task.metric, "n_examples": a.n_examples, "seeds": seeds}
        line[treated], line[control] = (100 * statistics.fmean(r.scores[s] for s in seeds) for r in (a, b))
        line["difference"] = paired_difference([100 * a.scores[s] for s in seeds], [100 * b.scores[s] for s in seeds])
        if task.kind == "classification":
            gold = [example.label for example in read_sentibench(root, name, "test")[: a.n_examples]]
            right = [_right_answers(folder / PREDICTIONS_JSONL, gold, seeds) for folder in folders]
            pairs = list(zip(*right, strict=True))
            line["accuracy"] = {row: 100 * sum(r) / len(r) for row, r in zip((treated, control), right, strict=True)}
            line["only_right"] = {
                treated: sum(x and not y for x, y in pairs),
                control: sum(y and not x for x, y in pairs),
            }
            line["mcnemar_p"] = mcnemar(*line["only_right"].values())
        lines.append(line)
    return lines


def _right_answers(path: Path, gold: list[str], seeds: list[int]) -> list[bool]:
    """Whether each (seed, test example) prediction in the predictions file `path` is the gold
    label, seed by seed in `seeds`' order."""
    predicted: dict[tuple[int, int], str] = {}
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            predicted[record["seed"], record["index"]] = record["prediction"]
    return [predicted[seed, index] == label for seed in seeds for index, label in enumerate(gold)]


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
    styles = ", ".join(f"{row}: {recorded_style(results[row])}" for row in rows)
    footnote = f"Scores × 100; mean ± std over the demonstration seeds 42 / 52 / 62. Prompt style: {styles}."
    return "\n".join(lines) + "\n\n" + footnote


def _mean_std(values: list[float]) -> str:
    values = [100 * v for v in values]
    return f"{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}" if len(values) > 1 else f"{values[0]:.1f}"


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument("--results", default=str(ROOT / "docs" / "distill_runs"))
    parser.add_argument("--work", default=str(ROOT / "runs" / "distill"), help="Teacher cache and trained students.")
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument(
        "--max_examples", type=int, default=20, help="Test examples per dataset (the same for every row)."
    )
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--num_texts", type=int, default=60, help="KnowDist: unlabelled train sentences.")
    parser.add_argument("--per_task", type=int, default=10, help="ICLDist: prompts per SentiBench task.")
    parser.add_argument("--save_steps", type=int, default=50, help="Students: a checkpoint every N steps (to resume).")
    parser.add_argument(
        "--prompt_style",
        choices=list(PROMPT_STYLES),
        default="paper",
        help="SentiBench prompts: paper (the paper's instructions and 'Label:' key) or hf_sentiment (ours, 'Answer:').",
    )
    parser.add_argument("--table", action="store_true")
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("TREATED", "CONTROL"),
        choices=ROWS,
        help="Print one JSON line per dataset: TREATED - CONTROL, paired by seed, and McNemar's test (from --work).",
    )
    parser.add_argument("--check_adapter", metavar="TASK", help="Re-score TASK from the ICLDist adapter (PEFT).")
    parser.add_argument("--reproduce", choices=ROWS, help="Rerun this recorded row and compare it (see above).")
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=list(SENTIBENCH_TASKS),
        help="Score only these datasets (e.g. the ones where the teacher leads; default: all 12).",
    )
    parser.add_argument(
        "--reproduce_tasks",
        nargs="+",
        choices=list(SENTIBENCH_TASKS),
        help="--reproduce: score only these datasets (a cheaper slice).",
    )
    parser.add_argument("--scratch", default=None, help="--reproduce: the folder the rerun is written to.")
    parser.add_argument(
        "--card_dir", default=None, help="Keep each trained student's model card here (e.g. model_cards)."
    )
    return parser


def check_results_style(path: Path, prompt_style: str) -> None:
    """Stop when the recorded row `path` was scored in another prompt style than `prompt_style`
    (skipping it would mix styles in one table)."""
    style = recorded_style(json.loads(path.read_text()))
    if style != prompt_style:
        raise SystemExit(
            f"{path} was scored with {style} prompts, not {prompt_style}: give another --results "
            f"folder (or --prompt_style {style} to complete that folder)"
        )


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.reproduce or args.check_adapter or args.compare or not args.table:  # the table needs no data
        args.data = data_folder(args.data)
    if args.compare:
        for line in compare(args, *args.compare):
            print(json.dumps(line))
        return
    if args.reproduce:
        raise SystemExit(reproduce(args))
    if args.check_adapter:
        check_adapter(args)
        return

    results_dir = Path(args.results)
    results_dir.mkdir(parents=True, exist_ok=True)
    if not args.table:
        # Before any work: a folder with rows of another style is not this run's to complete.
        for row in args.rows:
            if (results_dir / f"{row}.json").exists():
                check_results_style(results_dir / f"{row}.json", args.prompt_style)
        transformers.utils.logging.set_verbosity_error()
        work = Path(args.work)
        folders = row_folders(args, work)
        for row in args.rows:
            path = results_dir / f"{row}.json"
            if path.exists():
                continue
            print(f"== {row}", flush=True)
            result = evaluate(folders[row](), args, work / f"sentibench-{row}", args.tasks)
            result["setting"] = {
                "tasks": args.tasks or list(SENTIBENCH_TASKS),
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
