"""Checked reading: what every reader of `hf_sentiment.data` does before its format begins.

One place for the steps all readers share, so that one input fault ends the same way in every
format:

- files: `read_text` (UTF-8, a leading BOM dropped), `read_lines`, `numbered_lines` (blank lines
  counted, not read), `parse_json`, `load_json_list`, `json_lines`, `StrictCSV` and `csv_records`
  turn unreadable bytes, malformed JSON, broken CSV quoting and missing columns into a
  `DataFormatError` naming the file and, where there is one, the row;
- fields: `require`, `require_type`, `require_text`, `no_surrogates`, `unique_id`, `char_offset`
  and `check_span` raise `FieldError`, which `at_row` turns into a `DataFormatError` naming the
  file, the row and the field;
- the end: `finish_dataset` logs the `ReadReport` and builds the `datasets.Dataset`.

Internal to `hf_sentiment.data` (not re-exported): the readers' public functions are the API.
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from datasets import Dataset, Features, concatenate_datasets

from .errors import DataFileNotFoundError, DataFormatError, ReadReport

__all__ = [
    "BLANK_LINES",
    "DatasetOrPair",
    "FieldError",
    "PathLike",
    "Row",
    "StrictCSV",
    "at_row",
    "char_offset",
    "check_span",
    "csv_records",
    "finish_dataset",
    "iter_lines",
    "json_lines",
    "load_json_list",
    "no_surrogates",
    "numbered_lines",
    "parse_json",
    "read_lines",
    "read_text",
    "require",
    "require_text",
    "require_type",
    "unique_id",
]

PathLike = str | os.PathLike[str]
Row = dict[str, Any]
DatasetOrPair = Dataset | tuple[Dataset, ReadReport]

#: The report's reason for blank lines of line-based files (they are not rows).
BLANK_LINES = "blank lines"

#: Unicode categories a reader cannot see on their own: format characters (U+200B, U+FEFF, joiners,
#: bidi marks, soft hyphens), controls, and combining marks with nothing to combine with.
BLANK_CATEGORIES = ("Cf", "Cc", "Mn", "Me")


# --- field errors ------------------------------------------------------------------------------


class FieldError(ValueError):
    """A problem in one field of the current row; `at_row` adds the file and the row.

    Args:
        field (`str`, *optional*):
            The field's name in the source format (e.g. `"aspects[0].from"`); `None` when no
            single field is to blame.
        message (`str`):
            What is wrong.
    """

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(f"field '{field}': {message}" if field else message)
        self.field = field
        self.message = message


@contextmanager
def at_row(path: PathLike, row: int | None) -> Iterator[None]:
    """Turn a `FieldError` raised inside into a `DataFormatError` for `row` of `path`.

    For example `with at_row("a.json", 3): require({}, "text", "text")` raises
    `DataFormatError("a.json", 3, "text", "missing")`.
    """
    try:
        yield
    except FieldError as err:
        raise DataFormatError(path, row, err.field, err.message) from None


# --- fields --------------------------------------------------------------------------------------


def require(record: Mapping[str, Any], key: str, field: str) -> Any:
    """`record[key]`, which must be present and not null (`FieldError` "missing" otherwise)."""
    value = record.get(key)
    if value is None:
        raise FieldError(field, "missing")
    return value


def require_type(value: Any, kind: type, field: str | None, what: str) -> Any:
    """`value`, which must be a `kind`; `what` describes it in the error (`"a JSON object"`)."""
    if not isinstance(value, kind):
        raise FieldError(field, f"expected {what}, got {type(value).__name__}")
    return value


def is_blank(text: str) -> bool:
    """Whether `text` shows nothing to a reader: only whitespace and characters of
    `BLANK_CATEGORIES` (`str.strip` keeps U+200B, U+FEFF, U+2060 and their kin)."""
    return all(c.isspace() or unicodedata.category(c) in BLANK_CATEGORIES for c in text)


def require_text(value: Any, field: str) -> str:
    """A text, which must be a non-blank string (`is_blank`); returned unchanged.

    Inside a text, invisible characters are kept (TweetEval has tweets starting with U+FEFF),
    since removing them would shift the character offsets of the row's aspects.

    Raises:
        FieldError: missing, not a string, blank, or holding a lone surrogate.
    """
    if value is None:
        raise FieldError(field, "missing")
    require_type(value, str, field, "a string")
    if is_blank(value):
        raise FieldError(field, "empty or whitespace-only text (invisible characters such as U+200B count as blank)")
    return no_surrogates(value, field)


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in `text` (a JSON escape such as `"\\ud800"`, or a byte standard
    input could not decode), or `None`: one is not text, and tokenizers and pyarrow fail on it."""
    return next((c for c in text if "\ud800" <= c <= "\udfff"), None)


