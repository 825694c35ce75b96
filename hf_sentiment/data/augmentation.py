"""Token-level augmentation: a second view of each sentence for contrastive training.

An augmenter is any callable with the `TextAugmenter` signature:

```python
augmenter(input_ids: list[int], special_tokens_mask: list[int], rng: random.Random) -> list[int]
```

It gets one tokenised sequence (special tokens included, marked with 1 in
`special_tokens_mask`) and returns a new list of ids. The built-in ones follow
two rules:

* special tokens (`[CLS]`, `[SEP]`, padding, ...) are never changed, moved
  or deleted, so they keep their order;
* at least one real token is left as it was, so the view never loses all of
  its content (a sequence without real tokens comes back unchanged).

Built in:

* `RandomTokenMasking`: replace real tokens by the mask token;
* `RandomTokenDeletion`: delete real tokens;
* `RandomTokenSwap`: swap the positions of pairs of real tokens;
* `SynonymReplacement`: replace whole words by a WordNet synonym (the view of
  the label-aware contrastive loss's official code).

The first three act on the tokenizer's ids, i.e. on sub-word pieces, not whole
words; `SynonymReplacement` decodes, replaces words and re-encodes.
`DataCollatorWithAugmentedView` pads a batch like `DataCollatorWithPadding`
and adds the augmented view (`augmented_input_ids`, ...) built from each row.
"""

from __future__ import annotations

import abc
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TypeVar

import torch
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from transformers import PreTrainedTokenizerBase
from transformers.data.data_collator import pad_without_fast_tokenizer_warning

from .wordnet import WordNetSynonyms

__all__ = [
    "DataCollatorWithAugmentedView",
    "RandomTokenDeletion",
    "RandomTokenMasking",
    "RandomTokenSwap",
    "SynonymReplacement",
    "TextAugmenter",
]

T = TypeVar("T")
_TOKEN_KEYS = ("input_ids", "attention_mask", "token_type_ids")
_LABEL_KEYS = ("label", "labels", "label_ids")


def _check_probability(probability: float) -> float:
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {probability}")
    return float(probability)


class TextAugmenter(abc.ABC):
    """Base class of the token-level augmenters (subclass it, or pass any callable of this shape).

    Subclasses implement `augment`; `__call__` checks the input and hands
    over the positions of the real (non-special) tokens.

    Example:
        >>> class Reverse(TextAugmenter):
        ...     def augment(self, input_ids, real_positions, rng):
        ...         ids = list(input_ids)
        ...         for position, token in zip(real_positions, reversed([ids[p] for p in real_positions])):
        ...             ids[position] = token
        ...         return ids
        >>> Reverse()([101, 1, 2, 3, 102], [1, 0, 0, 0, 1], random.Random(0))
        [101, 3, 2, 1, 102]
    """

    def __call__(
        self,
        input_ids: Sequence[int],
        special_tokens_mask: Sequence[int],
        rng: random.Random,
    ) -> list[int]:
        """Return an augmented copy of `input_ids` (the input is not changed).

        Args:
            input_ids (`Sequence[int]`):
                One tokenised sequence, special tokens included.
            special_tokens_mask (`Sequence[int]`):
                1 for a special token, 0 for a real one; same length.
            rng (`random.Random`):
                The source of randomness (pass a seeded one for reproducible views).
        """
        if len(input_ids) != len(special_tokens_mask):
            raise ValueError(
                f"input_ids has {len(input_ids)} tokens but special_tokens_mask has {len(special_tokens_mask)}"
            )
        real_positions = [position for position, special in enumerate(special_tokens_mask) if not special]
        if not real_positions:
            return list(input_ids)
        return self.augment(list(input_ids), real_positions, rng)

    @abc.abstractmethod
    def augment(self, input_ids: list[int], real_positions: list[int], rng: random.Random) -> list[int]:
        """Augment `input_ids` (a copy, may be changed in place); `real_positions` is not empty."""


