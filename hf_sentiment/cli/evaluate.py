"""`hf-sentiment evaluate {fckt,lcl}`: score a saved model on a labelled file, scores as JSON.

- `fckt`: a targeted-sentiment file in any format `load_absa` reads, scored end to end on
  character-level gold by `evaluate_targeted_sentiment` (aspect, polarity and joint scores), the
  same numbers the training script reports for its test file.
- `lcl`: a sentence-classification file, read by `hf_sentiment.data.read_classification_file`,
  scored by `classification_scores` (accuracy, macro-F1, weighted-F1 and per-class F1, in %). The
  file is CSV (columns `text`, `label`) or JSON lines / a JSON list (fields `text`, `label`); a
  label is a class name of the model (`config.id2label`) or a class id. Any sequence classifier
  works, not only LCL.

Instead of `--file`, `--dataset_name` (with `--dataset_config_name` and `--split`, default `test`)
scores a `datasets` dataset: a Hub name (from the cache when offline) or a local folder; FCKT takes
our layout or SetFit's (`load_absa`), a classifier `text` and `label` columns.

Bad rows fail before the model runs, naming the file, the row and what is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import (
    CLIError,
    ModelFolder,
    add_batch_size,
    check_at_least,
    dataset_split,
    input_file,
    load_dataset_splits,
    load_model_and_tokenizer,
    model_folder,
    require_kind,
)

DESCRIPTION = """\
Score a saved model on a labelled file and print the scores as one JSON object.

  fckt  --file: any targeted-sentiment format load_absa reads (SemEval-2014 XML, E2E-ABSA .txt,
        Dong .raw, SentiBench ATSA .json, or your own .json / .jsonl / .csv). Prints aspect, polarity
        and joint (aspect + polarity) precision / recall / F1 on character spans, in %.
  lcl   --file: .csv with columns text,label, or .jsonl / .json with fields text, label; a label is one
        of the model's class names (config.json id2label) or a class id. Any sequence classifier works.
        Prints accuracy, macro_f1, weighted_f1 and f1_<class>, in %.

Examples:
  hf-sentiment evaluate fckt --model runs/fckt-laptop14 --file ../shared/data/semeval14/e2e_absa/laptop14/test.txt
  hf-sentiment evaluate lcl --model runs/lcl-sst5 --file my_reviews.csv
"""


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of `hf-sentiment evaluate` beside `--model` (the parser comes from `hf_sentiment.cli.COMMANDS`)."""
    parser.add_argument("method", choices=("fckt", "lcl"), help="which kind of model and file")
    parser.add_argument("--file", metavar="PATH", help="the labelled file (formats above)")
    parser.add_argument(
        "--dataset_name",
        metavar="NAME",
        help="instead of --file: a `datasets` dataset (Hub name, read from the cache when offline, or a local folder)",
    )
    parser.add_argument(
        "--dataset_config_name", "--dataset_config", metavar="NAME", help="the dataset's configuration, if several"
    )
    parser.add_argument("--split", default="test", help="the dataset's split to score (default: test)")
    add_batch_size(parser, 32, "texts")
    parser.add_argument(
        "--labels",
        default=None,
        metavar="A,B,...",
        help="fckt: the polarities to score (default: the model's); gold aspects with others are left out and counted",
    )


def run(args: argparse.Namespace) -> int:
    check_at_least(args, batch_size=1)
    if (args.file is None) == (args.dataset_name is None):
        raise CLIError("give --file PATH or --dataset_name NAME (with --split), one of the two.")
    folder = model_folder(args.model)
    source = input_file(args.file) if args.file else _dataset(args)  # a file, or (dataset, its name)
    if args.method == "fckt":
        require_kind(folder, ("fckt",), "evaluate fckt", hint="For a sentence classifier use `evaluate lcl`.")
        scores = _evaluate_fckt(folder, source, args.batch_size, args.labels)
    else:
        require_kind(folder, ("classifier",), "evaluate lcl", hint="For an FCKT folder use `evaluate fckt`.")
        scores = _evaluate_classifier(folder, source, args.batch_size)
    sys.stdout.write(json.dumps(scores, indent=2) + "\n")
    return 0


def _dataset(args: argparse.Namespace) -> tuple[Any, str]:
    """The `--split` of `--dataset_name`, and how errors name it."""
    splits = load_dataset_splits(args.dataset_name, args.dataset_config_name)
    option = f"--dataset_name {args.dataset_name}"
    return dataset_split(splits, (args.split,), option), f"{option} ({args.split})"


