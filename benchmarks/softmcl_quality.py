#!/usr/bin/env python
"""Does SoftMCL-style continued pre-training help downstream sentiment tasks? Arms against MLM-only,
five tasks, two protocols.

Pre-training (`hf_sentiment.cli.train_softmcl.main`, the job behind `hf-sentiment train softmcl`;
the same step budget for every arm): the offline MiniLM-L6 on the train-split corpus
(`--corpus benchmark`: SST-5, EmoBank, SemEval-14 Laptop and Restaurant and TweetEval-emotion *train*
sentences, 25,949 texts; EmoBank train gives sentence valences, the others fall back to the mean of
their rated words), words rated by Warriner et al. restricted to XANEW's *train* split. Arms:

    none           no continued pre-training (the MiniLM as shipped)
    mlm            MLM only (the control every other arm is paired with)
    softmcl        MLM + word + sentence soft contrastive, with queues (linear target 1 - |dv|)
    softmcl_sharp  the same with the exponential target exp(-|dv| / t), t = 0.035 (docs/softmcl.md)
    softmcl_noq    softmcl without queues (batch keys only)
    word_only      MLM + word level
    sentence_only  MLM + sentence level

The default arms are mlm, softmcl and softmcl_sharp; the others run when named in `--arms`.

**A fair MLM control** (`--warm_mlm_head_steps N`, N > 0): MiniLM ships no MLM head. For each
pre-training seed, one head is first warmed up for N steps on the *frozen* encoder
(`hf-sentiment train softmcl --freeze_encoder --word_weight 0 --sentence_weight 0`); every arm of
that seed then starts from that same checkpoint (`--model_name_or_path <warm start>/encoder`, which
brings its head) and trains for `--pretrain_steps`, so the difference to MLM-only is the
contrastive terms, not the share of the budget spent on a fresh head. Each run records the warm
start it came from (`warm_start`, a folder under `--cache`). N = 0 gives the fresh-head runs of
issue 3.

Pre-training seeds (`--pretrain_seeds`) are apart from the fine-tuning / probe seeds (`--seeds`):
each (arm, pre-training seed) is pre-trained once (warm start and arm training both seeded with
it), then fine-tuned or probed per seed. Pre-trained encoders and warm starts are cached under
`--cache`, with every setting in the folder's name; an interrupted pre-training resumes from its
last checkpoint (`--checkpoint_steps`), and a lock lets two benchmark processes share the cache.

Fine-tuning (`AutoModelForSequenceClassification` on the exported encoder, plain `Trainer`, best
epoch on dev, test scored once), seeds 42/43/44, on the first `--max_train_samples` rows of a fixed
shuffle of train:

    sst2      SST-2 sentences, accuracy
    sst5      SST-5 sentences, accuracy
    emobank   EmoBank valence regression, Pearson r (test split)
    warriner  word valence regression on XANEW's split of Warriner et al., Pearson r (test words)
    laptop    Laptop-14 gold-aspect polarity as (sentence, aspect) pairs, accuracy

Linear probe (`--protocol probe`): a linear model on frozen features of `--probe_pool` train rows
(default: all of them), `--probe_train` of them drawn per seed (default: the whole pool; the probe
then has no randomness left, so it runs once per pre-training seed, as the first of `--seeds`).

Runs go to a JSON-lines log keyed by (arm, task, pretrain_seed, seed, protocol, setting), so an
interrupted benchmark resumes where it stopped. Runs recorded before a field was keyed read as
its old value: `protocol` finetune, `pretrain_seed` 42, `warm_mlm_head_steps` 0 (`OLD_RECORD`).

    python benchmarks/softmcl_quality.py --results docs/softmcl_runs.jsonl                   # fine-tuning
    python benchmarks/softmcl_quality.py --results docs/softmcl_runs.jsonl --protocol probe
    python benchmarks/softmcl_quality.py --table [--protocol probe]    # the table of the command line's setting
    python benchmarks/softmcl_quality.py --summary                     # one JSON line per (setting, protocol, arm)

The defaults are issue 20's powered run (2,000 pre-training steps from a 1,000-step warm start, 3
pre-training seeds, 2,000 fine-tuning rows, the probe on the full train pools); the runs of issue 3
(docs/benchmarks.md) had `--pretrain_steps 200 --warm_mlm_head_steps 0 --pretrain_seeds 42
--max_train_samples 500`, probe `--probe_pool 3000 --probe_train 2000`, and their table needs
those options.

`--reproduce FIELD=VALUE ...` reruns the one recorded run those fields pick, under its recorded
setting (pre-training afresh into a temporary folder, warm start included, then fine-tuning or
probing), into `--scratch FILE`, prints recorded against new for every metric, and exits non-zero
when a score differs. The `none` arm on SST-2, seed 42, reproduces exactly (84 s); on the Warriner
words its Pearson r moves in the 7th digit (dev 0.0610132 recorded, 0.0610135 rerun, with one
thread or two), a difference we have not traced:

    OMP_NUM_THREADS=1 python benchmarks/softmcl_quality.py --reproduce arm=none task=sst2 seed=42 --scratch /tmp/softmcl.jsonl
    OMP_NUM_THREADS=1 python benchmarks/softmcl_quality.py --reproduce arm=mlm task=sst2 seed=42 --scratch /tmp/softmcl.jsonl
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import shutil
import statistics
import tempfile
from collections.abc import Iterator
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
    paired_difference,
    parse_selector,
    pick_recorded,
    report_reproduction,
    scratch_log,
)

#: The sharpened soft target's t, chosen in docs/softmcl.md ("The chosen t") on train-split valences.
SHARP_TARGET_TEMPERATURE = 0.035
ARMS = {
    "none": None,
    "mlm": {"word_weight": 0.0, "sentence_weight": 0.0},
    "softmcl": {},
    "softmcl_sharp": {"soft_target_temperature": SHARP_TARGET_TEMPERATURE},
    "softmcl_noq": {"word_queue_size": 0, "sentence_queue_size": 0},
    "word_only": {"sentence_weight": 0.0},
    "sentence_only": {"word_weight": 0.0},
}
#: The arm every other arm is paired with in `--summary`.
CONTROL = "mlm"
#: Issue 20's arms; the ablations and `none` run when `--arms` names them.
DEFAULT_ARMS = ["mlm", "softmcl", "softmcl_sharp"]
TASKS = {"sst2": "accuracy", "sst5": "accuracy", "emobank": "pearson", "warriner": "pearson", "laptop": "accuracy"}
POLARITIES = ("negative", "neutral", "positive")
#: The pre-training seed of every run recorded before pre-training seeds were keyed.
FIRST_PRETRAIN_SEED = 42
#: The fields keyed since issue 20, with the value that every run recorded before then had (issue 3:
#: fine-tuning records carried no `protocol`; each arm was pre-trained once, with seed 42, from a
#: fresh MLM head). `with_defaults` reads an old record with them.
OLD_RECORD = {
    "protocol": "finetune",
    "pretrain_seed": FIRST_PRETRAIN_SEED,
    "warm_mlm_head_steps": 0,
    "warm_mlm_head_learning_rate": None,
    "warm_start": None,
}


def with_defaults(run: dict) -> dict:
    """`run` with every field of `OLD_RECORD` it lacks, at its old value (a new record has them all)."""
    return OLD_RECORD | run


# ------------------------------------------------------------------------------ pre-training
@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (a file beside it) so that two benchmark processes never
    train into the same cache folder at once; the second waits, then finds the first one's result."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def train_once(folder: Path, argv: list[str], checkpoint_steps: int) -> tuple[Path, bool]:
    """`hf-sentiment train softmcl argv` into `folder`, unless its exported encoder is already there;
    after an interruption the run resumes from its last checkpoint (checkpoints every
    `checkpoint_steps`, removed once the encoder is exported; the last one's `trainer_state.json`,
    with the loss curve, stays in `folder`). Returns `folder / "encoder"` and whether this call
    trained it."""
    # Imported here so that `--table` works while the training command is being edited.
    from hf_sentiment.cli.train_softmcl import main as train_softmcl

    encoder = folder / "encoder"
    with locked(folder):
        if (encoder / "config.json").exists() and any(encoder.glob("*.safetensors")):
            return encoder, False
        checkpoints = [c for c in folder.glob("checkpoint-*") if (c / "trainer_state.json").is_file()]
        if checkpoints:
            latest = max(checkpoints, key=lambda c: int(c.name.rpartition("-")[2]))
            print(f"   resuming {folder.name} from {latest.name}", flush=True)
            argv = [*argv, "--resume_from_checkpoint", str(latest)]
        else:
            argv = [*argv, "--overwrite_output_dir"]  # an unfinished run without a checkpoint starts again
        argv += ["--save_strategy", "steps", "--save_steps", str(checkpoint_steps), "--save_total_limit", "1"]
        train_softmcl(argv)
        checkpoints = [c for c in folder.glob("checkpoint-*") if (c / "trainer_state.json").is_file()]
        if checkpoints:  # keep the loss curve (`log_history`) of the whole run beside the encoder
            latest = max(checkpoints, key=lambda c: int(c.name.rpartition("-")[2]))
            shutil.copyfile(latest / "trainer_state.json", folder / "trainer_state.json")
        for checkpoint in folder.glob("checkpoint-*"):  # the optimizer state is most of the cache's size
            shutil.rmtree(checkpoint, ignore_errors=True)
    return encoder, True


def pretraining_argv(data: str, folder: Path, steps: int, learning_rate: float, seed: int, args) -> list[str]:
    """The options of `hf-sentiment train softmcl` that every pre-training of the benchmark shares."""
    return [
        "--corpus", "benchmark", "--data_dir", data, "--lexicon", "warriner", "--output_dir", str(folder),
        "--max_steps", str(steps), "--per_device_train_batch_size", str(args.pretrain_batch_size),
        "--learning_rate", str(learning_rate), "--warmup_steps", "0.1", "--momentum", str(args.momentum),
        "--max_length", "64", "--seed", str(seed), "--logging_steps", "20", "--report_to", "none",
        "--disable_tqdm", "True",
    ]  # fmt: skip


def warm_start_name(pretrain_seed: int, args: argparse.Namespace) -> str | None:
    """The cache folder of `pretrain_seed`'s MLM-head warm start (`None` without one): a run records
    it as `warm_start`."""
    if not args.warm_mlm_head_steps:
        return None
    return (
        f"minilm-l6-mlmhead-steps{args.warm_mlm_head_steps}-bs{args.pretrain_batch_size}"
        f"-lr{args.warm_mlm_head_learning_rate:g}-seed{pretrain_seed}"
    )


def warm_start(data: str, pretrain_seed: int, args: argparse.Namespace) -> Path | None:
    """The checkpoint every pre-training arm of `pretrain_seed` starts from: the offline MiniLM with
    an MLM head trained for `--warm_mlm_head_steps` on the frozen encoder (at
    `--warm_mlm_head_learning_rate`, batch `--pretrain_batch_size`, seeded with `pretrain_seed`),
    built once and cached; a `BertForMaskedLM` folder with the tokenizer. `None` when the steps are
    0: every arm then trains a fresh head, as the runs of issue 3 did."""
    name = warm_start_name(pretrain_seed, args)
    if name is None:
        return None
    folder = Path(args.cache) / name
    argv = pretraining_argv(
        data, folder, args.warm_mlm_head_steps, args.warm_mlm_head_learning_rate, pretrain_seed, args
    )
    argv += ["--freeze_encoder", "True", "--word_weight", "0", "--sentence_weight", "0"]
    return train_once(folder, argv, args.checkpoint_steps)[0]


def pretrain(data: str, arm: str, pretrain_seed: int, args: argparse.Namespace) -> Path:
    """The exported encoder of `arm` at `pretrain_seed`, pre-trained once (from the seed's warm
    start when `--warm_mlm_head_steps` is set) and cached under `args.cache`; with
    `args.card_dir`, the pre-training run's model card is kept there (`keep_card`)."""
    if ARMS[arm] is None:
        return Path(offline_minilm_path())
    warm = warm_start(data, pretrain_seed, args)
    # Every pre-training setting is in the name: a cached encoder is reused only for the same run
    # (the runs of issue 3, seed 42 from a fresh head, keep their folder's name).
    name = (
        f"minilm-l6-{arm.replace('_', '-')}-steps{args.pretrain_steps}-bs{args.pretrain_batch_size}"
        f"-lr{args.pretrain_learning_rate:g}-mom{args.momentum:g}"
    )
    if pretrain_seed != FIRST_PRETRAIN_SEED:
        name += f"-seed{pretrain_seed}"
    if warm is not None:
        name += f"-mlmhead{args.warm_mlm_head_steps}-lr{args.warm_mlm_head_learning_rate:g}"
    folder = Path(args.cache) / name
    argv = pretraining_argv(data, folder, args.pretrain_steps, args.pretrain_learning_rate, pretrain_seed, args)
    if warm is not None:
        argv += ["--model_name_or_path", str(warm)]
    for key, value in ARMS[arm].items():
        argv += [f"--{key}", str(value)]
    encoder, trained = train_once(folder, argv, args.checkpoint_steps)
    if trained:
        record = {"arm": arm, **{name: getattr(args, name) for name in PRETRAIN_SETTING}, "seed": pretrain_seed}
        record["warm_start"] = warm_start_name(pretrain_seed, args)
        settings = {
            "learning_rate": args.pretrain_learning_rate,
            "max_steps": args.pretrain_steps,
            "seed": pretrain_seed,
        }
        settings |= {"per_device_train_batch_size": args.pretrain_batch_size, "momentum": args.momentum, **ARMS[arm]}
        keep_card(folder, args.card_dir, record, settings)
    return encoder


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
    """Linear probe on frozen features of a pool of `--probe_pool` train rows (`None`: all of them):
    per seed a random `--probe_train` subset of the pool (`None`: the whole pool, the same for every
    seed), the regularisation chosen on dev from a grid, test scored once (classification: logistic
    regression, accuracy; regression: ridge, Pearson r)."""
    regression = TASKS[task] == "pearson"
    pool = splits["train"].shuffle(seed=0)
    if args.probe_pool is not None:
        pool = pool.select(range(min(args.probe_pool, len(pool))))
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
        if args.probe_train is None:
            rows = np.arange(len(pool))
        else:
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


