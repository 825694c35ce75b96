"""Label-aware contrastive loss (Suresh & Ong, EMNLP 2021).

Self-contained (torch only) so that it travels with a saved LCL model folder.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class LabelAwareContrastiveLoss(nn.Module):
    r"""Supervised contrastive loss whose negatives are weighted by how confusable their class is.

    For L2-normalised embeddings $z$ (usually two views of each example stacked into a batch of
    $M$), similarities $s_{ik} = z_i \cdot z_k / \tau$, labels $y$ and class weights
    $w_i \in \Delta^{C}$ per anchor (the softmax of a weighting network):

    $$
    \mathcal{L}_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)} w_i[y_p]
        \Big( s_{ip} - \log \sum_{k \ne i} w_i[y_k] \, e^{s_{ik}} \Big),
    \qquad \mathcal{L} = \operatorname{mean}_{i : |P(i)| > 0} \mathcal{L}_i
    $$

    with $P(i) = \{p \ne i : y_p = y_i\}$. A negative $k$ of a class the weighting network finds
    likely for $i$ weighs more in the denominator: confusable classes are pushed apart harder. The
    positive weight stands *outside* the log, as in the authors' code (their README notes the
    paper's Eq. 3 misplaces it). Anchors without a positive (a class seen once in the batch) are left
    out of the mean. With `class_weights=None` every weight is 1 and the loss is SupCon (Khosla et
    al., 2020).

    Reference: Varsha Suresh and Desmond C. Ong, "Not All Negatives are Equal: Label-Aware
    Contrastive Loss for Fine-grained Text Classification", EMNLP 2021, arXiv:2109.05427.

    Args:
        temperature (`float`, *optional*, defaults to 0.3):
            τ (the authors use 0.3).
        ignore_index (`int`, *optional*, defaults to -100):
            Rows with this label take no part, as anchors or as others (the `CrossEntropyLoss`
            convention for unlabelled rows).

    Example:

    ```python
    >>> import torch
    >>> from hf_sentiment.losses import LabelAwareContrastiveLoss
    >>> loss_fn = LabelAwareContrastiveLoss(temperature=0.3)
    >>> z = torch.randn(8, 16, requires_grad=True)  # two views of 4 examples
    >>> y = torch.tensor([0, 1, 2, 1, 0, 1, 2, 1])
    >>> w = torch.randn(8, 3).softmax(-1)  # weighting network's softmax
    >>> loss_fn(z, y, w).backward()
    ```
    """

    def __init__(self, temperature: float = 0.3, ignore_index: int = -100) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.temperature = temperature
        self.ignore_index = ignore_index

    def forward(
        self,
        embeddings: torch.Tensor,
        labels: torch.Tensor,
        class_weights: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """
        Args:
            embeddings (`torch.FloatTensor` of shape `(M, d)`):
                The embeddings; normalised inside.
            labels (`torch.LongTensor` of shape `(M,)`):
                Class ids.
            class_weights (`torch.FloatTensor` of shape `(M, C)`, *optional*):
                Non-negative weights per anchor (rows of a softmax); `None` weighs every pair 1.

        Returns:
            `torch.FloatTensor` of shape `()`: the loss, computed in float32 whatever the input dtype
            (a log-sum-exp over the batch at τ = 0.3 is fragile in half precision).

        Raises:
            `ValueError`: on shapes other than the above (multi-label targets included), or labels
                outside `class_weights`' columns.
        """
        if embeddings.dim() != 2 or labels.shape != embeddings.shape[:1]:
            raise ValueError(
                f"expected embeddings (M, d) and labels (M,) of one class id per row, got {tuple(embeddings.shape)} "
                f"and {tuple(labels.shape)} (multi-label targets are not supported: keep single-label rows)"
            )
        if class_weights is not None and (class_weights.dim() != 2 or class_weights.shape[0] != labels.shape[0]):
            raise ValueError(
                f"class_weights must be (M, C) with M = {labels.shape[0]} embeddings, got {tuple(class_weights.shape)}"
            )
        labelled = labels != self.ignore_index
        if not labelled.all():
            embeddings, labels = embeddings[labelled], labels[labelled]
            class_weights = None if class_weights is None else class_weights[labelled]
        # Labels index class_weights' columns: a stray -1 would silently read the last class's weight.
        if class_weights is not None and labels.numel() > 0:
            low, high = torch.stack(torch.aminmax(labels)).tolist()  # one device sync, not two
            if low < 0 or high >= class_weights.shape[1]:
                raise ValueError(
                    f"labels must be class ids in [0, {class_weights.shape[1]}) (the columns of class_weights) or "
                    f"ignore_index={self.ignore_index}; got values from {low} to {high}"
                )
        # Off autocast too: under Trainer's --bf16 / --fp16 the matmul would otherwise run in half precision.
        with torch.autocast(device_type=embeddings.device.type, enabled=False):
            return self._loss(embeddings.float(), labels, None if class_weights is None else class_weights.float())

    def _loss(self, embeddings: torch.Tensor, labels: torch.Tensor, class_weights: torch.Tensor | None) -> torch.Tensor:
        size = embeddings.shape[0]
        z = F.normalize(embeddings, dim=-1)
        similarity = z @ z.T / self.temperature  # (M, M)
        not_self = ~torch.eye(size, dtype=torch.bool, device=z.device)
        positive = (labels.unsqueeze(0) == labels.unsqueeze(1)) & not_self

        if class_weights is None:
            pair_weights = torch.ones_like(similarity)
        else:
            pair_weights = class_weights[:, labels]  # (M, M): w_i[y_k]
        log_weights = pair_weights.clamp_min(torch.finfo(similarity.dtype).tiny).log()
        min_value = torch.finfo(similarity.dtype).min
        log_denominator = torch.logsumexp((similarity + log_weights).masked_fill(~not_self, min_value), dim=1)

        per_pair = pair_weights * (similarity - log_denominator.unsqueeze(1))  # (M, M)
        counts = positive.sum(1)
        anchors = counts > 0
        if not anchors.any():
            return similarity.sum() * 0.0
        per_anchor = -(per_pair * positive).sum(1)[anchors] / counts[anchors]
        return per_anchor.mean()


__all__ = ["LabelAwareContrastiveLoss"]
