"""Label-aware contrastive fine-tuning (Suresh & Ong, EMNLP 2021): losses, configuration, model."""

from transformers import AutoConfig, AutoModelForSequenceClassification

from .configuration_lcl import LCLConfig
from .label_aware_contrastive_loss import LabelAwareContrastiveLoss
from .modeling_lcl import LCLForSequenceClassification, LCLOutput, LCLPreTrainedModel
from .supervised_contrastive_loss import SupConLoss

LCLConfig.register_for_auto_class()
LCLForSequenceClassification.register_for_auto_class("AutoModelForSequenceClassification")
AutoConfig.register(LCLConfig.model_type, LCLConfig, exist_ok=True)
AutoModelForSequenceClassification.register(LCLConfig, LCLForSequenceClassification, exist_ok=True)

__all__ = [
    "LCLConfig",
    "LCLForSequenceClassification",
    "LCLOutput",
    "LCLPreTrainedModel",
    "LabelAwareContrastiveLoss",
    "SupConLoss",
]
