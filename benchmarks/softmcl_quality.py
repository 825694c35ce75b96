#!/usr/bin/env python
"""Does SoftMCL-style continued pre-training help downstream sentiment tasks? Six arms, five tasks.

Pre-training (`hf_sentiment.cli.train_softmcl.main`, the job behind `hf-sentiment train softmcl`;
the same step budget for every arm): the offline MiniLM-L6 on the train-split corpus
(`--corpus benchmark`: SST-5, EmoBank, SemEval-14 Laptop and Restaurant and TweetEval-emotion *train*
sentences, 25,949 texts; EmoBank train gives sentence valences, the others fall back to the mean of
their rated words), words rated by Warriner et al. restricted to XANEW's *train* split. Arms:

    none           no continued pre-training (the MiniLM as shipped)
    mlm            MLM only
    softmcl        MLM + word + sentence soft contrastive, with queues
    softmcl_noq    the same without queues (batch keys only)
    word_only      MLM + word level
    sentence_only  MLM + sentence level

Fine-tuning (`AutoModelForSequenceClassification` on the exported encoder, plain `Trainer`, best
epoch on dev, test scored once), seeds 42/43/44:

    sst2      SST-2 sentences, accuracy
    sst5      SST-5 sentences, accuracy
    emobank   EmoBank valence regression, Pearson r (test split)
    warriner  word valence regression on XANEW's split of Warriner et al., Pearson r (test words)
    laptop    Laptop-14 gold-aspect polarity as (sentence, aspect) pairs, accuracy

Runs go to a JSON-lines log, so an interrupted benchmark resumes where it stopped.

    python benchmarks/softmcl_quality.py --results docs/softmcl_runs.jsonl
    python benchmarks/softmcl_quality.py --results docs/softmcl_runs.jsonl --table

`--reproduce FIELD=VALUE ...` reruns the one recorded run those fields pick, under its recorded
setting (pre-training afresh into a temporary folder, then fine-tuning or probing), into
`--scratch FILE`, prints recorded against new for every metric, and exits non-zero when a score
differs. The `none` arm on SST-2, seed 42, reproduces exactly (84 s); on the Warriner words its
Pearson r moves in the 7th digit (dev 0.0610132 recorded, 0.0610135 rerun, with one thread or two),
a difference we have not traced:

    OMP_NUM_THREADS=1 python benchmarks/softmcl_quality.py --reproduce arm=none task=sst2 seed=42 --scratch /tmp/softmcl.jsonl
    OMP_NUM_THREADS=1 python benchmarks/softmcl_quality.py --reproduce arm=mlm task=sst2 seed=42 --scratch /tmp/softmcl.jsonl
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

import numpy as np
import torch
import transformers
from datasets import Dataset
from scipy.stats import pearsonr
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler
from transformers import (
    AutoModel,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
    set_seed,
)

from hf_sentiment import ValenceLexicon, read_e2e_absa, read_emobank, read_sst
from hf_sentiment.offline import offline_minilm_path
from runs import (
    ROOT,
    RunLog,
    data_folder,
    keep_card,
    mean_std,
    parse_selector,
    pick_recorded,
    report_reproduction,
    scratch_log,
)

ARMS = {
    "none": None,
    "mlm": {"word_weight": 0.0, "sentence_weight": 0.0},
    "softmcl": {},
    "softmcl_noq": {"word_queue_size": 0, "sentence_queue_size": 0},
    "word_only": {"sentence_weight": 0.0},
    "sentence_only": {"word_weight": 0.0},
}
TASKS = {"sst2": "accuracy", "sst5": "accuracy", "emobank": "pearson", "warriner": "pearson", "laptop": "accuracy"}
POLARITIES = ("negative", "neutral", "positive")


# ------------------------------------------------------------------------------ pre-training
def pretrain(data: str, arm: str, args: argparse.Namespace) -> Path:
    """The exported encoder of `arm`, pre-trained once and cached under `args.cache`; with
    `args.card_dir`, the pre-training run's model card is kept there (`keep_card`)."""
    # Imported here so that `--table` works while the training command is being edited.
    from hf_sentiment.cli.train_softmcl import main as train_softmcl

    if ARMS[arm] is None:
        return Path(offline_minilm_path())
    # Every pre-training setting is in the name: a cached encoder is reused only for the same run.
    folder = Path(args.cache) / (
        f"minilm-l6-{arm.replace('_', '-')}-steps{args.pretrain_steps}-bs{args.pretrain_batch_size}"
        f"-lr{args.pretrain_learning_rate:g}-mom{args.momentum:g}"
    )
    if (folder / "encoder" / "config.json").exists():
        return folder / "encoder"
    argv = [
        "--corpus", "benchmark", "--data_dir", data, "--lexicon", "warriner", "--output_dir", str(folder),
        "--max_steps", str(args.pretrain_steps), "--per_device_train_batch_size", str(args.pretrain_batch_size),
        "--learning_rate", str(args.pretrain_learning_rate), "--warmup_steps", "0.1", "--momentum", str(args.momentum),
        "--max_length", "64", "--seed", "42", "--save_strategy", "no", "--logging_steps", "20",
        "--report_to", "none", "--disable_tqdm", "True",
        "--overwrite_output_dir",  # an unfinished pre-training (no exported encoder yet) is run again
    ]  # fmt: skip
    for key, value in ARMS[arm].items():
        argv += [f"--{key}", str(value)]
    train_softmcl(argv)
    record = {"arm": arm, **{name: getattr(args, name) for name in PRETRAIN_SETTING}, "seed": 42}
    settings = {"learning_rate": args.pretrain_learning_rate, "max_steps": args.pretrain_steps, "seed": 42}
    settings |= {"per_device_train_batch_size": args.pretrain_batch_size, "momentum": args.momentum, **ARMS[arm]}
    keep_card(folder, args.card_dir, record, settings)
    return folder / "encoder"


