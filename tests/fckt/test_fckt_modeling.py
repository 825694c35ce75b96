"""FCKT model: losses against direct computations, gradient paths, decoding, save / load."""

from __future__ import annotations

import itertools

import pytest
import torch
from transformers import AutoConfig, AutoModel, BertConfig

from hf_sentiment import FCKTConfig, FCKTForTargetedSentiment


def tiny_config(**kwargs) -> FCKTConfig:
    backbone = BertConfig(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
    )
    return FCKTConfig(backbone_config=backbone, **kwargs)


@pytest.fixture
def batch() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(5, 99, (3, 12))
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[2, 8:] = 0
    spans = torch.tensor([[[2, 3], [5, 5]], [[4, 6], [-100, -100]], [[-100, -100], [-100, -100]]])
    labels = torch.tensor([[0, 1], [2, -100], [-100, -100]])
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "aspect_spans": spans,
        "aspect_labels": labels,
    }


def test_loss_is_sum_of_parts(batch):
    torch.manual_seed(1)
    model = FCKTForTargetedSentiment(tiny_config(contrastive_weight=0.3, gold_span_ratio=1.0)).train()
    out = model(**batch)
    assert torch.allclose(out.loss, out.ae_loss + out.sp_loss + 0.3 * out.cl_loss)
    model.config.contrastive_weight = 0.0
    assert model(**batch).cl_loss is None


@pytest.mark.parametrize("context", ["none", "attention"])
def test_sentiment_gradient_reaches_boundary_heads_only_through_expectation(batch, context):
    torch.manual_seed(2)
    model = FCKTForTargetedSentiment(tiny_config(gold_span_ratio=0.0, polarity_context=context)).train()
    loss = model(**batch).sp_loss  # the batch holds a row without aspects and a padded aspect slot
    assert torch.isfinite(loss)
    loss.backward()
    assert model.start_head.weight.grad.abs().sum() > 0
    assert model.end_head.weight.grad.abs().sum() > 0

    model.zero_grad()
    model.config.gold_span_ratio = 1.0  # extract-then-classify: no path from SP to the boundaries
    model(**batch).sp_loss.backward()
    assert model.start_head.weight.grad is None or model.start_head.weight.grad.abs().sum() == 0


@pytest.mark.parametrize("context", ["none", "attention"])
def test_expectation_matches_direct_loop(context):
    torch.manual_seed(3)
    model = FCKTForTargetedSentiment(tiny_config(expectation_max_width=3, polarity_context=context)).eval()
    hidden = torch.randn(2, 9, 32)
    start_lp = torch.randn(2, 9).log_softmax(-1)
    end_lp = torch.randn(2, 9).log_softmax(-1)
    attended = torch.ones(2, 9, dtype=torch.bool)
    attended[1, 7:] = False
    mask = attended.clone()
    mask[:, 0] = mask[:, -1] = False
    mask[1, 6:] = False
    spans = torch.tensor([[[2, 3], [6, 6]], [[1, 2], [-100, -100]]])
    fast = model.expected_polarity_logits(hidden, start_lp, end_lp, mask, spans, attended)

    for b, a in [(0, 0), (0, 1), (1, 0)]:
        gs, ge = spans[b, a].tolist()
        weights, logits = [], []
        for i, w in itertools.product(range(9), range(3)):
            j = i + w
            if j < 9 and mask[b, i] and mask[b, j] and i <= ge and j >= gs:
                weights.append(start_lp[b, i] + end_lp[b, j])
                span = torch.tensor([[[i, j]]])
                logits.append(model.classify_spans(hidden[b : b + 1], span, attended[b : b + 1])[0, 0])
        pi = torch.stack(weights).softmax(0)
        direct = (pi.unsqueeze(-1) * torch.stack(logits)).sum(0)
        assert torch.allclose(fast[b, a], direct, atol=1e-5), (b, a)


def test_span_context_matches_direct_attention():
    """`polarity_context="attention"`: softmax over the attended tokens of q(span)·k(token)/√d plus
    the bias of the token's distance to the span (0 inside, capped), weighting the tokens."""
    torch.manual_seed(6)
    model = FCKTForTargetedSentiment(tiny_config(polarity_context="attention", polarity_context_max_distance=2))
    hidden, pooled = torch.randn(1, 8, 32), torch.randn(1, 2, 32)
    starts, ends = torch.tensor([[2, 0]]), torch.tensor([[3, 0]])
    attended = torch.tensor([[1, 1, 1, 1, 1, 1, 0, 0]])
    fast = model.span_context(hidden, pooled, starts, ends, attended)

    bias = model.context_distance_bias.weight[:, 0]
    for s in range(2):
        start, end = starts[0, s].item(), ends[0, s].item()
        scores = []
        for t in range(6):  # the attended tokens
            distance = max(start - t, 0) + max(t - end, 0)
            q, k = model.context_query(pooled[0, s]), model.context_key(hidden[0, t])
            scores.append(q @ k / 32**0.5 + bias[min(distance, 3)])
        direct = (torch.stack(scores).softmax(0).unsqueeze(-1) * hidden[0, :6]).sum(0)
        assert torch.allclose(fast[0, s], direct, atol=1e-5), s


