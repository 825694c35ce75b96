"""Continue pre-training an encoder with SoftMCL-style soft momentum contrastive learning (+ MLM),
then export it as a plain encoder checkpoint of its own type.

    hf-sentiment train softmcl --corpus benchmark --lexicon warriner --output_dir runs/softmcl \
        --max_steps 1000 --per_device_train_batch_size 32
    hf-sentiment train softmcl --train_file my_texts.txt --lexicon vader --output_dir runs/softmcl ...
    accelerate launch -m hf_sentiment.cli train softmcl ...   # several processes: keys are gathered across them

Corpus (`--corpus benchmark`, read from `--data_dir`, else `$HF_SENTIMENT_DATA`, else `../shared/data`
beside a checkout: `hf_sentiment.data.shared_data`): unlabelled sentences from *train* splits
only (SST-5 train, EmoBank train, SemEval-2014 Laptop and Restaurant train, TweetEval emotion
train); labels are dropped, and only EmoBank brings sentence valences. `--train_file` takes a
`.txt` file (one text a line) or a `.csv` / `.json` / `.jsonl` file with a `text` column and an
optional `valence` column already in [0, 1].

Lexicon (`--lexicon`): `vader` (embedded, default), `warriner` (Warriner et al. 2013 from
`--data_dir`, restricted to XANEW's train split so that its dev/test words stay held out), or a
CSV path with `--lexicon_word_column`, `--lexicon_rating_column` and `--lexicon_scale low high`.

The exported encoder (`<output_dir>/encoder`, with the tokenizer) loads with any `AutoModel*`
class and fine-tunes like the original; as `--model_name_or_path` it starts a later run with its
MLM head. A fair MLM control warms one head up on the frozen encoder, then starts every arm from it:

    hf-sentiment train softmcl --corpus benchmark --freeze_encoder --word_weight 0 --sentence_weight 0 \
        --learning_rate 1e-3 --output_dir runs/mlm-head --max_steps 1000 --per_device_train_batch_size 32
    hf-sentiment train softmcl --corpus benchmark --model_name_or_path runs/mlm-head/encoder --output_dir runs/softmcl ...
 The model's options (`--mlm_weight`, `--word_queue_size`,
...) are `SoftMCLConfig`'s arguments, read from the config class with their docstrings; an option
left out keeps the config's default.

This is the body of `hf-sentiment train softmcl`; `examples/softmcl/pretrain_softmcl.py` is the same
flow written out with the public API, to copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset, Value, concatenate_datasets, load_dataset
from transformers import AutoModel, AutoTokenizer, HfArgumentParser, set_seed

from hf_sentiment import (
    SoftMCLConfig,
    SoftMCLForPreTraining,
    SoftMCLTrainer,
    SoftMCLTrainingArguments,
    ValenceLexicon,
    encode_valence_corpus,
    read_emobank,
    read_semeval14_xml,
    read_sst,
    read_tweeteval,
)
from hf_sentiment.model_cards import dataset_terms
from hf_sentiment.offline import hub_id_of, offline_minilm_path
from hf_sentiment.utils.logging import get_logger

from .common import (
    DatasetNameArguments,
    config_arguments,
    config_overrides,
    configure_logging,
    dataset_split,
    load_dataset_splits,
    parse_training_arguments,
    require_rows,
    resolve_data_dir,
    training_parser,
)

logger = get_logger(__name__)


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Encoder folder or Hub id. Default: the offline MiniLM. A ...ForMaskedLM checkpoint (an exported "
            "encoder, or an MLM head warmed up with --freeze_encoder) starts with its MLM head; otherwise the head "
            "is trained fresh."
        },
    )
    freeze_encoder: bool = field(
        default=False,
        metadata={
            "help": "Train the heads only (the MLM head's own layers and the projections): the encoder, its "
            "embeddings and the MLM decoder tied to them stay as loaded. With --word_weight 0 --sentence_weight 0 "
            "this warms up an MLM head; <output_dir>/encoder then holds the unchanged encoder with that head."
        },
    )


#: One option per hyper-parameter of `SoftMCLConfig` (`--mlm_weight`, `--word_queue_size`, ...), with
#: its docstring as help; `None` means "the config's default".
SoftMCLConfigArguments = config_arguments(SoftMCLConfig)
#: The `SoftMCLConfig` keyword arguments of a command line: the hyper-parameters the user gave (the
#: config's defaults stand for the rest).
config_kwargs = config_overrides


@dataclass
class DataArguments(DatasetNameArguments):
    corpus: str | None = field(default=None, metadata={"help": "'benchmark': the train-split corpus described above."})
    train_file: str | None = field(default=None, metadata={"help": ".txt, .csv, .json or .jsonl file of texts."})
    data_dir: str | None = field(
        default=None,
        metadata={
            "help": "The shared data folder (default: $HF_SENTIMENT_DATA, else ../shared/data beside a checkout)."
        },
    )
    lexicon: str = field(default="vader", metadata={"help": "vader, warriner or a CSV path."})
    lexicon_word_column: str = field(default="word", metadata={"help": "CSV lexicon: the word column."})
    lexicon_rating_column: str = field(default="valence", metadata={"help": "CSV lexicon: the rating column."})
    lexicon_scale: list[float] = field(
        default_factory=lambda: [1.0, 9.0], metadata={"help": "CSV lexicon: rating scale low high."}
    )
    sentence_fallback: str = field(
        default="lexicon_mean", metadata={"help": "lexicon_mean or none, for sentences without a valence."}
    )
    max_length: int = field(default=64, metadata={"help": "Tokens per text."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Use only the first N texts."})
    text_column: str = field(default="text", metadata={"help": "--dataset_name: the column holding the texts."})


#: The datasets whose train splits `benchmark_corpus` reads (a model card lists their terms).
BENCHMARK_CORPUS_SOURCES = ("sst5", "semeval14", "tweeteval_emotion", "emobank")


def benchmark_corpus(data_dir: str | Path) -> Dataset:
    """Unlabelled `text` (+ `valence` where EmoBank rates it) from train splits only."""
    root = Path(data_dir)
    semeval = root / "semeval14"
    parts = {
        "sst5_train": read_sst(root / "sst" / "stsa.fine.train").select_columns(["text"]),
        "semeval14_laptop_train": read_semeval14_xml(semeval / "Laptop_Train_v2.xml").select_columns(["text"]),
        "semeval14_restaurant_train": read_semeval14_xml(semeval / "Restaurants_Train_v2.xml").select_columns(["text"]),
        "tweeteval_emotion_train": read_tweeteval(root / "tweeteval" / "emotion", "train").select_columns(["text"]),
    }
    unrated = concatenate_datasets(list(parts.values()))
    unrated = unrated.add_column("valence", [None] * len(unrated), feature=Value("float32"))
    emobank = read_emobank(root / "emobank" / "emobank.csv", "train").select_columns(["text", "valence"])
    logger.info("benchmark corpus: %s + emobank_train %d", {k: len(v) for k, v in parts.items()}, len(emobank))
    return concatenate_datasets([unrated, emobank])


def load_corpus(args: DataArguments) -> Dataset:
    if sum(given is not None for given in (args.corpus, args.train_file, args.dataset_name)) != 1:
        raise SystemExit("Give exactly one of --corpus benchmark, --train_file PATH or --dataset_name NAME.")
    if args.dataset_name is not None:
        option = f"--dataset_name {args.dataset_name}"
        train = dataset_split(load_dataset_splits(args.dataset_name, args.dataset_config_name), ("train",), option)
        if args.text_column not in train.column_names:
            raise SystemExit(
                f"{option}: no '{args.text_column}' column (it has {', '.join(train.column_names)}); "
                "name it with --text_column."
            )
        texts = train.select_columns([args.text_column])
        return texts if args.text_column == "text" else texts.rename_column(args.text_column, "text")
    if args.corpus is not None:
        if args.corpus != "benchmark":
            raise SystemExit(f"--corpus: only 'benchmark' is built in, got {args.corpus!r}.")
        return benchmark_corpus(args.data_dir)
    path = Path(args.train_file)
    if not path.is_file():
        raise SystemExit(f"--train_file: {path} does not exist.")
    if path.suffix == ".txt":
        texts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return Dataset.from_dict({"text": texts})
    kinds = {".csv": "csv", ".json": "json", ".jsonl": "json"}
    if path.suffix not in kinds:
        raise SystemExit(f"--train_file: expected .txt, .csv, .json or .jsonl, got {path.name}.")
    return load_dataset(kinds[path.suffix], data_files=str(path), split="train")


def load_lexicon(args: DataArguments) -> ValenceLexicon:
    if args.lexicon == "vader":
        return ValenceLexicon.from_vader()
    if args.lexicon == "warriner":
        folder = Path(args.data_dir) / "warriner2013"
        return ValenceLexicon.from_warriner(
            folder / "Ratings_Warriner_et_al.csv", folder / "split_crosslingual_train.txt"
        )
    return ValenceLexicon.from_csv(
        args.lexicon, args.lexicon_word_column, args.lexicon_rating_column, tuple(args.lexicon_scale)
    )


def build_parser(prog: str | None = None) -> HfArgumentParser:
    """The parser of `main`: `ModelArguments`, `SoftMCLConfigArguments`, `DataArguments`,
    `SoftMCLTrainingArguments`."""
    return training_parser((ModelArguments, SoftMCLConfigArguments, DataArguments, SoftMCLTrainingArguments), prog)


def main(argv: list[str] | None = None, *, prog: str | None = None) -> dict[str, Any]:
    """Pre-train, save and export the encoder (see the module docstring); returns the metrics.

    Args:
        argv (`list[str]`, *optional*): the options (default: `sys.argv[1:]`).
        prog (`str`, *optional*): names the command in `--help` and usage errors.

    Returns:
        `dict[str, Any]`: the training metrics, the corpus counts and where the run started
        (`init_checkpoint`, `mlm_head`: `loaded` or `fresh`, `freeze_encoder`,
        `trainable_parameters`).
    """
    parser = build_parser(prog)
    model_args, config_args, data_args, training_args = parse_training_arguments(parser, argv)
    # Only the built-in corpus and the Warriner lexicon read the shared folder; a user's own
    # --train_file with VADER must work without one.
    if data_args.corpus == "benchmark" or data_args.lexicon == "warriner":
        data_args.data_dir = str(resolve_data_dir(data_args.data_dir))
    configure_logging(training_args)
    set_seed(training_args.seed)

    encoder = model_args.model_name_or_path or offline_minilm_path()
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    corpus = load_corpus(data_args)
    source = next(
        f"--{option} {value}"
        for option, value in (("train_file", data_args.train_file), ("dataset_name", data_args.dataset_name),
                              ("corpus", data_args.corpus))
        if value is not None
    )  # fmt: skip
    require_rows(corpus, source)
    if data_args.max_train_samples is not None:
        corpus = corpus.select(range(min(data_args.max_train_samples, len(corpus))))
    lexicon = load_lexicon(data_args)
    encoded, report = encode_valence_corpus(
        corpus, tokenizer, lexicon, max_length=data_args.max_length, sentence_fallback=data_args.sentence_fallback
    )
    rated_words = sum(len(v) for v in encoded["word_valence"])
    rated_sentences = sum(v >= 0 for v in encoded["sentence_valence"])
    logger.info(
        "corpus: %d texts, %d rated words, %d sentences with a valence; %s (lexicon %r: %s)",
        len(encoded), rated_words, rated_sentences, report, lexicon.name, lexicon.report,
    )  # fmt: skip

    model, loading = SoftMCLForPreTraining.from_pretrained_encoder(
        encoder, output_loading_info=True, **config_kwargs(config_args)
    )
    if model_args.freeze_encoder:
        trainable = model.freeze_encoder()
        logger.info("--freeze_encoder: %d trainable tensors, e.g. %s", len(trainable), trainable[:3])
    trainer = SoftMCLTrainer(model=model, args=training_args, train_dataset=encoded, processing_class=tokenizer)
    result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model()
    metrics = {
        **result.metrics,
        "corpus_texts": len(encoded),
        "rated_words": rated_words,
        "rated_sentences": int(rated_sentences),
        "queue_memory_bytes": model.queue_memory_bytes(),
        # Where the run started: which checkpoint, whether its MLM head came with it, what trained.
        "init_checkpoint": str(encoder),
        "mlm_head": "fresh" if loading["missing_head_keys"] else "loaded",
        "freeze_encoder": model_args.freeze_encoder,
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
    }
    trainer.save_metrics("train", metrics)
    if data_args.train_file or data_args.dataset_name:
        source = data_args.train_file or data_args.dataset_name
        corpus_terms = {Path(source).name: dataset_terms(source)}
    else:  # the benchmark corpus: train splits of these sets
        corpus_terms = {name: dataset_terms(name) for name in BENCHMARK_CORPUS_SOURCES}
    trainer.create_model_card(
        base_model=hub_id_of(encoder),
        datasets={**corpus_terms, Path(data_args.lexicon).name: dataset_terms(data_args.lexicon)},
        results=[],
        data_note=f"{len(encoded)} texts, {rated_words} rated words, {int(rated_sentences)} sentences with a valence.",
    )  # fmt: skip
    if trainer.is_world_process_zero():
        export = model.export_encoder(Path(training_args.output_dir) / "encoder", tokenizer=tokenizer)
        logger.info("exported %s (loads as %s)", export, type(AutoModel.from_pretrained(export)).__name__)
    if training_args.push_to_hub:  # the card and the exported encoder go up with the folder
        trainer.push_to_hub()
    logger.info("metrics: %s", json.dumps(metrics, indent=2))
    return metrics


__all__ = [
    "DataArguments",
    "ModelArguments",
    "SoftMCLConfigArguments",
    "benchmark_corpus",
    "build_parser",
    "config_kwargs",
    "load_corpus",
    "load_lexicon",
    "main",
]
