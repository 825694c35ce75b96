"""One entry for every source of targeted-sentiment data, and SetFit's ABSA layout both ways.

`load_absa` takes a file in any format `absa_readers` reads, a `datasets.Dataset`, or a
`datasets.DatasetDict` (each split in turn), in our layout (`text` + `aspects`) or in SetFit's
(`text`, `span`, `label`, `ordinal`: one row per aspect), and returns `ABSA_FEATURES` rows, every
row checked as a file's would be: a bad one raises `DataFormatError` naming the dataset, the
1-based row and the field.

SetFit's layout places an aspect by its text (`span`) and which occurrence of it that is
(`ordinal`, 0-based, counting non-overlapping occurrences from the left). `from_setfit_absa` turns
it into character offsets, one row per sentence (the rows of one text, wherever they are, make one
sentence); `to_setfit_absa` goes back. SetFit's layout has no row for a sentence without aspects,
so those are left out of it, counted in the report.

Example:

```python
>>> from datasets import Dataset
>>> from hf_sentiment.data.absa_sources import from_setfit_absa, to_setfit_absa
>>> setfit = Dataset.from_dict({"text": ["good food, bad food"] * 2, "span": ["food", "food"],
...                             "label": ["positive", "negative"], "ordinal": [0, 1]})
>>> [(a["from"], a["to"], a["polarity"]) for a in from_setfit_absa(setfit)[0]["aspects"]]
[(5, 9, 'positive'), (15, 19, 'negative')]
>>> list(to_setfit_absa(from_setfit_absa(setfit))["ordinal"])
[0, 1]
```
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from ..utils.logging import get_logger
from .absa_readers import (
    ABSA_FEATURES,
    ABSA_FORMATS,
    USER_SUFFIXES,
    add_aspect,
    normalize_polarity,
    read_absa_file,
    read_dong2014,
    read_e2e_absa,
    read_semeval14_xml,
    read_sentibench_atsa,
    user_rows,
)
from .errors import DataFormatError, ReadReport
from .validation import (
    FieldError,
    PathLike,
    Row,
    at_row,
    finish_dataset,
    load_json_list,
    read_lines,
    require_text,
)

logger = get_logger(__name__)

SETFIT_ABSA_COLUMNS: tuple[str, ...] = ("text", "span", "label", "ordinal")
SETFIT_ABSA_FEATURES = Features(
    {"text": Value("string"), "span": Value("string"), "label": Value("string"), "ordinal": Value("int64")}
)
_NO_ASPECTS = "sentences without aspects (SetFit's layout has no row for them)"
_OVERLAPPING = "aspects overlapping an earlier occurrence of the same term (no SetFit ordinal reaches them)"

Source = PathLike | Dataset | DatasetDict


def load_absa(
    source: Source, format: str | None = None, *, name: str | None = None, return_report: bool = False
) -> Dataset | DatasetDict | tuple[Dataset | DatasetDict, ReadReport]:
    """Read targeted-sentiment data from a file, a `Dataset` or a `DatasetDict` into `ABSA_FEATURES`.

    A file's format is told from the file when `format` is not given: `.xml` is `semeval14`,
    `.raw` is `dong2014`, a `.txt` whose first line holds `####` is `e2e`, a `.json` list whose
    first object has `ID` and `sentence` is `sentibench_atsa`; other `.json`/`.jsonl`/`.csv`
    files are user files (see `read_absa_file`). A dataset is in our layout (`text`, `aspects`,
    optionally `id`) or SetFit's (`from_setfit_absa`), told from its columns.

    Args:
        source (`str`, `os.PathLike`, `datasets.Dataset` or `datasets.DatasetDict`):
            The data.
        format (`str`, *optional*):
            For a file: one of `ABSA_FORMATS`, or `None` to tell from the file.
        name (`str`, *optional*):
            For a dataset: how errors and the report name it (default: `Dataset '<split>'`).
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport` (one for all the splits of a `DatasetDict`).

    Returns:
        A `Dataset` (a `DatasetDict` for a `DatasetDict`) with `ABSA_FEATURES`, or
        `(data, report)` with `return_report=True`.

    Raises:
        DataFormatError: A row breaks its format (file or dataset, row and field named).
        ValueError: The format is unknown or cannot be told.
    """
    if isinstance(source, DatasetDict):
        return _per_split(source, load_absa, name, return_report)
    if isinstance(source, Dataset):
        if "aspects" not in source.column_names and set(SETFIT_ABSA_COLUMNS) <= set(source.column_names):
            return from_setfit_absa(source, name=name, return_report=return_report)
        return read_absa_dataset(source, name=name, return_report=return_report)
    format = format or _detect_format(source)
    readers = {
        "semeval14": read_semeval14_xml,
        "e2e": read_e2e_absa,
        "dong2014": read_dong2014,
        "sentibench_atsa": read_sentibench_atsa,
    }
    if format in readers:
        return readers[format](source, return_report=return_report)
    if format in USER_SUFFIXES.values():
        return read_absa_file(source, format=format, return_report=return_report)
    raise ValueError(f"unknown ABSA format {format!r}; expected one of {', '.join(ABSA_FORMATS)}")


def read_absa_dataset(
    dataset: Dataset,
    *,
    text_field: str = "text",
    aspects_field: str = "aspects",
    name: str | None = None,
    return_report: bool = False,
) -> Dataset | tuple[Dataset, ReadReport]:
    """Check a `Dataset` in our layout row by row, as `read_absa_file` checks a JSON file, and
    return it with `ABSA_FEATURES` (`id` defaults to the 1-based row number).

    Args:
        dataset (`datasets.Dataset`): rows with `text_field` and `aspects_field` (a list of
            `{"term", "from", "to", "polarity"}`; an aspect without offsets is placed where its
            term occurs, which it must do once).
        text_field, aspects_field (`str`, *optional*): the column names.
        name (`str`, *optional*): the dataset's name in errors and the report (default: its
            split, e.g. `"Dataset 'train'"`).
        return_report (`bool`, *optional*, defaults to `False`): also return the `ReadReport`.
    """
    name = name or describe_dataset(dataset)
    missing = [column for column in (text_field, aspects_field) if column not in dataset.column_names]
    if missing:
        hint = (
            " It is in SetFit's layout: load_absa reads it (or from_setfit_absa)."
            if set(SETFIT_ABSA_COLUMNS) <= set(dataset.column_names)
            else ""
        )
        raise DataFormatError(
            name, None, missing[0], f"no such column (the dataset has {', '.join(dataset.column_names)}).{hint}"
        )
    report = ReadReport()
    rows = user_rows(name, enumerate(dataset, start=1), text_field, aspects_field, report)
    return finish_dataset(name, rows, ABSA_FEATURES, report, return_report, logger)


def from_setfit_absa(
    dataset: Dataset | DatasetDict, *, name: str | None = None, return_report: bool = False
) -> Dataset | DatasetDict | tuple[Dataset | DatasetDict, ReadReport]:
    """SetFit's ABSA layout (`text`, `span`, `label`, `ordinal`, one row per aspect) as `ABSA_FEATURES`.

    The rows sharing a text make one sentence, in the order the texts first appear; its `id` is
    its 1-based position. An aspect given twice is kept once (counted). SetFit's layout cannot tell
    two sentences with the same text apart, so they become one (and the same span with two
    polarities there is an error naming the row).

    Args:
        dataset (`datasets.Dataset` or `datasets.DatasetDict`): SetFit-layout rows.
        name (`str`, *optional*): the dataset's name in errors and the report.
        return_report (`bool`, *optional*, defaults to `False`): also return the `ReadReport`.

    Raises:
        DataFormatError: a missing column, or a row whose field does not fit (a blank text or span,
            an unknown label, an `ordinal` that is not a whole number >= 0 or that the span does
            not reach), naming the dataset, the 1-based row and the field.
    """
    if isinstance(dataset, DatasetDict):
        return _per_split(dataset, from_setfit_absa, name, return_report)
    name = name or describe_dataset(dataset)
    missing = [column for column in SETFIT_ABSA_COLUMNS if column not in dataset.column_names]
    if missing:
        raise DataFormatError(
            name, None, missing[0], f"no such column; SetFit's ABSA layout has {', '.join(SETFIT_ABSA_COLUMNS)}"
        )
    report = ReadReport()
    sentences: dict[str, Row] = {}
    # A ClassLabel column holds ids: its names are the polarities (0 is not "neutral" by default).
    label_feature = dataset.features["label"]
    label_names = label_feature.names if isinstance(label_feature, ClassLabel) else None
    for row, record in enumerate(dataset, start=1):
        with at_row(name, row):
            text = require_text(record["text"], "text")
            span = require_text(record["span"], "span")
            ordinal = record["ordinal"]
            if isinstance(ordinal, bool) or not isinstance(ordinal, int) or ordinal < 0:
                raise FieldError("ordinal", f"expected a whole number >= 0, got {ordinal!r}")
            starts = occurrences(text, span)
            if not starts:
                raise FieldError("span", f"{span!r} does not occur in the text")
            if ordinal >= len(starts):
                raise FieldError(
                    "ordinal", f"{span!r} occurs {len(starts)} time(s) in the text, so occurrence {ordinal} is not there"
                )
            sentence = sentences.setdefault(text, {"id": str(len(sentences) + 1), "text": text, "aspects": []})
            aspect = {"term": span, "from": starts[ordinal], "to": starts[ordinal] + len(span)}
            label = record["label"]
            if label_names is not None:
                if not 0 <= label < len(label_names):
                    raise FieldError("label", f"{label} is no class of the dataset's labels {label_names}")
                label = label_names[label]
            aspect["polarity"] = normalize_polarity(label, "label")
            add_aspect(sentence["aspects"], aspect, "label", report)
    return finish_dataset(name, iter(sentences.values()), ABSA_FEATURES, report, return_report, logger)


def to_setfit_absa(
    dataset: Dataset | DatasetDict, *, name: str | None = None, return_report: bool = False
) -> Dataset | DatasetDict | tuple[Dataset | DatasetDict, ReadReport]:
    """Our layout as SetFit's: one row per aspect, in sentence order and left to right.

    What SetFit's layout cannot hold is left out and counted: sentences without aspects, and an
    aspect that overlaps an earlier occurrence of its own term (`ordinal` counts non-overlapping
    occurrences, so it cannot name one inside another).

    Args:
        dataset (`datasets.Dataset` or `datasets.DatasetDict`): rows in our layout (checked with
            `load_absa` first).
        name (`str`, *optional*): how errors and the report name the dataset.
        return_report (`bool`, *optional*, defaults to `False`): also return the `ReadReport`.
    """
    if isinstance(dataset, DatasetDict):
        return _per_split(dataset, to_setfit_absa, name, return_report)
    name = name or describe_dataset(dataset)
    checked, report = load_absa(dataset, name=name, return_report=True)
    columns: dict[str, list[Any]] = {column: [] for column in SETFIT_ABSA_COLUMNS}
    for row in checked:
        if not row["aspects"]:
            report.add(_NO_ASPECTS)
        for aspect in sorted(row["aspects"], key=lambda a: (a["from"], a["to"])):
            starts = occurrences(row["text"], aspect["term"])
            if aspect["from"] not in starts:
                report.add(_OVERLAPPING)
                continue
            columns["text"].append(row["text"])
            columns["span"].append(aspect["term"])
            columns["label"].append(aspect["polarity"])
            columns["ordinal"].append(starts.index(aspect["from"]))
    report.log(logger, f"{name} to SetFit's layout")
    converted = Dataset.from_dict(columns, features=SETFIT_ABSA_FEATURES)
    return (converted, report) if return_report else converted


def occurrences(text: str, term: str) -> list[int]:
    """The start of every non-overlapping occurrence of `term` in `text`, from the left."""
    starts, position = [], text.find(term)
    while position >= 0 and term:
        starts.append(position)
        position = text.find(term, position + len(term))
    return starts


def _per_split(
    data: DatasetDict, convert: Any, name: str | None, return_report: bool
) -> DatasetDict | tuple[DatasetDict, ReadReport]:
    report, splits = ReadReport(), {}
    for split, dataset in data.items():
        split_name = f"{name} ({split})" if name else f"Dataset '{split}'"
        splits[split], split_report = convert(dataset, name=split_name, return_report=True)
        report.update(split_report)
    converted = DatasetDict(splits)
    return (converted, report) if return_report else converted


def describe_dataset(dataset: Dataset) -> str:
    """How errors and reports name an in-memory dataset: by its split, e.g. `Dataset 'train'`."""
    return f"Dataset '{dataset.split}'" if dataset.split is not None else "Dataset"


def _detect_format(path: PathLike) -> str:
    """The `ABSA_FORMATS` name for a file, from its suffix and first item."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_absa reads a file path, a datasets.Dataset or a DatasetDict, not {type(path).__name__}")
    suffix = Path(path).suffix.lower()
    if suffix == ".xml":
        return "semeval14"
    if suffix == ".raw":
        return "dong2014"
    if suffix == ".txt" and "####" in next((line for line in read_lines(path) if line.strip()), ""):
        return "e2e"
    if suffix == ".json":
        # Parsed twice (here and by the reader); the files are small.
        items = load_json_list(path)
        if items and isinstance(items[0], dict) and {"ID", "sentence"} <= items[0].keys():
            return "sentibench_atsa"
    if suffix in USER_SUFFIXES:
        return USER_SUFFIXES[suffix]
    raise ValueError(
        f"{os.fspath(path)}: cannot tell the ABSA format from the file; pass format= one of {', '.join(ABSA_FORMATS)}"
    )


__all__ = [
    "SETFIT_ABSA_COLUMNS",
    "SETFIT_ABSA_FEATURES",
    "describe_dataset",
    "from_setfit_absa",
    "load_absa",
    "read_absa_dataset",
    "to_setfit_absa",
]