def test_span_context_reads_the_words_around_the_aspect(batch):
    """With the context on, a span's polarity depends on tokens outside it even when its own
    token states are held fixed; without it, it does not."""
    torch.manual_seed(7)
    hidden = torch.randn(1, 10, 32)
    changed = hidden.clone()
    changed[0, 7] = torch.randn(32)  # a word outside the span [2, 3]
    span, attended = torch.tensor([[[2, 3]]]), torch.ones(1, 10)
    for context, moves in (("none", False), ("attention", True)):
        model = FCKTForTargetedSentiment(tiny_config(polarity_context=context)).eval()
        a, b = model.classify_spans(hidden, span, attended), model.classify_spans(changed, span, attended)
        assert (not torch.allclose(a, b)) == moves, context


def test_contrastive_loss_matches_direct_loop():
    torch.manual_seed(4)
    model = FCKTForTargetedSentiment(tiny_config(contrastive_temperature=0.5))
    hidden = torch.randn(2, 8, 32)
    mask = torch.ones(2, 8, dtype=torch.bool)
    mask[:, 0] = mask[:, -1] = False
    spans = torch.tensor([[[1, 2], [5, 5]], [[3, 4], [-100, -100]]])
    fast = model.contrastive_loss(hidden, mask, spans)

    z = torch.nn.functional.normalize(hidden, dim=-1)
    losses = []
    for b in range(2):
        inside = set()
        gold = [tuple(s) for s in spans[b].tolist() if s[0] >= 0]
        for s, e in gold:
            inside |= set(range(s, e + 1))
        negatives = [k for k in range(8) if mask[b, k] and k not in inside]
        for s, e in gold:
            per_anchor = []
            for anchor, positive in ((s, e), (e, s)):
                pos = torch.dot(z[b, anchor], z[b, positive]) / 0.5
                neg = torch.stack([torch.dot(z[b, anchor], z[b, k]) / 0.5 for k in negatives])
                per_anchor.append(torch.logsumexp(torch.cat([pos[None], neg]), 0) - pos)
            losses.append(sum(per_anchor) / 2)
    assert torch.allclose(fast, torch.stack(losses).mean(), atol=1e-5)


def test_boundary_loss_targets_null_for_sentences_without_aspects():
    model = FCKTForTargetedSentiment(tiny_config())
    lp = torch.log_softmax(torch.randn(2, 6), -1)
    spans = torch.tensor([[[2, 3]], [[-100, -100]]])
    loss = model.boundary_loss(lp, lp, spans)
    expected = 0.5 * (-(lp[0, 2] + lp[0, 3]) - (lp[1, 0] + lp[1, 0])) / 2
    assert torch.allclose(loss, expected)


def test_decode_threshold_length_and_nms():
    model = FCKTForTargetedSentiment(tiny_config(n_best=4, max_span_length=2, span_threshold=0.0))
    neg = -5.0
    start = torch.full((1, 8), neg)
    end = torch.full((1, 8), neg)
    start[0, 0] = end[0, 0] = 0.0  # null score 0
    start[0, 2], end[0, 3] = 4.0, 4.0  # span (2, 3): score 8
    start[0, 3] = 3.0  # (3, 3) overlaps (2, 3) and must be suppressed
    start[0, 6], end[0, 6] = 2.0, 2.0  # (6, 6): score 4, kept
    start[0, 1] = 3.0  # (1, 3) has length 3 > max_span_length
    mask = torch.ones(1, 8, dtype=torch.bool)
    mask[0, 0] = mask[0, 7] = False
    spans, scores = model.decode(start, end, mask, mask)
    kept = [tuple(s) for s in spans[0].tolist() if s[0] >= 0]
    assert kept == [(2, 3), (6, 6)]
    assert scores[0, :2].tolist() == [8.0, 4.0]

    model.config.span_threshold = 5.0
    spans, _ = model.decode(start, end, mask, mask)
    assert [tuple(s) for s in spans[0].tolist() if s[0] >= 0] == [(2, 3)]

    end_mask = mask.clone()
    end_mask[0, 3] = False  # (2, 3) may not end inside a word
    spans, _ = model.decode(start, end, mask, end_mask)
    assert (2, 3) not in [tuple(s) for s in spans[0].tolist()]


def test_eval_mode_returns_predictions(batch):
    model = FCKTForTargetedSentiment(tiny_config(span_threshold=-1e4)).eval()
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    assert out.loss is None
    k = model.config.n_best
    assert out.predicted_spans.shape == (3, k, 2)
    assert out.predicted_polarities.shape == (3, k)
    found = out.predicted_spans[..., 0] >= 0
    assert ((out.predicted_polarities >= 0) == found).all()
    # Padding and special tokens are never part of a span.
    assert out.predicted_spans[2][found[2]].max() <= 6


