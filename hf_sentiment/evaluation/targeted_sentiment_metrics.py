"""Metrics for targeted sentiment analysis, offline (plain Python + scikit-learn).

- aspect extraction: precision / recall / F1 over exact spans;
- polarity on gold aspects: accuracy and macro-F1;
- joint: precision / recall / F1 over exact (span, polarity) pairs.

Spans may be character or token offsets: the functions only compare them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from sklearn.metrics import f1_score
from transformers import EvalPrediction

Span = tuple[int, int]


def _precision_recall_f1(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def targeted_sentiment_scores(
    gold: Sequence[Sequence[tuple[int, int, Hashable]]],
    predicted: Sequence[Sequence[tuple[int, int, Hashable]]],
    gold_aspect_predictions: Sequence[Sequence[Hashable]] | None = None,
) -> dict[str, float]:
    """Score predictions against gold, sentence by sentence.

    Args:
        gold (`Sequence[Sequence[tuple[int, int, Hashable]]]`): per sentence, the gold
            `(start, end, polarity)` triples.
        predicted (`Sequence[Sequence[tuple[int, int, Hashable]]]`): per sentence, the predicted
            triples (all aspects the model extracted).
        gold_aspect_predictions (`Sequence[Sequence[Hashable]]`, *optional*): per sentence, the
            polarity predicted for each *gold* aspect, in gold order (gold-span mode); gives
            `polarity_accuracy` and `polarity_macro_f1`.

    Returns:
        `dict[str, float]`: `aspect_{precision,recall,f1}`, `joint_{precision,recall,f1}` (in %),
        and, when given, `polarity_accuracy` and `polarity_macro_f1` (in %).
    """
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} sentences but predicted has {len(predicted)}.")
    counts = {"aspect": [0, 0, 0], "joint": [0, 0, 0]}
    for gold_triples, predicted_triples in zip(gold, predicted):
        for key, project in (("aspect", lambda t: t[:2]), ("joint", tuple)):
            gold_set = {project(t) for t in gold_triples}
            predicted_set = {project(t) for t in predicted_triples}
            counts[key][0] += len(gold_set & predicted_set)
            counts[key][1] += len(predicted_set)
            counts[key][2] += len(gold_set)
    scores: dict[str, float] = {}
    for key, (correct, n_predicted, n_gold) in counts.items():
        precision, recall, f1 = _precision_recall_f1(correct, n_predicted, n_gold)
        scores.update(
            {
                f"{key}_precision": 100 * precision,
                f"{key}_recall": 100 * recall,
                f"{key}_f1": 100 * f1,
            }
        )
    if gold_aspect_predictions is not None:
        truth = [t[2] for triples in gold for t in triples]
        guess = [p for sentence in gold_aspect_predictions for p in sentence]
        if len(truth) != len(guess):
            raise ValueError(f"{len(truth)} gold aspects but {len(guess)} gold-aspect predictions.")
        if truth:
            scores["polarity_accuracy"] = 100 * float(np.mean([t == g for t, g in zip(truth, guess)]))
            scores["polarity_macro_f1"] = 100 * float(f1_score(truth, guess, average="macro"))
    return scores


def compute_targeted_sentiment_metrics(
    eval_prediction: EvalPrediction,
) -> dict[str, float]:
    """`compute_metrics` for `Trainer` on FCKT, at the token level (for model selection on dev).

    Expects `label_names=["aspect_spans", "aspect_labels"]` in the training arguments, and the
    predictions FCKT returns in eval mode: `(aspect_polarity_logits, predicted_spans,
    predicted_span_scores, predicted_polarities, predicted_polarity_scores)`. Gold aspects that the
    encoder had to leave out (see its report) are not in the labels; report final scores with
    `hf_sentiment.evaluation.evaluate_targeted_sentiment`, which scores characters against the
    untouched gold.
    """
    if not (isinstance(eval_prediction.label_ids, tuple) and len(eval_prediction.label_ids) == 2):
        raise ValueError(
            "compute_targeted_sentiment_metrics needs both gold columns: set "
            'TrainingArguments(label_names=["aspect_spans", "aspect_labels"]).'
        )
    aspect_logits, predicted_spans, _, predicted_polarities, _ = eval_prediction.predictions[:5]
    gold_spans, gold_labels = eval_prediction.label_ids
    gold, on_gold = gold_rows(gold_spans, gold_labels, aspect_logits)
    return targeted_sentiment_scores(gold, predicted_rows(predicted_spans, predicted_polarities), on_gold)


def gold_rows(
    gold_spans: np.ndarray, gold_labels: np.ndarray, aspect_logits: np.ndarray
) -> tuple[list[list[tuple[int, int, int]]], list[list[int]]]:
    """Per row, the gold `(start, end, polarity)` triples and the polarity predicted on each gold span.

    Args:
        gold_spans (`np.ndarray` of shape `(B, A, 2)`): gold token spans, padded.
        gold_labels (`np.ndarray` of shape `(B, A)`): their polarity ids, negative for padding.
        aspect_logits (`np.ndarray` of shape `(B, A, C)`): the model's polarity logits on the gold spans.
    """
    gold, on_gold = [], []
    for spans, labels, logits in zip(gold_spans, gold_labels, aspect_logits):
        present = labels >= 0
        gold.append([(int(s), int(e), int(y)) for (s, e), y in zip(spans[present], labels[present])])
        on_gold.append([int(i) for i in logits[present].argmax(-1)])
    return gold, on_gold


def predicted_rows(predicted_spans: np.ndarray, predicted_polarities: np.ndarray) -> list[list[tuple[int, int, int]]]:
    """Per row, the decoded `(start, end, polarity)` triples (`(B, k, 2)` spans, `(B, k)` ids, `-1` pads)."""
    return [
        [(int(s), int(e), int(y)) for (s, e), y in zip(spans[found], polarities[found])]
        for spans, polarities in zip(predicted_spans, predicted_polarities)
        for found in [polarities >= 0]
    ]

__all__ = ["compute_targeted_sentiment_metrics", "gold_rows", "predicted_rows", "targeted_sentiment_scores"]