def _evaluate_fckt(
    folder: ModelFolder, source: Path | tuple[Any, str], batch_size: int, labels: str | None
) -> dict[str, float]:
    from transformers import AutoModel, pipeline

    from ..data import DataFormatError, load_absa
    from ..evaluation import evaluate_targeted_sentiment

    try:
        dataset = load_absa(source) if isinstance(source, Path) else load_absa(source[0], name=source[1])
    except DataFormatError:
        raise  # already names the file (or dataset), the row and the field
    except ValueError as error:  # the format cannot be told from the file
        raise CLIError(f"--file {source}: {error}") from None
    model, tokenizer = load_model_and_tokenizer(folder, AutoModel)
    classifier = pipeline("targeted-sentiment", model=model, tokenizer=tokenizer)
    known = set(classifier.model.config.label2id)
    chosen = None
    if labels is not None:
        chosen = {label.strip() for label in labels.split(",") if label.strip()}
        if not chosen or not chosen <= known:
            raise CLIError(f"--labels {labels!r}: choose among the model's polarities {sorted(known)}.")
    scores = evaluate_targeted_sentiment(classifier, dataset, labels=chosen, batch_size=batch_size)
    return {"examples": float(len(dataset)), **scores}


def _read_scored_file(file: Path, names: list[str]) -> tuple[list[str], list[int]]:
    """Texts and class ids of `file` (`read_classification_file`), bad input as a `CLIError`."""
    from ..data import DataFormatError, read_classification_file

    if file.suffix.lower() not in (".csv", ".jsonl", ".json"):
        raise CLIError(f"--file {file}: expected a .csv, .jsonl or .json file with text and label, got {file.name}.")
    try:
        dataset = read_classification_file(file, names)
    except DataFormatError as error:
        # The reader's row is a line of a CSV / JSONL file and an element of a JSON list; the
        # command's messages have always said which.
        unit = "element" if file.suffix.lower() == ".json" else "line"
        where = [error.path, *([f"{unit} {error.row}"] if error.row is not None else [])]
        where += [f"field '{error.field}'"] if error.field is not None else []
        raise CLIError(f"{', '.join(where)}: {error.message}") from None
    if not len(dataset):
        raise CLIError(f"--file {file}: no rows to score.")
    return list(dataset["text"]), list(dataset["label"])


def _dataset_rows(dataset: Any, where: str, names: list[str]) -> tuple[list[str], list[int]]:
    """Texts and class ids of a `datasets` split with `text` and `label` columns: a `ClassLabel`,
    class names or class ids, mapped onto the model's classes by name (ids as they are)."""
    for column in ("text", "label"):
        if column not in dataset.column_names:
            raise CLIError(f"{where}: no '{column}' column (it has {', '.join(dataset.column_names)}).")
    feature = dataset.features["label"]
    label_names = getattr(feature, "names", None)
    gold = []
    for row, label in enumerate(dataset["label"], start=1):
        if label_names is not None and not 0 <= label < len(label_names):
            raise CLIError(
                f"{where}, row {row}, field 'label': {label} is no class of the dataset (an unlabelled split?)."
            )
        name = label_names[label] if label_names is not None else label
        if isinstance(name, str) and name in names:
            gold.append(names.index(name))
        elif isinstance(name, int) and not isinstance(name, bool) and 0 <= name < len(names) and label_names is None:
            gold.append(name)
        else:
            raise CLIError(f"{where}, row {row}, field 'label': {name!r} is not one of the model's classes {names}.")
    return list(dataset["text"]), gold


def _evaluate_classifier(folder: ModelFolder, source: Path | tuple[Any, str], batch_size: int) -> dict[str, float]:
    import torch
    from transformers import AutoModelForSequenceClassification

    from ..evaluation import classification_scores

    id2label = {int(k): str(v) for k, v in (folder.config.get("id2label") or {}).items()}
    names = [id2label[i] for i in sorted(id2label)]
    texts, gold = _read_scored_file(source, names) if isinstance(source, Path) else _dataset_rows(*source, names)
    model, tokenizer = load_model_and_tokenizer(folder, AutoModelForSequenceClassification)
    predicted: list[int] = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start : start + batch_size], padding=True, truncation=True, return_tensors="pt").to(
                model.device
            )
            predicted.extend(model(**batch).logits.argmax(-1).tolist())
    return {"examples": float(len(texts)), **classification_scores(gold, predicted, names)}


__all__ = ["add_options", "run"]
