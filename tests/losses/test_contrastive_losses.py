"""The losses of `hf_sentiment.losses` (LabelAwareContrastiveLoss, SupConLoss, SoftContrastiveLoss,
BoundaryContrastiveLoss) against a loop over the formula."""

from __future__ import annotations

import math

import pytest
import torch

from hf_sentiment.losses import (
    BoundaryContrastiveLoss,
    LabelAwareContrastiveLoss,
    SoftContrastiveLoss,
    SupConLoss,
    soft_contrastive_loss,
)


def direct_loss(z: torch.Tensor, labels: list[int], weights: torch.Tensor | None, tau: float) -> torch.Tensor:
    """L_i = -1/|P(i)| Σ_p w_i[y_p] (s_ip - log Σ_{k≠i} w_i[y_k] exp(s_ik)), mean over i with P(i) ≠ ∅.

    One scalar operation at a time (float64), so that autograd through it gives the formula's
    gradient too."""
    z = torch.nn.functional.normalize(z.double(), dim=-1)
    m = len(labels)
    w = (lambda i, k: 1.0) if weights is None else (lambda i, k: weights[i, labels[k]].double())
    losses = []
    for i in range(m):
        positives = [p for p in range(m) if p != i and labels[p] == labels[i]]
        if not positives:
            continue
        s = [(z[i] * z[k]).sum() / tau for k in range(m)]
        log_den = torch.log(sum(w(i, k) * torch.exp(s[k]) for k in range(m) if k != i))
        losses.append(-sum(w(i, p) * (s[p] - log_den) for p in positives) / len(positives))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("seed", range(5))
def test_label_aware_matches_loop_with_absent_and_single_example_classes(seed):
    torch.manual_seed(seed)
    # 6 classes; class 4 is absent from the batch, class 3 appears once (no positive).
    labels = [0, 1, 2, 1, 0, 3, 2, 1, 0]
    z = torch.randn(len(labels), 7)
    weights = torch.randn(len(labels), 6).softmax(-1)
    got = LabelAwareContrastiveLoss(temperature=0.3)(z, torch.tensor(labels), weights)
    assert got.item() == pytest.approx(direct_loss(z, labels, weights, 0.3).item(), rel=1e-5)