# ---------------------------------------------------------------------------------- tasks
def task_splits(task: str, data: Path) -> dict[str, Dataset]:
    """train / dev / test with `text` (+ `text_pair`) and `label` (int, or float for regression)."""
    if task in ("sst2", "sst5"):
        stem = "binary" if task == "sst2" else "fine"
        return {
            s: read_sst(data / "sst" / f"stsa.{stem}.{s}").select_columns(["text", "label"])
            for s in ("train", "dev", "test")
        }
    if task == "emobank":
        return {
            s: read_emobank(data / "emobank" / "emobank.csv", s).rename_column("valence", "label").select_columns(["text", "label"])
            for s in ("train", "dev", "test")
        }  # fmt: skip
    if task == "warriner":
        folder = data / "warriner2013"
        splits = {}
        for split, name in (("train", "train"), ("dev", "dev"), ("test", "test")):
            lexicon = ValenceLexicon.from_warriner(
                folder / "Ratings_Warriner_et_al.csv", folder / f"split_crosslingual_{name}.txt"
            )
            splits[split] = Dataset.from_dict({"text": list(lexicon), "label": list(lexicon.values())})
        return splits
    if task == "laptop":
        splits = {}
        for split in ("train", "dev", "test"):
            rows = read_e2e_absa(data / "semeval14" / "e2e_absa" / "laptop14" / f"{split}.txt")
            pairs = {"text": [], "text_pair": [], "label": []}
            for row in rows:
                for aspect in row["aspects"]:
                    pairs["text"].append(row["text"])
                    pairs["text_pair"].append(aspect["term"])
                    pairs["label"].append(POLARITIES.index(aspect["polarity"]))
            splits[split] = Dataset.from_dict(pairs)
        return splits
    raise ValueError(task)


