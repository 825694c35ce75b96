"""`WordMapping`: the read-only `Mapping` protocol of the word resources in `hf_sentiment.data`.

`ValenceLexicon` (word -> valence) and `WordNetSynonyms` (word -> synonyms) are both a dict built
once from a file and then only read. The protocol over that dict, and the rule that turns a looked-up
word into a key, live here once; each resource writes how it is built and how it shows itself.

Internal to `hf_sentiment.data` (not re-exported): the resources are the API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

__all__ = ["WordMapping"]

V = TypeVar("V")


class WordMapping(Mapping[str, V]):
    """A read-only mapping over `self._entries`, the `key -> value` dict a subclass fills once.

    A looked-up word becomes a key through `_key` (unchanged here; `ValenceLexicon` strips and
    lower-cases), so `resource[word]`, `resource.get(word)` and `word in resource` agree. Iteration
    and `len` are the dict's, in its insertion order.

    Attributes:
        _entries (`dict[str, V]`): the entries, by key; a subclass sets it in `__init__`.
    """

    _entries: dict[str, V]

    def _key(self, word: str) -> str:
        """The key `word` is looked up under."""
        return word

    def __getitem__(self, word: str) -> V:
        return self._entries[self._key(word)]

    def get(self, word: str, default: V | None = None) -> V | None:
        # Mapping.get would go through a KeyError for every miss; most words of a text miss.
        return self._entries.get(self._key(word), default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