def no_surrogates(value: str, field: str) -> str:
    """`value`, which must not hold a lone surrogate.

    A JSON escape such as `"\\ud800"` decodes to a lone surrogate, which is not text: left in,
    it makes `Dataset.from_dict` fail deep inside pyarrow with a bare `UnicodeEncodeError`
    instead of an error naming the file, row and field.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise FieldError(
            field, f"lone surrogate {value[err.start]!r} at character {err.start} (not valid text)"
        ) from None
    return value


def unique_id(seen: dict[str, int], row_id: str, row: int, field: str) -> str:
    """`row_id`, which no earlier row may have (`seen` maps ids to their first row and is updated).

    Two rows with one id would mix up anything keyed on the id (predictions, evaluation joins).
    """
    first = seen.setdefault(row_id, row)
    if first != row:
        raise FieldError(field, f"duplicate id {row_id!r} (first used in row {first})")
    return row_id


def char_offset(value: Any, field: str) -> int:
    """A character offset: a non-negative `int`, or a string of ASCII digits (spaces around allowed).

    Our reading: an offset counts characters, and every format we read writes it as plain digits
    (SemEval's `from="12"`, SentiBench's `"from": "12"` and `"12:17"`, JSON numbers in user files).
    Refused, each with the same error:

    - a sign, even where the value would pass (`"+3"`, `"-0"`): no tool that counts characters
      writes one, so it marks a file made some other way; negative values (`-1`, `"-1"`) too,
      which Python's slicing would otherwise read from the end of the text;
    - `3.0` and `"3.0"`: a float offset is a unit mix-up or a spreadsheet's export, and rounding
      it would hide that;
    - `True` / `False`: an `int` to Python, not an offset to a file;
    - digits outside ASCII (`"٣"`, `"²"`): `str.isdigit` accepts them, and `int("²")` then fails
      with a bare `ValueError`.

    Raises:
        FieldError: the value is not such an offset.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    # `[0-9]`, not `\d` or `str.isdigit`: those take any script's digits.
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        return int(value.strip())
    raise FieldError(field, f"offset is not a non-negative integer: {value!r}")


def check_span(
    text: str,
    term: str,
    start: Any,
    end: Any,
    *,
    from_field: str,
    to_field: str,
    term_field: str,
) -> tuple[int, int]:
    """The offsets `(start, end)` of `term` in `text`, checked: `0 <= start < end <= len(text)` and
    `text[start:end] == term`.

    Args:
        text (`str`):
            The sentence the offsets count characters of.
        term (`str`):
            What the span must hold, to the character.
        start (`Any`):
            The start offset as found in the file (see `char_offset`).
        end (`Any`):
            The end offset (exclusive) as found in the file.
        from_field (`str`):
            The field to name in errors about the start.
        to_field (`str`):
            The field to name in errors about the end.
        term_field (`str`):
            The field to name when the span holds other text than `term`.

    Returns:
        `tuple[int, int]`: the offsets as integers.
    """
    start = char_offset(start, from_field)
    end = char_offset(end, to_field)
    for field, offset in ((from_field, start), (to_field, end)):
        if offset > len(text):
            raise FieldError(field, f"offset {offset} is outside the text (length {len(text)})")
    if start >= end:
        raise FieldError(from_field, f"from ({start}) must be smaller than to ({end})")
    if text[start:end] != term:
        raise FieldError(term_field, f"text[{start}:{end}] is {text[start:end]!r}, not the term {term!r}")
    return start, end


