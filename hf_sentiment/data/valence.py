"""Valence ratings: word lexicons and sentence ratings, all rescaled to [0, 1].

One interface, [`ValenceLexicon`] (a read-only `word -> valence` mapping), for every word source:

* `ValenceLexicon.from_vader()`: VADER's lexicon (Hutto & Gilbert, 2014), embedded in the
  `vaderSentiment` package (mean ratings on -4..4); the default.
* `ValenceLexicon.from_warriner(path)`: Warriner, Kuperman & Brysbaert (2013) lemma norms
  (E-ANEW; `V.Mean.Sum` on 1..9), optionally restricted to a word list such as a train split.
* `ValenceLexicon.from_csv(path, word_column, rating_column, scale)`: any CSV lexicon.
* `ValenceLexicon(mapping, scale=(low, high))`: any in-memory `word -> rating` mapping.

`read_emobank(path, split)` reads EmoBank (Buechel & Hahn, 2017) sentence valence (`V` on 1..5).

Every rating is rescaled with `(r − low) / (high − low)`. A rating outside its scale is an error
naming the file, row and field; missing and NaN ratings are counted in the `report` and left
out, never used. Words are matched lower-cased.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from datasets import Dataset, Features, Value

from ..utils.logging import get_logger
from .errors import DataFormatError, ReadReport
from .validation import DatasetOrPair, PathLike, StrictCSV, read_lines, read_text
from .word_mapping import WordMapping

logger = get_logger(__name__)

VADER_SCALE = (-4.0, 4.0)
WARRINER_SCALE = (1.0, 9.0)
EMOBANK_SCALE = (1.0, 5.0)
EMOBANK_FEATURES = Features({"id": Value("string"), "text": Value("string"), "valence": Value("float32")})

_MISSING = "missing or NaN ratings"


def rescale(rating: float, scale: tuple[float, float]) -> float:
    """`rating` mapped from `scale = (low, high)` onto [0, 1]."""
    low, high = scale
    return (rating - low) / (high - low)


def _rating(value: object, scale: tuple[float, float], field: str, where: tuple[str, int | None]) -> float | None:
    """The rescaled rating, `None` when missing or NaN; an error when not a number or off-scale."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "nan", "na")):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataFormatError(where[0], where[1], field, f"not a number: {value!r}") from None
    if math.isnan(number):
        return None
    low, high = scale
    if not low <= number <= high:
        raise DataFormatError(
            where[0],
            where[1],
            field,
            f"rating {number} outside the scale [{low}, {high}]",
        )
    return rescale(number, scale)


