"""SoftMCL-style sentiment-aware pre-training (Wang, Yu & Zhang, LREC-COLING 2024): configuration,
model and trainer."""

from transformers import AutoConfig, AutoModelForPreTraining

from .configuration_softmcl import SoftMCLConfig
from .modeling_softmcl import SoftMCLForPreTraining, SoftMCLOutput, SoftMCLPreTrainedModel
from .soft_contrastive_loss import SoftContrastiveLoss, soft_contrastive_loss
from .trainer_softmcl import SoftMCLTrainer, SoftMCLTrainingArguments

SoftMCLConfig.register_for_auto_class()
SoftMCLForPreTraining.register_for_auto_class("AutoModelForPreTraining")
AutoConfig.register(SoftMCLConfig.model_type, SoftMCLConfig, exist_ok=True)
AutoModelForPreTraining.register(SoftMCLConfig, SoftMCLForPreTraining, exist_ok=True)

__all__ = [
    "SoftMCLConfig",
    "SoftMCLForPreTraining",
    "SoftMCLOutput",
    "SoftMCLPreTrainedModel",
    "SoftMCLTrainer",
    "SoftMCLTrainingArguments",
    "SoftContrastiveLoss",
    "soft_contrastive_loss",
]
