"""LCLForSequenceClassification: loss composition, gradient paths, views, save / load."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
import torch
from tests.utils import run_clean
from transformers import AutoModelForSequenceClassification, BertConfig

from hf_sentiment import (
    LabelAwareContrastiveLoss,
    LCLConfig,
    LCLForSequenceClassification,
)


def tiny(**kwargs) -> LCLForSequenceClassification:
    backbone = BertConfig(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
    )
    return LCLForSequenceClassification(
        LCLConfig(backbone_config=backbone, id2label={i: f"c{i}" for i in range(4)}, **kwargs)
    )


@pytest.fixture
def batch() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {
        "input_ids": torch.randint(5, 99, (6, 10)),
        "attention_mask": torch.ones(6, 10, dtype=torch.long),
        "labels": torch.tensor([0, 1, 0, 2, 1, 3]),
    }


@pytest.mark.parametrize("weighting", ["separate", "shared"])
def test_loss_composition(batch, weighting):
    torch.manual_seed(1)
    model = tiny(weighting_network=weighting, ce_weight=0.3, weighting_ce_weight=0.2).train()
    out = model(**batch)
    assert torch.allclose(
        out.loss,
        0.3 * out.ce_loss + 0.7 * out.contrastive_loss + 0.2 * out.weighting_ce_loss,
    )
    out.loss.backward()
    assert model.weighting_classifier.weight.grad.abs().sum() > 0
    assert hasattr(model, "weighting_encoder") == (weighting == "separate")


def test_contrastive_term_equals_the_loss_module_on_the_views(batch):
    torch.manual_seed(2)
    model = tiny(contrastive_loss="supcon", view_dropout=0.0).train()
    model.dropout.p = 0.0
    for module in model.encoder.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    out = model(**batch)
    pooled = model.encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state[:, 0]
    expected = LabelAwareContrastiveLoss(0.3)(torch.cat([pooled, pooled]), torch.cat([batch["labels"]] * 2))
    assert torch.allclose(out.contrastive_loss, expected, atol=1e-6)
    assert out.weighting_ce_loss is None


@pytest.mark.parametrize("weighting", ["shared", "separate"])
def test_weighting_gradient_flag(batch, weighting):
    torch.manual_seed(3)
    model = tiny(weighting_network=weighting, weighting_ce_weight=0.0, weighting_gradient=False).train()
    network = [model.weighting_classifier.weight]
    if weighting == "separate":
        network += list(model.weighting_encoder.parameters())

    def gradient() -> float:
        return sum(float(p.grad.abs().sum()) for p in network if p.grad is not None)

    out = model(**batch)
    out.loss.backward()
    # With its own CE weighted 0 and the contrastive gradient detached, g learns nothing, and no
    # graph is kept for it (its forward runs without autograd).
    assert gradient() == 0 and not out.weighting_ce_loss.requires_grad
    model.zero_grad()
    model.config.weighting_gradient = True
    out = model(**batch)
    assert out.weighting_ce_loss.requires_grad
    out.loss.backward()
    assert model.weighting_classifier.weight.grad.abs().sum() > 0 and gradient() > 0
    if weighting == "separate":  # down through the second encoder, not only its classifier
        assert sum(float(p.grad.abs().sum()) for p in model.weighting_encoder.parameters() if p.grad is not None) > 0


def test_augmented_view_is_used(batch):
    torch.manual_seed(4)
    model = tiny(weighting_network="separate").train()
    augmented = {
        "augmented_input_ids": torch.randint(5, 99, (6, 8)),
        "augmented_attention_mask": torch.ones(6, 8, dtype=torch.long),
    }
    torch.manual_seed(0)
    with_aug = model(**batch, **augmented).contrastive_loss
    torch.manual_seed(0)
    without = model(**batch).contrastive_loss
    assert not torch.allclose(with_aug, without)


def test_augmented_view_without_a_mask_attends_to_every_token(batch):
    # Mean pooling needs a mask; as for the main input, a missing one means "every token".
    ids = torch.randint(5, 99, (6, 8))
    model = tiny(pooling="mean").train()
    torch.manual_seed(0)
    without_mask = model(**batch, augmented_input_ids=ids).contrastive_loss
    torch.manual_seed(0)
    full_mask = model(**batch, augmented_input_ids=ids, augmented_attention_mask=torch.ones_like(ids)).contrastive_loss
    torch.testing.assert_close(without_mask, full_mask)


def test_ce_only_and_eval_mode(batch):
    model = tiny(contrastive_loss="none").train()
    out = model(**batch)
    assert torch.allclose(out.loss, out.ce_loss) and out.contrastive_loss is None
    model = tiny().eval()
    out = model(**batch)
    assert torch.allclose(out.loss, out.ce_loss), "only CE is reported in eval mode"


def test_multi_label_rows_are_a_clear_error(batch):
    model = tiny().train()
    with pytest.raises(ValueError, match="multi-label"):
        model(input_ids=batch["input_ids"], labels=torch.zeros(6, 4, dtype=torch.long))


def test_config_validation():
    with pytest.raises(ValueError, match="contrastive_loss"):
        LCLConfig(contrastive_loss="triplet")
    with pytest.raises(ValueError, match="ce_weight"):
        LCLConfig(ce_weight=2.0)
    with pytest.raises(ValueError, match="weighting_ce_weight must be >= 0"):
        LCLConfig(weighting_ce_weight=-0.5)
    with pytest.raises(ValueError, match=r"view_dropout must lie in \[0, 1\)"):
        LCLConfig(view_dropout=1.5)


def test_stripped_model_saves_lean_and_loads_with_auto_class(tmp_path, batch):
    torch.manual_seed(5)
    model = tiny(weighting_network="separate").eval()
    full_size = sum(p.numel() for p in model.parameters())
    model.strip_weighting_network()
    assert sum(p.numel() for p in model.parameters()) < full_size
    model.save_pretrained(tmp_path)
    assert {
        "configuration_lcl.py",
        "modeling_lcl.py",
        "label_aware_contrastive_loss.py",
    } <= {p.name for p in tmp_path.iterdir()}
    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    assert isinstance(reloaded, LCLForSequenceClassification)
    assert not hasattr(reloaded, "weighting_encoder")
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask")}
    with torch.no_grad():
        assert torch.allclose(model(**inputs).logits, reloaded(**inputs).logits, atol=1e-6)


@pytest.mark.parametrize(("weighting", "strip"), [("shared", False), ("separate", True)])
def test_saved_folder_loads_without_hf_sentiment(tmp_path, batch, python_without_hf_sentiment, weighting, strip):
    # Both checkpoint shapes a user shares: with the weighting head, and the lean stripped one.
    torch.manual_seed(6)
    model = tiny(weighting_network=weighting).eval()
    if strip:
        model.strip_weighting_network()
    folder = tmp_path / "lcl"
    model.save_pretrained(folder)
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask")}
    with torch.no_grad():
        expected = model(**inputs).logits.numpy()
    np.save(tmp_path / "ids.npy", batch["input_ids"].numpy())
    script = textwrap.dedent(
        f"""
        import importlib.util, numpy as np, torch
        from transformers import AutoModelForSequenceClassification
        assert importlib.util.find_spec("hf_sentiment") is None
        model = AutoModelForSequenceClassification.from_pretrained({str(folder)!r}, trust_remote_code=True).eval()
        ids = torch.from_numpy(np.load({str(tmp_path / "ids.npy")!r}))
        with torch.no_grad():
            np.save({str(tmp_path / "clean.npy")!r}, model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits.numpy())
        """
    )
    run_clean(python_without_hf_sentiment, script, tmp_path)
    np.testing.assert_allclose(np.load(tmp_path / "clean.npy"), expected, atol=1e-5, rtol=0)


def test_temperature_is_read_at_forward_time(batch):
    model = tiny(contrastive_loss="supcon", view_dropout=0.0).train()
    torch.manual_seed(0)
    first = model(**batch).contrastive_loss
    model.config.contrastive_temperature = 0.05
    torch.manual_seed(0)
    assert not torch.allclose(first, model(**batch).contrastive_loss)


@pytest.mark.parametrize("weighting", ["shared", "separate"])
def test_weighting_entropy_is_the_mean_entropy_of_the_class_weights(batch, weighting):
    torch.manual_seed(5)
    model = tiny(weighting_network=weighting).train()
    for module in model.modules():  # deterministic encoders, so the weights can be recomputed
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    out = model(**batch)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    network = model.weighting_encoder if weighting == "separate" else model.encoder
    weights = model.weighting_classifier(model.pool(network, inputs)[0]).softmax(-1)
    expected = -(weights * weights.log()).sum(-1).mean()
    assert 0 < float(out.weighting_entropy) < math.log(model.config.num_labels)
    torch.testing.assert_close(out.weighting_entropy, expected.detach(), rtol=1e-4, atol=1e-5)
    assert not out.weighting_entropy.requires_grad
    assert model.eval()(**batch).weighting_entropy is None  # training only