@pytest.mark.parametrize("seed", range(3))
def test_label_aware_gradients_match_loop(seed):
    # The gradients reach both the embeddings and the weighting network's logits as the formula's do.
    torch.manual_seed(seed)
    labels = [0, 1, 2, 1, 0, 3, 2, 1, 0]
    z = torch.randn(len(labels), 7, dtype=torch.float64, requires_grad=True)
    logits = torch.randn(len(labels), 6, dtype=torch.float64, requires_grad=True)
    LabelAwareContrastiveLoss(temperature=0.3)(z, torch.tensor(labels), logits.softmax(-1)).backward()
    got_z, got_logits = z.grad.clone(), logits.grad.clone()
    z.grad = logits.grad = None
    direct_loss(z, labels, logits.softmax(-1), 0.3).backward()
    torch.testing.assert_close(got_z, z.grad, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(got_logits, logits.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_supcon_matches_loop(seed):
    torch.manual_seed(seed)
    labels = [2, 2, 0, 1, 0, 5]
    z = torch.randn(len(labels), 4)
    got = SupConLoss(temperature=0.1)(z, torch.tensor(labels))
    assert got.item() == pytest.approx(direct_loss(z, labels, None, 0.1).item(), rel=1e-5)


def test_uniform_weights_equal_supcon_up_to_constant():
    # With w_i[y] = 1/C for every class, each pair term is scaled by 1/C and log(1/C) moves the
    # denominator: L_LCL = (L_SupCon - log C) / C.
    torch.manual_seed(0)
    labels = torch.tensor([0, 1, 0, 1, 2, 2])
    z = torch.randn(6, 5)
    uniform = torch.full((6, 3), 1 / 3)
    lcl = LabelAwareContrastiveLoss(0.5)(z, labels, uniform)
    supcon = SupConLoss(0.5)(z, labels)
    assert lcl.item() == pytest.approx((supcon.item() - math.log(3)) / 3, rel=1e-5)


def test_no_positive_anywhere_gives_zero_with_gradient():
    z = torch.randn(3, 4, requires_grad=True)
    loss = SupConLoss()(z, torch.tensor([0, 1, 2]))
    assert loss.item() == 0.0
    loss.backward()
    assert z.grad is not None


def test_gradient_reaches_class_weights():
    torch.manual_seed(1)
    logits = torch.randn(6, 3, requires_grad=True)
    LabelAwareContrastiveLoss()(torch.randn(6, 4), torch.tensor([0, 1, 0, 1, 2, 2]), logits.softmax(-1)).backward()
    assert logits.grad.abs().sum() > 0


def test_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="embeddings"):
        SupConLoss()(torch.randn(4), torch.tensor([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="class_weights"):
        LabelAwareContrastiveLoss()(torch.randn(4, 2), torch.tensor([0, 1, 0, 1]), torch.rand(3, 2))
    with pytest.raises(ValueError, match="temperature"):
        SupConLoss(temperature=0)
    with pytest.raises(ValueError, match="multi-label"):
        SupConLoss()(torch.randn(4, 2), torch.tensor([[0, 1]] * 4))


@pytest.mark.parametrize("bad", [-1, 3])
def test_labels_outside_the_weight_columns_are_clear_errors(bad):
    # -1 would otherwise read the last class's weight silently; 3 would be a bare IndexError.
    with pytest.raises(ValueError, match=r"class ids in \[0, 3\)"):
        LabelAwareContrastiveLoss()(torch.randn(4, 2), torch.tensor([0, 1, bad, 1]), torch.rand(4, 3))
    # Without class weights only equality matters, so any integer label is fine.
    SupConLoss()(torch.randn(4, 2), torch.tensor([0, 1, bad, 1]))


def test_ignored_rows_take_no_part():
    # Rows labelled -100 (CrossEntropyLoss' ignore_index) are neither anchors nor others.
    torch.manual_seed(2)
    labels = [0, -100, 1, 0, 1, -100, 2]
    kept = [i for i, label in enumerate(labels) if label != -100]
    z = torch.randn(len(labels), 5, requires_grad=True)
    weights = torch.randn(len(labels), 3).softmax(-1)
    got = LabelAwareContrastiveLoss()(z, torch.tensor(labels), weights)
    expected = direct_loss(z.detach()[kept], [labels[i] for i in kept], weights[kept], 0.3)
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
    got.backward()
    assert z.grad[[1, 5]].abs().sum() == 0 and z.grad[kept].abs().sum() > 0
    supcon = SupConLoss()(z.detach(), torch.tensor(labels))
    assert supcon.item() == pytest.approx(
        direct_loss(z.detach()[kept], [labels[i] for i in kept], None, 0.3).item(), rel=1e-5
    )


def test_half_precision_inputs_give_the_float32_loss():
    torch.manual_seed(3)
    labels = torch.tensor([0, 1, 0, 1, 2, 2, 0, 1])
    z = torch.randn(8, 16).half()
    weights = torch.randn(8, 3).softmax(-1).half()
    got = LabelAwareContrastiveLoss()(z, labels, weights)
    assert got.dtype == torch.float32
    assert got.item() == pytest.approx(LabelAwareContrastiveLoss()(z.float(), labels, weights.float()).item(), rel=1e-6)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # what Trainer's --bf16 wraps the forward in
        autocast = LabelAwareContrastiveLoss()(z.float(), labels, weights.float())
    assert autocast.dtype == torch.float32 and autocast.item() == pytest.approx(got.item(), rel=1e-6)


# ------------------------------------------------------------------ SoftMCL's soft contrastive loss
def direct_soft_loss(queries, query_valence, keys, key_valence, tau: float) -> float:
    """L = -(1/N) Σ_i Σ_j q_ij log p_ij, q_ij = s_ij / Σ_k s_ik, s_ij = 1 - |v_i - v_j|,
    p_ij = exp(z_i·k_j/τ) / Σ_k exp(z_i·k_k/τ); one scalar at a time, in float64."""
    total = 0.0
    for i in range(len(queries)):
        s = [1.0 - abs(float(query_valence[i]) - float(key_valence[j])) for j in range(len(keys))]
        logits = [float(queries[i].double() @ keys[j].double()) / tau for j in range(len(keys))]
        log_norm = math.log(sum(math.exp(x) for x in logits))
        total -= sum(s_ij / sum(s) * (logit - log_norm) for s_ij, logit in zip(s, logits))
    return total / len(queries)


@pytest.mark.parametrize("seed", range(3))
def test_soft_contrastive_loss_matches_loop(seed):
    torch.manual_seed(seed)
    queries = torch.nn.functional.normalize(torch.randn(6, 5), dim=-1)
    keys = torch.nn.functional.normalize(torch.randn(11, 5), dim=-1)
    query_valence, key_valence = torch.rand(6), torch.rand(11)
    got = SoftContrastiveLoss(temperature=0.2)(queries, query_valence, keys, key_valence)
    expected = direct_soft_loss(queries, query_valence, keys, key_valence, 0.2)
    assert got.item() == pytest.approx(expected, rel=1e-5)
    # The module is the function the model calls, to the bit.
    assert torch.equal(got, soft_contrastive_loss(queries, query_valence, keys, key_valence, 0.2))


def test_soft_contrastive_loss_module_edges():
    with pytest.raises(ValueError, match="temperature"):
        SoftContrastiveLoss(temperature=0.0)
    queries = torch.zeros(0, 4, requires_grad=True)
    loss = SoftContrastiveLoss()(queries, torch.zeros(0), torch.randn(3, 4), torch.rand(3))
    assert loss.item() == 0.0 and loss.requires_grad


# ------------------------------------------------------------------ FCKT's boundary InfoNCE
def direct_boundary_loss(hidden, token_mask, spans, tau: float) -> torch.Tensor:
    """mean over aspects of ½ (ℓ(b, e) + ℓ(e, b)), ℓ(a, p) = -log e^{s(a,p)/τ} / (e^{s(a,p)/τ} +
    Σ_{k ∈ N} e^{s(a,k)/τ}), N: the sentence's masked-in tokens outside every aspect."""
    z = torch.nn.functional.normalize(hidden.double(), dim=-1)
    losses = []
    for b in range(hidden.shape[0]):
        gold = [tuple(span) for span in spans[b].tolist() if span[0] >= 0]
        inside = {k for start, end in gold for k in range(start, end + 1)}
        negatives = [k for k in range(hidden.shape[1]) if token_mask[b, k] and k not in inside]
        for start, end in gold:
            terms = []
            for anchor, positive in ((start, end), (end, start)):
                pos = torch.exp(z[b, anchor] @ z[b, positive] / tau)
                neg = sum(torch.exp(z[b, anchor] @ z[b, k] / tau) for k in negatives)
                terms.append(-torch.log(pos / (pos + neg)))
            losses.append(0.5 * (terms[0] + terms[1]))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("seed", range(3))
def test_boundary_contrastive_loss_matches_loop(seed):
    torch.manual_seed(seed)
    hidden = torch.randn(3, 9, 6)
    mask = torch.ones(3, 9, dtype=torch.bool)
    mask[:, 0] = mask[:, -1] = False
    mask[2, 6:] = False  # a shorter sentence
    # Two aspects (one of one token), one aspect and padding, one aspect in the short sentence.
    spans = torch.tensor([[[1, 2], [5, 5]], [[3, 4], [-100, -100]], [[2, 3], [-100, -100]]])
    got = BoundaryContrastiveLoss(temperature=0.3)(hidden, mask, spans)
    assert got.item() == pytest.approx(direct_boundary_loss(hidden, mask, spans, 0.3).item(), rel=1e-5)


def test_boundary_contrastive_loss_gradients_match_loop():
    torch.manual_seed(5)
    hidden = torch.randn(2, 7, 4, dtype=torch.float64, requires_grad=True)
    mask = torch.ones(2, 7, dtype=torch.bool)
    spans = torch.tensor([[[1, 3]], [[2, 2]]])
    BoundaryContrastiveLoss(temperature=0.5)(hidden, mask, spans).backward()
    got = hidden.grad.clone()
    hidden.grad = None
    direct_boundary_loss(hidden, mask, spans, 0.5).backward()
    torch.testing.assert_close(got, hidden.grad, rtol=1e-6, atol=1e-9)


def test_boundary_contrastive_loss_without_aspects_is_zero_with_a_gradient_path():
    hidden = torch.randn(2, 5, 4, requires_grad=True)
    loss = BoundaryContrastiveLoss()(hidden, torch.ones(2, 5, dtype=torch.bool), torch.full((2, 1, 2), -100))
    assert loss.item() == 0.0
    loss.backward()
    assert hidden.grad is not None
    with pytest.raises(ValueError, match="temperature"):
        BoundaryContrastiveLoss(temperature=-1.0)