# ------------------------------------------------------------------------- run keys, settings
# The options a recorded run keeps as its setting, for either protocol.
PRETRAIN_SETTING = (
    "pretrain_steps", "pretrain_batch_size", "pretrain_learning_rate", "momentum", "warm_mlm_head_steps",
    "warm_mlm_head_learning_rate",
)  # fmt: skip
EVAL_SETTING = ("max_length", "max_dev_samples", "max_test_samples")
FINETUNE_SETTING = ("epochs", "learning_rate", "max_train_samples")
PROBE_SETTING = ("probe_pool", "probe_train")


def setting_names(protocol: str) -> tuple[str, ...]:
    """The setting fields of a run of `protocol` (besides `protocol` itself)."""
    return PRETRAIN_SETTING + EVAL_SETTING + (FINETUNE_SETTING if protocol == "finetune" else PROBE_SETTING)


def setting_of(args: argparse.Namespace) -> dict:
    """The part of a run's key that holds every setting that changes its score, so a resumed
    benchmark never mistakes a run under other settings for one of its own, and the table never
    mixes them. The rest of the key is (arm, task, pretrain_seed, seed)."""
    return {"protocol": args.protocol} | {name: getattr(args, name) for name in setting_names(args.protocol)}


def setting_key(run: dict) -> tuple[tuple[str, object], ...]:
    """A recorded run's setting (as `setting_of` gives it), hashable; old records read with `OLD_RECORD`."""
    run = with_defaults(run)
    return (("protocol", run["protocol"]), *((name, run.get(name)) for name in setting_names(run["protocol"])))


