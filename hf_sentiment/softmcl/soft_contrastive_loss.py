"""SoftMCL-style soft contrastive loss (Wang, Yu & Zhang, LREC-COLING 2024).

Self-contained (torch only) so that it travels with a saved SoftMCL model folder.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _check_target_temperature(target_temperature: float | None) -> None:
    """`None` or a positive number (NaN and booleans are refused)."""
    if target_temperature is None:
        return
    if isinstance(target_temperature, bool) or not target_temperature > 0:
        raise ValueError(
            "target_temperature must be > 0 (or None for the linear target 1 − |v_i − v_j|), "
            f"got {target_temperature!r}"
        )


def soft_target(
    query_valence: torch.Tensor,
    key_valence: torch.Tensor,
    target_temperature: float | None = None,
) -> torch.Tensor:
    r"""The soft target of [`soft_contrastive_loss`]: for each query, a distribution over the keys
    that says how much each key counts as a positive, from valence distances alone.

    With `d_ij = |v_i − v_j|`:

    - `target_temperature=None` (the linear reading, SoftMCL's default): `q_ij ∝ 1 − d_ij`;
    - `target_temperature=t > 0` (the exponential reading): `q_ij ∝ exp(−d_ij / t)`, i.e.
      `softmax_j(−d_ij / t)`. A smaller `t` concentrates the mass on keys of close valence.

    Valences in [0, 1] keep every weight of the linear reading non-negative; over a realistic spread
    of valences it is close to uniform (see `docs/softmcl.md`, "The soft target").

    Args:
        query_valence (`torch.FloatTensor` of shape `(N,)` or `(..., N)`):
            The queries' valences in [0, 1].
        key_valence (`torch.FloatTensor` of shape `(M,)` or `(..., M)`):
            The keys' valences in [0, 1]; leading dimensions (several query sets, each with its
            own keys) must match those of `query_valence`.
        target_temperature (`float`, *optional*):
            `t` of the exponential reading; `None` for the linear one.

    Returns:
        `torch.FloatTensor` of shape `(N, M)` (or `(..., N, M)`): each row a distribution over the
        keys (sums to 1).
    """
    _check_target_temperature(target_temperature)
    distance = (query_valence[..., :, None] - key_valence[..., None, :]).abs()
    if target_temperature is None:
        similarity = 1.0 - distance
        return similarity / similarity.sum(-1, keepdim=True).clamp_min(1e-12)
    return (-distance / target_temperature).softmax(-1)


@torch.no_grad()
def soft_target_statistics(
    query_valence: torch.Tensor,
    key_valence: torch.Tensor,
    target_temperature: float | None = None,
) -> dict[str, float]:
    r"""How informative the soft target of [`soft_target`] is, averaged over the queries.

    For each query row `q_i` over `M` keys (computed in float64):

    - `kl_to_uniform`: `KL(q_i ‖ u) = Σ_j q_ij log(M q_ij)` in nats (0: the target says nothing;
      `log 3` ≈ 1.10: as informative as a hard label of 3 balanced classes);
    - `entropy`: `H(q_i) = −Σ_j q_ij log q_ij` in nats (`= log M − KL`);
    - `max_min_ratio`: `max_j q_ij / min_j q_ij` (`inf` where a weight is 0).

    Args:
        query_valence (`torch.FloatTensor` of shape `(N,)` or `(..., N)`): the queries' valences
            in [0, 1].
        key_valence (`torch.FloatTensor` of shape `(M,)` or `(..., M)`): the keys' valences in
            [0, 1] (several query sets, each with its own keys, as in [`soft_target`]).
        target_temperature (`float`, *optional*): as in [`soft_target`].

    Returns:
        `dict[str, float]`: over all query rows, the mean `kl_to_uniform` and `entropy`, the median
        `max_min_ratio` (`torch.median`: the lower middle value for an even count; the median resists
        the few rows of extreme valence), and `num_queries` / `num_keys`.
    """
    target = soft_target(query_valence.double(), key_valence.double(), target_temperature)
    num_keys = target.shape[-1]
    target = target.reshape(-1, num_keys)
    entropy = -torch.xlogy(target, target).sum(-1)
    return {
        "kl_to_uniform": float((math.log(num_keys) - entropy).mean()),
        "entropy": float(entropy.mean()),
        "max_min_ratio": float((target.max(-1).values / target.min(-1).values).median()),
        "num_queries": target.shape[0],
        "num_keys": num_keys,
    }


def soft_contrastive_loss(
    queries: torch.Tensor,
    query_valence: torch.Tensor,
    keys: torch.Tensor,
    key_valence: torch.Tensor,
    temperature: float,
    target_temperature: float | None = None,
) -> torch.Tensor:
    r"""SoftMCL-style soft contrastive loss: cross-entropy between the valence-similarity
    distribution and the representation-similarity distribution over the keys.

    `q_ij = soft_target(v_i, v_j)` (`∝ 1 − |v_i − v_j|`, or `∝ exp(−|v_i − v_j| / t)` with a
    `target_temperature` t), `p_ij = softmax_j(z_i·k_j / τ)`, `L = −(1/N) Σ_i Σ_j q_ij log p_ij`.
    See [`SoftContrastiveLoss`] for the module form and [`soft_target`] for the target.

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
            τ of the representation similarity.
        target_temperature (`float`, *optional*):
            t of the exponential soft target; `None` (default) keeps the linear target.

    Returns:
        `torch.FloatTensor` of shape `()`: the loss (0 with a gradient path when there is no query).
    """
    _check_target_temperature(target_temperature)
    if queries.shape[0] == 0 or keys.shape[0] == 0:
        return queries.sum() * 0.0
    target = soft_target(query_valence, key_valence, target_temperature)
    log_prediction = (queries @ keys.T / temperature).log_softmax(-1)
    return -(target * log_prediction).sum(-1).mean()


class SoftContrastiveLoss(nn.Module):
    r"""Soft contrastive loss: valence similarity, not a hard label, says how much each key counts
    as a positive of a query.

    For L2-normalised queries $z_i$ with valences $v_i$ and keys $k_j$ with valences $v_j$ (all in
    [0, 1]), the target is, by default (`target_temperature=None`, the linear reading),

    $$
    q_{ij} = \frac{1 - |v_i - v_j|}{\sum_k \big( 1 - |v_i - v_k| \big)},
    $$

    or, with a target temperature $t > 0$ (the exponential reading),

    $$
    q_{ij} = \frac{\exp(-|v_i - v_j| / t)}{\sum_k \exp(-|v_i - v_k| / t)},
    $$

    and the loss is the cross-entropy to the representation similarity:

    $$
    p_{ij} = \operatorname{softmax}_j \big( z_i \cdot k_j / \tau \big), \qquad
    \mathcal{L} = -\frac{1}{N} \sum_i \sum_j q_{ij} \log p_{ij}
    $$

    A key of close valence is a near-positive, one of opposite valence a near-negative, and nothing
    in between is forced to either side (hard labels would collapse the latent space). SoftMCL
    applies it at word level (lexicon valences) and sentence level, with MoCo keys from a momentum
    encoder followed by a queue of earlier keys.

    Our reading: the authors' code is not public; the "normalised absolute valence similarity" and
    the cross-entropy between the two distributions follow the paper's description, and the linear
    `1 − |v_i − v_j|` on valences rescaled to [0, 1] is our choice ("SoftMCL-style", see
    `docs/softmcl.md`). Over Warriner word valences the linear target is nearly uniform (KL to
    uniform ≈ 0.01 nats over 4,192 keys); the exponential reading makes its sharpness a
    hyper-parameter, and [`soft_target_statistics`] measures it.

    Reference: Jin Wang, Liang-Chih Yu and Xuejie Zhang, "SoftMCL: Soft Momentum Contrastive
    Learning for Fine-grained Sentiment-aware Pre-training", LREC-COLING 2024, arXiv:2405.01827.

    Args:
        temperature (`float`, *optional*, defaults to 0.07):
            τ (`SoftMCLConfig.word_temperature` / `sentence_temperature`).
        target_temperature (`float`, *optional*):
            t of the exponential target (`SoftMCLConfig.soft_target_temperature`); `None` (default)
            keeps the linear target.

    Example:

    ```python
    >>> import torch
    >>> from torch.nn import functional as F
    >>> from hf_sentiment.losses import SoftContrastiveLoss
    >>> queries = F.normalize(torch.randn(4, 16, requires_grad=True), dim=-1)
    >>> keys = F.normalize(torch.randn(10, 16), dim=-1)  # batch keys, then the queue
    >>> query_valence, key_valence = torch.rand(4), torch.rand(10)
    >>> SoftContrastiveLoss(temperature=0.07)(queries, query_valence, keys, key_valence).backward()
    >>> sharp = SoftContrastiveLoss(temperature=0.07, target_temperature=0.05)  # the exponential target
    >>> sharp(queries, query_valence, keys, key_valence).backward()
    ```
    """

    def __init__(self, temperature: float = 0.07, target_temperature: float | None = None) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        _check_target_temperature(target_temperature)
        self.temperature = temperature
        self.target_temperature = target_temperature

    def forward(
        self,
        queries: torch.Tensor,
        query_valence: torch.Tensor,
        keys: torch.Tensor,
        key_valence: torch.Tensor,
    ) -> torch.Tensor:
        """The loss at this module's τ and t: arguments, shapes and result as [`soft_contrastive_loss`]."""
        return soft_contrastive_loss(
            queries, query_valence, keys, key_valence, self.temperature, self.target_temperature
        )

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}, target_temperature={self.target_temperature}"


__all__ = ["SoftContrastiveLoss", "soft_contrastive_loss", "soft_target", "soft_target_statistics"]