def _pick(real_positions: list[T], probability: float, rng: random.Random, out_of: int | None = None) -> set[T]:
    """Each position with `probability`, but never all `out_of` real items (default: all the
    positions given): if every one is drawn, one is spared at random."""
    chosen = [position for position in real_positions if rng.random() < probability]
    if chosen and len(chosen) == (len(real_positions) if out_of is None else out_of):
        chosen.remove(rng.choice(chosen))
    return set(chosen)


@dataclass
class RandomTokenMasking(TextAugmenter):
    """Replace each real token by `mask_token_id` with `probability`.

    If every real token is drawn, one of them (chosen at random) keeps its id.

    Example:
        >>> masking = RandomTokenMasking(probability=1.0, mask_token_id=103)
        >>> masking([101, 7592, 2088, 102], [1, 0, 0, 1], random.Random(0))
        [101, 103, 2088, 102]
    """

    probability: float
    mask_token_id: int

    def __post_init__(self) -> None:
        self.probability = _check_probability(self.probability)
        # A tokenizer without a mask token gives None, which would only fail later, in padding.
        if not isinstance(self.mask_token_id, int) or isinstance(self.mask_token_id, bool):
            raise TypeError(
                f"mask_token_id must be a token id (int), got {self.mask_token_id!r} (None: the tokenizer has no "
                "mask token; use deletion, swap or synonym views instead)"
            )

    def augment(self, input_ids: list[int], real_positions: list[int], rng: random.Random) -> list[int]:
        for position in _pick(real_positions, self.probability, rng):
            input_ids[position] = self.mask_token_id
        return input_ids


@dataclass
class RandomTokenDeletion(TextAugmenter):
    """Delete each real token with `probability`; at least one real token is kept.

    Example:
        >>> deletion = RandomTokenDeletion(probability=1.0)
        >>> deletion([101, 7592, 2088, 102], [1, 0, 0, 1], random.Random(0))
        [101, 2088, 102]
    """

    probability: float

    def __post_init__(self) -> None:
        self.probability = _check_probability(self.probability)

    def augment(self, input_ids: list[int], real_positions: list[int], rng: random.Random) -> list[int]:
        deleted = _pick(real_positions, self.probability, rng)
        return [token for position, token in enumerate(input_ids) if position not in deleted]


@dataclass
class RandomTokenSwap(TextAugmenter):
    """Swap real tokens pairwise; special tokens stay where they are.

    Give exactly one of:

    * `n_swaps`: that many swaps of two real positions drawn at random (as in
      EDA's random swap);
    * `probability`: each real position, in turn, is swapped with another
      real position drawn at random with that probability.

    A sequence with fewer than two real tokens comes back unchanged.

    Example:
        >>> swap = RandomTokenSwap(n_swaps=1)
        >>> swap([101, 1, 2, 102], [1, 0, 0, 1], random.Random(0))
        [101, 2, 1, 102]
    """

    n_swaps: int | None = None
    probability: float | None = None

    def __post_init__(self) -> None:
        if (self.n_swaps is None) == (self.probability is None):
            raise ValueError("give exactly one of n_swaps and probability")
        n_swaps = self.n_swaps
        if n_swaps is not None and (isinstance(n_swaps, bool) or not isinstance(n_swaps, int) or n_swaps < 0):
            raise ValueError(f"n_swaps must be an integer >= 0, got {self.n_swaps!r}")
        if self.probability is not None:
            self.probability = _check_probability(self.probability)

    def augment(self, input_ids: list[int], real_positions: list[int], rng: random.Random) -> list[int]:
        if len(real_positions) < 2:
            return input_ids
        if self.n_swaps is not None:
            pairs = [rng.sample(real_positions, 2) for _ in range(self.n_swaps)]
        else:
            pairs = []
            for position in real_positions:
                if rng.random() < self.probability:
                    other = rng.choice([p for p in real_positions if p != position])
                    pairs.append([position, other])
        for first, second in pairs:
            input_ids[first], input_ids[second] = input_ids[second], input_ids[first]
        return input_ids


_WORD = re.compile(r"^(\W*)(.*?)(\W*)$")


