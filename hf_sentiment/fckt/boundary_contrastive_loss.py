"""FCKT's token-level InfoNCE over aspect boundaries (Chen et al., IJCAI 2025).

Self-contained (torch only) so that it travels with a saved FCKT model folder.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class BoundaryContrastiveLoss(nn.Module):
    r"""Token-level InfoNCE that pulls the start and end tokens of each aspect together and pushes
    them away from the tokens outside every aspect of the sentence (FCKT's `L_cl`).

    With L2-normalised token states $z$, cosine similarity $s(a, k) = z_a \cdot z_k$ and temperature
    $\tau$, for a gold aspect with start token $b$ and end token $e$ in sentence $x$:

    $$
    \ell(a, p) = -\log \frac{e^{s(a, p)/\tau}}{e^{s(a, p)/\tau} + \sum_{k \in N(x)} e^{s(a, k)/\tau}},
    \qquad
    \mathcal{L}_{cl} = \operatorname{mean}_{\text{aspects}} \tfrac{1}{2} \big( \ell(b, e) + \ell(e, b) \big)
    $$

    where $N(x)$ are the tokens of $x$ allowed by `token_mask` and inside no gold aspect. Each
    boundary is the other's positive (a one-token aspect has $b = e$, cosine 1).

    Our reading (see the method notes beside the papers): the official code samples one random
    negative of each kind per batch, across rows; here every token of the same sentence outside the
    aspects is a negative, as the paper describes the unrelated tokens. Vectorised: O(A · n · d), no
    `n × n` matrix.

    Reference: Wei Chen et al., "FCKT: Fine-Grained Cross-Task Knowledge Transfer with Semantic
    Contrastive Learning for Targeted Sentiment Analysis", IJCAI 2025, arXiv:2505.21040.

    Args:
        temperature (`float`, *optional*, defaults to 0.07):
            τ (`FCKTConfig.contrastive_temperature`).

    Example:

    ```python
    >>> import torch
    >>> from hf_sentiment.losses import BoundaryContrastiveLoss
    >>> hidden = torch.randn(2, 8, 16, requires_grad=True)  # encoder states of 2 sentences
    >>> token_mask = torch.ones(2, 8, dtype=torch.bool)
    >>> token_mask[:, 0] = token_mask[:, -1] = False  # not the special tokens
    >>> spans = torch.tensor([[[1, 2], [5, 5]], [[3, 4], [-100, -100]]])  # -100 pads
    >>> BoundaryContrastiveLoss(temperature=0.07)(hidden, token_mask, spans).backward()
    ```
    """

    def __init__(self, temperature: float = 0.07) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.temperature = temperature

    def forward(self, hidden: torch.Tensor, token_mask: torch.Tensor, aspect_spans: torch.Tensor) -> torch.Tensor:
        """
        Args:
            hidden (`torch.FloatTensor` of shape `(B, n, d)`):
                Token representations; normalised inside.
            token_mask (`torch.BoolTensor` of shape `(B, n)`):
                The positions that may serve as negatives (FCKT passes the attended tokens without
                the special ones).
            aspect_spans (`torch.LongTensor` of shape `(B, A, 2)`):
                Inclusive token (start, end) of each gold aspect; a negative start pads.

        Returns:
            `torch.FloatTensor` of shape `()`: the loss; 0 with a gradient path when no sentence
            has an aspect.
        """
        present = aspect_spans[..., 0] >= 0  # (B, A)
        if not present.any():
            return hidden.sum() * 0.0
        seq_len = hidden.shape[1]
        z = F.normalize(hidden, dim=-1)
        starts = aspect_spans[..., 0].clamp(min=0)
        ends = aspect_spans[..., 1].clamp(min=0)
        positions = torch.arange(seq_len, device=hidden.device)
        in_aspect = (
            (positions >= starts.unsqueeze(-1)) & (positions <= ends.unsqueeze(-1)) & present.unsqueeze(-1)
        ).any(1)
        negatives = token_mask & ~in_aspect  # (B, n)

        tau = self.temperature
        z_start = z.gather(1, starts.unsqueeze(-1).expand(-1, -1, z.shape[-1]))  # (B, A, d)
        z_end = z.gather(1, ends.unsqueeze(-1).expand(-1, -1, z.shape[-1]))
        positive = (z_start * z_end).sum(-1) / tau  # (B, A)
        losses = []
        for anchor in (z_start, z_end):
            negative = torch.einsum("bad,bnd->ban", anchor, z) / tau  # (B, A, n)
            # A token that is no negative drops out: the lowest value of the scores' own dtype
            # (half precision under autocast) is exp'd to zero by the log-sum-exp.
            negative = negative.masked_fill(~negatives.unsqueeze(1), torch.finfo(negative.dtype).min)
            denominator = torch.logsumexp(torch.cat([positive.unsqueeze(-1), negative], dim=-1), dim=-1)
            losses.append(denominator - positive)
        per_aspect = 0.5 * (losses[0] + losses[1])
        return per_aspect[present].mean()


__all__ = ["BoundaryContrastiveLoss"]
