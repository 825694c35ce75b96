"""Fine-tune a sentence classifier with label-aware contrastive loss (or CE / CE + SupCon).

Trains with `LossPartsTrainer` (a plain `transformers.Trainer` that also logs the loss parts; the
model computes its own loss), picks the best epoch
on the dev split (macro-F1), scores the test split once, writes per-class F1 and a confusion-matrix
PNG, and saves a lean classifier (the weighting network stripped) that loads with
`AutoModelForSequenceClassification`.

    hf-sentiment train lcl --dataset sst5 --output_dir runs/lcl-sst5 \
        --contrastive_loss label_aware --weighting_network shared --num_train_epochs 3

Datasets (read from `--data_dir`, else `$HF_SENTIMENT_DATA`, else `../shared/data` beside a checkout:
`hf_sentiment.data.shared_data`): sst2, sst5, goemotions (the
single-label subset, 28 classes), tweeteval_emotion (4), empathetic_dialogues (32; only the
validation split exists offline, so it runs stratified cross-validation: `--fold i` of
`--num_folds`, with 10% of the training folds held out as dev).

The model's options (`--contrastive_loss`, `--weighting_network`, `--view_dropout`, ...) are
`LCLConfig`'s arguments, read from the config class with their docstrings; an option left out keeps
the config's default.

This is the body of `hf-sentiment train lcl`; `examples/lcl/train_lcl.py` is the same flow written
out with the public API, to copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from datasets import ClassLabel, Dataset, Features, Value
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    HfArgumentParser,
    PreTrainedTokenizerBase,
    TrainingArguments,
    set_seed,
)

from hf_sentiment import (
    DataCollatorWithAugmentedView,
    LCLConfig,
    LCLForSequenceClassification,
    classification_scores,
    compute_classification_metrics,
    plot_confusion_matrix,
    read_empathetic_dialogues,
    read_goemotions,
    read_sst,
    read_tweeteval,
    stratified_folds,
)
from hf_sentiment.data import RandomTokenDeletion, RandomTokenMasking, RandomTokenSwap, SynonymReplacement
from hf_sentiment.model_cards import dataset_terms, results_from_metrics
from hf_sentiment.offline import hub_id_of, offline_minilm_path
from hf_sentiment.training import LossPartsTrainer
from hf_sentiment.utils.logging import get_logger

from .common import (
    DatasetNameArguments,
    config_arguments,
    config_overrides,
    configure_logging,
    dataset_split,
    load_dataset_splits,
    logged_means_by_epoch,
    parse_training_arguments,
    require_rows,
    resolve_data_dir,
    select_on_dev,
    selected_checkpoint,
    training_parser,
)

logger = get_logger(__name__)
#: What the card records of the test evaluation: metric key -> (Hub metric type, readable name).
LCL_CARD_METRICS = {
    "accuracy": ("accuracy", "accuracy (%)"),
    "macro_f1": ("f1", "macro-F1 (%)"),
    "weighted_f1": ("f1", "weighted-F1 (%)"),
}
DATASETS = ("sst2", "sst5", "goemotions", "tweeteval_emotion", "empathetic_dialogues")
AUGMENTATIONS = ("none", "mask", "delete", "swap", "synonym")


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(
        default=None, metadata={"help": "Encoder folder or Hub id. Default: the offline MiniLM."}
    )
    augmentation: str = field(
        default="none",
        metadata={
            "help": "The second view from augmented input: none, mask, delete, swap (per token) or synonym "
            "(WordNet synonym replacement per word, the authors' view; needs hf-sentiment[synonyms])."
        },
    )
    augmentation_probability: float = field(
        default=0.1, metadata={"help": "Per-token (per-word for synonym) probability of the augmentation."}
    )


#: One option per hyper-parameter of `LCLConfig` (`--contrastive_loss`, `--weighting_network`,
#: `--weighting_gradient` / `--no_weighting_gradient`, ...), with its docstring as help; `None`
#: means "the config's default".
LCLConfigArguments = config_arguments(LCLConfig)
#: The `LCLConfig` keyword arguments of a command line: the hyper-parameters the user gave (the
#: config's defaults stand for the rest; `id2label` comes from the dataset).
config_kwargs = config_overrides


@dataclass
class DataArguments(DatasetNameArguments):
    dataset: str | None = field(
        default=None, metadata={"help": f"One of {DATASETS} (or --dataset_name for a datasets dataset)."}
    )
    data_dir: str | None = field(
        default=None,
        metadata={
            "help": "The shared data folder (default: $HF_SENTIMENT_DATA, else ../shared/data beside a checkout)."
        },
    )
    max_length: int = field(default=128, metadata={"help": "Tokens per text."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Use only the first N training rows."})
    fold: int = field(default=0, metadata={"help": "empathetic_dialogues: the test fold."})
    num_folds: int = field(default=5, metadata={"help": "empathetic_dialogues: the number of folds."})


def load_splits(args: DataArguments) -> dict[str, Dataset]:
    """train / dev / test for one of `DATASETS`."""
    root = Path(args.data_dir)
    if args.dataset in ("sst2", "sst5"):
        stem = "binary" if args.dataset == "sst2" else "fine"
        return {split: read_sst(root / "sst" / f"stsa.{stem}.{split}") for split in ("train", "dev", "test")}
    if args.dataset == "goemotions":
        return {
            split: read_goemotions(root / "goemotions" / f"{split}.tsv", multi_label="skip")
            for split in ("train", "dev", "test")
        }
    if args.dataset == "tweeteval_emotion":
        folder = root / "tweeteval" / "emotion"
        return {
            "train": read_tweeteval(folder, "train"),
            "dev": read_tweeteval(folder, "val"),
            "test": read_tweeteval(folder, "test"),
        }
    if args.dataset == "empathetic_dialogues":
        full = read_empathetic_dialogues(root / "empathetic_dialogues" / "valid_utterances.csv")
        train_index, test_index = stratified_folds(full, k=args.num_folds, seed=42)[args.fold]
        held = full.select(train_index).train_test_split(test_size=0.1, seed=42, stratify_by_column="label")
        return {"train": held["train"], "dev": held["test"], "test": full.select(test_index)}
    raise SystemExit(f"--dataset must be one of {DATASETS}, got {args.dataset!r}")


def load_dataset_name_splits(args: DataArguments) -> dict[str, Dataset]:
    """train / dev / test of `--dataset_name`: `text` and `label` columns (a `ClassLabel`, or class
    names, whose sorted set over the training split becomes the classes)."""
    option = f"--dataset_name {args.dataset_name}"
    splits = load_dataset_splits(args.dataset_name, args.dataset_config_name)
    chosen = {
        "train": dataset_split(splits, ("train",), option),
        "dev": dataset_split(splits, ("validation", "dev"), option),
        "test": dataset_split(splits, ("test",), option),
    }
    for name, split in chosen.items():
        missing = [column for column in ("text", "label") if column not in split.column_names]
        if missing:
            raise SystemExit(f"{option} ({name}): no '{missing[0]}' column (it has {', '.join(split.column_names)}).")
    feature = chosen["train"].features["label"]
    names = list(feature.names) if isinstance(feature, ClassLabel) else sorted({str(y) for y in chosen["train"]["label"]})
    labels = ClassLabel(names=names)
    for name, split in chosen.items():
        split_feature = split.features["label"]
        if isinstance(split_feature, ClassLabel):
            classes = len(split_feature.names)
            bad = next(((row, y) for row, y in enumerate(split["label"], start=1) if not 0 <= y < classes), None)
            if bad is not None:
                raise SystemExit(
                    f"{option} ({name}), row {bad[0]}, field 'label': {bad[1]} is no class of the dataset "
                    "(an unlabelled split?)."
                )
        values = [split_feature.int2str(y) if isinstance(split_feature, ClassLabel) else str(y) for y in split["label"]]
        unknown = next(((row, y) for row, y in enumerate(values, start=1) if y not in names), None)
        if unknown is not None:
            raise SystemExit(f"{option} ({name}), row {unknown[0]}, field 'label': {unknown[1]!r} is not a class of "
                             f"the training split {names}.")  # fmt: skip
        chosen[name] = Dataset.from_dict(
            {"id": [str(i) for i in range(1, len(split) + 1)], "text": split["text"],
             "label": [names.index(y) for y in values]},
            features=Features({"id": Value("string"), "text": Value("string"), "label": labels}),
        )  # fmt: skip
    return chosen


def build_parser(prog: str | None = None) -> HfArgumentParser:
    """The parser of `main`: `ModelArguments`, `LCLConfigArguments`, `DataArguments`, `TrainingArguments`."""
    return training_parser((ModelArguments, LCLConfigArguments, DataArguments, TrainingArguments), prog)



def main(argv: list[str] | None = None, *, prog: str | None = None) -> dict[str, float]:
    """Train, select, test and save (see the module docstring); returns the metrics.

    Args:
        argv (`list[str]`, *optional*): the options (default: `sys.argv[1:]`).
        prog (`str`, *optional*): names the command in `--help` and usage errors.

    Returns:
        `dict[str, float]`: the dev and test metrics.
    """
    parser = build_parser(prog)
    select_on_dev(parser, "macro_f1", argv)
    model_args, config_args, data_args, training_args = parse_training_arguments(parser, argv)
    if model_args.augmentation not in AUGMENTATIONS:
        raise SystemExit(f"--augmentation must be one of {AUGMENTATIONS}, got {model_args.augmentation!r}")
    if (data_args.dataset is None) == (data_args.dataset_name is None):
        raise SystemExit(f"Give --dataset (one of {DATASETS}) or --dataset_name, one of the two.")
    if data_args.dataset is not None:
        data_args.data_dir = str(resolve_data_dir(data_args.data_dir))
    configure_logging(training_args)
    set_seed(training_args.seed)

    splits = load_splits(data_args) if data_args.dataset else load_dataset_name_splits(data_args)
    data_name = data_args.dataset or data_args.dataset_name
    for name, split in splits.items():
        require_rows(split, f"{data_name} {name}")
    if data_args.max_train_samples is not None:
        splits["train"] = splits["train"].select(range(min(data_args.max_train_samples, len(splits["train"]))))
    names = splits["train"].features["label"].names
    encoder = model_args.model_name_or_path or offline_minilm_path()
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    # Built before the model, so that a missing extra (WordNet) fails in seconds.
    augmenters = {
        "mask": lambda p: RandomTokenMasking(p, tokenizer.mask_token_id),
        "delete": RandomTokenDeletion,
        "swap": lambda p: RandomTokenSwap(probability=p),
        "synonym": lambda p: SynonymReplacement(tokenizer, p),
    }
    if model_args.augmentation == "none":
        collator = DataCollatorWithPadding(tokenizer)
    else:
        augmenter = augmenters[model_args.augmentation](model_args.augmentation_probability)
        collator = DataCollatorWithAugmentedView(tokenizer, augmenter, seed=training_args.seed)
    model = LCLForSequenceClassification.from_pretrained_encoder(
        encoder, id2label=dict(enumerate(names)), **config_kwargs(config_args)
    )

    def tokenize(batch: dict) -> dict:
        return tokenizer(batch["text"], truncation=True, max_length=data_args.max_length)

    encoded = {name: split.map(tokenize, batched=True, remove_columns=["id", "text"]) for name, split in splits.items()}
    trainer = LossPartsTrainer(
        model=model,
        args=training_args,
        train_dataset=encoded["train"],
        eval_dataset=encoded["dev"],
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=compute_classification_metrics,
    )
    train_result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_metrics("train", train_result.metrics)
    trainer.save_state()  # trainer_state.json: every dev evaluation and the checkpoint selected
    metrics = {f"dev_{k}": v for k, v in trainer.evaluate().items()}
    metrics.update(selected_checkpoint(trainer.state))
    if model.config.contrastive_loss == "label_aware":
        metrics["weighting_entropy_by_epoch"] = logged_means_by_epoch(trainer.state, "weighting_entropy")

    prediction = trainer.predict(encoded["test"])
    predicted = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    test_scores = classification_scores(prediction.label_ids, predicted.argmax(-1), names)
    metrics.update({f"test_{k}": v for k, v in test_scores.items()})
    plot_confusion_matrix(
        prediction.label_ids,
        predicted.argmax(-1),
        names,
        Path(training_args.output_dir) / "confusion_matrix_test.png",
        title=f"{data_name} test, "
        + {
            "none": "CE",
            "supcon": "CE + SupCon",
            "label_aware": f"CE + LCL ({model.config.weighting_network} weighting network)",
        }[model.config.contrastive_loss]
        + (f", {model_args.augmentation} view" if model_args.augmentation != "none" else ""),
    )

    model.strip_weighting_network()
    trainer.save_model()
    trainer.save_metrics("all", metrics)
    folds = (
        f"; stratified {data_args.num_folds}-fold cross-validation of the validation split, test fold {data_args.fold}"
    )
    trainer.create_model_card(
        base_model=hub_id_of(encoder),
        datasets={data_name: dataset_terms(data_name)},
        results=results_from_metrics(
            metrics, LCL_CARD_METRICS, task_type="text-classification", dataset_name=data_name,
            dataset_split="test", prefix="test_",
        ),
        data_note=f"Splits: train / dev / test{folds if data_args.dataset == 'empathetic_dialogues' else ''}."
        + (
            f" Second view: {model_args.augmentation} augmentation, probability {model_args.augmentation_probability}"
            + (" per word (WordNet 3.0, at least one word replaced)." if model_args.augmentation == "synonym" else ".")
            if model_args.augmentation != "none"
            else ""
        ),
    )  # fmt: skip
    rows = _check_saved_predictions(model, training_args.output_dir, encoded["test"], tokenizer)
    if training_args.push_to_hub:  # checked first; the card above goes up with the folder
        trainer.push_to_hub()
    logger.info(
        "reloaded %s with AutoModelForSequenceClassification: the same logits on %d test rows; metrics: %s",
        training_args.output_dir,
        rows,
        json.dumps(metrics, indent=2),
    )
    return metrics


def _check_saved_predictions(
    model: LCLForSequenceClassification, folder: str, rows: Dataset, tokenizer: PreTrainedTokenizerBase, count: int = 32
) -> int:
    """Reload `folder` with `AutoModelForSequenceClassification` and compare its logits with the
    trained model's on the first `count` of `rows`; returns how many rows were compared."""
    reloaded = AutoModelForSequenceClassification.from_pretrained(folder).to(model.device).eval()
    sample = rows.select(range(min(count, len(rows))))
    names = [name for name in tokenizer.model_input_names if name in sample.column_names]
    batch = DataCollatorWithPadding(tokenizer)([{name: row[name] for name in names} for row in sample]).to(model.device)
    model.eval()
    with torch.no_grad():
        expected, got = model(**batch).logits.float(), reloaded(**batch).logits.float()
    # A model evaluated with --fp16_full_eval / --bf16_full_eval is saved (and reloaded) in half precision.
    tolerance = 1e-4 if reloaded.dtype == torch.float32 else 1e-2
    if not torch.allclose(expected, got, atol=tolerance, rtol=tolerance):
        raise RuntimeError(
            f"{folder}: the saved model's logits differ from the trained model's on the first {len(sample)} test rows "
            f"(largest difference {float((expected - got).abs().max()):.2e})"
        )
    return len(sample)


__all__ = [
    "DATASETS",
    "DataArguments",
    "LCLConfigArguments",
    "ModelArguments",
    "build_parser",
    "config_kwargs",
    "load_splits",
    "main",
]