@dataclass
class SynonymReplacement(TextAugmenter):
    """Replace each word that has synonyms by a random one of them with `probability`.

    EDA's synonym replacement, which the label-aware contrastive loss's official code uses for its
    second view. It works on whole words: each run of real tokens between special tokens is decoded
    with `tokenizer`, split on whitespace, and re-encoded (without special tokens) only if a word
    in it was replaced, so a run left alone keeps its exact ids. Punctuation around a word stays; a
    capitalised word gets a capitalised synonym.

    Never replaced: words in `stop_words` (WordNet lists "in" as indium and "a" as vitamin A),
    words of fewer than 3 letters or not all letters (a WordPiece decode leaves contractions as
    "it ' s", and WordNet reads "s" as a second or sulfur) and words without synonyms. At least
    `min_words` words are replaced where the sentence has that many candidates (EDA replaces
    `max(1, α·words)`, so every sentence with a candidate changes; at 0.1 per word alone, two
    thirds of short GoEmotions comments would come back unchanged). If
    every word of the sequence is drawn, one is spared, so the view always keeps part of the
    original. A view that would grow past the tokenizer's `model_max_length` (when the original
    fits) comes back unchanged instead.

    Args:
        tokenizer (`PreTrainedTokenizerBase`):
            Decodes and re-encodes the words.
        probability (`float`, *optional*, defaults to `0.1`):
            Probability of replacement per candidate word (0.1 by default; EDA's α_sr
            is a share of *all* words, so at the same value this view changes fewer words).
        min_words (`int`, *optional*, defaults to `1`):
            Words replaced at the least, drawn at random among the candidates (1 by default).
        synonyms (`Mapping[str, Sequence[str]]`, *optional*):
            `word -> synonyms` (lower-case keys); defaults to `WordNetSynonyms` (WordNet
            3.0 from the `hf-sentiment[synonyms]` extra, read in 1-3 s).
        stop_words (`frozenset[str]`, *optional*, defaults to `ENGLISH_STOP_WORDS`):
            Lower-case words never replaced; defaults to scikit-learn's English list.

    Example:
        >>> replace = SynonymReplacement(tokenizer, probability=1.0, synonyms={"film": ["movie"]})  # doctest: +SKIP
        >>> ids = tokenizer("a great film")["input_ids"]  # doctest: +SKIP
        >>> tokenizer.decode(replace(ids, [1, 0, 0, 0, 1], random.Random(0)))  # doctest: +SKIP
        '[CLS] a great movie [SEP]'
    """

    tokenizer: PreTrainedTokenizerBase
    probability: float = 0.1
    min_words: int = 1
    synonyms: Mapping[str, Sequence[str]] | None = None
    stop_words: frozenset[str] = ENGLISH_STOP_WORDS

    def __post_init__(self) -> None:
        self.probability = _check_probability(self.probability)
        if isinstance(self.min_words, bool) or not isinstance(self.min_words, int) or self.min_words < 0:
            raise ValueError(f"min_words must be an integer >= 0, got {self.min_words!r}")
        if self.synonyms is None:
            self.synonyms = WordNetSynonyms()

    def augment(self, input_ids: list[int], real_positions: list[int], rng: random.Random) -> list[int]:
        runs = _runs(real_positions)
        words = [self.tokenizer.decode([input_ids[p] for p in run]).split() for run in runs]
        candidates = [
            (r, w)
            for r, run_words in enumerate(words)
            for w, word in enumerate(run_words)
            if len(core := _WORD.match(word).group(2).lower()) >= 3
            and core.isalpha()
            and core not in self.stop_words
            and self.synonyms.get(core)
        ]
        total = sum(map(len, words))
        chosen = _pick(candidates, self.probability, rng, out_of=total)
        left = [candidate for candidate in candidates if candidate not in chosen]
        while len(chosen) < min(self.min_words, total - 1) and left:
            chosen.add(left.pop(rng.randrange(len(left))))
        if not chosen:
            return input_ids
        for r, w in sorted(chosen):
            before, core, after = _WORD.match(words[r][w]).groups()
            synonym = rng.choice(sorted(self.synonyms[core.lower()]))
            if core[:1].isupper():
                synonym = synonym[:1].upper() + synonym[1:]
            words[r][w] = before + synonym + after
        changed_runs = {r for r, _ in chosen}
        augmented, previous = [], 0
        for r, run in enumerate(runs):
            augmented += input_ids[previous : run[0]]
            if r in changed_runs:
                augmented += self.tokenizer(" ".join(words[r]), add_special_tokens=False)["input_ids"]
            else:
                augmented += input_ids[run[0] : run[-1] + 1]
            previous = run[-1] + 1
        augmented += input_ids[previous:]
        limit = self.tokenizer.model_max_length
        if len(augmented) > max(len(input_ids), limit if limit < 1_000_000 else len(augmented)):
            return input_ids
        return augmented


