"""Model cards: every kind renders, parses with huggingface_hub, and its model-index holds exactly
the numbers given; save_for_hub writes the folder the Hub would get."""

from __future__ import annotations

import pytest
from huggingface_hub import ModelCard
from transformers import AutoModelForSequenceClassification, BertConfig

from hf_sentiment import LCLConfig, LCLForSequenceClassification
from hf_sentiment.model_cards import KINDS, CardResult, build_model_card, save_for_hub

RESULTS = [
    CardResult("text-classification", "tweeteval_emotion", "test", "f1", 0.78123, "macro-F1"),
    CardResult("text-classification", "tweeteval_emotion", "test", "accuracy", 0.8034),
]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_and_parses(tmp_path, kind):
    card = build_model_card(
        kind, model_name=f"tiny-{kind}", base_model="sentence-transformers/all-MiniLM-L6-v2",
        datasets={"tweeteval/emotion": "research use"}, hyperparameters={"learning_rate": 5e-5, "epochs": 3},
        results=RESULTS, repo_id=f"me/tiny-{kind}",
    )  # fmt: skip
    card.save(tmp_path / "README.md")
    loaded = ModelCard.load(tmp_path / "README.md")
    assert [(r.metric_type, r.metric_value, r.dataset_split) for r in loaded.data.eval_results] == [
        ("f1", 0.78123, "test"), ("accuracy", 0.8034, "test")
    ]  # fmt: skip
    assert loaded.data.base_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert "hf-sentiment" in loaded.data.tags and loaded.data.pipeline_tag == KINDS[kind]["pipeline_tag"]
    text = loaded.text
    assert "me/tiny-" + kind in text and "trust_remote_code" in text or kind == "distilled"
    assert "| learning_rate | 5e-05 |" in text and "0.7812" in text and "@inproceedings" in text
    assert "{%" not in text and "{{" not in text


def test_card_without_results_says_so():
    card = build_model_card("fckt", model_name="x", base_model=None, datasets={}, hyperparameters={}, results=[])
    assert "No evaluation was run" in card.text and card.data.eval_results is None


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown model kind"):
        build_model_card("bert", model_name="x", base_model=None, datasets={}, hyperparameters={}, results=[])


def test_save_for_hub_writes_model_code_and_card(tmp_path):
    backbone = BertConfig(
        vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37
    )
    model = LCLForSequenceClassification(
        LCLConfig(backbone_config=backbone, id2label={0: "a", 1: "b"}, weighting_network="shared")
    )
    card = build_model_card("lcl", model_name="tiny", base_model=None, datasets={}, hyperparameters={}, results=RESULTS)
    folder = save_for_hub(tmp_path / "out", model, card=card)
    names = {p.name for p in folder.iterdir()}
    assert {"README.md", "config.json", "model.safetensors", "modeling_lcl.py", "configuration_lcl.py"} <= names
    assert ModelCard.load(folder / "README.md").data.eval_results[0].metric_value == 0.78123
    assert isinstance(AutoModelForSequenceClassification.from_pretrained(folder), LCLForSequenceClassification)
