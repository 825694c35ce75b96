"""Tokenise a corpus for SoftMCL pre-training and collate it with MLM masking.

`encode_valence_corpus` turns `text` (+ an optional sentence `valence`) rows into model inputs
that carry the valence targets:

* `word_index` (one per token): the slot of the lexicon-rated word the token belongs to, -1 for
  special tokens and unrated words. Words are the tokenizer's pre-tokenised words (a fast
  tokenizer's `word_ids`), looked up lower-cased; a word split into several sub-word pieces keeps
  one slot, and the model averages its pieces.
* `word_valence`: the valence in [0, 1] of each slot.
* `sentence_valence`: the row's valence in [0, 1]; for rows without one, the documented
  fallback: `"lexicon_mean"` (the mean valence of its rated words) or `"none"`. Rows left with
  no sentence valence get -1 and take no part in the sentence-level loss.

Everything left out or changed is counted in the returned `ReadReport`: rated words cut by
`max_length`, NaN sentence valences, fallback valences, sentences without any valence.

`DataCollatorForSoftMCL` pads, masks with transformers' own `DataCollatorForLanguageModeling`
and pads the valence columns alongside.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from datasets import Dataset, Features, Sequence, Value
from transformers import DataCollatorForLanguageModeling, PreTrainedTokenizerBase

from .errors import ReadReport
from .valence import ValenceLexicon

SENTENCE_FALLBACKS = ("lexicon_mean", "none")
NO_VALENCE = -1.0  # the model's marker for "no rating" (real valences are in [0, 1])


def encode_valence_corpus(
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase,
    lexicon: ValenceLexicon,
    *,
    text_column: str = "text",
    valence_column: str | None = None,
    max_length: int = 128,
    sentence_fallback: str = "lexicon_mean",
) -> tuple[Dataset, ReadReport]:
    """Encode `dataset` for [`SoftMCLForPreTraining`].

    Args:
        dataset (`Dataset`):
            rows with `text_column` and, optionally, sentence valences in [0, 1] (NaN or
            missing means unrated).
        valence_column (`str`, *optional*):
            the column of sentence valences; by default `"valence"` when the dataset
            has one (none otherwise). A column named here must exist.
        tokenizer (`PreTrainedTokenizerBase`):
            a fast tokenizer (its `word_ids` and offsets define the words).
        lexicon (`ValenceLexicon`):
            the word valences.
        max_length (`int`, *optional*, defaults to `128`):
            truncation length.
        sentence_fallback (`str`, *optional*, defaults to `"lexicon_mean"`):
            `"lexicon_mean"` or `"none"` (see the module docstring).

    Returns:
        The encoded dataset (`input_ids`, `attention_mask`, [`token_type_ids`],
        `special_tokens_mask`, `word_index`, `word_valence`, `sentence_valence`) and the report.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("encode_valence_corpus needs a fast tokenizer (it reads word_ids and offsets).")
    if sentence_fallback not in SENTENCE_FALLBACKS:
        raise ValueError(f"sentence_fallback must be one of {SENTENCE_FALLBACKS}, got {sentence_fallback!r}.")
    if text_column not in dataset.column_names:
        raise ValueError(f"encode_valence_corpus: no column {text_column!r} (columns: {dataset.column_names}).")
    if valence_column is None:
        valence_column = "valence" if "valence" in dataset.column_names else None
    elif valence_column not in dataset.column_names:
        raise ValueError(f"encode_valence_corpus: no column {valence_column!r} (columns: {dataset.column_names}).")
    has_valence = valence_column is not None
    report = ReadReport()
    columns: dict[str, list[Any]] = {}
    for start in range(0, len(dataset), 1000):
        rows = dataset[start : start + 1000]
        texts = rows[text_column]
        encoded = tokenizer(
            texts,
            truncation=True,
            max_length=max_length,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
        )
        # Words are read from the untruncated text, so that a word cut by truncation is neither
        # looked up by its remaining pieces nor kept.
        full = tokenizer(texts, return_offsets_mapping=True)
        valences = rows[valence_column] if has_valence else [None] * len(texts)
        for i, text in enumerate(texts):
            ratings, pieces = _rated_words(text, full.word_ids(i), full["offset_mapping"][i], lexicon)
            word_index, word_valence = _word_slots(encoded.word_ids(i), ratings, pieces)
            report.add("rated words cut by max_length", len(ratings) - len(word_valence))
            try:
                sentence = _sentence_valence(valences[i], word_valence, sentence_fallback, report)
            except ValueError as error:
                raise ValueError(
                    f"encode_valence_corpus: row {start + i}, column {valence_column!r}: {error}"
                ) from None
            for name in encoded:
                if name != "offset_mapping":
                    columns.setdefault(name, []).append(encoded[name][i])
            columns.setdefault("word_index", []).append(word_index)
            columns.setdefault("word_valence", []).append(word_valence)
            columns.setdefault("sentence_valence", []).append(sentence)
    features = Features(
        {
            **{
                name: Sequence(Value("int8" if name.endswith("mask") else "int32"))
                for name in columns
                if name not in ("word_index", "word_valence", "sentence_valence")
            },
            "word_index": Sequence(Value("int16")),
            "word_valence": Sequence(Value("float32")),
            "sentence_valence": Value("float32"),
        }
    )  # fmt: skip
    return Dataset.from_dict(columns, features=features), report


