"""`hf-sentiment evaluate {fckt,lcl}`: score a saved model on a labelled file, scores as JSON.

- `fckt`: a targeted-sentiment file in any format `load_absa` reads, scored end to end on
  character-level gold by `evaluate_targeted_sentiment` (aspect, polarity and joint scores), the
  same numbers the training script reports for its test file.
- `lcl`: a sentence-classification file scored by `classification_scores` (accuracy, macro-F1,
  weighted-F1 and per-class F1, in %). The file is CSV (columns `text`, `label`) or JSON lines /
  a JSON list (fields `text`, `label`); a label is a class name of the model (`config.id2label`)
  or a class id. Any sequence classifier works, not only LCL.

Bad rows fail before the model runs, naming the file, the row and what is wrong.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from .common import CLIError, ModelFolder, input_file, model_folder, require_kind

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


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a saved FCKT or LCL model on a labelled file (JSON out)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("method", choices=("fckt", "lcl"), help="which kind of model and file")
    parser.add_argument("--model", required=True, metavar="DIR", help="the saved model folder")
    parser.add_argument("--file", required=True, metavar="PATH", help="the labelled file (formats above)")
    parser.add_argument("--batch_size", type=int, default=32, metavar="N", help="texts per forward pass (default 32)")
    parser.add_argument(
        "--labels",
        default=None,
        metavar="A,B,...",
        help="fckt: the polarities to score (default: the model's); gold aspects with others are left out and counted",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise CLIError(f"--batch_size must be at least 1, got {args.batch_size}.")
    folder = model_folder(args.model)
    file = input_file(args.file)
    if args.method == "fckt":
        require_kind(folder, ("fckt",), "evaluate fckt", hint="For a sentence classifier use `evaluate lcl`.")
        scores = _evaluate_fckt(folder, file, args.batch_size, args.labels)
    else:
        require_kind(folder, ("classifier",), "evaluate lcl", hint="For an FCKT folder use `evaluate fckt`.")
        scores = _evaluate_classifier(folder, file, args.batch_size)
    sys.stdout.write(json.dumps(scores, indent=2) + "\n")
    return 0


def _evaluate_fckt(folder: ModelFolder, file: Path, batch_size: int, labels: str | None) -> dict[str, float]:
    from transformers import pipeline

    from ..data import DataFormatError, load_absa
    from ..evaluation import evaluate_targeted_sentiment

    try:
        dataset = load_absa(file)
    except DataFormatError:
        raise  # already names the file, the row and the field
    except ValueError as error:  # the format cannot be told from the file
        raise CLIError(f"--file {file}: {error}") from None
    classifier = pipeline("targeted-sentiment", model=str(folder.path))
    known = set(classifier.model.config.label2id)
    chosen = None
    if labels is not None:
        chosen = {label.strip() for label in labels.split(",") if label.strip()}
        if not chosen or not chosen <= known:
            raise CLIError(f"--labels {labels!r}: choose among the model's polarities {sorted(known)}.")
    scores = evaluate_targeted_sentiment(classifier, dataset, labels=chosen, batch_size=batch_size)
    return {"examples": float(len(dataset)), **scores}


def read_labelled_file(path: Path, label2id: dict[str, int]) -> tuple[list[str], list[int]]:
    """Texts and class ids from a CSV / JSONL / JSON file with `text` and `label` (see the module docstring).

    Raises:
        CLIError: an unknown suffix, a missing column, or a bad row, naming the row (line number for
            CSV and JSONL, element number for a JSON list) and, for a label, the known classes.
    """
    suffix = path.suffix.lower()
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CLIError(f"--file {path}: not UTF-8 text ({error.reason} at byte {error.start}).") from None
    if suffix == ".csv":
        reader = csv.DictReader(content.splitlines())
        missing = {"text", "label"} - set(reader.fieldnames or [])
        if missing:
            raise CLIError(f"{path}: the CSV header needs the columns text and label (missing: {sorted(missing)}).")
        # DictReader counts lines, so the header is line 1 and the first row line 2.
        records = [(reader.line_num, row) for row in reader]
    elif suffix == ".jsonl":
        records = []
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                raise CLIError(
                    f"{path}, line {number}: not valid JSON ({error.msg} at column {error.colno})."
                ) from None
    elif suffix == ".json":
        try:
            items = json.loads(content)
        except json.JSONDecodeError as error:
            raise CLIError(f"{path}: not valid JSON ({error.msg} at line {error.lineno}).") from None
        if not isinstance(items, list):
            raise CLIError(f"{path}: expected a JSON list of objects with text and label.")
        records = list(enumerate(items, start=1))
    else:
        raise CLIError(f"--file {path}: expected a .csv, .jsonl or .json file with text and label, got {path.name}.")
    where = "element" if suffix == ".json" else "line"
    texts, ids = [], []
    for number, record in records:
        if not isinstance(record, dict):
            raise CLIError(f"{path}, {where} {number}: expected an object with text and label.")
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            raise CLIError(f"{path}, {where} {number}: 'text' must be a non-empty string.")
        texts.append(text)
        ids.append(_class_id(record.get("label"), label2id, f"{path}, {where} {number}"))
    if not texts:
        raise CLIError(f"--file {path}: no rows to score.")
    return texts, ids


def _class_id(value: Any, label2id: dict[str, int], where: str) -> int:
    if isinstance(value, str) and value.strip() in label2id:
        return label2id[value.strip()]
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is not None and 0 <= number < len(label2id):
        return number
    raise CLIError(
        f"{where}: label {value!r} is not one of the model's classes {list(label2id)} (or an id 0-{len(label2id) - 1})."
    )


def _evaluate_classifier(folder: ModelFolder, file: Path, batch_size: int) -> dict[str, float]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from ..evaluation import classification_scores

    id2label = {int(k): str(v) for k, v in (folder.config.get("id2label") or {}).items()}
    names = [id2label[i] for i in sorted(id2label)]
    texts, gold = read_labelled_file(file, {name: i for i, name in enumerate(names)})
    tokenizer = AutoTokenizer.from_pretrained(folder.path)
    model = AutoModelForSequenceClassification.from_pretrained(folder.path).eval()
    predicted: list[int] = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start : start + batch_size], padding=True, truncation=True, return_tensors="pt").to(
                model.device
            )
            predicted.extend(model(**batch).logits.argmax(-1).tolist())
    return {"examples": float(len(texts)), **classification_scores(gold, predicted, names)}


__all__ = ["add_parser", "read_labelled_file", "run"]
