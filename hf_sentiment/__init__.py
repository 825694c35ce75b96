"""hf-sentiment: fine-grained sentiment analysis, native to the Hugging Face ecosystem.

Importing the package registers its configurations and models with the `Auto*` classes and its
pipelines with transformers' `PIPELINE_REGISTRY`.
"""

from .data import (
    DataCollatorForSoftMCL,
    DataCollatorForTargetedSentiment,
    DataCollatorWithAugmentedView,
    DataFormatError,
    ReadReport,
    ValenceLexicon,
    encode_aspects,
    encode_valence_corpus,
    load_absa,
    read_absa_file,
    read_dong2014,
    read_e2e_absa,
    read_emobank,
    read_empathetic_dialogues,
    read_goemotions,
    read_semeval14_xml,
    read_sentibench,
    read_sentibench_atsa,
    read_sst,
    read_tweeteval,
    stratified_folds,
)
from .distill import DistillationConfig, DistillationTrainer, EndpointTeacher, LocalTeacher, TeacherCache
from .evaluation import (
    SentiBenchResults,
    classification_scores,
    compute_classification_metrics,
    compute_targeted_sentiment_metrics,
    evaluate_sentibench,
    evaluate_targeted_sentiment,
    plot_confusion_matrix,
    select_span_threshold,
    targeted_sentiment_scores,
)
from .fckt import FCKTConfig, FCKTForTargetedSentiment, FCKTOutput
from .lcl import LCLConfig, LCLForSequenceClassification, LCLOutput
from .losses import LabelAwareContrastiveLoss, SupConLoss
from .pipelines import TargetedSentimentPipeline
from .softmcl import (
    SoftMCLConfig,
    SoftMCLForPreTraining,
    SoftMCLOutput,
    SoftMCLTrainer,
    SoftMCLTrainingArguments,
)
from .training import LossPartsTrainer
from .version import __version__

__all__ = [
    "DataCollatorForSoftMCL",
    "DataCollatorForTargetedSentiment",
    "DataCollatorWithAugmentedView",
    "DataFormatError",
    "DistillationConfig",
    "DistillationTrainer",
    "EndpointTeacher",
    "FCKTConfig",
    "FCKTForTargetedSentiment",
    "FCKTOutput",
    "LCLConfig",
    "LCLForSequenceClassification",
    "LCLOutput",
    "LabelAwareContrastiveLoss",
    "LocalTeacher",
    "LossPartsTrainer",
    "ReadReport",
    "SentiBenchResults",
    "SoftMCLConfig",
    "SoftMCLForPreTraining",
    "SoftMCLOutput",
    "SoftMCLTrainer",
    "SoftMCLTrainingArguments",
    "SupConLoss",
    "TargetedSentimentPipeline",
    "TeacherCache",
    "ValenceLexicon",
    "classification_scores",
    "compute_classification_metrics",
    "compute_targeted_sentiment_metrics",
    "encode_aspects",
    "encode_valence_corpus",
    "evaluate_sentibench",
    "evaluate_targeted_sentiment",
    "load_absa",
    "plot_confusion_matrix",
    "read_absa_file",
    "read_dong2014",
    "read_e2e_absa",
    "read_emobank",
    "read_empathetic_dialogues",
    "read_goemotions",
    "read_semeval14_xml",
    "read_sentibench",
    "read_sentibench_atsa",
    "read_sst",
    "read_tweeteval",
    "select_span_threshold",
    "stratified_folds",
    "targeted_sentiment_scores",
]
