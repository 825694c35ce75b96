"""`hf-sentiment predict`: run a saved model on texts from a file or standard input, JSON lines out.

The kind of model comes from the folder's `config.json`, so one command serves both methods that
predict: an FCKT folder (`model_type` `fckt`) goes through the `targeted-sentiment` pipeline and
prints every aspect with its polarity; a sequence classifier (an LCL folder, or any
`*ForSequenceClassification`) goes through `text-classification` and prints the label and its
probability. `--model` is a folder or a Hub id (from the cache when offline).

The input streams: texts are read, predicted in chunks and written as they come, so the first
results appear within seconds and memory stays flat however long the file is. A file is read twice:
once to check every line before the model loads (a bad line 90,000 fails at once, naming its line)
and to count the texts for the progress bar, then to predict. Standard input is read once, and
checked as it goes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from .common import (
    CLIError,
    ModelFolder,
    add_batch_size,
    check_at_least,
    load_model_and_tokenizer,
    model_folder,
    require_kind,
)
from .predict_input import FORMATS, InputCounts, InputText, input_format, iter_texts, open_input

DESCRIPTION = """\
Predict with a saved model, one JSON line per input text, written as the texts are predicted.

Input (--input FILE, or standard input with '-' or no --input), by the file's suffix or --input_format:
  lines (.txt, stdin)   one text a line, or JSON objects with a "text" field, one a line
  jsonl                 one JSON object a line
  json                  a JSON array of objects
  csv / tsv             a header row, then one row a text (the header is not predicted)
The text is the --text_column field (default "text"); an --id_column field (default "id") is
copied to the output. Blank lines are skipped and counted on standard error.

Output (--output FILE, written as FILE.partial and renamed when done; else standard output); the model kind comes from the folder's config.json:
  FCKT (model_type fckt)      {"text": ..., "aspects": [{"aspect", "start", "end", "polarity", "score",
                               "aspect_score"}, ...]}
  sequence classifier (LCL)   {"text": ..., "label": ..., "score": ...}

Examples:
  echo "The battery life is excellent but the keyboard feels cheap." | hf-sentiment predict --model runs/fckt
  hf-sentiment predict --model runs/fckt --input reviews.csv --text_column review --output predictions.jsonl
