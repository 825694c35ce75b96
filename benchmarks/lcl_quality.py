#!/usr/bin/env python
"""Label-aware contrastive loss vs CE and CE + SupCon on emotion and sentiment data.

Every run goes through `hf_sentiment.cli.train_lcl.main` (the job behind `hf-sentiment train lcl`):
MiniLM-L6 encoder, the same epochs and learning rate for every arm, the best epoch chosen on dev
(macro-F1), test scored once. Runs are appended to a JSON-lines file, so an interrupted benchmark
resumes where it stopped.

Arms: ce; ce_supcon; lcl_separate (the paper's second encoder); lcl_shared (a light head on the
shared encoder); all with the default dropout view. On request (`--arms`): lcl_separate_synonym
and lcl_shared_synonym, the same with the authors' WordNet synonym view; lcl_shared_detached, the
shared head with LCL's gradient kept out of the weighting head (`--no_weighting_gradient`).

Datasets: goemotions (single-label subset, 28 classes), tweeteval_emotion (4), sst5, sst2,
empathetic_dialogues (32; validation split only offline: 5-fold stratified cross-validation, one
fold per seed, so its spread mixes seeds and folds).

    python benchmarks/lcl_quality.py --results docs/lcl_runs.jsonl [--datasets sst5 ...] [--arms ...]
    python benchmarks/lcl_quality.py --results docs/lcl_runs.jsonl --table
    python benchmarks/lcl_quality.py --results docs/lcl_runs.jsonl --per_class goemotions

`--confusion_dir DIR` keeps each new run's test confusion matrix as a PNG.

`--summary` prints one JSON line per (dataset, arm): the seeds and folds, mean and std of
accuracy, macro-F1 and weighted-F1, and the paired macro-F1 difference to CE with its 95% CI.
`--folds` runs several EmpatheticDialogues folds per seed (issue 21's powered design, 5 folds x
2 seeds, 5 epochs, in its own results file):

    python benchmarks/lcl_quality.py --results docs/lcl_ed_runs.jsonl --datasets empathetic_dialogues \
        --arms ce ce_supcon lcl_separate lcl_separate_synonym --seeds 42 43 --folds 0 1 2 3 4 --epochs 5
    python benchmarks/lcl_quality.py --results docs/lcl_ed_runs.jsonl --summary

`--reproduce FIELD=VALUE ...` reruns the one recorded run those fields pick (with its recorded
fold, epochs, learning rate and training cap) into `--scratch FILE`, prints recorded against new
for every metric, and exits non-zero when a score differs:

    OMP_NUM_THREADS=1 python benchmarks/lcl_quality.py --reproduce dataset=tweeteval_emotion arm=ce seed=42 --scratch /tmp/lcl.jsonl
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
from pathlib import Path

from runs import (
    ROOT,
    RunLog,
    data_folder,
    keep_card,
    mean_std,
    paired_difference,
    parse_selector,
    pick_recorded,
    report_reproduction,
    run_folder,
    scratch_log,
)

ARMS = {
    "ce": {"contrastive_loss": "none"},
    "ce_supcon": {"contrastive_loss": "supcon"},
    "lcl_separate": {"contrastive_loss": "label_aware", "weighting_network": "separate"},
    "lcl_shared": {"contrastive_loss": "label_aware", "weighting_network": "shared"},
    # The authors' second view (WordNet synonyms) instead of the dropout view; not run by default.
    "lcl_separate_synonym": {
        "contrastive_loss": "label_aware",
        "weighting_network": "separate",
        "augmentation": "synonym",
    },
    "lcl_shared_synonym": {"contrastive_loss": "label_aware", "weighting_network": "shared", "augmentation": "synonym"},
    # Issue 21's first candidate cause of the shared head's loss on GoEmotions: the head's own CE
    # pulling the encoder (its weight 0 leaves the head trained by LCL's gradient alone).
    "lcl_shared_no_weighting_ce": {
        "contrastive_loss": "label_aware",
        "weighting_network": "shared",
        "weighting_ce_weight": 0.0,
    },
    # An ablation: LCL's gradient kept out of the shared head (and so out of the encoder's weighting path).
    "lcl_shared_detached": {
        "contrastive_loss": "label_aware",
        "weighting_network": "shared",
        "weighting_gradient": False,
    },
}
MAIN_ARMS = ("ce", "ce_supcon", "lcl_separate", "lcl_shared")
DATASETS = ("goemotions", "tweeteval_emotion", "sst5", "sst2", "empathetic_dialogues")
METRICS = (("accuracy", "accuracy"), ("macro_f1", "macro-F1"), ("weighted_f1", "weighted-F1"))


def run_one(
    data: str,
    dataset: str,
    arm: str,
    seed: int,
    fold: int,
    epochs: float,
    lr: float,
    cap: int | None,
    confusion_dir: str | None = None,
    card_dir: str | None = None,
) -> dict:
    """Train and score one arm on one dataset, seed and fold; the record a benchmark keeps (its key
    and every metric `train_lcl.main` returns). `cap` trains on the first `cap` rows; with
    `card_dir`, the run's model card is kept there (`keep_card`)."""
    # Imported here so that `--table` and `--per_class` work while the training command is edited.
    from hf_sentiment.cli.train_lcl import main as train_lcl

    capped = "" if cap is None else f"-first{cap}"
    name = f"{dataset}{capped}-{arm}-seed{seed}-fold{fold}"
    output = run_folder(f"minilm-l6-lcl-{name.replace('_', '-')}")
    argv = [
        "--dataset", dataset, "--data_dir", data, "--output_dir", str(output), "--seed", str(seed),
        "--fold", str(fold), "--num_train_epochs", str(epochs), "--learning_rate", str(lr),
        "--warmup_steps", "0.1", "--per_device_train_batch_size", "16", "--per_device_eval_batch_size", "64",
        "--eval_strategy", "epoch", "--save_strategy", "epoch", "--save_total_limit", "1",
        "--load_best_model_at_end", "--metric_for_best_model", "macro_f1",
        "--train_sampling_strategy", "group_by_length", "--disable_tqdm", "True", "--report_to", "none",
        "--logging_steps", "50",  # LCL's weighting entropy is recorded per epoch from these log lines
    ]  # fmt: skip
    for key, value in ARMS[arm].items():
        argv += [f"--{key}", str(value)]
    if cap is not None:
        argv += ["--max_train_samples", str(cap)]
    try:
        metrics = train_lcl(argv)
        if confusion_dir is not None:
            try:  # a figure must not cost the run's metrics
                Path(confusion_dir).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(output / "confusion_matrix_test.png", Path(confusion_dir) / f"{name}.png")
            except OSError as error:
                print(f"warning: confusion matrix not kept: {error}", flush=True)
        record = {"dataset": dataset, "arm": arm, "seed": seed, "fold": fold, "epochs": epochs, "learning_rate": lr}
        record |= {"max_train_samples": cap, **metrics}
        keep_card(output, card_dir, record, {"learning_rate": lr, "num_train_epochs": epochs, "seed": seed, **ARMS[arm]})
    finally:
        shutil.rmtree(output.parent, ignore_errors=True)
    return record


