"""Readers for sentence-level sentiment and emotion classification data.

Every reader turns one file (or one TweetEval split) into a `datasets.Dataset`
with the same schema:

```text
id:    string
text:  string
label: ClassLabel(names=[...])   # the data set's class names, in id order
```

(see `classification_features`). `dataset.features["label"].names` gives
the class names and `.int2str` / `.str2int` convert. The one exception is
`read_goemotions(..., multi_label="keep")`, which returns
`labels: Sequence(ClassLabel(names=[...]))` instead of `label` (all the gold
emotions of a comment, in file order).

Guarantees, checked while reading:

* `text` is not empty or whitespace-only;
* every label is one of the data set's class ids (or names);
* single-label data has exactly one label per row; several labels are an
  error unless the reader is told what to do with them.

Supported inputs:

* `read_sst`: SST-2 (`stsa.binary.*`) and SST-5 (`stsa.fine.*`), lines
  `<label> <sentence>`.
* `read_goemotions`: GoEmotions `{train,dev,test}.tsv` with `labels.txt`.
* `read_tweeteval`: one TweetEval task folder and split (`emotion`,
  `hate`, ..., `stance/<target>`).
* `read_empathetic_dialogues`: EmpatheticDialogues utterances, one row per
  conversation. Only the validation split is labelled and available offline,
  so `stratified_folds` gives cross-validation folds over it.

Any input that breaks its format raises `DataFormatError` naming the file, the
row (line number, 1-based) and the field. Items a reader leaves out are counted
in a `ReadReport`, which is logged as a warning and returned with
`return_report=True`.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from datasets import ClassLabel, Dataset, Features, Value
from datasets import Sequence as SequenceFeature
from sklearn.model_selection import StratifiedKFold

from ..utils.logging import get_logger
from .errors import DataFormatError, ReadReport
from .validation import (
    BLANK_LINES,
    DatasetOrPair,
    FieldError,
    PathLike,
    Row,
    StrictCSV,
    at_row,
    csv_records,
    finish_dataset,
    json_lines,
    load_json_list,
    no_surrogates,
    numbered_lines,
    read_lines,
    read_text,
    require_text,
    require_type,
    unique_id,
)

__all__ = [
    "EMPATHETIC_DIALOGUES_LABELS",
    "SST2_LABELS",
    "SST5_LABELS",
    "classification_features",
    "read_classification_file",
    "read_empathetic_dialogues",
    "read_goemotions",
    "read_sst",
    "read_tweeteval",
    "stratified_folds",
]

logger = get_logger(__name__)

SST2_LABELS: tuple[str, ...] = ("negative", "positive")
SST5_LABELS: tuple[str, ...] = (
    "very negative",
    "negative",
    "neutral",
    "positive",
    "very positive",
)

# The label ids of the EmpatheticDialogues copy in SOURCES.md section 8 (not LCL's `emo_map` order).
EMPATHETIC_DIALOGUES_LABELS: tuple[str, ...] = (
    "sad", "trusting", "terrified", "caring", "disappointed", "faithful", "joyful", "jealous",
    "disgusted", "surprised", "ashamed", "afraid", "impressed", "sentimental", "devastated", "excited",
    "anticipating", "annoyed", "anxious", "furious", "content", "lonely", "angry", "confident",
    "apprehensive", "guilty", "embarrassed", "grateful", "hopeful", "proud", "prepared", "nostalgic",
)  # fmt: skip

_MULTI_LABEL_SKIPPED = "rows with more than one label (multi_label='skip')"
_EMPTY_TWEETS = "rows with empty text (empty_text='skip')"
_TWEETEVAL_SPLITS = {
    "train": "train",
    "val": "val",
    "validation": "val",
    "dev": "val",
    "test": "test",
}
_ED_COLUMNS = ("conv_id", "utterance_idx", "utterance", "label")


def classification_features(label_names: Sequence[str], *, multi_label: bool = False) -> Features:
    """The readers' schema for `label_names` (class names in id order).

    Args:
        label_names (`Sequence[str]`):
            The class names; id `i` is `label_names[i]`.
        multi_label (`bool`, *optional*, defaults to `False`):
            `labels: Sequence(ClassLabel)` instead of `label: ClassLabel`.

    Example:
        >>> classification_features(["negative", "positive"])["label"].names
        ['negative', 'positive']
    """
    names = list(label_names)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"label names must be non-empty and unique, got {names}")
    label = ClassLabel(names=names)
    if multi_label:
        return Features(
            {
                "id": Value("string"),
                "text": Value("string"),
                "labels": SequenceFeature(label),
            }
        )
    return Features({"id": Value("string"), "text": Value("string"), "label": label})


# --- shared helpers -------------------------------------------------------------


def _class_id(value: Any, n_classes: int, field: str, names: Sequence[str] | None = None) -> int:
    """A class id given as ASCII digits (a string or a JSON integer), in `0..n_classes - 1`.

    With `names` (the class names in id order), a class name is accepted too and gives its id; a
    name wins over an id when a class is named with digits.
    """
    if value is None or not str(value).strip():
        raise FieldError(field, "missing")
    label = str(value).strip()  # a JSON integer reads as its digits; `True` or `1.0` does not
    if names is not None and isinstance(value, str) and label in names:
        return list(names).index(label)
    if re.fullmatch(r"[0-9]+", label) and int(label) < n_classes:
        return int(label)
    if names is not None:
        raise FieldError(
            field, f"label {value!r} is not one of the classes {list(names)} (or a class id 0..{n_classes - 1})"
        )
    raise FieldError(field, f"label {label!r} is not a class id (expected an integer 0..{n_classes - 1})")


# --- SST ------------------------------------------------------------------------------


def read_sst(path: PathLike, num_classes: int | None = None, *, return_report: bool = False) -> DatasetOrPair:
    """Read an SST sentence file: lines `<label> <sentence>`.

    `stsa.binary.*` is SST-2 (`SST2_LABELS`: negative, positive);
    `stsa.fine.*` is SST-5 (`SST5_LABELS`: very negative .. very positive).

    Args:
        path (`str` or `os.PathLike`):
            The file (e.g. `sst/stsa.fine.train`).
        num_classes (`int`, *optional*):
            2 or 5; default: told from the file name (`binary` or
            `fine`), which it must then contain.
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport` (blank lines are counted
            there).

    Returns:
        A `Dataset` (`id` = `"{file name}-{line number}"`, text unchanged),
        or `(dataset, report)` with `return_report=True`.

    Raises:
        DataFormatError: A bad line (row = its line number; field `label` or
            `sentence`) or non-UTF-8 bytes.
        ValueError: `num_classes` is not 2 or 5, cannot be told from the file
            name, or contradicts it.

    Example:
        >>> sst5 = read_sst("data/sst/stsa.fine.dev")  # doctest: +SKIP
        >>> sst5.features["label"].names[0]  # doctest: +SKIP
        'very negative'
    """
    name = Path(path).name
    from_name = 2 if "binary" in name else 5 if "fine" in name else None
    if num_classes is None:
        if from_name is None:
            raise ValueError(
                f"{os.fspath(path)}: cannot tell SST-2 from SST-5 by the file name; pass num_classes=2 or 5"
            )
        num_classes = from_name
    if num_classes not in (2, 5):
        raise ValueError(f"num_classes must be 2 or 5, got {num_classes!r}")
    if from_name is not None and from_name != num_classes:
        raise ValueError(f"{os.fspath(path)}: the file name says SST-{from_name} but num_classes={num_classes}")
    report = ReadReport()
    features = classification_features(SST2_LABELS if num_classes == 2 else SST5_LABELS)
    return finish_dataset(path, _sst_rows(path, name, num_classes, report), features, report, return_report, logger)


def _sst_rows(path: PathLike, name: str, num_classes: int, report: ReadReport) -> Iterator[Row]:
    for line_number, line in numbered_lines(path, report):
        with at_row(path, line_number):
            parts = line.split(maxsplit=1)
            label = _class_id(parts[0], num_classes, "label")
            text = require_text(parts[1] if len(parts) == 2 else None, "sentence")
        yield {"id": f"{name}-{line_number}", "text": text, "label": label}


# --- GoEmotions -------------------------------------------------------------------------


def _read_label_names(path: PathLike) -> list[str]:
    """Class names, one a line (surrounding whitespace and a trailing blank line ignored)."""
    names = []
    for line_number, line in enumerate(read_lines(path), start=1):
        name = line.strip()
        if not name:
            raise DataFormatError(path, line_number, "name", "missing: blank line in the label list")
        if name in names:
            raise DataFormatError(path, line_number, "name", f"duplicate label name {name!r}")
        names.append(name)
    if not names:
        raise DataFormatError(path, None, None, "no label names")
    return names


def read_goemotions(
    path: PathLike,
    labels_path: PathLike | None = None,
    *,
    multi_label: str = "error",
    return_report: bool = False,
) -> DatasetOrPair:
    """Read a GoEmotions `{train,dev,test}.tsv` file.

    Lines are `text \\t comma-separated label ids \\t comment id` with no
    header and no quoting (read with `csv.QUOTE_NONE`: quotes are text).
    GoEmotions is multi-label (about 16 % of the rows have 2 to 5 labels), so
    rows with several labels must be handled explicitly:

    * `"error"` (default): raise `DataFormatError` for the first such row;
    * `"skip"`: leave them out, counted in the report. The rest is the
      single-label subset, 28 classes with `neutral`: 36308 / 4548 / 4590 rows
      of train / dev / test (Suresh & Ong (2021) report 27 GoEmotions classes,
      so their figures are not directly comparable);
    * `"keep"`: return every row with `labels: Sequence(ClassLabel)`
      instead of `label`.

    Args:
        path (`str` or `os.PathLike`):
            The `.tsv` file.
        labels_path (`str` or `os.PathLike`, *optional*):
            The label names, one a line in id order; default:
            `labels.txt` beside `path` (28 names, `neutral` last).
        multi_label (`str`, *optional*, defaults to `"error"`):
            `"error"`, `"skip"` or `"keep"` (see above).
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport`.

    Returns:
        A `Dataset` (`id` = the comment id, text unchanged), or
        `(dataset, report)` with `return_report=True`.

    Raises:
        DataFormatError: A bad line (row = its line number; fields `text`,
            `labels`, `id`), a bad label file, or non-UTF-8 bytes.
        ValueError: An unknown `multi_label` value.

    Example:
        >>> train, report = read_goemotions("data/goemotions/train.tsv", multi_label="skip",
        ...                                 return_report=True)  # doctest: +SKIP
        >>> len(train), report.total  # doctest: +SKIP
        (36308, 7102)
    """
    if multi_label not in ("error", "skip", "keep"):
        raise ValueError(f"multi_label must be 'error', 'skip' or 'keep', got {multi_label!r}")
    names = _read_label_names(Path(path).with_name("labels.txt") if labels_path is None else labels_path)
    text = read_text(path, line_rows=True)
    reader = StrictCSV(path, text, header=False, delimiter="\t", quoting=csv.QUOTE_NONE)
    report = ReadReport()
    rows = []
    seen: dict[str, int] = {}
    for record in reader:
        line_number = reader.line_num
        if not any(cell.strip() for cell in record):
            report.add(BLANK_LINES)
            continue
        with at_row(path, line_number):
            row = _goemotions_record(record, names, multi_label)
            # A repeated comment id would otherwise be kept silently.
            unique_id(seen, record[2].strip(), line_number, "id")
        if row is None:
            report.add(_MULTI_LABEL_SKIPPED)
        else:
            rows.append(row)
    features = classification_features(names, multi_label=multi_label == "keep")
    return finish_dataset(path, rows, features, report, return_report, logger)


def _goemotions_record(record: list[str], names: list[str], multi_label: str) -> Row | None:
    """The row for one TSV line; `None` for a multi-label row to skip."""
    fields = ("text", "labels", "id")
    if len(record) < len(fields):
        raise FieldError(
            fields[len(record)],
            f"missing column: expected {len(fields)} tab-separated columns, got {len(record)}",
        )
    if len(record) > len(fields):
        raise FieldError(None, f"expected {len(fields)} tab-separated columns, got {len(record)}")
    text = require_text(record[0], "text")
    labels = [_class_id(value, len(names), "labels") for value in record[1].split(",")]
    if len(set(labels)) != len(labels):
        raise FieldError("labels", f"repeated label id in {record[1]!r}")
    row_id = record[2].strip()
    if not row_id:
        raise FieldError("id", "missing")
    if multi_label == "keep":
        return {"id": row_id, "text": text, "labels": labels}
    if len(labels) > 1:
        if multi_label == "skip":
            return None
        raise FieldError(
            "labels",
            f"{len(labels)} labels ({record[1]}) in single-label mode; "
            "pass multi_label='skip' to leave such rows out or 'keep' for a multi-label dataset",
        )
    return {"id": row_id, "text": text, "label": labels[0]}


# --- TweetEval --------------------------------------------------------------------------------


def read_tweeteval(
    folder: PathLike,
    split: str,
    *,
    empty_text: str = "error",
    return_report: bool = False,
) -> DatasetOrPair:
    """Read one split of a TweetEval task folder.

    The folder (e.g. `tweeteval/emotion` or `tweeteval/stance/abortion`)
    holds `{split}_text.txt` (one tweet a line) and `{split}_labels.txt`
    (one class id a line, aligned with the text); the class names are in
    `mapping.txt` (lines `id \\t name`) in the folder or, for the stance
    targets, its parent. Every tweet in the files ends with a space: trailing
    whitespace is stripped from the text.

    Args:
        folder (`str` or `os.PathLike`):
            The task folder.
        split (`str`):
            `"train"`, `"val"` (or `"validation"`/`"dev"`) or `"test"`.
        empty_text (`str`, *optional*, defaults to `"error"`):
            `"error"` (default) raises for a line of empty text;
            `"skip"` leaves such rows out, counted in the report (the `hate`
            task has 7 in train and 1 in val).
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport`.

    Returns:
        A `Dataset` (`id` = `"{folder name}-{split}-{line number}"`), or
        `(dataset, report)` with `return_report=True`.

    Raises:
        DataFormatError: Text and label files with different line counts (path =
            the longer file, row = its first line without a partner), a bad line
            (fields `text`, `label`), a bad `mapping.txt` (fields `id`,
            `name`), or non-UTF-8 bytes.
        FileNotFoundError: A missing file.
        ValueError: An unknown `split` or `empty_text` value.

    Example:
        >>> emotion = read_tweeteval("data/tweeteval/emotion", "train")  # doctest: +SKIP
        >>> emotion.features["label"].names  # doctest: +SKIP
        ['anger', 'joy', 'optimism', 'sadness']
    """
    if split not in _TWEETEVAL_SPLITS:
        raise ValueError(f"split must be one of {', '.join(_TWEETEVAL_SPLITS)}, got {split!r}")
    if empty_text not in ("error", "skip"):
        raise ValueError(f"empty_text must be 'error' or 'skip', got {empty_text!r}")
    split = _TWEETEVAL_SPLITS[split]
    folder = Path(folder)
    text_path, labels_path = (
        folder / f"{split}_text.txt",
        folder / f"{split}_labels.txt",
    )
    mapping_path = folder / "mapping.txt"
    if not mapping_path.is_file() and (folder.parent / "mapping.txt").is_file():
        mapping_path = folder.parent / "mapping.txt"
    names = _read_mapping(mapping_path)
    texts, labels = read_lines(text_path), read_lines(labels_path)
    if len(texts) != len(labels):
        longer, shorter = (text_path, labels_path) if len(texts) > len(labels) else (labels_path, text_path)
        raise DataFormatError(
            longer,
            min(len(texts), len(labels)) + 1,
            None,
            f"{text_path} has {len(texts)} lines but {labels_path} has {len(labels)}; "
            f"from this line on {longer.name} has no partner in {shorter.name}",
        )
    report = ReadReport()
    rows = []
    for line_number, (text, label) in enumerate(zip(texts, labels), start=1):
        with at_row(labels_path, line_number):
            label_id = _class_id(label, len(names), "label")
        text = text.rstrip()
        if not text and empty_text == "skip":
            report.add(_EMPTY_TWEETS)
            continue
        with at_row(text_path, line_number):
            text = require_text(text, "text")
        rows.append(
            {
                "id": f"{folder.name}-{split}-{line_number}",
                "text": text,
                "label": label_id,
            }
        )
    return finish_dataset(text_path, rows, classification_features(names), report, return_report, logger)


def _read_mapping(path: Path) -> list[str]:
    """Class names from a TweetEval `mapping.txt`: lines `id \\t name`, ids 0, 1, ... in order."""
    names = []
    for line_number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue  # a trailing blank line
        class_id, sep, name = line.partition("\t")
        if not sep or not name.strip():
            raise DataFormatError(path, line_number, "name", "missing: expected 'id<TAB>name'")
        if class_id.strip() != str(len(names)):
            raise DataFormatError(path, line_number, "id", f"expected id {len(names)}, got {class_id!r}")
        names.append(name.strip())
    if not names:
        raise DataFormatError(path, None, None, "no class names")
    return names


# --- EmpatheticDialogues -------------------------------------------------------------------------


def read_empathetic_dialogues(path: PathLike, *, return_report: bool = False) -> DatasetOrPair:
    """Read EmpatheticDialogues `valid_utterances.csv`: one row per conversation.

    The CSV has one row per utterance with columns `conv_id`,
    `utterance_idx`, `prompt`, `utterance` and `label` (0..31, names in
    `EMPATHETIC_DIALOGUES_LABELS`). A conversation's text is its utterances
    in `utterance_idx` order, each stripped and joined with one space, with the
    `_comma_` escape turned back into `","`; the situation `prompt` is not
    part of the text. All utterances of a conversation must share one label.

    Only the validation split is labelled and available offline (no train
    split): use `stratified_folds` for cross-validation over it.

    Args:
        path (`str` or `os.PathLike`):
            The `.csv` file.
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport`.

    Returns:
        A `Dataset` (`id` = `conv_id`, in order of first appearance), or
        `(dataset, report)` with `return_report=True`.

    Raises:
        DataFormatError: A missing column (row 1), a bad row (row = its line
            number; fields `conv_id`, `utterance_idx`, `utterance`,
            `label`), a conversation with two labels or a repeated
            `utterance_idx`, or non-UTF-8 bytes.

    Example:
        >>> ed = read_empathetic_dialogues("data/empathetic_dialogues/valid_utterances.csv")  # doctest: +SKIP
        >>> len(ed), ed.features["label"].num_classes  # doctest: +SKIP
        (2770, 32)
    """
    n_classes = len(EMPATHETIC_DIALOGUES_LABELS)
    conversations: dict[str, dict[str, Any]] = {}
    for line_number, record in csv_records(path, _ED_COLUMNS):
        with at_row(path, line_number):
            conv_id = record["conv_id"]
            if conv_id is None or not conv_id.strip():
                raise FieldError("conv_id", "missing")
            index = (record["utterance_idx"] or "").strip()
            if not re.fullmatch(r"[0-9]+", index):
                raise FieldError(
                    "utterance_idx",
                    f"expected a non-negative integer, got {record['utterance_idx']!r}",
                )
            index = int(index)
            utterance = require_text(record["utterance"], "utterance").replace("_comma_", ",").strip()
            label = _class_id(record["label"], n_classes, "label")
            conversation = conversations.setdefault(conv_id, {"label": label, "line": line_number, "utterances": {}})
            if label != conversation["label"]:
                raise FieldError(
                    "label",
                    f"conversation {conv_id!r} has label {conversation['label']} at line {conversation['line']} "
                    f"but {label} here",
                )
            if index in conversation["utterances"]:
                raise FieldError(
                    "utterance_idx",
                    f"repeated utterance_idx {index} in conversation {conv_id!r}",
                )
            conversation["utterances"][index] = utterance
    rows = [
        {
            "id": conv_id,
            "text": " ".join(conversation["utterances"][index] for index in sorted(conversation["utterances"])),
            "label": conversation["label"],
        }
        for conv_id, conversation in conversations.items()
    ]
    features = classification_features(EMPATHETIC_DIALOGUES_LABELS)
    return finish_dataset(path, rows, features, ReadReport(), return_report, logger)


# --- user files: CSV, JSONL, JSON ------------------------------------------------------------------

_USER_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".json": "json"}


def read_classification_file(
    path: PathLike,
    label_names: Sequence[str],
    *,
    text_field: str = "text",
    label_field: str = "label",
    format: str | None = None,
    return_report: bool = False,
) -> DatasetOrPair:
    """Read a user file of labelled texts: CSV, JSON lines or a JSON list.

    - `csv`: a header naming at least `text_field` and `label_field`, then one row per text;
    - `jsonl`: one object per line; `json`: a list of objects; each object has `text_field` and
      `label_field`.

    A label is one of `label_names` (exactly, surrounding spaces aside) or a class id, as digits or
    a JSON integer. A row may give an `id`; by default it is the row's number. This is the file
    `hf-sentiment evaluate lcl --file` scores a sequence classifier on.

    Args:
        path (`str` or `os.PathLike`):
            The file.
        label_names (`Sequence[str]`):
            The class names in id order (a classifier's `config.id2label` values).
        text_field (`str`, *optional*, defaults to `"text"`):
            The column / field holding the text.
        label_field (`str`, *optional*, defaults to `"label"`):
            The column / field holding the label.
        format (`str`, *optional*):
            `"csv"`, `"jsonl"` or `"json"`; by default told from the suffix.
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport` (blank JSONL lines are counted there).

    Returns:
        A `Dataset` with `classification_features(label_names)` (`id`, `text`, `label`), or
        `(dataset, report)` with `return_report=True`.

    Raises:
        DataFormatError: A bad file or row: the row is the line number for CSV and JSONL and the
            element's number for a JSON list; the field is `text_field`, `label_field` or `id`.
        ValueError: The format is unknown or cannot be told from the suffix.

    Example:

    ```python
    >>> test = read_classification_file("my_reviews.csv", ["negative", "positive"])  # doctest: +SKIP
    >>> test.features["label"].int2str(test[0]["label"])  # doctest: +SKIP
    'positive'
    ```
    """
    format = format or _USER_SUFFIXES.get(Path(path).suffix.lower())
    names = list(label_names)
    features = classification_features(names)
    report = ReadReport()
    if format == "csv":
        records = csv_records(path, (text_field, label_field))
    elif format == "jsonl":
        records = json_lines(path, report)
    elif format == "json":
        records = enumerate(load_json_list(path), start=1)
    else:
        raise ValueError(f"{os.fspath(path)}: unknown format {format!r}; expected csv, jsonl or json")
    rows = _classification_rows(path, records, text_field, label_field, names)
    return finish_dataset(path, rows, features, report, return_report, logger)


def _classification_rows(
    path: PathLike, records: Iterable[tuple[int, Any]], text_field: str, label_field: str, names: Sequence[str]
) -> Iterator[Row]:
    seen: dict[str, int] = {}
    for row, record in records:
        with at_row(path, row):
            require_type(record, dict, None, "a JSON object")
            text = require_text(record.get(text_field), text_field)
            label = _class_id(record.get(label_field), len(names), label_field, names)
            given = record.get("id")
            row_id = no_surrogates(str(row if given is None or given == "" else given), "id")
            unique_id(seen, row_id, row, "id")
        yield {"id": row_id, "text": text, "label": label}


def stratified_folds(
    dataset: Dataset, k: int = 5, seed: int = 42, *, label_column: str = "label"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`k` stratified cross-validation folds (scikit-learn's `StratifiedKFold`, shuffled).

    Meant for EmpatheticDialogues, whose only labelled split offline is the
    validation split: train on `dataset.select(train)`, test on
    `dataset.select(test)` for each fold. The test parts are disjoint and
    together cover every row once; each class needs at least `k` rows.

    Args:
        dataset (`Dataset`):
            A single-label dataset.
        k (`int`, *optional*, defaults to `5`):
            The number of folds (at least 2).
        seed (`int`, *optional*, defaults to `42`):
            The shuffling seed.
        label_column (`str`, *optional*, defaults to `"label"`):
            The column to stratify on.

    Returns:
        `k` pairs `(train_indices, test_indices)` of sorted int64 arrays.

    Example:
        >>> folds = stratified_folds(ed, k=5)  # doctest: +SKIP
        >>> train, test = ed.select(folds[0][0]), ed.select(folds[0][1])  # doctest: +SKIP
    """
    labels = np.asarray(dataset[label_column])
    if labels.ndim != 1:
        raise ValueError(f"column {label_column!r} must hold one label per row to stratify on")
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(train, test) for train, test in splitter.split(np.zeros(len(labels)), labels)]
