"""What `hf-sentiment predict` reads: texts from plain lines, JSON lines, a JSON array, CSV or TSV,
one at a time, so that a large file is never held in memory.

Formats (`--input_format`, or from the file's suffix; standard input is `lines`):

- `lines` (any other suffix): one text a line; a line starting with `{` is a JSON object with a
  `text` field (and an optional `id`), so plain and JSON lines mix.
- `jsonl` (`.jsonl`): one JSON object a line.
- `json` (`.json`): one JSON array of objects, read whole (use JSON lines for a large input).
- `csv` / `tsv` (`.csv`, `.tsv`): a header row naming the columns, then one row a text; the header
  is never predicted.

In the object and table formats the text is the `--text_column` field (default `text`) and the
`--id_column` field (default `id`), where present, is copied to the output. Blank lines are skipped
and counted (`InputCounts`); a malformed line, row or item raises `CLIError` naming the source and
its line (or item) number.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .common import CLIError

#: `--input_format` choices; `lines` also reads JSON objects line by line.
FORMATS = ("lines", "jsonl", "json", "csv", "tsv")
SUFFIX_FORMATS = {".jsonl": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv"}


@dataclass(frozen=True)
class InputText:
    """One text to predict on, with the id the user gave (if any) and where it was read."""

    text: str
    line: int
    id: Any = None


@dataclass
class InputCounts:
    """What a read went through: the texts it yielded and the blank lines it skipped."""

    texts: int = 0
    blank_lines: int = 0


def input_format(path: str | Path | None, given: str | None = None) -> str:
    """The format to read `path` in: `given`, else from the suffix; standard input (`None`) is `lines`."""
    if given:
        return given
    return "lines" if path is None else SUFFIX_FORMATS.get(Path(path).suffix.lower(), "lines")


def iter_texts(
    handle: TextIO,
    source: str,
    format: str = "lines",
    *,
    text_column: str = "text",
    id_column: str = "id",
    counts: InputCounts | None = None,
) -> Iterator[InputText]:
    """Yield the texts of `handle` one by one, checking each as it comes.

    Args:
        handle (`TextIO`): the open input (a file or standard input).
        source (`str`): its name in error messages.
        format (`str`, *optional*, defaults to `"lines"`): one of `FORMATS`.
        text_column, id_column (`str`, *optional*): the fields holding the text and the id.
        counts (`InputCounts`, *optional*): updated with what was read and skipped.

    Raises:
        CLIError: naming `source` and the 1-based line (or JSON item) of a malformed entry, or
            the missing text column; also when the input holds no text at all.
    """
    counts = counts if counts is not None else InputCounts()
    if format not in FORMATS:
        raise CLIError(f"--input_format {format}: expected one of {', '.join(FORMATS)}.")
    reader = {"lines": _lines, "jsonl": _lines, "json": _json_array, "csv": _table, "tsv": _table}[format]
    try:
        for item in reader(handle, source, format, text_column, id_column, counts):
            counts.texts += 1
            yield item
    except UnicodeDecodeError as error:
        raise CLIError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start}).") from None
    if not counts.texts:
        raise CLIError(
            f"{source}: no texts to predict on (give one text a line, JSON lines with a '{text_column}' field, "
            "or a CSV with a header)."
        )


def _lines(handle, source, format, text_column, id_column, counts) -> Iterator[InputText]:
    from ..data.validation import is_blank

    for number, raw in enumerate(handle, start=1):
        line = raw.rstrip("\r\n")
        if number == 1:
            # A byte-order mark (files and pipes alike) would stay in the first text, and a first
            # line of JSON behind one would be taken as plain text, braces and all.
            line = line.removeprefix("\ufeff")
        if is_blank(line):
            counts.blank_lines += 1
            continue
        if format == "lines" and not line.lstrip().startswith("{"):
            yield InputText(_checked_text(line, f"{source}, line {number}"), number)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CLIError(f"{source}, line {number}: not valid JSON ({error.msg} at column {error.colno}).") from None
        yield _from_record(record, f"{source}, line {number}", number, text_column, id_column)


def _json_array(handle, source, format, text_column, id_column, counts) -> Iterator[InputText]:
    try:
        records = json.loads(handle.read().removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise CLIError(f"{source}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}).") from None
    if not isinstance(records, list):
        raise CLIError(f"{source}: expected a JSON array of objects (or use JSON lines, one object a line).")
    for number, record in enumerate(records, start=1):
        yield _from_record(record, f"{source}, item {number}", number, text_column, id_column)


def _table(handle, source, format, text_column, id_column, counts) -> Iterator[InputText]:
    # TSV has no quoting (a quote is text); CSV's quotes must close (strict), or a stray one would
    # swallow every following line into one text.
    options = {"delimiter": ",", "strict": True} if format == "csv" else {"delimiter": "\t", "quoting": csv.QUOTE_NONE}
    rows = csv.reader(handle, **options)
    try:
        yield from _table_rows(rows, source, text_column, id_column, counts)
    except csv.Error as error:
        raise CLIError(f"{source}, line {rows.line_num}: not valid {format.upper()} ({error}).") from None


def _table_rows(rows, source, text_column, id_column, counts) -> Iterator[InputText]:
    from ..data.validation import is_blank

    header = next(rows, None)
    if header is None:
        return
    header = [name.removeprefix("\ufeff").strip() for name in header]
    if text_column not in header:
        raise CLIError(
            f"{source}: the header has no '{text_column}' column (it has {', '.join(map(repr, header))}); "
            "name the text column with --text_column."
        )
    text_at = header.index(text_column)
    id_at = header.index(id_column) if id_column in header else None
    for row in rows:
        number = rows.line_num
        if not row or all(is_blank(cell) for cell in row):
            counts.blank_lines += 1
            continue
        if len(row) != len(header):
            raise CLIError(f"{source}, line {number}: {len(row)} fields where the header has {len(header)}.")
        text = row[text_at]
        if is_blank(text):
            raise CLIError(f"{source}, line {number}: the '{text_column}' field is empty.")
        row_id = None if id_at is None else row[id_at]
        yield InputText(_checked_text(text, f"{source}, line {number}"), number, row_id)


def _from_record(record: Any, where: str, number: int, text_column: str, id_column: str) -> InputText:
    from ..data.validation import is_blank

    if not isinstance(record, dict):
        raise CLIError(f"{where}: expected a JSON object with a '{text_column}' field.")
    text = record.get(text_column)
    if not isinstance(text, str) or is_blank(text):
        raise CLIError(f"{where}: the JSON object needs a non-empty string '{text_column}' field.")
    return InputText(_checked_text(text, where), number, record.get(id_column))


def _checked_text(text: str, where: str) -> str:
    """`text`, unless it holds a lone surrogate: a JSON escape such as "\\ud800", or a byte that
    standard input could not decode. Not text, and the tokenizer fails on it."""
    from ..data.validation import lone_surrogate

    lone = lone_surrogate(text)
    if lone is not None:
        raise CLIError(
            f"{where}: the text holds a lone surrogate (U+{ord(lone):04X}): not Unicode text "
            "(a JSON escape, or bytes that are not UTF-8)."
        )
    return text


def open_input(spec: str) -> tuple[TextIO, str, Path | None]:
    """`(handle, name for messages, path)` of `--input`: a file, or standard input for `-`."""
    if spec == "-":
        return sys.stdin, "standard input", None
    from .common import input_file

    path = input_file(spec, "--input")
    # newline="" lets the csv module see quoted line breaks; the line readers strip "\r\n" themselves.
    return path.open(encoding="utf-8", newline=""), str(path), path


__all__ = ["FORMATS", "InputCounts", "InputText", "input_format", "iter_texts", "open_input"]
