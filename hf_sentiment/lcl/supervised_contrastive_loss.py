"""Supervised contrastive loss (SupCon; Khosla et al., NeurIPS 2020).

Self-contained (torch + its folder) so that it travels with a saved LCL model folder.
"""

from __future__ import annotations

import torch

from .label_aware_contrastive_loss import LabelAwareContrastiveLoss


class SupConLoss(LabelAwareContrastiveLoss):
    r"""Supervised contrastive loss: every same-label example is a positive, all others negatives.

    For L2-normalised embeddings $z$, $s_{ik} = z_i \cdot z_k / \tau$,
    $P(i) = \{p \ne i : y_p = y_i\}$:

    $$
    \mathcal{L}_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)}
        \Big( s_{ip} - \log \sum_{k \ne i} e^{s_{ik}} \Big),
    \qquad \mathcal{L} = \operatorname{mean}_{i : |P(i)| > 0} \mathcal{L}_i
    $$

    It is [`LabelAwareContrastiveLoss`] with all class weights equal to one (the "L_out" form of
    Khosla et al.). Their reference code also multiplies the loss by τ / τ_base (τ_base = 0.07);
    that factor is left out here. On its own it only rescales the loss, but inside
    λ·CE + (1 − λ)·SupCon it would shift the balance (×4.3 at τ = 0.3), so λ values tuned with
    that factor do not carry over unchanged.

    Reference: Prannay Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020,
    arXiv:2004.11362.

    Args:
        temperature (`float`, *optional*, defaults to 0.3):
            τ.
        ignore_index (`int`, *optional*, defaults to -100):
            Rows with this label take no part (as in `CrossEntropyLoss`).

    Example:

    ```python
    >>> import torch
    >>> from hf_sentiment.losses import SupConLoss
    >>> z = torch.randn(8, 16, requires_grad=True)
    >>> y = torch.tensor([0, 1, 2, 1, 0, 1, 2, 1])
    >>> SupConLoss(temperature=0.3)(z, y).backward()
    ```
    """

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """
        Args:
            embeddings (`torch.FloatTensor` of shape `(M, d)`):
                The embeddings; normalised inside.
            labels (`torch.LongTensor` of shape `(M,)`):
                Class ids (any integers; only equality matters).

        Returns:
            `torch.FloatTensor` of shape `()`: the loss, in float32.
        """
        return super().forward(embeddings, labels, class_weights=None)


__all__ = ["SupConLoss"]
