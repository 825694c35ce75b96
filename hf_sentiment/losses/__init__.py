"""Loss modules usable on any embeddings (sentence-transformers style: one loss per module).

They live in the model folders that use them at forward time (a saved folder must carry its
loss as remote code) and are re-exported here:

- [`LabelAwareContrastiveLoss`], [`SupConLoss`]: `hf_sentiment/lcl/` (Suresh & Ong, 2021; Khosla et al., 2020);
- [`SoftContrastiveLoss`] (and its functions `soft_contrastive_loss`, `soft_target`, `soft_target_statistics`):
  `hf_sentiment/softmcl/` (Wang et al., 2024);
- [`BoundaryContrastiveLoss`]: FCKT's token-level InfoNCE, `hf_sentiment/fckt/` (Chen et al., 2025).
- [`LabelDistillationLoss`]: label-level KD of a causal-LM student, `hf_sentiment/distill/` (Zhang et al., 2025).
"""

from ..distill.label_distillation_loss import LabelDistillationLoss
from ..fckt.boundary_contrastive_loss import BoundaryContrastiveLoss
from ..lcl.label_aware_contrastive_loss import LabelAwareContrastiveLoss
from ..lcl.supervised_contrastive_loss import SupConLoss
from ..softmcl.soft_contrastive_loss import (
    SoftContrastiveLoss,
    soft_contrastive_loss,
    soft_target,
    soft_target_statistics,
)

__all__ = [
    "BoundaryContrastiveLoss",
    "LabelAwareContrastiveLoss",
    "LabelDistillationLoss",
    "SoftContrastiveLoss",
    "SupConLoss",
    "soft_contrastive_loss",
    "soft_target",
    "soft_target_statistics",
]