def finetune(encoder: Path, task: str, splits: dict[str, Dataset], seed: int, args: argparse.Namespace) -> dict:
    set_seed(seed)
    regression = TASKS[task] == "pearson"
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    num_labels = 1 if regression else (len(POLARITIES) if task == "laptop" else len(set(splits["train"]["label"])))
    model = AutoModelForSequenceClassification.from_pretrained(
        encoder, num_labels=num_labels, problem_type="regression" if regression else "single_label_classification"
    )
    pooler = getattr(model.base_model, "pooler", None)
    if pooler is not None:
        # An MLM export has no pooler while the shipped MiniLM has a trained one: start every arm
        # from the same freshly initialised pooler so that only the encoder differs.
        # (`_init_weights` would skip them: transformers marks loaded tensors as initialised.)
        torch.manual_seed(seed)
        torch.nn.init.normal_(pooler.dense.weight, std=model.config.initializer_range)
        torch.nn.init.zeros_(pooler.dense.bias)

    def tokenize(batch: dict) -> dict:
        pair = batch.get("text_pair")
        return tokenizer(batch["text"], pair, truncation=True, max_length=args.max_length)

    train = splits["train"].shuffle(seed=0).select(range(min(args.max_train_samples, len(splits["train"]))))
    dev = splits["dev"].select(range(min(args.max_dev_samples, len(splits["dev"]))))
    test = splits["test"].select(range(min(args.max_test_samples, len(splits["test"]))))
    encoded = {
        name: split.map(tokenize, batched=True, remove_columns=[c for c in split.column_names if c != "label"])
        for name, split in (("train", train), ("dev", dev), ("test", test))
    }

    def metric(prediction) -> dict[str, float]:
        scores, gold = prediction.predictions, prediction.label_ids
        if regression:
            return {"score": float(pearsonr(scores.reshape(-1), gold.reshape(-1))[0])}
        return {"score": float((scores.argmax(-1) == gold).mean())}

    output = tempfile.mkdtemp(prefix=f"softmcl-ft-{task}-")
    training_args = TrainingArguments(
        output, num_train_epochs=args.epochs, learning_rate=args.learning_rate, per_device_train_batch_size=32,
        per_device_eval_batch_size=128, warmup_steps=0.1, eval_strategy="epoch", save_strategy="epoch",
        save_total_limit=1, load_best_model_at_end=True, metric_for_best_model="score", seed=seed,
        report_to="none", disable_tqdm=True, logging_strategy="no",
    )  # fmt: skip
    trainer = Trainer(
        model=model, args=training_args, train_dataset=encoded["train"], eval_dataset=encoded["dev"],
        data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=metric,
    )  # fmt: skip
    try:
        trainer.train()
        dev_score = trainer.evaluate()["eval_score"]
        test_score = metric(trainer.predict(encoded["test"]))["score"]
    finally:
        shutil.rmtree(output, ignore_errors=True)
    return {"dev_score": dev_score, "test_score": test_score, "train_rows": len(train), "test_rows": len(test)}


# ---------------------------------------------------------------------------- linear probe
@torch.no_grad()
def features(encoder: Path, split: Dataset, max_length: int, batch_size: int = 128) -> np.ndarray:
    """`(N, d)` masked-mean hidden states of the frozen encoder (`text`, with `text_pair` when present)."""
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    model = AutoModel.from_pretrained(encoder).eval()
    chunks = []
    for start in range(0, len(split), batch_size):
        rows = split[start : start + batch_size]
        batch = tokenizer(
            rows["text"],
            rows.get("text_pair"),
            truncation=True,
            max_length=max_length,
            padding=True,
            return_tensors="pt",
        )
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        chunks.append(((hidden * mask).sum(1) / mask.sum(1)).numpy())
    return np.concatenate(chunks)


def probe(
    encoder: Path, task: str, splits: dict[str, Dataset], seeds: list[int], args: argparse.Namespace
) -> list[dict]:
    """Linear probe on frozen features: per seed a random `--probe_train` subset of train, the
    regularisation chosen on dev from a grid, test scored once (classification: logistic
    regression, accuracy; regression: ridge, Pearson r)."""
    regression = TASKS[task] == "pearson"
    pool = splits["train"].shuffle(seed=0).select(range(min(args.probe_pool, len(splits["train"]))))
    dev = splits["dev"].select(range(min(args.max_dev_samples * 5, len(splits["dev"]))))
    test = splits["test"].select(range(min(args.max_test_samples, len(splits["test"]))))
    x = {
        name: features(encoder, split, args.max_length)
        for name, split in (("pool", pool), ("dev", dev), ("test", test))
    }
    y = {"pool": np.asarray(pool["label"]), "dev": np.asarray(dev["label"]), "test": np.asarray(test["label"])}
    scaler = StandardScaler().fit(x["pool"])
    x = {name: scaler.transform(value) for name, value in x.items()}
    runs = []
    for seed in seeds:
        rows = np.random.default_rng(seed).choice(len(pool), size=min(args.probe_train, len(pool)), replace=False)
        best = None
        for strength in (0.01, 0.1, 1.0, 10.0, 100.0):
            if regression:
                model = Ridge(alpha=strength).fit(x["pool"][rows], y["pool"][rows])
                score = lambda name, m=model: float(pearsonr(m.predict(x[name]), y[name])[0])
            else:
                model = LogisticRegression(C=1 / strength, max_iter=2000).fit(x["pool"][rows], y["pool"][rows])
                score = lambda name, m=model: float((m.predict(x[name]) == y[name]).mean())
            dev_score = score("dev")
            if best is None or dev_score > best[0]:
                best = (dev_score, strength, score("test"))
        runs.append(
            {"seed": seed, "dev_score": best[0], "strength": best[1], "test_score": best[2], "train_rows": len(rows)}
        )
    return runs


