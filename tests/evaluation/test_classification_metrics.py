"""Tests for ``hf_sentiment.evaluation.classification_metrics`` (numbers computed by hand)."""

from __future__ import annotations

import numpy as np
import pytest
from transformers import EvalPrediction

from hf_sentiment.evaluation.classification_metrics import (
    classification_scores,
    compute_classification_metrics,
    plot_confusion_matrix,
)

# class 0: tp 2, fp 0, fn 1 -> P 1,   R 2/3 -> F1 0.8
# class 1: tp 1, fp 1, fn 1 -> P 1/2, R 1/2 -> F1 0.5
# class 2: tp 1, fp 1, fn 0 -> P 1/2, R 1   -> F1 2/3
Y_TRUE = [0, 0, 0, 1, 1, 2]
Y_PRED = [0, 0, 1, 1, 2, 2]
NAMES = ["very negative", "neutral", "positive"]
ACCURACY = 100 * 4 / 6
MACRO = 100 * (0.8 + 0.5 + 2 / 3) / 3  # 65.56
WEIGHTED = 100 * (0.8 * 3 + 0.5 * 2 + 2 / 3 * 1) / 6  # 67.78


def test_classification_scores_by_hand():
    scores = classification_scores(Y_TRUE, Y_PRED, NAMES)
    assert scores == pytest.approx(
        {
            "accuracy": ACCURACY,
            "macro_f1": MACRO,
            "weighted_f1": WEIGHTED,
            "f1_very_negative": 80.0,
            "f1_neutral": 50.0,
            "f1_positive": 100 * 2 / 3,
        }
    )


def test_class_without_examples_is_zero_and_not_averaged():
    scores = classification_scores(np.array(Y_TRUE), np.array(Y_PRED), [*NAMES, "unused"])
    assert scores["f1_unused"] == 0.0
    assert scores["macro_f1"] == pytest.approx(MACRO)


def test_perfect_and_bad_inputs():
    assert classification_scores([1, 0], [1, 0], ["a", "b"]) == pytest.approx(
        {
            "accuracy": 100.0,
            "macro_f1": 100.0,
            "weighted_f1": 100.0,
            "f1_a": 100.0,
            "f1_b": 100.0,
        }
    )
    with pytest.raises(ValueError, match="0..1"):
        classification_scores([0, 2], [0, 1], ["a", "b"])
    with pytest.raises(ValueError, match="2 examples but y_pred has 1"):
        classification_scores([0, 1], [0], ["a", "b"])
    with pytest.raises(ValueError, match="no examples"):
        classification_scores([], [], ["a", "b"])
    with pytest.raises(ValueError, match="duplicate keys"):
        classification_scores([0], [0], ["a b", "a  b"])


def test_compute_classification_metrics_for_trainer():
    logits = np.eye(3)[Y_PRED] * 2.0 - 1.0
    labels = np.array(Y_TRUE)
    metrics = compute_classification_metrics(EvalPrediction(predictions=logits, label_ids=labels))
    assert metrics == pytest.approx({"accuracy": ACCURACY, "macro_f1": MACRO, "weighted_f1": WEIGHTED})
    # tuple outputs (logits first) and -100 labels, which are ignored
    logits = np.vstack([logits, [[5.0, 0.0, 0.0]]])
    labels = np.append(labels, -100)
    metrics = compute_classification_metrics(EvalPrediction(predictions=(logits, np.zeros((7, 4))), label_ids=labels))
    assert metrics == pytest.approx({"accuracy": ACCURACY, "macro_f1": MACRO, "weighted_f1": WEIGHTED})


def test_confusion_matrix_png_for_28_classes(tmp_path):
    from matplotlib.image import imread

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 28, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 28, 300))
    names = [f"emotion number {i}" for i in range(28)]
    path = plot_confusion_matrix(y_true, y_pred, names, tmp_path / "plots" / "cm.png", title="GoEmotions")
    assert path == tmp_path / "plots" / "cm.png" and path.is_file()
    image = imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    small = imread(plot_confusion_matrix(Y_TRUE, Y_PRED, NAMES, tmp_path / "small.png", normalize=None))
    assert image.shape[0] > small.shape[0] and image.shape[1] > small.shape[1]  # grows with the classes
    with pytest.raises(ValueError, match="normalize"):
        plot_confusion_matrix(Y_TRUE, Y_PRED, NAMES, tmp_path / "x.png", normalize="rows")
