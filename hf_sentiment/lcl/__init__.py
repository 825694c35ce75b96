"""Label-aware contrastive fine-tuning (Suresh & Ong, EMNLP 2021)."""

from .label_aware_contrastive_loss import LabelAwareContrastiveLoss
from .supervised_contrastive_loss import SupConLoss

__all__ = ["LabelAwareContrastiveLoss", "SupConLoss"]
