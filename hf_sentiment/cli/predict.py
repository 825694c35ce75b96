"""`hf-sentiment predict`: run a saved model on texts from a file or standard input, JSON lines out.

The kind of model comes from the folder's `config.json`, so one command serves both methods that
predict: an FCKT folder (`model_type` `fckt`) goes through the `targeted-sentiment` pipeline and
prints every aspect with its polarity; a sequence classifier (an LCL folder, or any
`*ForSequenceClassification`) goes through `text-classification` and prints the label and its
probability. Input lines are plain text or JSON objects with a `text` field (and an optional `id`,
copied to the output); every line is checked before the model loads, so a malformed line fails at
once and names its line number.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import (
    CLIError,
    InputText,
    ModelFolder,
    add_batch_size,
    check_at_least,
    input_file,
    load_model_and_tokenizer,
    model_folder,
    read_texts,
    require_kind,
)

DESCRIPTION = """\
Predict with a saved model, one JSON line per input text on standard output.

Input (--input FILE, or standard input with '-' or no --input): one text a line, or JSON lines
with a "text" field (an "id" field is copied to the output); blank lines are skipped.

The model kind comes from the folder's config.json:
  FCKT (model_type fckt)      {"text": ..., "aspects": [{"aspect", "start", "end", "polarity", "score",
                               "aspect_score"}, ...]}
  sequence classifier (LCL)   {"text": ..., "label": ..., "score": ...}

Example:
  echo "The battery life is excellent but the keyboard feels cheap." | hf-sentiment predict --model runs/fckt
"""


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of `hf-sentiment predict` beside `--model` (the parser comes from `hf_sentiment.cli.COMMANDS`)."""
    parser.add_argument(
        "--input", default="-", metavar="FILE", help="texts to predict on; '-' (the default) reads standard input"
    )
    add_batch_size(parser, 32, "texts")
    parser.add_argument(
        "--int8",
        nargs="?",
        const="ffn",
        default=None,
        choices=("ffn", "all"),
        help="FCKT: run the encoder in dynamic int8 on CPU, its feed-forward layers (the default) or all its linear "
        "layers (faster, scores move slightly: see docs/benchmarks.md)",
    )


def run(args: argparse.Namespace) -> int:
    check_at_least(args, batch_size=1)
    folder = model_folder(args.model)
    require_kind(
        folder,
        ("fckt", "classifier"),
        "predict",
        hint="Train one with `hf-sentiment train fckt` or `hf-sentiment train lcl`.",
    )
    texts = _read_input(args.input)
    if args.int8 and folder.kind != "fckt":
        raise CLIError("--int8 is for FCKT folders (the targeted-sentiment pipeline).")
    predictions = _predict(folder, [item.text for item in texts], args.batch_size, args.int8)
    for item, prediction in zip(texts, predictions):
        record: dict[str, Any] = {} if item.id is None else {"id": item.id}
        record["text"] = item.text
        record.update(prediction)
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def _read_input(spec: str) -> list[InputText]:
    if spec == "-":
        return read_texts(sys.stdin, "standard input")
    path = input_file(spec, "--input")
    try:
        with path.open(encoding="utf-8") as handle:
            return read_texts(handle, str(path))
    except UnicodeDecodeError as error:
        raise CLIError(f"--input {path}: not UTF-8 text ({error.reason} at byte {error.start}).") from None


def _predict(folder: ModelFolder, texts: list[str], batch_size: int, int8: str | None = None) -> list[dict[str, Any]]:
    """One result dict per text, in order; the pipelines are imported here so `--help` stays quick."""
    from transformers import AutoModel, AutoModelForSequenceClassification, pipeline

    if folder.kind == "fckt":
        model, tokenizer = load_model_and_tokenizer(folder, AutoModel)
        classifier = pipeline("targeted-sentiment", model=model, tokenizer=tokenizer, int8=int8 or False)
        return [{"aspects": found} for found in classifier(texts, batch_size=batch_size)]
    model, tokenizer = load_model_and_tokenizer(folder, AutoModelForSequenceClassification)
    classifier = pipeline("text-classification", model=model, tokenizer=tokenizer)
    # Truncate rather than fail on texts longer than the encoder takes; one label per text.
    return [
        {"label": result["label"], "score": float(result["score"])}
        for result in classifier(texts, batch_size=batch_size, truncation=True)
    ]


__all__ = ["add_options", "run"]
