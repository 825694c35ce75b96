"""Character ↔ token alignment for FCKT, shared by the data encoder and the pipeline.

Self-contained (standard library only) so that it can be shipped as remote code with the pipeline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

Offsets = Sequence[Sequence[int]]


def word_char_spans(
    sequences: Iterable[tuple[Sequence[int | None], Offsets]],
) -> dict[int, tuple[int, int]]:
    """The character span of every word, from token sequences that together cover the whole text.

    A sequence cut by `max_length`, or one window of a long text, only holds part of a word at its
    edges; pass the uncut tokenisation, or all windows (word ids are global across the windows of
    one text), so each word gets its full span.

    Args:
        sequences (`Iterable[tuple[Sequence[int | None], Offsets]]`):
            `(word_ids, offsets)` pairs of a fast tokenizer's encodings of one text.

    Returns:
        `word id -> (first character, end character)`.
    """
    spans: dict[int, tuple[int, int]] = {}
    for word_ids, offsets in sequences:
        for word, (start, end) in zip(word_ids, offsets):
            if word is None:
                continue
            known = spans.get(word)
            spans[word] = (start, end) if known is None else (min(known[0], start), max(known[1], end))
    return spans


def boundary_candidate_masks(
    word_ids: Sequence[int | None], offsets: Offsets, words: dict[int, tuple[int, int]]
) -> tuple[list[bool], list[bool]]:
    """Where a span may start and end: the first and the last sub-token of a word.

    Args:
        word_ids (`Sequence[int | None]`):
            The tokenizer's `word_ids()` of one sequence (`None` for special tokens).
        offsets (`Sequence[Sequence[int]]`):
            The sequence's `(start, end)` character offsets.
        words (`dict[int, tuple[int, int]]`):
            Whole-word character spans from [`word_char_spans`], so that a word piece at a
            truncation cut or a window edge is not mistaken for a word boundary.

    Returns:
        Two lists of the sequence's length: `starts[i]` is true when token `i` opens a word,
        `ends[i]` when it closes one.
    """
    starts, ends = [], []
    for word, (start, end) in zip(word_ids, offsets):
        span = words.get(word) if word is not None else None
        starts.append(span is not None and start == span[0])
        ends.append(span is not None and end == span[1])
    return starts, ends


def char_span_to_token_span(offsets: Offsets, start: int, end: int) -> tuple[int, int] | None:
    """The inclusive token span that covers the characters `[start, end)`.

    Args:
        offsets (`Sequence[Sequence[int]]`):
            `(token_start, token_end)` character offsets of each token; special tokens have empty
            offsets and are never part of a span.
        start, end (`int`):
            The character span.

    Returns:
        `(first_token, last_token)`, or `None` when the characters are not all inside this
        sequence (for instance cut off by `max_length`, or outside a sliding window).
    """
    covered = [(i, a, b) for i, (a, b) in enumerate(offsets) if b > a]
    if not covered or start < covered[0][1] or end > covered[-1][2]:
        return None
    inside = [i for i, a, b in covered if a < end and b > start]
    if not inside:
        return None
    return inside[0], inside[-1]


# The categories of hf_sentiment.data.validation.BLANK_CATEGORIES (this folder loads alone as remote code).
BLANK_CATEGORIES = ("Cf", "Cc", "Mn", "Me")


# Copied from hf_sentiment.data.validation.is_blank
def is_blank(text: str) -> bool:
    """Whether `text` shows nothing to a reader: only whitespace and characters of
    `BLANK_CATEGORIES` (`str.strip` keeps U+200B, U+FEFF, U+2060 and their kin)."""
    return all(c.isspace() or unicodedata.category(c) in BLANK_CATEGORIES for c in text)


# Zero-width joiner and the variation selectors: they belong to the character before them.
_JOINERS = frozenset("\u200d" + "".join(chr(c) for c in range(0xFE00, 0xFE10)))


def end_of_grapheme(text: str, end: int) -> int:
    """`end` moved past the combining marks, zero-width joiners and variation selectors that
    follow it. Tokenisers leave them out of their offsets ("cafe" + U+0301 maps to "cafe"), which
    would cut the accent off a decomposed (not NFC) aspect."""
    while end < len(text) and (unicodedata.category(text[end]).startswith("M") or text[end] in _JOINERS):
        end += 1
    return end


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """`(start, end)` of each sentence of `text`: cut after `.`, `!` or `?` followed by white
    space (the white space belongs to no sentence; blank pieces are left out). A simple rule: an
    abbreviation such as "e.g. " cuts too, which costs a span only if an aspect spans the cut."""
    spans, start = [], 0
    for gap in _SENTENCE_BREAK.finditer(text):
        spans.append((start, gap.start()))
        start = gap.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if not is_blank(text[a:b])]


__all__ = [
    "boundary_candidate_masks",
    "char_span_to_token_span",
    "end_of_grapheme",
    "is_blank",
    "sentence_spans",
    "word_char_spans",
]
