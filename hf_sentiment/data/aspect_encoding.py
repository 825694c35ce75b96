"""Tokenise targeted-sentiment datasets for FCKT, and pad them into batches.

Input: the schema of `hf_sentiment.data.absa_readers` (`text`, `aspects` with character
`from` / `to`, `term`, `polarity`). Output columns, one row per sentence (all of a sentence's
aspects together, multi-hot boundaries):

- `input_ids`, `attention_mask` (and `token_type_ids` where the tokenizer makes them): `(n,)`;
- `start_candidate_mask`, `end_candidate_mask`: `(n,)` bool, first / last sub-token of each word;
- `aspect_spans`: `(A, 2)` inclusive token spans; `aspect_labels`: `(A,)` polarity ids.

What cannot be encoded is counted in a `ReadReport` and logged, never dropped silently: an aspect
that `max_length` cuts off, and an aspect whose polarity is not one of the model's labels (e.g.
`conflict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from datasets import Dataset, DatasetDict, Features, Sequence, Value
from transformers import PreTrainedTokenizerBase

from ..fckt.alignment import (
    boundary_candidate_masks,
    char_span_to_token_span,
    word_char_spans,
)
from ..fckt.configuration_fckt import IGNORE_INDEX
from ..utils.logging import get_logger
from .absa_readers import ABSA_FEATURES
from .absa_sources import load_absa
from .errors import ReadReport

logger = get_logger(__name__)


def encode_aspects(
    dataset: Dataset | DatasetDict,
    tokenizer: PreTrainedTokenizerBase,
    label2id: Mapping[str, int],
    max_length: int = 128,
    name: str = "dataset",
    one_aspect_per_row: bool = False,
) -> tuple[Dataset | DatasetDict, ReadReport]:
    """Tokenise `dataset` and align every aspect's characters to tokens.

    A dataset that does not come from our readers (its features are not `ABSA_FEATURES`: one you
    built, or one in SetFit's layout) is checked row by row through `load_absa` first, so a row
    that does not fit raises `DataFormatError` naming the row and the field. A `DatasetDict` is
    encoded split by split (one report for all).

    Args:
        dataset: rows with `text` and `aspects` (see the module docstring), or SetFit's layout.
        tokenizer: a *fast* tokenizer (character offsets are needed).
        label2id: polarity name -> class id, usually `model.config.label2id`.
        max_length: longer sentences are truncated; aspects beyond the cut are counted.
        name: how the report names the data in its log line.
        one_aspect_per_row: repeat a sentence once per aspect, each copy with one gold aspect (the
            paper's training layout); sentences without aspects stay one row. Default: one row per
            sentence with all its aspects (multi-hot boundaries).

    Returns:
        The encoded dataset (model columns only) and the report of what was left out.
    """
    if not tokenizer.is_fast:
        raise ValueError("encode_aspects needs a fast tokenizer: it aligns characters through offset mappings.")
    if isinstance(dataset, DatasetDict):
        report, splits = ReadReport(), {}
        for split, part in dataset.items():
            splits[split], split_report = encode_aspects(
                part, tokenizer, label2id, max_length, f"{name} ({split})", one_aspect_per_row
            )
            report.update(split_report)
        return DatasetDict(splits), report
    if dataset.features != ABSA_FEATURES:
        dataset = load_absa(dataset)
    report = ReadReport()
    token_columns = [
        key for key in tokenizer.model_input_names if key in ("input_ids", "attention_mask", "token_type_ids")
    ]

    def encode(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        encoded = tokenizer(
            batch["text"],
            truncation=True,
            max_length=max_length,
            return_offsets_mapping=True,
        )
        # Whole-word spans come from the uncut text, so a word cut by max_length has no end here.
        uncut = tokenizer(
            batch["text"],
            add_special_tokens=False,
            return_offsets_mapping=True,
            verbose=False,
        )
        columns: dict[str, list[Any]] = {
            "start_candidate_mask": [],
            "end_candidate_mask": [],
            "aspect_spans": [],
            "aspect_labels": [],
        }
        for row, aspects in enumerate(batch["aspects"]):
            offsets = encoded["offset_mapping"][row]
            words = word_char_spans([(uncut.word_ids(row), uncut["offset_mapping"][row])])
            starts, ends = boundary_candidate_masks(encoded.word_ids(row), offsets, words)
            columns["start_candidate_mask"].append(starts)
            columns["end_candidate_mask"].append(ends)
            spans, labels = [], []
            for aspect in aspects:
                label = label2id.get(aspect["polarity"])
                if label is None:
                    report.add(f"aspect with polarity '{aspect['polarity']}' not among the labels {sorted(label2id)}")
                    continue
                span = char_span_to_token_span(offsets, aspect["from"], aspect["to"])
                if span is None:
                    report.add(f"aspect cut off by max_length={max_length}")
                    continue
                exact = offsets[span[0]][0] == aspect["from"] and offsets[span[1]][1] == aspect["to"]
                if not (exact and starts[span[0]] and ends[span[1]]):
                    # Kept for training; decoding can only return whole words, so it counts as a
                    # miss at evaluation time.
                    report.add("aspect boundary inside a word (kept)")
                spans.append(list(span))
                labels.append(label)
            columns["aspect_spans"].append(spans)
            columns["aspect_labels"].append(labels)
        rows = {**{key: encoded[key] for key in token_columns}, **columns}
        return _one_aspect_per_row(rows) if one_aspect_per_row else rows

    # Explicit features: a first batch without any aspect must not type the columns as null.
    features = Features(
        {
            **{key: Sequence(Value("int32" if key == "input_ids" else "int8")) for key in token_columns},
            "start_candidate_mask": Sequence(Value("bool")),
            "end_candidate_mask": Sequence(Value("bool")),
            "aspect_spans": Sequence(Sequence(Value("int64"))),
            "aspect_labels": Sequence(Value("int64")),
        }
    )
    # No cache: the report is filled as a side effect of running `encode`.
    encoded = dataset.map(
        encode,
        batched=True,
        remove_columns=dataset.column_names,
        features=features,
        load_from_cache_file=False,
        desc=f"Encoding {name}",
    )
    report.log(logger, name)
    return encoded, report


def _one_aspect_per_row(rows: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Repeat each row once per aspect, keeping only that aspect (rows without aspects stay)."""
    out: dict[str, list[Any]] = {key: [] for key in rows}
    for index, labels in enumerate(rows["aspect_labels"]):
        for aspect in range(len(labels)) or [None]:
            for key, values in rows.items():
                if key in ("aspect_spans", "aspect_labels"):
                    out[key].append([] if aspect is None else [values[index][aspect]])
                else:
                    out[key].append(values[index])
    return out


@dataclass
class DataCollatorForTargetedSentiment:
    """Pads `encode_aspects` rows into a batch.

    Token columns are padded by the tokenizer; candidate masks with `False`; `aspect_spans`
    `(B, A, 2)` and `aspect_labels` `(B, A)` with `-100` up to the batch's largest aspect count.
    """

    tokenizer: PreTrainedTokenizerBase
    pad_to_multiple_of: int | None = None

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        token_keys = [key for key in ("input_ids", "attention_mask", "token_type_ids") if key in features[0]]
        batch = self.tokenizer.pad(
            [{key: f[key] for key in token_keys} for f in features],
            pad_to_multiple_of=self.pad_to_multiple_of,
            return_tensors="pt",
        )
        length = batch["input_ids"].shape[1]
        for key in ("start_candidate_mask", "end_candidate_mask"):
            mask = torch.zeros(len(features), length, dtype=torch.bool)
            for row, feature in enumerate(features):
                mask[row, : len(feature[key])] = torch.tensor(feature[key], dtype=torch.bool)
            batch[key] = mask
        most = max((len(f["aspect_labels"]) for f in features), default=0)
        spans = torch.full((len(features), most, 2), IGNORE_INDEX, dtype=torch.long)
        labels = torch.full((len(features), most), IGNORE_INDEX, dtype=torch.long)
        for row, feature in enumerate(features):
            count = len(feature["aspect_labels"])
            if count:
                spans[row, :count] = torch.tensor(feature["aspect_spans"], dtype=torch.long)
                labels[row, :count] = torch.tensor(feature["aspect_labels"], dtype=torch.long)
        batch["aspect_spans"] = spans
        batch["aspect_labels"] = labels
        return dict(batch)


__all__ = ["DataCollatorForTargetedSentiment", "encode_aspects"]
