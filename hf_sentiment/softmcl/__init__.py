"""SoftMCL-style sentiment-aware pre-training (Wang, Yu & Zhang, LREC-COLING 2024): configuration,
model and trainer."""

from transformers import AutoModelForPreTraining

from ..utils.logging import get_logger
from ..utils.registration import register_model
from .configuration_softmcl import SoftMCLConfig
from .modeling_softmcl import SoftMCLForPreTraining, SoftMCLOutput, SoftMCLPreTrainedModel
from .soft_contrastive_loss import SoftContrastiveLoss, soft_contrastive_loss, soft_target, soft_target_statistics
from .trainer_softmcl import SoftMCLTrainer, SoftMCLTrainingArguments

register_model(SoftMCLConfig, SoftMCLForPreTraining, AutoModelForPreTraining)
# The model file is also remote code, so it cannot import our logging helper: its logger gets the
# verbosity filter here.
get_logger(SoftMCLForPreTraining.__module__)

__all__ = [
    "SoftContrastiveLoss",
    "SoftMCLConfig",
    "SoftMCLForPreTraining",
    "SoftMCLOutput",
    "SoftMCLPreTrainedModel",
    "SoftMCLTrainer",
    "SoftMCLTrainingArguments",
    "soft_contrastive_loss",
    "soft_target",
    "soft_target_statistics",
]