def five_task_means(runs: list[dict]) -> dict[tuple[int, int], float]:
    """The mean of the five tasks' test scores (accuracy in %, Pearson r × 100) of one arm, per
    (pretrain_seed, seed) that has all five, in that order."""
    scores: dict[tuple[int, int], dict[str, float]] = {}
    for run in map(with_defaults, runs):
        scores.setdefault((run["pretrain_seed"], run["seed"]), {})[run["task"]] = 100 * run["test_score"]
    return {pair: statistics.fmean(s.values()) for pair, s in sorted(scores.items()) if len(s) == len(TASKS)}


# ---------------------------------------------------------------------------------- table
def table(runs: list[dict], setting: dict) -> str:
    """Markdown table of the runs with `setting`: per arm and task the mean ± std of the test score
    over every (pre-training seed, seed), and of the mean of the five tasks."""
    runs = [r for r in map(with_defaults, runs) if all(r.get(k) == v for k, v in setting.items())]
    if not runs:
        return "(no runs with this setting yet)"
    head = (
        "| arm | "
        + " | ".join(f"{t} ({'r' if m == 'pearson' else 'acc'})" for t, m in TASKS.items())
        + " | mean of 5 |"
    )
    rows = [head, "|---|" + "---|" * (len(TASKS) + 1)]
    for arm in ARMS:
        of_arm = [r for r in runs if r["arm"] == arm]
        cells = [mean_std([100 * r["test_score"] for r in of_arm if r["task"] == task]) for task in TASKS]
        if any(c != "–" for c in cells):
            complete = list(five_task_means(of_arm).values())
            rows.append(f"| {arm} | " + " | ".join(cells) + f" | {mean_std(complete)} |")
    if len({r["pretrain_seed"] for r in runs}) == 1:
        unit = "the mean of 5 is taken per seed, then mean ± std over seeds"
    else:
        unit = "every cell is over (pre-training seed, seed) pairs; the mean of 5 is taken per pair, then mean ± std over pairs"
    return "\n".join(rows) + f"\n\nAccuracy in %, Pearson r × 100; {unit}."


