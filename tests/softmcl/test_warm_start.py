"""A fair MLM control (issue 20, item 2): an MLM head warmed up on a frozen encoder
(`--freeze_encoder`), saved as a plain `BertForMaskedLM` folder, and every arm (MLM-only and the
SoftMCL variants) started from that folder with its head."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM, BertModel

from hf_sentiment import (
    SoftMCLConfig,
    SoftMCLForPreTraining,
    SoftMCLTrainer,
    SoftMCLTrainingArguments,
    ValenceLexicon,
    encode_valence_corpus,
)
from hf_sentiment.offline import offline_minilm_path

TEXTS = [
    "The food was wonderful and the staff were friendly.",
    "A horrible, boring film with terrible acting.",
    "I am happy with this unbelievably good laptop.",
    "The battery died and I felt sad and angry.",
    "What a great, lovely surprise!",
    "The service was awful but the view was beautiful.",
] * 2
#: The arms of `benchmarks/softmcl_quality.py` that pre-train, as `SoftMCLConfig` overrides.
ARMS = {
    "mlm": {"word_weight": 0.0, "sentence_weight": 0.0},
    "softmcl": {},
    "softmcl_sharp": {"soft_target_temperature": 0.035},
}
#: The tensors of BERT's MLM head that belong to the head alone (its decoder weight is the word embeddings).
HEAD = {
    "cls.predictions.bias",
    "cls.predictions.transform.dense.weight",
    "cls.predictions.transform.dense.bias",
    "cls.predictions.transform.LayerNorm.weight",
    "cls.predictions.transform.LayerNorm.bias",
}
SMALL = ["--word_queue_size", "8", "--sentence_queue_size", "4", "--projection_dim", "8", "--max_length", "32"]
RUN = ["--per_device_train_batch_size", "4", "--report_to", "none", "--disable_tqdm", "True", "--use_cpu", "True",
       "--save_strategy", "no", "--seed", "0"]  # fmt: skip


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(offline_minilm_path())


def backbone(tokenizer) -> BertConfig:
    return BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37,
    )  # fmt: skip


@pytest.fixture(scope="module")
def mlm_folder(tokenizer, tmp_path_factory):
    """A tiny random `BertForMaskedLM` with the MiniLM tokenizer."""
    folder = tmp_path_factory.mktemp("tiny-bert-mlm")
    torch.manual_seed(0)
    BertForMaskedLM(backbone(tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "texts.txt"
    path.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    return path


def state(folder) -> dict[str, torch.Tensor]:
    return {name: value.clone() for name, value in BertForMaskedLM.from_pretrained(folder).state_dict().items()}


def warm_up(mlm_folder, texts, output, steps: int = 3, learning_rate: str = "1e-2") -> dict:
    from hf_sentiment.cli import train_softmcl

    return train_softmcl.main(
        ["--train_file", str(texts), "--model_name_or_path", str(mlm_folder), "--output_dir", str(output),
         "--lexicon", "vader", "--freeze_encoder", "--word_weight", "0", "--sentence_weight", "0",
         "--max_steps", str(steps), "--learning_rate", learning_rate, *SMALL, *RUN]
    )  # fmt: skip


@pytest.fixture(scope="module")
def warmed(mlm_folder, texts, tmp_path_factory):
    output = tmp_path_factory.mktemp("warm")
    return output, warm_up(mlm_folder, texts, output)


# ------------------------------------------------------------------------ loading a head
def test_a_masked_lm_folder_starts_with_its_head(mlm_folder):
    model, info = SoftMCLForPreTraining.from_pretrained_encoder(mlm_folder, output_loading_info=True, projection_dim=8)
    assert info["missing_head_keys"] == []
    saved = state(mlm_folder)
    for name, value in model.mlm.state_dict().items():
        torch.testing.assert_close(value, saved[name], rtol=0, atol=0, msg=name)
    # The key encoder starts as a copy of the loaded encoder.
    online = model.mlm.base_model.state_dict()
    for name, value in model.key_encoder.state_dict().items():
        torch.testing.assert_close(value, online[name], rtol=0, atol=0, msg=name)


def test_an_encoder_without_a_head_reports_it_missing(tokenizer, tmp_path):
    BertModel(backbone(tokenizer)).save_pretrained(tmp_path)
    _, info = SoftMCLForPreTraining.from_pretrained_encoder(tmp_path, output_loading_info=True, projection_dim=8)
    assert {"cls.predictions.bias", "cls.predictions.transform.dense.weight"} <= set(info["missing_head_keys"])
    # Without the flag the return value is the model alone, as before.
    assert isinstance(SoftMCLForPreTraining.from_pretrained_encoder(tmp_path, projection_dim=8), SoftMCLForPreTraining)


# ------------------------------------------------------------------------ freezing
def test_freeze_encoder_leaves_only_the_heads_trainable(tokenizer):
    model = SoftMCLForPreTraining(SoftMCLConfig(backbone_config=backbone(tokenizer), projection_dim=8))
    trainable = model.freeze_encoder()
    projections = {f"{level}_projection.{i}.{kind}" for level in ("word", "sentence") for i in (0, 2)
                   for kind in ("weight", "bias")}  # fmt: skip
    assert set(trainable) == {f"mlm.{name}" for name in HEAD} | projections
    assert not model.get_output_embeddings().weight.requires_grad  # tied to the frozen embeddings
    assert not any(p.requires_grad for p in model.key_encoder.parameters())


def test_warm_up_trains_the_head_and_leaves_the_encoder_unchanged(mlm_folder, warmed):
    output, metrics = warmed
    assert metrics["freeze_encoder"] is True and metrics["mlm_head"] == "loaded"
    assert metrics["init_checkpoint"] == str(mlm_folder)
    before, after = state(mlm_folder), state(output / "encoder")
    head_size = sum(before[name].numel() for name in HEAD)
    assert metrics["trainable_parameters"] == head_size
    assert before.keys() == after.keys()
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    # Every head tensor moved (the decoder's bias is the head's bias under a second name), nothing else did.
    assert changed == HEAD | {"cls.predictions.decoder.bias"}, changed
    assert torch.equal(after["cls.predictions.decoder.bias"], after["cls.predictions.bias"])
    assert torch.equal(after["cls.predictions.decoder.weight"], after["bert.embeddings.word_embeddings.weight"])


@pytest.mark.parametrize("arm", list(ARMS))
def test_every_arm_starts_from_the_warmed_head(warmed, arm):
    output, _ = warmed
    warm = state(output / "encoder")
    model, info = SoftMCLForPreTraining.from_pretrained_encoder(
        output / "encoder", output_loading_info=True, projection_dim=8, **ARMS[arm]
    )
    assert info["missing_head_keys"] == []
    for name, value in model.mlm.state_dict().items():
        torch.testing.assert_close(value, warm[name], rtol=0, atol=0, msg=name)


def test_a_run_from_the_warm_start_records_it_and_has_its_head_at_step_0(warmed, texts, tmp_path):
    """Through the command line: with a learning rate of 0 one step changes nothing, so the exported
    encoder is the model as it stood at step 0."""
    from hf_sentiment.cli import train_softmcl

    output, _ = warmed
    metrics = train_softmcl.main(
        ["--train_file", str(texts), "--model_name_or_path", str(output / "encoder"), "--output_dir", str(tmp_path),
         "--lexicon", "vader", "--max_steps", "1", "--learning_rate", "0", "--soft_target_temperature", "0.035",
         *SMALL, *RUN]
    )  # fmt: skip
    assert metrics["mlm_head"] == "loaded" and metrics["init_checkpoint"] == str(output / "encoder")
    assert metrics["freeze_encoder"] is False
    warm, start = state(output / "encoder"), state(tmp_path / "encoder")
    for name in warm:
        torch.testing.assert_close(start[name], warm[name], rtol=0, atol=0, msg=name)


def test_a_fresh_head_is_recorded_as_such(tokenizer, texts, tmp_path):
    from hf_sentiment.cli import train_softmcl

    encoder = tmp_path / "encoder-only"
    BertModel(backbone(tokenizer)).save_pretrained(encoder)
    tokenizer.save_pretrained(encoder)
    metrics = train_softmcl.main(
        ["--train_file", str(texts), "--model_name_or_path", str(encoder), "--output_dir", str(tmp_path / "out"),
         "--lexicon", "vader", "--max_steps", "1", *SMALL, *RUN]
    )  # fmt: skip
    assert metrics["mlm_head"] == "fresh" and metrics["freeze_encoder"] is False


# ------------------------------------------------------------------------ exact resume
def test_resume_is_exact_with_a_frozen_encoder(tmp_path, tokenizer, mlm_folder):
    lexicon = ValenceLexicon({"wonderful": 8.2, "horrible": 1.5, "happy": 8.5, "sad": 2.1, "great": 7.8}, scale=(1, 9))
    corpus = encode_valence_corpus(Dataset.from_dict({"text": TEXTS}), tokenizer, lexicon, max_length=32)[0]

    def build():
        torch.manual_seed(0)
        return SoftMCLForPreTraining.from_pretrained_encoder(
            mlm_folder, projection_dim=8, word_queue_size=8, sentence_queue_size=4, momentum=0.9
        )

    def train(folder, max_steps, resume=None):
        model = build()
        model.freeze_encoder()
        args = SoftMCLTrainingArguments(
            str(folder), max_steps=max_steps, per_device_train_batch_size=4, learning_rate=1e-2, save_steps=2,
            report_to="none", disable_tqdm=True, seed=0, use_cpu=True,
        )  # fmt: skip
        SoftMCLTrainer(model=model, args=args, train_dataset=corpus, processing_class=tokenizer).train(
            resume_from_checkpoint=resume
        )
        return model

    straight = train(tmp_path / "straight", 4)
    resumed = train(tmp_path / "resumed", 4, resume=str(tmp_path / "straight" / "checkpoint-2"))
    expected, actual = straight.state_dict(), resumed.state_dict()
    assert expected.keys() == actual.keys()
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], atol=1e-6, rtol=1e-5, msg=name)
    original = state(mlm_folder)
    for name, value in straight.mlm.base_model.state_dict().items():
        torch.testing.assert_close(value, original[f"bert.{name}"], rtol=0, atol=0, msg=name)
    assert not torch.equal(straight.word_projection[0].weight, build().word_projection[0].weight)  # the heads trained
