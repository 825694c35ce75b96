"""SoftMCL-style sentiment-aware pre-training (Wang, Yu & Zhang, LREC-COLING 2024): configuration,
model and trainer."""

from transformers import AutoModelForPreTraining

from ..utils.registration import register_model
from .configuration_softmcl import SoftMCLConfig
from .modeling_softmcl import SoftMCLForPreTraining, SoftMCLOutput, SoftMCLPreTrainedModel
from .soft_contrastive_loss import SoftContrastiveLoss, soft_contrastive_loss
from .trainer_softmcl import SoftMCLTrainer, SoftMCLTrainingArguments

register_model(SoftMCLConfig, SoftMCLForPreTraining, AutoModelForPreTraining)

__all__ = [
    "SoftContrastiveLoss",
    "SoftMCLConfig",
    "SoftMCLForPreTraining",
    "SoftMCLOutput",
    "SoftMCLPreTrainedModel",
    "SoftMCLTrainer",
    "SoftMCLTrainingArguments",
    "soft_contrastive_loss",
]
