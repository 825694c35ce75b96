"""The causal-LM helpers shared by the teachers, the distillation trainer and the SentiBench harness
(`hf_sentiment.causal_lm`), on the tiny random Llama of `tiny_causal_lm`. Label scoring and
generation through the harness are tested in `test_sentibench.py`, the teachers in `test_teachers.py`.
"""

from __future__ import annotations

import logging

import pytest
import torch
from tests.utils.tiny_causal_lm import tiny_causal_lm, tiny_tokenizer

from hf_sentiment.causal_lm import first_label_token_ids, label_token_ids, last_logits, left_pad, with_padding_token

PROMPTS = ["The food was great", "Text: the battery life is excellent but the keyboard feels cheap.", "x"]


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def model(tokenizer):
    return tiny_causal_lm(tokenizer, seed=2)


def test_left_pad_is_the_tokenizers_own_left_padding(tokenizer):
    ids = [tokenizer(prompt)["input_ids"] for prompt in PROMPTS]
    batch = left_pad(tokenizer, ids)
    expected = tokenizer(PROMPTS, padding=True, padding_side="left", return_tensors="pt")
    assert torch.equal(batch["input_ids"], expected["input_ids"])
    assert torch.equal(batch["attention_mask"], expected["attention_mask"])
    assert batch["attention_mask"][2, 0] == 0 and batch["attention_mask"][2, -1] == 1  # padding on the left


def test_last_logits_of_a_padded_batch_equal_each_prompt_alone(model, tokenizer):
    ids = [tokenizer(prompt)["input_ids"] for prompt in PROMPTS]
    batch = left_pad(tokenizer, ids)
    with torch.no_grad():
        logits = last_logits(model, batch["input_ids"], batch["attention_mask"], keep=2)
        assert logits.shape == (3, 2, len(tokenizer)) and logits.dtype == torch.float32
        for row, sequence in enumerate(ids):
            alone = model(torch.tensor([sequence])).logits[0, -1]
            torch.testing.assert_close(logits[row, -1], alone, atol=1e-5, rtol=1e-5)


def test_with_padding_token_copies_instead_of_changing_the_callers_tokenizer(tokenizer, caplog):
    assert with_padding_token(tokenizer) is tokenizer
    no_pad = tiny_tokenizer()
    no_pad.pad_token = None
    with caplog.at_level(logging.WARNING, logger="hf_sentiment.causal_lm"):
        padded = with_padding_token(no_pad)
    assert "no pad token" in caplog.text
    assert padded.pad_token_id == no_pad.eos_token_id and no_pad.pad_token is None
    no_pad.eos_token = None
    with pytest.raises(ValueError, match="neither a pad token nor an eos token"):
        with_padding_token(no_pad)


def test_label_token_ids_after_an_anchor_and_first_tokens(tokenizer):
    labels = ["positive", "negative", "neutral"]
    alone = label_token_ids(tokenizer, labels)
    assert alone == [tokenizer(" " + label, add_special_tokens=False)["input_ids"] for label in labels]
    assert label_token_ids(tokenizer, labels, anchor="Answer:") == alone  # ":" and " positive" do not merge
    assert first_label_token_ids(tokenizer, labels) == [ids[0] for ids in alone]
    with pytest.raises(ValueError, match="share a first token"):
        first_label_token_ids(tokenizer, ["Not Intimate", "Not sure"])
    with pytest.raises(ValueError, match="encodes to no token"):
        label_token_ids(tokenizer, [""], prefix="")
