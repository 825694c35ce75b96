"""End-to-end evaluation of a targeted-sentiment model on character-level gold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datasets import Dataset

from .targeted_sentiment_metrics import targeted_sentiment_scores


def evaluate_targeted_sentiment(
    classifier: Any,
    dataset: Dataset,
    labels: set[str] | None = None,
    batch_size: int = 32,
) -> dict[str, float]:
    """Score a `targeted-sentiment` pipeline on a dataset in the reader schema.

    Extraction and joint scores compare exact character spans against the *untouched* gold, so an
    aspect that the model cannot see (cut off by its length limit) counts as a miss. Gold aspects
    whose polarity is not in `labels` (e.g. `conflict`) are left out of the gold, as is usual; how
    many were left out is returned as `gold_aspects_left_out`.

    Args:
        classifier (`TargetedSentimentPipeline`): `pipeline("targeted-sentiment", model=...)`.
        dataset (`datasets.Dataset`): rows with `text` and `aspects`.
        labels (`set[str]`, *optional*): the polarities to score; defaults to the model's labels.
        batch_size (`int`, *optional*, defaults to 32): pipeline batch size.

    Returns:
        `dict[str, float]`: the scores of [`targeted_sentiment_scores`] (in %) and
        `gold_aspects_left_out`.
    """
    labels = set(labels or classifier.model.config.label2id)
    texts = list(dataset["text"])
    gold, left_out = [], 0
    for aspects in dataset["aspects"]:
        kept = [(a["from"], a["to"], a["polarity"]) for a in aspects if a["polarity"] in labels]
        left_out += len(aspects) - len(kept)
        gold.append(kept)
    extracted = classifier(texts, batch_size=batch_size)
    predicted = [[(p["start"], p["end"], p["polarity"]) for p in sentence] for sentence in extracted]
    on_gold = []
    for text, triples in zip(texts, gold):
        if triples:
            results = classifier(text, aspects=[(s, e) for s, e, _ in triples])
            on_gold.append([r["polarity"] for r in results])
        else:
            on_gold.append([])
    scores = targeted_sentiment_scores(gold, predicted, on_gold)
    scores["gold_aspects_left_out"] = float(left_out)
    return scores


DEFAULT_SPAN_THRESHOLDS = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)


def select_span_threshold(
    trainer: Any,
    thresholds: Sequence[float] = DEFAULT_SPAN_THRESHOLDS,
    metric: str = "eval_joint_f1",
) -> tuple[float, dict[float, float]]:
    """Choose FCKT's decoding threshold γ on the trainer's *evaluation* (dev) set.

    γ only acts at decoding time, so it is chosen after training, like the epoch: every value is
    decoded on dev and the best `metric` wins (the smaller γ on ties). The model's config keeps the
    winner, so it is saved with the checkpoint.

    Args:
        trainer (`Trainer`): a `Trainer` holding an FCKT model, its dev set as `eval_dataset` and
            `compute_targeted_sentiment_metrics`.
        thresholds (`Sequence[float]`, *optional*, defaults to `DEFAULT_SPAN_THRESHOLDS`): the
            candidate values of γ.
        metric (`str`, *optional*, defaults to `"eval_joint_f1"`): the key of `trainer.evaluate()`
            to maximise.

    Returns:
        `tuple[float, dict[float, float]]`: The chosen γ and the metric for every candidate.
    """
    config = trainer.model.config
    scores = {}
    for threshold in thresholds:
        config.span_threshold = float(threshold)
        scores[float(threshold)] = trainer.evaluate()[metric]
    best = max(sorted(scores), key=lambda t: scores[t])
    config.span_threshold = best
    return best, scores


__all__ = [
    "DEFAULT_SPAN_THRESHOLDS",
    "evaluate_targeted_sentiment",
    "select_span_threshold",
]