def _runs(positions: list[int]) -> list[list[int]]:
    """Split sorted positions into runs of consecutive ones: [1, 2, 5, 6] -> [[1, 2], [5, 6]]."""
    runs: list[list[int]] = []
    for position in positions:
        if runs and position == runs[-1][-1] + 1:
            runs[-1].append(position)
        else:
            runs.append([position])
    return runs


def _augmented_token_type_ids(
    input_ids: list[int],
    special_tokens_mask: list[int],
    token_type_ids: list[int],
    augmented: list[int],
) -> list[int]:
    """Token type ids for `augmented`, derived from the original's.

    Special tokens where they were (masking, swapping): the original ids
    position by position. Otherwise (deletion, or synonyms that lengthen one
    segment and shorten another): a special token keeps its own type
    (augmenters keep special tokens in order) and a real token takes the type
    of the next special token, which closes its segment
    (`[CLS] A [SEP] B [SEP]`); after the last special token, the type of the
    original's last token.
    """
    if len(augmented) == len(input_ids) and all(
        augmented[p] == input_ids[p] for p, special in enumerate(special_tokens_mask) if special
    ):
        return list(token_type_ids)
    if len(set(token_type_ids)) <= 1:
        return [token_type_ids[0] if token_type_ids else 0] * len(augmented)
    specials = [(token, token_type_ids[p]) for p, (token, s) in enumerate(zip(input_ids, special_tokens_mask)) if s]
    types: list[int | None] = []
    k = 0
    for token in augmented:
        if k < len(specials) and token == specials[k][0]:
            types.append(specials[k][1])
            k += 1
        else:
            types.append(None)
    result = []
    following = token_type_ids[-1]
    for token_type in reversed(types):
        following = following if token_type is None else token_type
        result.append(following)
    return result[::-1]