def paired_gain(chosen: list[dict], baseline: list[dict], key: str = "test_macro_f1") -> str:
    """`key` (macro-F1 by default) minus CE's on the same seed (and fold), mean ± std over the
    pairs: the seed's (and fold's) own difficulty cancels, which the per-arm spreads mix in."""
    ce = {(r["seed"], r["fold"]): r[key] for r in baseline}
    gains = [r[key] - ce[r["seed"], r["fold"]] for r in chosen if (r["seed"], r["fold"]) in ce]
    return mean_std(gains, signed=True)


def runs_of(runs: list[dict], dataset: str, cap: int | None, arm: str | None = None) -> list[dict]:
    """The runs of `dataset` trained on `cap` rows (`None`: all of them), of one `arm` if given."""
    return [r for r in runs if (r["dataset"], r.get("max_train_samples")) == (dataset, cap) and arm in (None, r["arm"])]


def per_class_table(runs: list[dict], dataset: str, cap: int | None = None) -> str:
    """Test F1 per class: CE's, and each other arm's paired difference to it (the runs of
    `dataset` trained on `cap` rows). Rows follow the dataset's label order."""
    chosen = runs_of(runs, dataset, cap)
    baseline = runs_of(chosen, dataset, cap, "ce")
    if not baseline:
        raise SystemExit(f"no CE runs of {dataset} (max_train_samples={cap}) recorded")
    classes = [key.removeprefix("test_f1_") for key in baseline[0] if key.startswith("test_f1_")]
    arms = [arm for arm in ARMS if arm != "ce" and any(r["arm"] == arm for r in chosen)]
    rows = [
        f"| class | ce F1 ({len(baseline)} runs) | " + " | ".join(f"{arm} Δ F1" for arm in arms) + " |",
        "|---|---|" + "---|" * len(arms),
    ]
    for name in classes:
        key = f"test_f1_{name}"
        cells = [mean_std([r[key] for r in baseline])]
        cells += [paired_gain(runs_of(chosen, dataset, cap, arm), baseline, key) for arm in arms]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def table(runs: list[dict]) -> str:
    rows = [
        "| dataset | arm | runs | " + " | ".join(name for _, name in METRICS) + " | Δ macro-F1 vs CE, paired |",
        "|---|---|---|" + "---|" * (len(METRICS) + 1),
    ]
    caps = sorted({r.get("max_train_samples") for r in runs}, key=lambda cap: cap or 0)
    for dataset in DATASETS:
        for cap in caps:
            name = dataset if cap is None else f"{dataset} (first {cap:,} train rows)"
            for arm in ARMS:
                chosen = runs_of(runs, dataset, cap, arm)
                if chosen:
                    baseline = runs_of(runs, dataset, cap, "ce")
                    cells = [mean_std([r[f"test_{key}"] for r in chosen]) for key, _ in METRICS]
                    cells.append(paired_gain(chosen, baseline) if arm != "ce" else "–")
                    rows.append(f"| {name} | {arm} | {len(chosen)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def summary(runs: list[dict]) -> list[dict]:
    """One record per (dataset, training cap, arm): the seeds and folds, mean and std of each test
    metric, and the arm's paired macro-F1 difference to CE on the same seeds and folds with its
    95% CI (the `--summary` lines)."""
    lines = []
    caps = sorted({r.get("max_train_samples") for r in runs}, key=lambda cap: cap or 0)
    for dataset in DATASETS:
        for cap in caps:
            control = {(r["seed"], r["fold"]): r for r in runs_of(runs, dataset, cap, "ce")}
            for arm in ARMS:
                chosen = sorted(runs_of(runs, dataset, cap, arm), key=lambda r: (r["seed"], r["fold"]))
                if not chosen:
                    continue
                line: dict[str, object] = {"dataset": dataset, "max_train_samples": cap, "arm": arm, "n": len(chosen)}
                line["seeds_folds"] = [[r["seed"], r["fold"]] for r in chosen]
                for key, _ in METRICS:
                    values = [r[f"test_{key}"] for r in chosen]
                    spread = statistics.stdev(values) if len(values) > 1 else None
                    line[key] = {"mean": statistics.fmean(values), "std": spread}
                courses = [r["weighting_entropy_by_epoch"] for r in chosen if r.get("weighting_entropy_by_epoch")]
                if courses:  # LCL arms recorded since the entropy was logged (issue 21, item 3)
                    epochs = max(map(len, courses))
                    logged = [[c[e] for c in courses if e < len(c) and c[e] is not None] for e in range(epochs)]
                    line["weighting_entropy_by_epoch"] = {
                        "n": len(courses),
                        "mean": [statistics.fmean(values) if values else None for values in logged],
                        "runs": [len(values) for values in logged],
                    }
                if arm != "ce":
                    paired = [r for r in chosen if (r["seed"], r["fold"]) in control]
                    line["macro_f1_minus_ce"] = paired_difference(
                        [r["test_macro_f1"] for r in paired],
                        [control[r["seed"], r["fold"]]["test_macro_f1"] for r in paired],
                    )
                lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument("--results", default=str(ROOT / "docs" / "lcl_runs.jsonl"))
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(MAIN_ARMS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--epochs", type=float, default=3)
    parser.add_argument("--learning_rate", type=float, default=5e-5)
    parser.add_argument(
        "--max_train_samples", type=int, default=None, help="Train on the first N training rows (a CPU budget)."
    )
    parser.add_argument(
        "--confusion_dir", default=None, help="Keep each run's test confusion-matrix PNG in this folder."
    )
    parser.add_argument(
        "--folds",
        type=int,
        nargs="+",
        default=None,
        help="empathetic_dialogues: the test folds to run for every seed (default: one fold per seed, its index).",
    )
    parser.add_argument("--table", action="store_true", help="Only print the table of the runs recorded so far.")
    parser.add_argument(
        "--summary", action="store_true", help="Only print one JSON line per (dataset, arm) of the recorded runs."
    )
    parser.add_argument(
        "--per_class",
        choices=DATASETS,
        default=None,
        help="Only print test F1 per class for this dataset's recorded runs (with --max_train_samples: the capped ones).",
    )
    parser.add_argument(
        "--reproduce",
        nargs="+",
        metavar="FIELD=VALUE",
        help="Rerun the one recorded run in --results these fields pick (e.g. dataset=sst5 arm=ce seed=42).",
    )
    parser.add_argument("--scratch", default=None, help="--reproduce: the JSON-lines file the rerun is written to.")
    parser.add_argument("--card_dir", default=None, help="Keep each run's model card here (e.g. model_cards).")
    args = parser.parse_args()
    if args.per_class is not None:
        print(per_class_table(RunLog(args.results).runs, args.per_class, args.max_train_samples))
        return

    log = RunLog(args.results)
    if args.summary:
        for line in summary(log.runs):
            print(json.dumps(line))
        return
    if args.reproduce:
        recorded = pick_recorded(log.runs, parse_selector(args.reproduce))
        scratch = scratch_log(args.scratch, args.results)
        key = [recorded[k] for k in ("dataset", "arm", "seed", "fold", "epochs", "learning_rate")]
        cap = recorded.get("max_train_samples")
        print(f"== reproduce {' '.join(map(str, key))} max_train_samples={cap}", flush=True)
        now = run_one(data_folder(args.data), *key, cap, card_dir=args.card_dir)
        scratch.append(now)
        raise SystemExit(report_reproduction(recorded, now))
    if not args.table:
        data = data_folder(args.data)
        for seed_index, seed in enumerate(args.seeds):
            for dataset in args.datasets:
                folds = [0]
                if dataset == "empathetic_dialogues":
                    folds = args.folds if args.folds is not None else [seed_index]
                for fold, arm in [(fold, arm) for fold in folds for arm in args.arms]:
                    key = {
                        "dataset": dataset,
                        "arm": arm,
                        "seed": seed,
                        "fold": fold,
                        "epochs": args.epochs,
                        "learning_rate": args.learning_rate,
                        "max_train_samples": args.max_train_samples,
                    }
                    if log.has(**key):
                        continue
                    print(f"== {dataset} {arm} seed {seed} fold {fold}", flush=True)
                    log.append(
                        run_one(
                            data,
                            dataset,
                            arm,
                            seed,
                            fold,
                            args.epochs,
                            args.learning_rate,
                            args.max_train_samples,
                            args.confusion_dir,
                            args.card_dir,
                        )
                    )
    print(table(log.runs))


if __name__ == "__main__":
    main()
