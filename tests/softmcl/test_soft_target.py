"""SoftMCL's soft target, linear and exponential (issue 20): the target against direct computations,
the old loss unchanged by default, the informativeness statistic against a hand computation, the
config option (validation, save / load, command line) and its path through the model and a resume."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch
from datasets import Dataset
from torch.nn import functional as F
from transformers import AutoTokenizer, BertConfig

from hf_sentiment import (
    DataCollatorForSoftMCL,
    SoftMCLConfig,
    SoftMCLForPreTraining,
    SoftMCLTrainer,
    SoftMCLTrainingArguments,
    ValenceLexicon,
    encode_valence_corpus,
)
from hf_sentiment.losses import SoftContrastiveLoss, soft_contrastive_loss, soft_target, soft_target_statistics
from hf_sentiment.offline import offline_minilm_path

BACKBONE = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20)


def old_soft_contrastive_loss(queries, query_valence, keys, key_valence, temperature):
    """The loss as it was before the exponential target existed (commit f83d219), verbatim."""
    if queries.shape[0] == 0 or keys.shape[0] == 0:
        return queries.sum() * 0.0
    similarity = 1.0 - (query_valence[:, None] - key_valence[None, :]).abs()
    target = similarity / similarity.sum(-1, keepdim=True).clamp_min(1e-12)
    log_prediction = (queries @ keys.T / temperature).log_softmax(-1)
    return -(target * log_prediction).sum(-1).mean()


def random_batch(seed: int, n: int = 5, m: int = 11, p: int = 8):
    generator = torch.Generator().manual_seed(seed)
    queries = F.normalize(torch.randn(n, p, generator=generator), dim=-1)
    keys = F.normalize(torch.randn(m, p, generator=generator), dim=-1)
    return queries, torch.rand(n, generator=generator), keys, torch.rand(m, generator=generator)


# ----------------------------------------------------------------------------- the target
@pytest.mark.parametrize("t", [0.01, 0.05, 0.3, 2.0])
def test_exponential_target_is_a_softmax_of_minus_distance_over_t(t):
    _, query_valence, _, key_valence = random_batch(0)
    got = soft_target(query_valence, key_valence, t)
    for i, v in enumerate(query_valence.tolist()):
        weights = [math.exp(-abs(v - w) / t) for w in key_valence.tolist()]
        expected = torch.tensor([w / sum(weights) for w in weights])
        torch.testing.assert_close(got[i], expected)
    torch.testing.assert_close(got.sum(-1), torch.ones(len(query_valence)))


def test_linear_target_is_one_minus_distance_normalised():
    _, query_valence, _, key_valence = random_batch(1)
    got = soft_target(query_valence, key_valence)
    for i, v in enumerate(query_valence.tolist()):
        weights = [1 - abs(v - w) for w in key_valence.tolist()]
        torch.testing.assert_close(got[i], torch.tensor([w / sum(weights) for w in weights]))
    torch.testing.assert_close(got.sum(-1), torch.ones(len(query_valence)))


@pytest.mark.parametrize("t", [None, 0.05])
def test_leading_dimensions_are_separate_query_sets(t):
    query_valence, key_valence = torch.rand(3, 4), torch.rand(3, 9)
    got = soft_target(query_valence, key_valence, t)
    assert got.shape == (3, 4, 9)
    for s in range(3):
        torch.testing.assert_close(got[s], soft_target(query_valence[s], key_valence[s], t))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_target_temperature_gives_the_old_loss_exactly(seed):
    queries, query_valence, keys, key_valence = random_batch(seed)
    old = old_soft_contrastive_loss(queries, query_valence, keys, key_valence, 0.07)
    assert torch.equal(soft_contrastive_loss(queries, query_valence, keys, key_valence, 0.07), old)
    assert torch.equal(soft_contrastive_loss(queries, query_valence, keys, key_valence, 0.07, None), old)
    assert torch.equal(SoftContrastiveLoss(0.07)(queries, query_valence, keys, key_valence), old)


def test_exponential_loss_is_the_cross_entropy_to_the_exponential_target():
    queries, query_valence, keys, key_valence = random_batch(3)
    target = soft_target(query_valence, key_valence, 0.05)
    expected = -(target * (queries @ keys.T / 0.07).log_softmax(-1)).sum(-1).mean()
    got = SoftContrastiveLoss(0.07, target_temperature=0.05)(queries, query_valence, keys, key_valence)
    torch.testing.assert_close(got, expected)
    assert torch.equal(got, soft_contrastive_loss(queries, query_valence, keys, key_valence, 0.07, 0.05))
    assert not torch.allclose(got, old_soft_contrastive_loss(queries, query_valence, keys, key_valence, 0.07))


def test_a_smaller_target_temperature_gives_a_larger_kl_to_uniform():
    query_valence, key_valence = torch.rand(64, generator=torch.Generator().manual_seed(0)), torch.rand(500)
    kls = [soft_target_statistics(query_valence, key_valence, t)["kl_to_uniform"] for t in (0.01, 0.02, 0.05, 0.1, 0.5)]
    assert all(a > b for a, b in itertools.pairwise(kls)), kls
    assert kls[-1] > 0


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, float("nan"), True])
def test_loss_functions_reject_a_bad_target_temperature(bad):
    queries, query_valence, keys, key_valence = random_batch(0)
    with pytest.raises(ValueError, match="target_temperature"):
        SoftContrastiveLoss(0.07, target_temperature=bad)
    with pytest.raises(ValueError, match="target_temperature"):
        soft_contrastive_loss(queries, query_valence, keys, key_valence, 0.07, bad)
    with pytest.raises(ValueError, match="target_temperature"):
        soft_target(query_valence, key_valence, bad)


# ----------------------------------------------------------------------------- the statistic
def test_statistics_of_a_hand_made_example():
    # Keys 0, 0.5, 1. Query 0.5: linear weights 0.5, 1, 0.5 -> (1/4, 1/2, 1/4), max/min 2.
    # Query 0.25: 0.75, 0.75, 0.25 -> (3/7, 3/7, 1/7), max/min 3. Query 0.4: 0.6, 0.9, 0.4 -> (6/19, 9/19, 4/19), 9/4.
    keys = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)
    stats = soft_target_statistics(torch.tensor([0.5, 0.25, 0.4], dtype=torch.float64), keys)
    rows = [(1 / 4, 1 / 2, 1 / 4), (3 / 7, 3 / 7, 1 / 7), (6 / 19, 9 / 19, 4 / 19)]
    entropies = [-sum(q * math.log(q) for q in row) for row in rows]
    assert stats["entropy"] == pytest.approx(sum(entropies) / 3, rel=1e-12)
    assert stats["kl_to_uniform"] == pytest.approx(math.log(3) - sum(entropies) / 3, rel=1e-12)
    assert stats["max_min_ratio"] == pytest.approx(9 / 4, rel=1e-12)  # the median of 2, 3 and 9/4
    assert (stats["num_queries"], stats["num_keys"]) == (3, 3)
    # First row by the definition: KL(q || u) = sum q log(M q) = (1/2) log(3/4) + (1/2) log(3/2) = log(3) - (3/2) log 2.
    first = soft_target_statistics(torch.tensor([0.5], dtype=torch.float64), keys)
    assert first["kl_to_uniform"] == pytest.approx(math.log(3) - 1.5 * math.log(2), rel=1e-12)


def test_statistics_of_the_exponential_target_by_hand():
    # t = 1 / (2 log 2): exp(-0.5 / t) = 1/2, so query 0.5 over keys 0, 0.5, 1 weighs (1/2, 1, 1/2): the
    # linear row above. Query 0 weighs (1, 1/2, 1/4) -> (4/7, 2/7, 1/7), max/min 4.
    t = 1 / (2 * math.log(2))
    keys = torch.tensor([0.0, 0.5, 1.0])
    assert soft_target_statistics(torch.tensor([0.5]), keys, t)["kl_to_uniform"] == pytest.approx(
        math.log(3) - 1.5 * math.log(2), rel=1e-12
    )
    row = (4 / 7, 2 / 7, 1 / 7)
    stats = soft_target_statistics(torch.tensor([0.0]), keys, t)
    assert stats["entropy"] == pytest.approx(-sum(q * math.log(q) for q in row), rel=1e-12)
    assert stats["max_min_ratio"] == pytest.approx(4.0, rel=1e-12)


def test_uniform_valences_give_a_uniform_target():
    stats = soft_target_statistics(torch.full((4,), 0.3), torch.full((10,), 0.3), 0.05)
    assert stats["kl_to_uniform"] == pytest.approx(0.0, abs=1e-12)
    assert stats["entropy"] == pytest.approx(math.log(10), rel=1e-12)
    assert stats["max_min_ratio"] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- the config option
@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True])
def test_config_rejects_a_bad_soft_target_temperature(bad):
    with pytest.raises(ValueError, match="SoftMCLConfig: soft_target_temperature must be > 0"):
        SoftMCLConfig(backbone_config=BACKBONE, soft_target_temperature=bad)


def test_config_round_trips_the_soft_target_temperature(tmp_path):
    assert SoftMCLConfig(backbone_config=BACKBONE).soft_target_temperature is None
    config = SoftMCLConfig(backbone_config=BACKBONE, soft_target_temperature=0.035)
    assert config.to_dict()["soft_target_temperature"] == 0.035
    assert SoftMCLConfig.from_dict(config.to_dict()).soft_target_temperature == 0.035
    config.save_pretrained(tmp_path / "sharp")
    assert json.loads((tmp_path / "sharp" / "config.json").read_text())["soft_target_temperature"] == 0.035
    assert SoftMCLConfig.from_pretrained(tmp_path / "sharp").soft_target_temperature == 0.035
    # A folder saved before the option existed has no such key: it loads with the linear target.
    SoftMCLConfig(backbone_config=BACKBONE).save_pretrained(tmp_path / "old")
    saved = json.loads((tmp_path / "old" / "config.json").read_text())
    saved.pop("soft_target_temperature", None)
    (tmp_path / "old" / "config.json").write_text(json.dumps(saved))
    assert SoftMCLConfig.from_pretrained(tmp_path / "old").soft_target_temperature is None


def test_command_line_option_reaches_the_config():
    from hf_sentiment.cli import train_softmcl

    parser = train_softmcl.build_parser()
    _, given, *_ = parser.parse_args_into_dataclasses(["--output_dir", "x", "--soft_target_temperature", "0.035"])
    assert train_softmcl.config_kwargs(given) == {"soft_target_temperature": 0.035}
    _, absent, *_ = parser.parse_args_into_dataclasses(["--output_dir", "x"])
    assert "soft_target_temperature" not in train_softmcl.config_kwargs(absent)


# ----------------------------------------------------------------------------- through the model
@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(offline_minilm_path())


@pytest.fixture(scope="module")
def corpus(tokenizer) -> Dataset:
    lexicon = ValenceLexicon(
        {"good": 7.9, "bad": 2.1, "great": 7.8, "awful": 1.9, "table": 5.2, "happy": 8.5, "sad": 2.1}, scale=(1, 9)
    )
    texts = ["A good table.", "An awful, sad day.", "What a great time!", "Bad food, happy staff.",
             "Just a table.", "Sad but good.", "Great and happy.", "Awful table."]  # fmt: skip
    data = Dataset.from_dict({"text": texts, "valence": [0.8, 0.1, 0.9, 0.5, None, 0.4, 0.95, 0.2]})
    return encode_valence_corpus(data, tokenizer, lexicon, max_length=16)[0]


def tiny(vocab_size: int, **kwargs) -> SoftMCLForPreTraining:
    backbone = BertConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37
    )
    kwargs = {"word_queue_size": 16, "sentence_queue_size": 8, "projection_dim": 8, **kwargs}
    return SoftMCLForPreTraining(SoftMCLConfig(backbone_config=backbone, **kwargs))


@pytest.mark.parametrize("t", [None, 0.05])
def test_the_model_uses_the_configured_target(corpus, tokenizer, t):
    torch.manual_seed(0)
    model = tiny(tokenizer.vocab_size, soft_target_temperature=t).eval()
    # At initialisation the projections are nearly constant and p nearly uniform, whatever the target:
    # larger weights make the two targets give different losses.
    for parameter in [*model.sentence_projection.parameters(), *model.key_sentence_projection.parameters()]:
        torch.nn.init.normal_(parameter)
    batch = DataCollatorForSoftMCL(tokenizer)([corpus[i] for i in range(8)])
    with torch.no_grad():
        out = model(**batch)
        key_ids = torch.where(batch["labels"] != -100, batch["labels"], batch["input_ids"])
        hidden = model.mlm.base_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        key_hidden = model.key_encoder(input_ids=key_ids, attention_mask=batch["attention_mask"])
        rated = batch["sentence_valence"] >= 0
        queries = F.normalize(model.sentence_projection(hidden.last_hidden_state[rated, 0]), dim=-1)
        keys = F.normalize(model.key_sentence_projection(key_hidden.last_hidden_state[rated, 0]), dim=-1)
        valence = batch["sentence_valence"][rated]
        direct = -(soft_target(valence, valence, t) * (queries @ keys.T / 0.07).log_softmax(-1)).sum(-1).mean()
        other = soft_contrastive_loss(queries, valence, keys, valence, 0.07, 0.05 if t is None else None)
    torch.testing.assert_close(out.sentence_loss, direct)
    assert not torch.allclose(out.sentence_loss, other)


def test_resume_is_exact_with_the_exponential_target(tmp_path, tokenizer, corpus):
    def train(folder, max_steps, resume=None):
        torch.manual_seed(0)
        model = tiny(
            tokenizer.vocab_size, soft_target_temperature=0.035, momentum=0.9, word_queue_size=12, sentence_queue_size=6
        )
        args = SoftMCLTrainingArguments(
            str(folder), max_steps=max_steps, per_device_train_batch_size=4, learning_rate=1e-3, save_steps=2,
            logging_steps=1, report_to="none", disable_tqdm=True, seed=0, use_cpu=True,
        )  # fmt: skip
        trainer = SoftMCLTrainer(model=model, args=args, train_dataset=corpus, processing_class=tokenizer)
        trainer.train(resume_from_checkpoint=resume)
        return model

    straight = train(tmp_path / "straight", 4)
    assert SoftMCLConfig.from_pretrained(tmp_path / "straight" / "checkpoint-2").soft_target_temperature == 0.035
    resumed = train(tmp_path / "resumed", 4, resume=str(tmp_path / "straight" / "checkpoint-2"))
    expected, actual = straight.state_dict(), resumed.state_dict()
    assert expected.keys() == actual.keys()
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], atol=1e-6, rtol=1e-5, msg=name)
