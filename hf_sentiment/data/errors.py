"""Errors and reports shared by the data readers and encoders.

`DataFormatError` says exactly where an input file is wrong (file, row, field).
`ReadReport` counts what a reader or encoder had to leave out or change, by
reason, so that nothing is ever dropped silently.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dataclass_field

__all__ = ["DataFileNotFoundError", "DataFormatError", "ReadReport"]


class DataFormatError(ValueError):
    """An input file does not follow its format.

    Attributes:
        path (`str`):
            The file that is wrong.
        row (`int` or `None`):
            1-based position of the bad item: the line number for line-based
            formats (E2E `.txt`, Dong `.raw`, JSONL, CSV), the element index
            for JSON lists and the sentence index for XML. `None` when the file
            as a whole is bad (e.g. truncated XML or JSON).
        field (`str` or `None`):
            The field's name in the source format, with a 0-based index for
            list items (e.g. `"aspects[2].from"`). `None` when no single
            field is to blame.
        message (`str`):
            What is wrong.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        row: int | None,
        field: str | None,
        message: str,
    ) -> None:
        self.path = os.fspath(path)
        self.row = row
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.path]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}"

    def __reduce__(self):
        # ValueError pickles only `args`; keep all four so the error survives
        # multiprocessing (e.g. `datasets.map(num_proc=...)`).
        return (type(self), (self.path, self.row, self.field, self.message))


class DataFileNotFoundError(DataFormatError, FileNotFoundError):
    """The input path names no file, or a folder: a `DataFormatError` (one message style, file
    first) that `except FileNotFoundError` still catches."""


@dataclass
class ReadReport:
    """Counts of the items a reader or encoder left out or changed, by reason.

    Attributes:
        skipped (`collections.Counter[str]`, *optional*, defaults to an empty `Counter`):
            How many items were left out (or changed), keyed by a short,
            human-readable reason.
    """

    skipped: Counter[str] = dataclass_field(default_factory=Counter)

    def add(self, reason: str, n: int = 1) -> None:
        """Count `n` more items for `reason` (`n == 0` is a no-op)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n:
            self.skipped[reason] += n

    def update(self, other: ReadReport) -> None:
        """Add all counts of `other` to this report."""
        for reason, n in other.skipped.items():
            self.add(reason, n)

    @property
    def total(self) -> int:
        """The number of items counted over all reasons."""
        return sum(self.skipped.values())

    def __str__(self) -> str:
        if not self.total:
            return "nothing left out or changed"
        return ", ".join(f"{n} {reason}" for reason, n in self.skipped.most_common())

    def log(self, logger: logging.Logger, what: str) -> None:
        """Warn on `logger` with the counts, if any; `what` names the source."""
        if self.total:
            logger.warning("%s: left out or changed: %s", what, self)