def _rated_words(
    text: str,
    word_ids: list[int | None],
    offsets: list[tuple[int, int]],
    lexicon: ValenceLexicon,
) -> tuple[dict[int, float], dict[int, int]]:
    """The valence of every rated word (by word id) of one untruncated encoding, and the number
    of pieces of every word."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    pieces: dict[int, int] = {}
    for token, word in enumerate(word_ids):
        if word is not None:
            first.setdefault(word, token)
            last[word] = token
            pieces[word] = pieces.get(word, 0) + 1
    ratings = {}
    for word, token in first.items():
        valence = lexicon.get(text[offsets[token][0] : offsets[last[word]][1]])
        if valence is not None:
            ratings[word] = valence
    return ratings, pieces


def _word_slots(
    word_ids: list[int | None], ratings: dict[int, float], pieces: dict[int, int]
) -> tuple[list[int], list[float]]:
    """Per-token slots and per-slot valences of one (truncated) encoding; only rated words with
    all their pieces present get a slot."""
    present: dict[int, int] = {}
    for word in word_ids:
        if word is not None:
            present[word] = present.get(word, 0) + 1
    slot = {}
    for word in present:
        if word in ratings and present[word] == pieces[word]:
            slot[word] = len(slot)
    word_index = [slot.get(word, -1) if word is not None else -1 for word in word_ids]
    return word_index, [ratings[word] for word in slot]


def _sentence_valence(value: Any, word_valence: list[float], fallback: str, report: ReadReport) -> float:
    if value is not None and not (isinstance(value, float) and math.isnan(value)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(
                f"sentence valence {value} is outside [0, 1]: rescale it first (see hf_sentiment.data.valence.rescale)."
            )
        return float(value)
    if value is not None:
        report.add("NaN sentence valences (treated as unrated)")
    if fallback == "lexicon_mean" and word_valence:
        report.add("sentence valences from the lexicon mean of their words")
        return sum(word_valence) / len(word_valence)
    report.add("sentences without a sentence valence (word level only)")
    return NO_VALENCE


@dataclass
class DataCollatorForSoftMCL:
    """Pads a batch of [`encode_valence_corpus`] rows, masks it for MLM (transformers'
    `DataCollatorForLanguageModeling`: 80/10/10 on `mlm_probability` of the tokens) and pads the
    valence columns: `word_index` with -1 to the batch length, `word_valence` with -1 to the most
    rated words of any row.

    With `seed` set (the default), the masks are a function of `seed` and the batch's token ids
    alone, so a batch is masked the same wherever and whenever it is collated: a resumed run
    masks exactly as an uninterrupted one, although dataloaders collate ahead of the step (and
    ahead of the RNG snapshot in a checkpoint). A sentence still gets new masks whenever it lands
    in a different batch, which a shuffling sampler makes every epoch. `seed=None` draws from
    torch's global RNG instead.

    Example:

    ```python
    >>> collator = DataCollatorForSoftMCL(tokenizer, mlm_probability=0.15)
    >>> batch = collator([encoded[0], encoded[1]])
    >>> sorted(batch)  # doctest: +SKIP
    ['attention_mask', 'input_ids', 'labels', 'sentence_valence', 'word_index', 'word_valence']
    ```
    """

    tokenizer: PreTrainedTokenizerBase
    mlm_probability: float = 0.15
    pad_to_multiple_of: int | None = None
    seed: int | None = 0

    def _batch_seed(self, features: list[dict[str, Any]]) -> int:
        digest = hashlib.blake2b(str(self.seed).encode(), digest_size=8)
        for feature in features:
            digest.update(np.asarray(feature["input_ids"], dtype=np.int64).tobytes())
            digest.update(b"|")
        return int.from_bytes(digest.digest(), "little") >> 1

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        extra = ("word_index", "word_valence", "sentence_valence")
        for name in extra:
            if any(name not in feature for feature in features):
                raise ValueError(
                    f"DataCollatorForSoftMCL: a row lacks {name!r}; encode rows with encode_valence_corpus."
                )
        masker = DataCollatorForLanguageModeling(
            self.tokenizer, mlm_probability=self.mlm_probability, pad_to_multiple_of=self.pad_to_multiple_of
        )
        plain = [{k: v for k, v in feature.items() if k not in extra} for feature in features]
        if self.seed is None:
            batch = masker(plain)
        else:
            # A private RNG stream seeded by the batch itself: the same masks in any process, any
            # dataloader worker and after any resume, and the global RNG left untouched.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self._batch_seed(features))
                batch = masker(plain)
        length = batch["input_ids"].shape[1]
        left = self.tokenizer.padding_side == "left"
        word_index = torch.full((len(features), length), -1, dtype=torch.long)
        slots = max(1, max(len(feature["word_valence"]) for feature in features))
        word_valence = torch.full((len(features), slots), NO_VALENCE)
        for row, feature in enumerate(features):
            index = torch.as_tensor(feature["word_index"], dtype=torch.long)
            if left:
                word_index[row, length - len(index) :] = index
            else:
                word_index[row, : len(index)] = index
            word_valence[row, : len(feature["word_valence"])] = torch.as_tensor(feature["word_valence"])
        batch["word_index"] = word_index
        batch["word_valence"] = word_valence
        batch["sentence_valence"] = torch.tensor([float(f["sentence_valence"]) for f in features])
        return batch


__all__ = ["SENTENCE_FALLBACKS", "DataCollatorForSoftMCL", "encode_valence_corpus"]
