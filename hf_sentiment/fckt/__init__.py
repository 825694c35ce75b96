"""FCKT for targeted sentiment analysis: configuration, model and pipeline."""

from transformers import AutoConfig, AutoModel

from .boundary_contrastive_loss import BoundaryContrastiveLoss
from .configuration_fckt import FCKTConfig
from .modeling_fckt import FCKTForTargetedSentiment, FCKTOutput, FCKTPreTrainedModel

# Saved folders carry their code and an `auto_map` (for `trust_remote_code=True` without
# hf_sentiment); registering the classes locally means an installed hf_sentiment needs neither.
FCKTConfig.register_for_auto_class()
FCKTForTargetedSentiment.register_for_auto_class("AutoModel")
AutoConfig.register(FCKTConfig.model_type, FCKTConfig, exist_ok=True)
AutoModel.register(FCKTConfig, FCKTForTargetedSentiment, exist_ok=True)

__all__ = [
    "BoundaryContrastiveLoss",
    "FCKTConfig",
    "FCKTForTargetedSentiment",
    "FCKTOutput",
    "FCKTPreTrainedModel",
]