class ValenceLexicon(WordMapping[float]):
    """A read-only mapping from lower-cased words to valence in [0, 1].

    Args:
        ratings (`Mapping[str, object]`):
            `word -> rating` on `scale`.
        scale (`tuple[float, float]`):
            the `(low, high)` range of the ratings (e.g. `(1, 9)`).
        name (`str`, *optional*, defaults to `"lexicon"`):
            shown in reports and logs.

    Attributes:
        report (`ReadReport`): what was left out (missing or NaN ratings, case-folded duplicates).

    Example:

    ```python
    >>> from hf_sentiment.data import ValenceLexicon
    >>> lexicon = ValenceLexicon({"good": 3.0, "bad": -2.5}, scale=(-4, 4))
    >>> round(lexicon["good"], 4), "neutral" in lexicon
    (0.875, False)
    ```
    """

    def __init__(
        self,
        ratings: Mapping[str, object],
        scale: tuple[float, float],
        name: str = "lexicon",
    ) -> None:
        low, high = (float(s) for s in scale)
        if not low < high:
            raise ValueError(f"ValenceLexicon {name!r}: scale must be (low, high) with low < high, got {scale}.")
        self.name, self.scale, self.report = name, (low, high), ReadReport()
        self._entries: dict[str, float] = {}
        for row, (word, value) in enumerate(ratings.items(), start=1):
            self._add(word, value, "rating", (name, row))
        self.report.log(logger, name)

    def _add(self, word: object, value: object, field: str, where: tuple[str, int | None]) -> None:
        if not isinstance(word, str) or not word.strip():
            raise DataFormatError(where[0], where[1], "word", f"expected a non-empty word, got {word!r}")
        rating = _rating(value, self.scale, field, where)
        if rating is None:
            self.report.add(_MISSING)
            return
        key = self._key(word)
        if key in self._entries:
            self.report.add("duplicate words after lower-casing (first kept)")
            return
        self._entries[key] = rating

    @classmethod
    def _from_rows(
        cls,
        rows: Iterable[tuple[int, object, object]],
        scale: tuple[float, float],
        name: str,
        field: str,
    ) -> ValenceLexicon:
        lexicon = cls({}, scale, name)
        for row, word, value in rows:
            lexicon._add(word, value, field, (name, row))
        lexicon.report.log(logger, name)
        return lexicon

    @classmethod
    def from_vader(cls) -> ValenceLexicon:
        """VADER's lexicon as shipped by the `vaderSentiment` package (7,500 entries, words and
        emoticons, mean ratings on -4..4)."""
        try:
            import vaderSentiment
        except ImportError as error:
            raise ImportError("VADER's lexicon needs the vaderSentiment package: pip install vaderSentiment") from error
        path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")

        def rows() -> Iterator[tuple[int, object, object]]:
            for row, line in enumerate(read_lines(path), start=1):
                if line.strip():
                    cells = line.split("\t")
                    if len(cells) < 2:
                        raise DataFormatError(
                            path,
                            row,
                            "rating",
                            "expected '<token>\\t<mean rating>\\t...'",
                        )
                    yield row, cells[0], cells[1]

        return cls._from_rows(rows(), VADER_SCALE, os.fspath(path), "rating")

    @classmethod
    def from_csv(
        cls,
        path: PathLike,
        word_column: str,
        rating_column: str,
        scale: tuple[float, float],
    ) -> ValenceLexicon:
        """A lexicon from a CSV file with a header; `word_column` and `rating_column` name the
        columns. The text "null" is a word here, not a missing value."""
        reader = StrictCSV(path, read_text(path, line_rows=True))
        for column in (word_column, rating_column):
            if reader.fieldnames is None or column not in reader.fieldnames:
                raise DataFormatError(
                    path,
                    1,
                    column,
                    f"column missing from the header {reader.fieldnames}",
                )
        rows = ((index + 2, record[word_column], record[rating_column]) for index, record in enumerate(reader))
        return cls._from_rows(rows, scale, os.fspath(path), rating_column)

    @classmethod
    def from_warriner(cls, path: PathLike, words: Iterable[str] | PathLike | None = None) -> ValenceLexicon:
        """Warriner et al. (2013) valence norms (`Word`, `V.Mean.Sum` on 1..9).

        Args:
            path (`str` or `os.PathLike`):
                `Ratings_Warriner_et_al.csv`.
            words (`Iterable[str]` or `str` or `os.PathLike`, *optional*):
                keep only these words (an iterable, or a file with one word per line, e.g.
                XANEW's `split_crosslingual_train.txt`) so that held-out words stay held out.
                Listed words without a rating are counted in the report.
        """
        lexicon = cls.from_csv(path, "Word", "V.Mean.Sum", WARRINER_SCALE)
        if words is None:
            return lexicon
        if isinstance(words, (str, os.PathLike)):
            words = [line.strip() for line in read_lines(words) if line.strip()]
        keep = {word.lower() for word in words}
        lexicon.report.add("listed words without a rating", len(keep - lexicon._entries.keys()))
        lexicon.report.add("rated words outside the word list", len(lexicon._entries.keys() - keep))
        lexicon._entries = {word: value for word, value in lexicon._entries.items() if word in keep}
        lexicon.report.log(logger, f"{lexicon.name} (restricted to a word list)")
        return lexicon

    def _key(self, word: str) -> str:
        """Words are matched stripped and lower-cased."""
        return word.strip().lower()

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._key(word) in self._entries

    def __repr__(self) -> str:
        return f"ValenceLexicon({self.name!r}, {len(self)} words, scale={self.scale})"


def read_emobank(path: PathLike, split: str | None = None, *, return_report: bool = False) -> DatasetOrPair:
    """EmoBank sentences with their valence (`V`, 1..5, rescaled to [0, 1]).

    Args:
        path (`str` or `os.PathLike`):
            `emobank.csv` (`id,split,V,A,D,text`).
        split (`str`, *optional*):
            `"train"`, `"dev"` or `"test"`; all rows when `None`.

    Returns:
        A `Dataset` with `id`, `text`, `valence` (and the `ReadReport` with `return_report=True`;
        rows with a missing or NaN `V` are left out and counted there).
    """
    reader = StrictCSV(path, read_text(path, line_rows=True))
    for column in ("id", "split", "V", "text"):
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise DataFormatError(path, 1, column, f"column missing from the header {reader.fieldnames}")
    if split is not None and split not in ("train", "dev", "test"):
        raise ValueError(f"read_emobank: split must be 'train', 'dev', 'test' or None, got {split!r}.")
    report, rows, seen = ReadReport(), {"id": [], "text": [], "valence": []}, set()
    for index, record in enumerate(reader):
        row = index + 2
        if split is not None and record["split"] != split:
            continue
        if not (record["text"] or "").strip():
            raise DataFormatError(path, row, "text", "empty or whitespace-only text")
        if record["id"] in seen:
            raise DataFormatError(path, row, "id", f"duplicate id {record['id']!r}")
        seen.add(record["id"])
        valence = _rating(record["V"], EMOBANK_SCALE, "V", (os.fspath(path), row))
        if valence is None:
            report.add(_MISSING)
            continue
        rows["id"].append(record["id"])
        rows["text"].append(record["text"])
        rows["valence"].append(valence)
    report.log(logger, os.fspath(path))
    dataset = Dataset.from_dict(rows, features=EMOBANK_FEATURES)
    return (dataset, report) if return_report else dataset


__all__ = [
    "EMOBANK_SCALE",
    "VADER_SCALE",
    "WARRINER_SCALE",
    "ValenceLexicon",
    "read_emobank",
    "rescale",
]
