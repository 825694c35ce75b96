"""SoftMCL-style soft contrastive loss (Wang, Yu & Zhang, LREC-COLING 2024).

Self-contained (torch only) so that it travels with a saved SoftMCL model folder.
"""

from __future__ import annotations

import torch
from torch import nn


def soft_contrastive_loss(
    queries: torch.Tensor,
    query_valence: torch.Tensor,
    keys: torch.Tensor,
    key_valence: torch.Tensor,
    temperature: float,
) -> torch.Tensor:
    r"""SoftMCL-style soft contrastive loss: cross-entropy between the valence-similarity
    distribution and the representation-similarity distribution over the keys.

    `s_ij = 1 − |v_i − v_j|`, `q_ij = s_ij / Σ_k s_ik`, `p_ij = softmax_j(z_i·k_j / τ)`,
    `L = −(1/N) Σ_i Σ_j q_ij log p_ij`. See [`SoftContrastiveLoss`] for the module form.

    Args:
        queries (`torch.FloatTensor` of shape `(N, p)`):
            L2-normalised query representations.
        query_valence (`torch.FloatTensor` of shape `(N,)`):
            Their valences in [0, 1].
        keys (`torch.FloatTensor` of shape `(M, p)`):
            L2-normalised keys (batch keys, then queue).
        key_valence (`torch.FloatTensor` of shape `(M,)`):
            Their valences in [0, 1].
        temperature (`float`):
            τ.

    Returns:
        `torch.FloatTensor` of shape `()`: the loss (0 with a gradient path when there is no query).
    """
    if queries.shape[0] == 0 or keys.shape[0] == 0:
        return queries.sum() * 0.0
    similarity = 1.0 - (query_valence[:, None] - key_valence[None, :]).abs()
    target = similarity / similarity.sum(-1, keepdim=True).clamp_min(1e-12)
    log_prediction = (queries @ keys.T / temperature).log_softmax(-1)
    return -(target * log_prediction).sum(-1).mean()


class SoftContrastiveLoss(nn.Module):
    r"""Soft contrastive loss: valence similarity, not a hard label, says how much each key counts
    as a positive of a query.

    For L2-normalised queries $z_i$ with valences $v_i$ and keys $k_j$ with valences $v_j$ (all in
    [0, 1]):

    $$
    s_{ij} = 1 - |v_i - v_j|, \qquad q_{ij} = \frac{s_{ij}}{\sum_k s_{ik}}, \qquad
    p_{ij} = \operatorname{softmax}_j \big( z_i \cdot k_j / \tau \big), \qquad
    \mathcal{L} = -\frac{1}{N} \sum_i \sum_j q_{ij} \log p_{ij}
    $$

    A key of close valence is a near-positive, one of opposite valence a near-negative, and nothing
    in between is forced to either side (hard labels would collapse the latent space). SoftMCL
    applies it at word level (lexicon valences) and sentence level, with MoCo keys from a momentum
    encoder followed by a queue of earlier keys.

    Our reading: the authors' code is not public; the "normalised absolute valence similarity" and
    the cross-entropy between the two distributions follow the paper's description, and `s_ij` as
    `1 − |v_i − v_j|` on valences rescaled to [0, 1] is our choice ("SoftMCL-style", see
    `docs/softmcl.md`).

    Reference: Jin Wang, Liang-Chih Yu and Xuejie Zhang, "SoftMCL: Soft Momentum Contrastive
    Learning for Fine-grained Sentiment-aware Pre-training", LREC-COLING 2024, arXiv:2405.01827.

    Args:
        temperature (`float`, *optional*, defaults to 0.07):
            τ (`SoftMCLConfig.word_temperature` / `sentence_temperature`).

    Example:

    ```python
    >>> import torch
    >>> from torch.nn import functional as F
    >>> from hf_sentiment.losses import SoftContrastiveLoss
    >>> queries = F.normalize(torch.randn(4, 16, requires_grad=True), dim=-1)
    >>> keys = F.normalize(torch.randn(10, 16), dim=-1)  # batch keys, then the queue
    >>> query_valence, key_valence = torch.rand(4), torch.rand(10)
    >>> SoftContrastiveLoss(temperature=0.07)(queries, query_valence, keys, key_valence).backward()
    ```
    """

    # Copied from hf_sentiment.fckt.boundary_contrastive_loss.BoundaryContrastiveLoss.__init__
    def __init__(self, temperature: float = 0.07) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.temperature = temperature

    def forward(
        self,
        queries: torch.Tensor,
        query_valence: torch.Tensor,
        keys: torch.Tensor,
        key_valence: torch.Tensor,
    ) -> torch.Tensor:
        """The loss at this module's τ: arguments, shapes and result as [`soft_contrastive_loss`]."""
        return soft_contrastive_loss(queries, query_valence, keys, key_valence, self.temperature)


__all__ = ["SoftContrastiveLoss", "soft_contrastive_loss"]
