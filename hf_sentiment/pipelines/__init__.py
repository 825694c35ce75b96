"""Task pipelines, registered with transformers' `PIPELINE_REGISTRY` on import."""

from transformers import AutoModel
from transformers.pipelines import PIPELINE_REGISTRY

from ..fckt.pipeline_fckt import TargetedSentimentPipeline

PIPELINE_REGISTRY.register_pipeline(
    "targeted-sentiment",
    pipeline_class=TargetedSentimentPipeline,
    pt_model=AutoModel,
    type="text",
)

__all__ = ["TargetedSentimentPipeline"]