# ---------------------------------------------------------------------------------- table
def table(runs: list[dict], setting: dict) -> str:
    runs = [r for r in runs if all(r.get(k) == v for k, v in setting.items())]
    if not runs:
        return "(no runs with this setting yet)"
    head = (
        "| arm | "
        + " | ".join(f"{t} ({'r' if m == 'pearson' else 'acc'})" for t, m in TASKS.items())
        + " | mean of 5 |"
    )
    rows = [head, "|---|" + "---|" * (len(TASKS) + 1)]
    for arm in ARMS:
        cells, per_seed = [], {}
        for task in TASKS:
            chosen = [r for r in runs if r["arm"] == arm and r["task"] == task]
            cells.append(mean_std([100 * r["test_score"] for r in chosen]))
            for r in chosen:
                per_seed.setdefault(r["seed"], {})[task] = 100 * r["test_score"]
        complete = [statistics.mean(s.values()) for s in per_seed.values() if len(s) == len(TASKS)]
        if any(c != "–" for c in cells):
            rows.append(f"| {arm} | " + " | ".join(cells) + f" | {mean_std(complete)} |")
    return (
        "\n".join(rows)
        + "\n\nAccuracy in %, Pearson r × 100; the mean of 5 is taken per seed, then mean ± std over seeds."
    )


# ------------------------------------------------------------------------- run keys, reruns
# The options a recorded run keeps as its setting, for either protocol.
PRETRAIN_SETTING = ("pretrain_steps", "pretrain_batch_size", "pretrain_learning_rate", "momentum")
EVAL_SETTING = ("max_length", "max_dev_samples", "max_test_samples")
FINETUNE_SETTING = ("epochs", "learning_rate", "max_train_samples")
PROBE_SETTING = ("probe_pool", "probe_train")


def setting_of(args: argparse.Namespace) -> dict:
    """The part of a run's key that holds every setting that changes its score, so a resumed
    benchmark never mistakes a run under other settings for one of its own, and the table never
    mixes them."""
    setting = {name: getattr(args, name) for name in PRETRAIN_SETTING + EVAL_SETTING}
    if args.protocol == "finetune":
        return setting | {name: getattr(args, name) for name in FINETUNE_SETTING}
    return setting | {"protocol": "probe"} | {name: getattr(args, name) for name in PROBE_SETTING}


