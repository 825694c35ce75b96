"""Label-aware contrastive fine-tuning (Suresh & Ong, EMNLP 2021): losses, configuration, model."""

from transformers import AutoModelForSequenceClassification

from ..utils.registration import register_model
from .configuration_lcl import LCLConfig
from .label_aware_contrastive_loss import LabelAwareContrastiveLoss
from .modeling_lcl import LCLForSequenceClassification, LCLOutput, LCLPreTrainedModel
from .supervised_contrastive_loss import SupConLoss

register_model(LCLConfig, LCLForSequenceClassification, AutoModelForSequenceClassification)

__all__ = [
    "LCLConfig",
    "LCLForSequenceClassification",
    "LCLOutput",
    "LCLPreTrainedModel",
    "LabelAwareContrastiveLoss",
    "SupConLoss",
]