def recorded_settings(runs: list[dict], protocol: str) -> list[dict]:
    """The distinct settings of the recorded runs of `protocol`, to name them when a table is empty."""
    keys = {setting_key(r) for r in runs if with_defaults(r)["protocol"] == protocol}
    return [dict(key) for key in sorted(keys, key=str)]


# -------------------------------------------------------------------------------- summary
def summary(runs: list[dict]) -> list[dict]:
    """The `--summary` lines: one per (setting, arm), the setting's fields first (`protocol`
    among them). Each holds the runs' pre-training seeds, seeds and warm starts; per task the
    test score's `mean ± std`; `mean_of_5`, the mean of the five tasks per (pretrain_seed, seed)
    pair with all five, then its mean and std over the pairs; and, for every arm but MLM-only,
    `mean_of_5_minus_mlm`: the paired difference to MLM-only (`paired_difference`: mean, std and
    95% CI, Student's t) over the (pretrain_seed, seed) pairs both arms have.

    Those pairs are not independent: the fine-tuning seeds of one pre-training seed share its
    encoder, so the t-interval over them, which issue 20 asks for, is narrower than one that
    treats the pre-training run as the unit. `mean_of_5_minus_mlm_by_pretrain_seed` is that
    second one: each arm's mean of 5 averaged over the shared seeds of each pre-training seed,
    then paired over the pre-training seeds. (A probe on the whole pool runs once per pre-training
    seed, so there the two agree.)
    """
    runs = [with_defaults(r) for r in runs]
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault(setting_key(run), []).append(run)
    lines = []
    for key in sorted(groups, key=str):
        of_setting = groups[key]
        control = five_task_means([r for r in of_setting if r["arm"] == CONTROL])
        for arm in ARMS:
            chosen = [r for r in of_setting if r["arm"] == arm]
            if not chosen:
                continue
            means = five_task_means(chosen)
            values = list(means.values())
            line: dict[str, object] = dict(key) | {"arm": arm, "runs": len(chosen)}
            line["pretrain_seeds"] = sorted({r["pretrain_seed"] for r in chosen})
            line["seeds"] = sorted({r["seed"] for r in chosen})
            line["warm_starts"] = sorted({r["warm_start"] for r in chosen}, key=str)
            line["tasks"] = {
                task: mean_std([100 * r["test_score"] for r in chosen if r["task"] == task])
                for task in TASKS
                if any(r["task"] == task for r in chosen)
            }
            line["mean_of_5"] = {
                "n": len(values),
                "mean": statistics.fmean(values) if values else None,
                "std": statistics.stdev(values) if len(values) > 1 else None,
            }
            if arm != CONTROL:
                shared = [pair for pair in means if pair in control]
                difference = paired_difference([means[p] for p in shared], [control[p] for p in shared])
                line[f"mean_of_5_minus_{CONTROL}"] = difference | {"pairs": [list(p) for p in shared]}
                by_seed = sorted({pretrain_seed for pretrain_seed, _ in shared})
                line[f"mean_of_5_minus_{CONTROL}_by_pretrain_seed"] = paired_difference(
                    [statistics.fmean(means[p] for p in shared if p[0] == s) for s in by_seed],
                    [statistics.fmean(control[p] for p in shared if p[0] == s) for s in by_seed],
                ) | {"pretrain_seeds": by_seed}
            lines.append(line)
    return lines