def reproduce(log: RunLog, args: argparse.Namespace) -> int:
    """Rerun the recorded run that `args.reproduce` picks under its own recorded setting (the
    command line's setting options are overridden by it) and compare; returns the exit code.
    `--protocol` says whether a fine-tuning or a probe record is meant.

    The arm is pre-trained afresh in a temporary folder (a cached encoder would skip the part of
    the run most likely to drift). A probe record is one seed of a probe run; the rerun probes that
    seed only, which gives the same numbers: the pool, the scaler and the features do not depend on
    the seed.
    """
    selector = parse_selector(args.reproduce)
    # Fine-tuning records have no `protocol` field; `--protocol` says which kind is meant, as for
    # the table.
    selector.setdefault("protocol", "probe" if args.protocol == "probe" else None)
    recorded = pick_recorded(log.runs, selector)
    scratch = scratch_log(args.scratch, args.results)
    protocol = recorded.get("protocol", "finetune")
    names = PRETRAIN_SETTING + EVAL_SETTING + (FINETUNE_SETTING if protocol == "finetune" else PROBE_SETTING)
    cache = tempfile.mkdtemp(prefix="softmcl-reproduce-")
    rerun = vars(args) | {name: recorded[name] for name in names} | {"protocol": protocol, "cache": cache}
    rerun = argparse.Namespace(**rerun)
    arm, task, seed = recorded["arm"], recorded["task"], recorded["seed"]
    print(f"== reproduce {protocol} {arm} {task} seed {seed}", flush=True)
    transformers.utils.logging.set_verbosity_error()
    data = data_folder(args.data)
    try:
        encoder = pretrain(data, arm, rerun)
        splits = task_splits(task, Path(data))
        if protocol == "probe":
            (run,) = probe(encoder, task, splits, [seed], rerun)
        else:
            run = {"seed": seed, **finetune(encoder, task, splits, seed, rerun)}
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    now = {"arm": arm, "task": task, **setting_of(rerun), **run}
    scratch.append(now)
    return report_reproduction(recorded, now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument("--results", default=str(ROOT / "docs" / "softmcl_runs.jsonl"))
    parser.add_argument(
        "--cache", default=str(ROOT / "runs" / "softmcl_encoders"), help="Where pre-trained encoders are kept."
    )
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(ARMS))
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--pretrain_steps", type=int, default=200)
    parser.add_argument("--pretrain_batch_size", type=int, default=32)
    parser.add_argument("--pretrain_learning_rate", type=float, default=1e-4)
    parser.add_argument(
        "--momentum", type=float, default=0.99, help="μ (0.99 suits a short run; the paper's is unknown)."
    )
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--learning_rate", type=float, default=5e-5)
    parser.add_argument("--max_train_samples", type=int, default=500)
    parser.add_argument("--max_dev_samples", type=int, default=200)
    parser.add_argument("--max_test_samples", type=int, default=1000, help="The same first N test rows for every arm.")
    parser.add_argument("--max_length", type=int, default=64)
    parser.add_argument(
        "--protocol",
        choices=("finetune", "probe"),
        default="finetune",
        help="finetune: the whole encoder; probe: a linear model on frozen features.",
    )
    parser.add_argument("--probe_pool", type=int, default=3000, help="probe: train rows featurised once.")
    parser.add_argument("--probe_train", type=int, default=2000, help="probe: the per-seed random subset of them.")
    parser.add_argument("--table", action="store_true", help="Only print the table of the runs recorded so far.")
    parser.add_argument(
        "--reproduce",
        nargs="+",
        metavar="FIELD=VALUE",
        help="Rerun the one recorded run in --results these fields pick (e.g. arm=none task=sst2 seed=42).",
    )
    parser.add_argument("--scratch", default=None, help="--reproduce: the JSON-lines file the rerun is written to.")
    parser.add_argument("--card_dir", default=None, help="Keep each pre-training run's model card here (e.g. model_cards).")
    args = parser.parse_args()

    log = RunLog(args.results)
    if args.reproduce:
        raise SystemExit(reproduce(log, args))
    setting = setting_of(args)
    if not args.table:
        transformers.utils.logging.set_verbosity_error()
        data = data_folder(args.data)
        splits = {task: task_splits(task, Path(data)) for task in args.tasks}
        for arm in args.arms:
            encoder = pretrain(data, arm, args)
            if args.protocol == "probe":
                for task in args.tasks:
                    if log.has(arm=arm, task=task, **setting):
                        continue
                    print(f"== probe {arm} {task}", flush=True)
                    for run in probe(encoder, task, splits[task], args.seeds, args):
                        log.append({"arm": arm, "task": task, **setting, **run})
                continue
            for seed in args.seeds:
                for task in args.tasks:
                    key = {"arm": arm, "task": task, "seed": seed, **setting}
                    if log.has(**key):
                        continue
                    print(f"== {arm} {task} seed {seed}", flush=True)
                    log.append({**key, **finetune(encoder, task, splits[task], seed, args)})
    print(table(log.runs, setting))


if __name__ == "__main__":
    main()