def test_config_validation():
    with pytest.raises(ValueError, match="gold_span_ratio"):
        tiny_config(gold_span_ratio=1.5)
    with pytest.raises(ValueError, match="model_type"):
        FCKTConfig(backbone_config={"hidden_size": 8})
    with pytest.raises(ValueError, match="polarity_context must be one of"):
        tiny_config(polarity_context="global")
    with pytest.raises(ValueError, match="polarity_context_max_distance"):
        tiny_config(polarity_context_max_distance=0)


@pytest.mark.parametrize("context", ["none", "attention"])
def test_save_load_with_auto_classes(tmp_path, batch, context):
    torch.manual_seed(5)
    config = tiny_config(id2label={0: "pos", 1: "neg", 2: "neu"}, polarity_context=context)
    model = FCKTForTargetedSentiment(config).eval()
    model.save_pretrained(tmp_path)
    saved = {p.name for p in tmp_path.iterdir()}
    assert {
        "model.safetensors",
        "config.json",
        "configuration_fckt.py",
        "modeling_fckt.py",
    } <= saved
    config = AutoConfig.from_pretrained(tmp_path)
    assert config.auto_map["AutoModel"] == "modeling_fckt.FCKTForTargetedSentiment"
    assert config.id2label == {0: "pos", 1: "neg", 2: "neu"}
    reloaded = AutoModel.from_pretrained(tmp_path).eval()
    assert isinstance(reloaded, FCKTForTargetedSentiment)
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "aspect_spans")}
    with torch.no_grad():
        a, b = model(**inputs), reloaded(**inputs)
    assert torch.allclose(a.start_logits, b.start_logits, atol=1e-6)
    assert torch.allclose(a.aspect_polarity_logits, b.aspect_polarity_logits, atol=1e-6)
    assert torch.equal(a.predicted_spans, b.predicted_spans)


@pytest.mark.parametrize(
    "backbone",
    [
        {
            "model_type": "roberta",
            "vocab_size": 99,
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 37,
        },
        {
            "model_type": "deberta-v2",
            "vocab_size": 99,
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 37,
        },
        {
            "model_type": "mpnet",
            "vocab_size": 99,
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 37,
        },
        {
            "model_type": "xlm-roberta",
            "vocab_size": 99,
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 37,
        },
    ],
    ids=lambda b: b["model_type"],
)
def test_other_backbones_train(backbone, batch):
    model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=backbone)).train()
    out = model(**batch)
    out.loss.backward()
    assert torch.isfinite(out.loss)


def test_decode_gives_a_long_text_candidates_in_proportion():
    """30 one-token aspects among 300 words: a fixed n_best = 4 kept at most 4 of them (a long
    review read in one window lost most of its aspects); k = ceil(4 * 300 / 40) = 30 keeps all."""
    model = FCKTForTargetedSentiment(tiny_config(n_best=4, n_best_words=40, max_span_length=2))
    start, end = torch.full((1, 302), -5.0), torch.full((1, 302), -5.0)
    start[0, 0] = end[0, 0] = 0.0
    aspects = list(range(5, 300, 10))
    start[0, aspects] = end[0, aspects] = 3.0
    mask = torch.ones(1, 302, dtype=torch.bool)
    mask[0, 0] = mask[0, 301] = False
    spans, _ = model.decode(start, end, mask, mask)
    assert sorted(s for s, _ in spans[0].tolist() if s >= 0) == aspects

    # A short row batched beside the long one decodes as it would alone: its own k, not the batch's.
    short_start, short_end = torch.full((1, 302), -5.0), torch.full((1, 302), -5.0)
    short_start[0, 0] = short_end[0, 0] = 0.0
    short_start[0, 1:11] = short_end[0, 1:11] = torch.arange(10, 0, -1, dtype=torch.float)  # 10 one-token spans
    short_mask = torch.zeros(1, 302, dtype=torch.bool)
    short_mask[0, 1:11] = True  # 10 words: k = n_best = 4
    alone, _ = model.decode(short_start, short_end, short_mask, short_mask)
    both_masks = torch.cat([short_mask, mask])
    together, _ = model.decode(torch.cat([short_start, start]), torch.cat([short_end, end]), both_masks, both_masks)
    kept_alone = [tuple(s) for s in alone[0].tolist() if s[0] >= 0]
    assert len(kept_alone) <= 4 and [tuple(s) for s in together[0].tolist() if s[0] >= 0] == kept_alone

    model.config.n_best_words = 10_000  # the fixed n_best of before
    spans, _ = model.decode(start, end, mask, mask)
    assert len([s for s, _ in spans[0].tolist() if s >= 0]) == 4


def test_bf16_autocast_trains_and_decodes(batch):
    torch.manual_seed(6)
    model = FCKTForTargetedSentiment(tiny_config(gold_span_ratio=0.5))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model.train()
        out = model(**batch)
        out.loss.backward()
        model.eval()
        assert model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).predicted_spans is not None
    assert torch.isfinite(out.loss)


def test_left_padding_is_a_clear_error(batch):
    model = FCKTForTargetedSentiment(tiny_config()).eval()
    mask = batch["attention_mask"].flip(-1)  # row 2 padded on the left
    with pytest.raises(ValueError, match="right-padded"):
        model(input_ids=batch["input_ids"], attention_mask=mask)