# ----------------------------------------------------------------------------------- reruns
def reproduce(log: RunLog, args: argparse.Namespace) -> int:
    """Rerun the recorded run that `args.reproduce` picks under its own recorded setting (the
    command line's setting options are overridden by it) and compare; returns the exit code.
    `--protocol` says whether a fine-tuning or a probe record is meant.

    The arm is pre-trained afresh in a temporary folder, from a warm start also built afresh when
    the run had one (a cached encoder would skip the part of the run most likely to drift). A probe
    record is one seed of a probe run; the rerun probes that seed only, which gives the same
    numbers: the pool, the scaler and the features do not depend on the seed.
    """
    selector = parse_selector(args.reproduce)
    # `--protocol` says which kind of record is meant, as for the table.
    selector.setdefault("protocol", args.protocol)
    recorded = pick_recorded([with_defaults(r) for r in log.runs], selector)
    scratch = scratch_log(args.scratch, args.results)
    protocol = recorded["protocol"]
    cache = tempfile.mkdtemp(prefix="softmcl-reproduce-")
    rerun = vars(args) | {name: recorded[name] for name in setting_names(protocol)}
    rerun = argparse.Namespace(**rerun | {"protocol": protocol, "cache": cache})
    arm, task, pretrain_seed, seed = recorded["arm"], recorded["task"], recorded["pretrain_seed"], recorded["seed"]
    print(f"== reproduce {protocol} {arm} {task} pretrain_seed {pretrain_seed} seed {seed}", flush=True)
    transformers.utils.logging.set_verbosity_error()
    data = data_folder(args.data)
    try:
        encoder = pretrain(data, arm, pretrain_seed, rerun)
        splits = task_splits(task, Path(data))
        if protocol == "probe":
            (run,) = probe(encoder, task, splits, [seed], rerun)
        else:
            run = {"seed": seed, **finetune(encoder, task, splits, seed, rerun)}
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    now = {"arm": arm, "task": task, "pretrain_seed": pretrain_seed, **setting_of(rerun)}
    now |= {"warm_start": warm_start_name(pretrain_seed, rerun) if ARMS[arm] is not None else None, **run}
    scratch.append(now)
    return report_reproduction(recorded, now)