# --- files ---------------------------------------------------------------------------------------


def read_text(path: PathLike, *, line_rows: bool) -> str:
    """The file decoded as UTF-8, without a leading BOM.

    Args:
        path (`str` or `os.PathLike`):
            The file.
        line_rows (`bool`):
            Whether the format's rows are lines, so that the line of a bad byte is the error's row.

    Raises:
        DataFileNotFoundError: there is no file at `path` (nothing, or a folder).
        DataFormatError: the bytes are not UTF-8 (the message gives the byte, its offset and line).
    """
    if not Path(path).is_file():
        what = "is a folder, not a file" if Path(path).is_dir() else "no such file"
        raise DataFileNotFoundError(path, None, None, what)
    data = Path(path).read_bytes()
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = skipped + err.start
        line = data.count(b"\n", 0, offset) + 1
        raise DataFormatError(
            path,
            line if line_rows else None,
            None,
            f"not UTF-8: byte 0x{data[offset]:02x} at byte offset {offset} (line {line})",
        ) from None


def iter_lines(path: PathLike) -> Iterator[str]:
    """The file's lines, one at a time, without line ends; only `\\n` ends a line (a `\\r` before
    it is dropped). Slicing the decoded text as it goes keeps no second copy of the file as a list."""
    text = read_text(path, line_rows=True)
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        yield text[start:end].removesuffix("\r")
        start = end + 1


def read_lines(path: PathLike) -> list[str]:
    """`iter_lines` as a list, for the formats that need their length or pair two files by line."""
    return list(iter_lines(path))


def numbered_lines(path: PathLike, report: ReadReport) -> Iterator[tuple[int, str]]:
    """`(line number, line)` for the file's non-blank lines, numbered from 1 over all lines.

    Blank (empty or whitespace-only) lines are not rows of a line-based format; each one is
    counted in `report` under `BLANK_LINES`.
    """
    for line_number, line in enumerate(iter_lines(path), start=1):
        if not line.strip():
            report.add(BLANK_LINES)
            continue
        yield line_number, line