"""

#: Texts per call of the pipeline: enough for it to sort by length and fill its batches, few enough
#: that the first results come out within seconds.
CHUNK_BATCHES = 8


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of `hf-sentiment predict` beside `--model` (the parser comes from `hf_sentiment.cli.COMMANDS`)."""
    parser.add_argument(
        "--input", default="-", metavar="FILE", help="texts to predict on; '-' (the default) reads standard input"
    )
    parser.add_argument(
        "--input_format", choices=FORMATS, default=None, help="how to read --input (default: from its suffix)"
    )
    parser.add_argument("--text_column", default="text", metavar="NAME", help="the field holding the text (text)")
    parser.add_argument("--id_column", default="id", metavar="NAME", help="the field copied as the id (id)")
    parser.add_argument("--output", default=None, metavar="FILE", help="write the JSON lines here (default: stdout)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    add_batch_size(parser, 32, "texts")
    parser.add_argument(
        "--int8",
        nargs="?",
        const="all",
        default=None,
        choices=("all", "ffn"),
        help="FCKT: run the encoder's linear layers in int8 on CPU, all of them (the default) or the feed-forward "
        "layers only (faster, scores move slightly: see docs/benchmarks.md)",
    )
    parser.add_argument(
        "--onnx", action="store_true", help="FCKT: run the folder's model.onnx with ONNX Runtime (hf-sentiment export onnx)"
    )
    parser.add_argument("--no_progress", action="store_true", help="no progress bar on standard error")


def run(args: argparse.Namespace) -> int:
    check_at_least(args, batch_size=1)
    output = _output_path(args.output, args.overwrite)
    handle, source, path = open_input(args.input)
    if output is not None and path is not None and output.resolve() == path.resolve():
        handle.close()
        raise CLIError(f"--output {output} is the --input file: write the predictions elsewhere.")
    read_options = {
        "format": input_format(path, args.input_format),
        "text_column": args.text_column,
        "id_column": args.id_column,
    }
    try:
        total = None
        if path is not None:  # check every line before the model loads, and count for the progress bar
            total = sum(1 for _ in iter_texts(handle, source, **read_options))
            handle.seek(0)
        folder = model_folder(args.model)
        require_kind(
            folder,
            ("fckt", "classifier"),
            "predict",
            hint="Train one with `hf-sentiment train fckt` or `hf-sentiment train lcl`.",
        )
        predict = load_predictor(folder, args.batch_size, args.int8, args.onnx)
        counts = InputCounts()
        texts = iter_texts(handle, source, counts=counts, **read_options)
        with _open_output(output) as sink:
            _stream(predict, texts, sink, args.batch_size * CHUNK_BATCHES, total, not args.no_progress)
    finally:
        if path is not None:
            handle.close()
    if counts.blank_lines:
        print(f"hf-sentiment predict: {counts.blank_lines} blank line(s) skipped in {source}", file=sys.stderr)
    return 0


def _output_path(spec: str | None, overwrite: bool) -> Path | None:
    if spec is None:
        return None
    path = Path(spec)
    if path.is_dir():
        raise CLIError(f"--output {path}: is a folder; give a file name.")
    if path.exists() and not overwrite:
        raise CLIError(f"--output {path}: the file exists; pass --overwrite to replace it.")
    if not path.parent.is_dir():
        raise CLIError(f"--output {path}: its folder {path.parent} does not exist.")
    return path


@contextmanager
def _open_output(path: Path | None) -> Iterator[TextIO]:
    """Standard output, or `path` written through `<path>.partial`, renamed over `path` when every
    text is done: a failed run leaves an earlier file of that name as it was."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as sink:
            yield sink
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _stream(
    predict: Callable[[list[str]], list[dict[str, Any]]],
    texts: Iterator[InputText],
    sink: TextIO,
    chunk_size: int,
    total: int | None,
    progress: bool,
) -> None:
    """Predict `texts` chunk by chunk, writing each chunk's JSON lines (in input order) as it is done."""
    from tqdm.auto import tqdm

    # disable=None: tqdm draws only when standard error is a terminal.
    with tqdm(total=total, unit="text", desc="predict", disable=True if not progress else None, file=sys.stderr) as bar:
        for chunk in _chunks(texts, chunk_size):
            for item, prediction in zip(chunk, predict([item.text for item in chunk])):
                record: dict[str, Any] = {} if item.id is None else {"id": item.id}
                record["text"] = item.text
                record.update(prediction)
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            sink.flush()
            bar.update(len(chunk))


def _chunks(items: Iterable[InputText], size: int) -> Iterator[list[InputText]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def load_predictor(
    folder: ModelFolder, batch_size: int, int8: str | None = None, onnx: bool = False
) -> Callable[[list[str]], list[dict[str, Any]]]:
    """A function from texts to one result dict per text, in order (what `predict` writes and
    `serve` answers); the pipelines are imported here so `--help` stays quick.

    Args:
        folder (`ModelFolder`): an FCKT folder or a sequence classifier's.
        batch_size (`int`): texts per forward pass.
        int8 (`str`, *optional*): FCKT: `"all"` or `"ffn"` (see `quantize_encoder_int8`).
        onnx (`bool`, *optional*, defaults to `False`): FCKT: run the folder's `model.onnx`.
    """
    from transformers import AutoModel, AutoModelForSequenceClassification, pipeline

    if (int8 or onnx) and folder.kind != "fckt":
        raise CLIError("--int8 and --onnx are for FCKT folders (the targeted-sentiment pipeline).")
    if folder.kind == "fckt":
        model, tokenizer = load_model_and_tokenizer(folder, AutoModel)
        options = {"int8": int8 or False, "onnx": str(folder.path / "model.onnx") if onnx else False}
        targeted = pipeline("targeted-sentiment", model=model, tokenizer=tokenizer, **options)
        return lambda texts: [{"aspects": found} for found in targeted(texts, batch_size=batch_size)]
    model, tokenizer = load_model_and_tokenizer(folder, AutoModelForSequenceClassification)
    classifier = pipeline("text-classification", model=model, tokenizer=tokenizer)
    # Truncate rather than fail on texts longer than the encoder takes; one label per text.
    return lambda texts: [
        {"label": result["label"], "score": float(result["score"])}
        for result in classifier(texts, batch_size=batch_size, truncation=True)
    ]


__all__ = ["add_options", "load_predictor", "run"]
