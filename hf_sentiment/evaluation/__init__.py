"""Metrics and evaluation loops."""

from .targeted_sentiment_metrics import compute_targeted_sentiment_metrics, targeted_sentiment_scores
from .targeted_sentiment_evaluation import evaluate_targeted_sentiment, select_span_threshold

__all__ = ["compute_targeted_sentiment_metrics", "evaluate_targeted_sentiment", "select_span_threshold", "targeted_sentiment_scores"]