def parse_json(text: str, path: PathLike, row: int | None = None) -> Any:
    """`text` parsed as JSON: a whole file (`row=None`) or the JSON line numbered `row`.

    Raises:
        DataFormatError: malformed JSON (where it breaks), or nesting too deep to parse (which
            would otherwise escape as a bare `RecursionError`, e.g. for 100000 nested `[`).
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        where = f"line {err.lineno}, column {err.colno}" if row is None else f"column {err.colno}"
        raise DataFormatError(path, row, None, f"malformed JSON at {where}: {err.msg}") from None
    except RecursionError:
        raise DataFormatError(path, row, None, "malformed JSON: nested too deeply") from None


def load_json_list(path: PathLike) -> list[Any]:
    """The file's top-level JSON list (its elements are not checked here).

    Raises:
        DataFormatError: not UTF-8, malformed JSON, or a top level that is not a list.
    """
    items = parse_json(read_text(path, line_rows=False), path)
    if not isinstance(items, list):
        raise DataFormatError(path, None, None, f"expected a JSON list of objects, got {type(items).__name__}")
    return items


def json_lines(path: PathLike, report: ReadReport) -> Iterator[tuple[int, Any]]:
    """`(line number, parsed value)` for each non-blank line of a JSON-lines file.

    Blank lines are counted in `report` (see `numbered_lines`); a malformed line raises
    `DataFormatError` with its line number as the row.
    """
    for line_number, line in numbered_lines(path, report):
        yield line_number, parse_json(line, path, line_number)


def _physical_lines(text: str) -> Iterator[str]:
    """`text`'s lines with their endings, as `io.StringIO(text, newline="")` gives them to `csv`
    (`\r\n`, `\r` and `\n` end a line), sliced one at a time instead of copying the file."""
    start = 0
    for match in _LINE_END.finditer(text):
        yield text[start : match.end()]
        start = match.end()
    if start < len(text):
        yield text[start:]


_LINE_END = re.compile(r"\r\n|\r|\n")


class StrictCSV:
    """The records of CSV `text` from `path`: `csv.DictReader` (or `csv.reader` with `header=False`)
    in strict mode, with `fieldnames` and `line_num` as usual.

    In `csv`'s lenient default a quote left open (a truncated file) silently swallows the rest of
    the file into one field, and a `csv.Error` (e.g. a field over `csv.field_size_limit()`, 131072
    characters) escapes as a bare library traceback; here both name the file and the line where the
    record starts.

    Args:
        path (`str` or `os.PathLike`):
            The file, for errors.
        text (`str`):
            Its decoded content (see `read_text`).
        header (`bool`, *optional*, defaults to `True`):
            Whether the first record names the columns (records are then `dict`s).
        **options:
            Passed to `csv.DictReader` / `csv.reader` (`delimiter`, `quoting`, ...).
    """

    def __init__(self, path: PathLike, text: str, header: bool = True, **options: Any) -> None:
        self.path = path
        make = csv.DictReader if header else csv.reader
        self._reader = make(_physical_lines(text), strict=True, **options)
        self.fieldnames = self._guard(lambda: self._reader.fieldnames) if header else None

    @property
    def line_num(self) -> int:
        """The number of the line the last record ended on."""
        return self._reader.line_num

    def _guard(self, read: Callable[[], Any]) -> Any:
        start = self._reader.line_num + 1
        try:
            return read()
        except csv.Error as err:
            raise DataFormatError(self.path, start, None, f"cannot parse the CSV record: {err}") from None

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return self._guard(lambda: next(self._reader))


def csv_records(path: PathLike, columns: Iterable[str]) -> Iterator[tuple[int, dict[str, str | None]]]:
    """`(line number, record)` for the rows of a CSV file with a header naming `columns`.

    The line number is the line the record starts on: a quoted field may span lines, and an error
    in such a record must point at where a reader finds it.

    Raises:
        DataFormatError: a column missing from the header (row 1, the column as the field), a
            record with more fields than the header (an unquoted comma in a text shifts the
            columns, and the extra cells would be dropped unseen), or what `StrictCSV` refuses.
    """
    reader = StrictCSV(path, read_text(path, line_rows=True))
    for column in columns:
        if column not in (reader.fieldnames or ()):
            raise DataFormatError(path, 1, column, "missing column in the CSV header")
    for record in reader:
        start = reader.line_num - sum(value.count("\n") for value in record.values() if isinstance(value, str))
        if None in record:
            raise DataFormatError(
                path, start, None, f"more fields than the {len(reader.fieldnames or ())} header columns"
            )
        yield start, record


# --- the end of a read ---------------------------------------------------------------------------


#: Rows turned into Arrow at a time: a reader that yields its rows holds at most this many dicts.
CHUNK_ROWS = 10_000


def finish_dataset(
    path: PathLike,
    rows: Iterable[Row],
    features: Features,
    report: ReadReport,
    return_report: bool,
    logger: logging.Logger,
) -> DatasetOrPair:
    """Build the dataset of `rows` with `features`, then log the report on the reader's `logger`.

    `rows` may be a generator that fills `report` as it goes: it is read `CHUNK_ROWS` rows at a
    time, each chunk turned into Arrow at once, so Python dicts (several times the size of the
    text they hold) never pile up for the whole file.

    Returns:
        The `Dataset`, or `(dataset, report)` when `return_report` is true.
    """
    chunks, pending = [], []
    for row in rows:
        pending.append(row)
        if len(pending) == CHUNK_ROWS:
            chunks.append(_arrow_chunk(pending, features))
            pending = []
    if pending or not chunks:
        chunks.append(_arrow_chunk(pending, features))
    dataset = chunks[0] if len(chunks) == 1 else concatenate_datasets(chunks)
    report.log(logger, os.fspath(path))
    return (dataset, report) if return_report else dataset


def _arrow_chunk(rows: list[Row], features: Features) -> Dataset:
    return Dataset.from_dict({name: [row[name] for row in rows] for name in features}, features=features)