# ------------------------------------------------------------------------------------- main
def count_or_all(text: str) -> int | None:
    """A row count, or `all` (`None`)."""
    return None if text == "all" else int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument("--results", default=str(ROOT / "docs" / "softmcl_runs.jsonl"))
    parser.add_argument(
        "--cache", default=str(ROOT / "runs" / "softmcl_encoders"), help="Where pre-trained encoders are kept."
    )
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=DEFAULT_ARMS)
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44], help="Fine-tuning / probe seeds.")
    parser.add_argument(
        "--pretrain_seeds", type=int, nargs="+", default=[42, 43, 44],
        help="Pre-training seeds: each arm is pre-trained once per seed (warm start included); the runs of "
        "issue 3 used 42 only. `none` runs at the first one only (it has nothing to pre-train).",
    )  # fmt: skip
    parser.add_argument("--pretrain_steps", type=int, default=2000, help="Per arm (issue 3: 200).")
    parser.add_argument("--pretrain_batch_size", type=int, default=32)
    parser.add_argument("--pretrain_learning_rate", type=float, default=1e-4)
    parser.add_argument(
        "--momentum", type=float, default=0.99, help="μ (0.99 suits a short run; the paper's is unknown)."
    )
    parser.add_argument(
        "--warm_mlm_head_steps", type=int, default=1000,
        help="Steps of the MLM-head warm start (head only, encoder frozen) that every arm of a pre-training seed "
        "starts from; 0: every arm trains a fresh head (issue 3).",
    )  # fmt: skip
    parser.add_argument(
        "--warm_mlm_head_learning_rate", type=float, default=1e-3, help="Learning rate of the warm start."
    )
    parser.add_argument(
        "--checkpoint_steps", type=int, default=500,
        help="Pre-training checkpoints every N steps, so an interrupted run resumes (not part of a run's key).",
    )  # fmt: skip
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--learning_rate", type=float, default=5e-5)
    parser.add_argument("--max_train_samples", type=int, default=2000, help="Fine-tuning rows per task (issue 3: 500).")
    parser.add_argument("--max_dev_samples", type=int, default=200)
    parser.add_argument("--max_test_samples", type=int, default=1000, help="The same first N test rows for every arm.")
    parser.add_argument("--max_length", type=int, default=64)
    parser.add_argument(
        "--protocol",
        choices=("finetune", "probe"),
        default="finetune",
        help="finetune: the whole encoder; probe: a linear model on frozen features.",
    )
    parser.add_argument(
        "--probe_pool", type=count_or_all, default=None,
        help="probe: train rows featurised once, or 'all' (the default; issue 3: 3000).",
    )  # fmt: skip
    parser.add_argument(
        "--probe_train", type=count_or_all, default=None,
        help="probe: the per-seed random subset of the pool, or 'all' (the default: the whole pool, one run per "
        "pre-training seed; issue 3: 2000).",
    )  # fmt: skip
    parser.add_argument("--table", action="store_true", help="Only print the table of the runs recorded so far.")
    parser.add_argument(
        "--summary", action="store_true", help="Only print one JSON line per (setting, protocol, arm) recorded."
    )
    parser.add_argument(
        "--reproduce",
        nargs="+",
        metavar="FIELD=VALUE",
        help="Rerun the one recorded run in --results these fields pick (e.g. arm=none task=sst2 seed=42).",
    )
    parser.add_argument("--scratch", default=None, help="--reproduce: the JSON-lines file the rerun is written to.")
    parser.add_argument(
        "--card_dir", default=None, help="Keep each pre-training run's model card here (e.g. model_cards)."
    )
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if not args.warm_mlm_head_steps:
        args.warm_mlm_head_learning_rate = None  # no warm start: its learning rate is no part of the setting
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    log = RunLog(args.results)
    log.runs = [with_defaults(r) for r in log.runs]  # read only: the file keeps its records as written
    if args.summary:
        for line in summary(log.runs):
            print(json.dumps(line, ensure_ascii=False))
        return
    if args.reproduce:
        raise SystemExit(reproduce(log, args))
    setting = setting_of(args)
    if not args.table:
        transformers.utils.logging.set_verbosity_error()
        data = data_folder(args.data)
        splits = {task: task_splits(task, Path(data)) for task in args.tasks}
        # A probe on the whole pool has no randomness left: one run per pre-training seed.
        probe_seeds = args.seeds if args.probe_train is not None else args.seeds[:1]
        for pretrain_seed in args.pretrain_seeds:
            for arm in args.arms:
                if ARMS[arm] is None and pretrain_seed != args.pretrain_seeds[0]:
                    continue  # `none` is the same encoder at every pre-training seed
                base = {"arm": arm, "pretrain_seed": pretrain_seed, **setting}
                if args.protocol == "probe":
                    todo = [(None, t) for t in args.tasks if not log.has(task=t, **base)]
                else:
                    todo = [(s, t) for s in args.seeds for t in args.tasks if not log.has(task=t, seed=s, **base)]
                if not todo:
                    continue
                encoder = pretrain(data, arm, pretrain_seed, args)
                origin = {"warm_start": warm_start_name(pretrain_seed, args) if ARMS[arm] is not None else None}
                for seed, task in todo:
                    key = {"arm": arm, "task": task, "pretrain_seed": pretrain_seed}
                    if args.protocol == "probe":
                        print(f"== probe {arm} {task} pretrain_seed {pretrain_seed}", flush=True)
                        for run in probe(encoder, task, splits[task], probe_seeds, args):
                            log.append({**key, "seed": run.pop("seed"), **setting, **origin, **run})
                        continue
                    print(f"== {arm} {task} pretrain_seed {pretrain_seed} seed {seed}", flush=True)
                    log.append(
                        {**key, "seed": seed, **setting, **origin, **finetune(encoder, task, splits[task], seed, args)}
                    )
    text = table(log.runs, setting)
    if not any(all(r.get(k) == v for k, v in setting.items()) for r in log.runs):
        text += "\nrecorded settings of this protocol (pass them as options to see their table):\n"
        text += "\n".join(json.dumps(s) for s in recorded_settings(log.runs, args.protocol))
    print(text)


if __name__ == "__main__":
    main()