@dataclass
class DataCollatorWithAugmentedView:
    """Pad a batch like `DataCollatorWithPadding` and add an augmented view of each row.

    Each feature holds `input_ids` (and optionally `attention_mask`,
    `token_type_ids`, `special_tokens_mask`) and a label under `label`,
    `labels` or `label_ids`; other keys are ignored. The batch has:

    * `input_ids`, `attention_mask` (, `token_type_ids`): padded by the tokenizer;
    * `labels`: a tensor of the labels (when the features have them);
    * `augmented_input_ids`, `augmented_attention_mask` (and
      `augmented_token_type_ids` when the features have token types): each
      row's ids passed through `augmenter`, padded on their own (the two
      views may have different lengths).

    Special tokens come from a `special_tokens_mask` column when there is one
    (it is not passed on to the batch), else from
    `tokenizer.get_special_tokens_mask`. Positions whose `attention_mask` is
    0 (rows padded in advance) are dropped before augmenting.

    Randomness: a `random.Random(seed)` in the main process, so the same seed
    gives the same views for the same batches. In a `DataLoader` worker each
    worker makes its own generator from `seed` and the worker's torch seed,
    so workers do not repeat each other's views.

    Args:
        tokenizer (`PreTrainedTokenizerBase`):
            Pads both views.
        augmenter (`Any`):
            A `TextAugmenter` (or any callable of its shape).
        seed (`int`, *optional*):
            Seed of the generator; `None` for a random one.
        padding, max_length, pad_to_multiple_of: As in `DataCollatorWithPadding`.

    Example:
        >>> collator = DataCollatorWithAugmentedView(
        ...     tokenizer, RandomTokenMasking(0.15, tokenizer.mask_token_id), seed=0)  # doctest: +SKIP
        >>> batch = collator([tokenizer("a great film") | {"label": 1},
        ...                   tokenizer("dull") | {"label": 0}])  # doctest: +SKIP
        >>> sorted(batch)  # doctest: +SKIP
        ['attention_mask', 'augmented_attention_mask', 'augmented_input_ids',
         'augmented_token_type_ids', 'input_ids', 'labels', 'token_type_ids']
    """

    tokenizer: PreTrainedTokenizerBase
    augmenter: Any
    seed: int | None = None
    padding: bool | str = True
    max_length: int | None = None
    pad_to_multiple_of: int | None = None
    _rng: random.Random = dataclass_field(init=False, repr=False)
    _worker_rng: random.Random | None = dataclass_field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _generator(self) -> random.Random:
        worker = torch.utils.data.get_worker_info()
        if worker is None:
            return self._rng
        if self._worker_rng is None:
            self._worker_rng = random.Random(f"{self.seed}:{worker.seed}")
        return self._worker_rng

    def _pad(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        return dict(
            pad_without_fast_tokenizer_warning(
                self.tokenizer,
                rows,
                padding=self.padding,
                max_length=self.max_length,
                pad_to_multiple_of=self.pad_to_multiple_of,
                return_tensors="pt",
            )
        )

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        if not features:
            raise ValueError("cannot collate an empty batch")
        token_keys = [key for key in _TOKEN_KEYS if key in features[0]]
        batch = self._pad([{key: feature[key] for key in token_keys} for feature in features])
        label_key = next((key for key in _LABEL_KEYS if key in features[0]), None)
        if label_key is not None:
            labels = [feature[label_key] for feature in features]
            if any(isinstance(label, (list, tuple)) or getattr(label, "ndim", 0) > 0 for label in labels):
                raise ValueError(
                    f"{label_key!r} holds lists (multi-label rows, e.g. GoEmotions read with multi_label='keep'); "
                    "give one class id per example, e.g. read_goemotions(..., multi_label='skip')"
                )
            batch["labels"] = torch.stack(labels) if isinstance(labels[0], torch.Tensor) else torch.tensor(labels)
        rng = self._generator()
        has_types = "token_type_ids" in features[0]
        views = []
        for feature in features:
            ids, special, types = self._unpadded(feature, has_types)
            augmented = list(self.augmenter(ids, special, rng))
            if self.max_length is not None and len(augmented) > max(self.max_length, len(ids)):
                augmented = ids  # a view that grew past max_length (synonyms) could not be padded to it
            view = {"input_ids": augmented, "attention_mask": [1] * len(augmented)}
            if has_types:
                view["token_type_ids"] = _augmented_token_type_ids(ids, special, types, augmented)
            views.append(view)
        for key, value in self._pad(views).items():
            batch[f"augmented_{key}"] = value
        return batch

    def _unpadded(self, feature: dict[str, Any], has_types: bool) -> tuple[list[int], list[int], list[int]]:
        """The row's ids, special-token mask and token types, without positions masked out by attention."""
        ids = [int(token) for token in feature["input_ids"]]
        special = feature.get("special_tokens_mask")
        if special is None:
            special = self.tokenizer.get_special_tokens_mask(ids, already_has_special_tokens=True)
        special = [int(flag) for flag in special]
        types = [int(t) for t in feature["token_type_ids"]] if has_types else [0] * len(ids)
        attention = feature.get("attention_mask")
        if attention is not None:
            keep = [position for position, flag in enumerate(attention) if int(flag)]
            ids, special, types = ([values[p] for p in keep] for values in (ids, special, types))
        return ids, special, types
