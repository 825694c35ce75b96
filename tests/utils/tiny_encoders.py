"""Tiny BERT encoders sized for the offline MiniLM tokenizer, and a JSON-lines writer, shared by
the tests that train or serve our encoder models."""

from __future__ import annotations

import json
from pathlib import Path

from transformers import BertConfig, PreTrainedTokenizerBase


def tiny_bert_config(tokenizer: PreTrainedTokenizerBase) -> BertConfig:
    """A two-layer, 32-wide BERT configuration with the tokenizer's vocabulary."""
    return BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    """Write `rows` as JSON lines (UTF-8) and return `path`."""
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
