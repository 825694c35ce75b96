"""FCKT for targeted sentiment analysis: configuration, model and pipeline."""

from transformers import AutoModel

from ..utils.registration import register_model
from .boundary_contrastive_loss import BoundaryContrastiveLoss
from .configuration_fckt import FCKTConfig
from .modeling_fckt import FCKTForTargetedSentiment, FCKTOutput, FCKTPreTrainedModel
from .onnx_export import export_onnx

register_model(FCKTConfig, FCKTForTargetedSentiment, AutoModel)

__all__ = [
    "BoundaryContrastiveLoss",
    "FCKTConfig",
    "FCKTForTargetedSentiment",
    "FCKTOutput",
    "FCKTPreTrainedModel",
    "export_onnx",
]
