"""Character ↔ token alignment for FCKT, shared by the data encoder and the pipeline.

Self-contained (standard library only) so that it travels with a saved model folder.
"""

from __future__ import annotations

from collections.abc import Sequence


def boundary_candidate_masks(word_ids: Sequence[int | None]) -> tuple[list[bool], list[bool]]:
    """Where a span may start and end: the first and the last sub-token of each word.

    Args:
        word_ids: the tokenizer's `word_ids()` of one sequence (`None` for special tokens).

    Returns:
        Two lists of the sequence's length: `starts[i]` is true when token `i` opens a word,
        `ends[i]` when it closes one.
    """
    starts, ends = [], []
    for i, word in enumerate(word_ids):
        previous = word_ids[i - 1] if i > 0 else None
        following = word_ids[i + 1] if i + 1 < len(word_ids) else None
        starts.append(word is not None and word != previous)
        ends.append(word is not None and word != following)
    return starts, ends


def char_span_to_token_span(
    offsets: Sequence[Sequence[int]], start: int, end: int
) -> tuple[int, int] | None:
    """The inclusive token span that covers the characters `[start, end)`.

    Args:
        offsets: `(token_start, token_end)` character offsets of each token; special tokens have
            empty offsets and are never part of a span.
        start, end: the character span.

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


__all__ = ["boundary_candidate_masks", "char_span_to_token_span"]
