"""Loss modules usable on any embeddings (sentence-transformers style: one loss per module).

They live in the model folders that use them at forward time (a saved folder must carry its
loss as remote code) and are re-exported here.
"""

from ..lcl.label_aware_contrastive_loss import LabelAwareContrastiveLoss
from ..lcl.supervised_contrastive_loss import SupConLoss

__all__ = ["LabelAwareContrastiveLoss", "SupConLoss"]
