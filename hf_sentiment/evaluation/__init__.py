"""Metrics and evaluation loops, offline (no `evaluate.load` from the Hub)."""

from .classification_metrics import (
    classification_scores,
    compute_classification_metrics,
    plot_confusion_matrix,
)
from .sentibench import SentiBenchResults, SentiBenchTaskResult, evaluate_sentibench
from .targeted_sentiment_evaluation import (
    evaluate_targeted_sentiment,
    select_span_threshold,
)
from .targeted_sentiment_metrics import (
    compute_targeted_sentiment_metrics,
    targeted_sentiment_scores,
)

__all__ = [
    "SentiBenchResults",
    "SentiBenchTaskResult",
    "classification_scores",
    "compute_classification_metrics",
    "compute_targeted_sentiment_metrics",
    "evaluate_sentibench",
    "evaluate_targeted_sentiment",
    "plot_confusion_matrix",
    "select_span_threshold",
    "targeted_sentiment_scores",
]
