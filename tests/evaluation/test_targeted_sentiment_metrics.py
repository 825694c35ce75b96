"""Targeted-sentiment metrics on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from transformers import EvalPrediction

from hf_sentiment import compute_targeted_sentiment_metrics, targeted_sentiment_scores

ALL_ZERO = {f"{task}_{metric}": 0.0 for task in ("aspect", "joint") for metric in ("precision", "recall", "f1")}

# Three sentences: 3 gold aspects, 4 predicted.
#   sentence 1: both spans found, one with the wrong polarity;
#   sentence 2: the span is one character too long (a miss);
#   sentence 3: no gold aspect, one spurious prediction.
GOLD = [[(0, 3, "pos"), (5, 8, "neg")], [(2, 4, "neu")], []]
PREDICTED = [[(0, 3, "pos"), (5, 8, "pos")], [(2, 5, "neu")], [(1, 2, "neg")]]
# Polarities predicted on the gold spans: truth (pos, neg, neu), guess (pos, pos, neu).
ON_GOLD = [["pos", "pos"], ["neu"], []]

# aspects: 2 correct of 4 predicted and 3 gold; joint: 1 correct.
EXPECTED = {
    "aspect_precision": 50.0,
    "aspect_recall": 200 / 3,
    "aspect_f1": 400 / 7,  # 2·(1/2)·(2/3) / (1/2 + 2/3) = 4/7
    "joint_precision": 25.0,
    "joint_recall": 100 / 3,
    "joint_f1": 200 / 7,  # 2·(1/4)·(1/3) / (1/4 + 1/3) = 2/7
    "polarity_accuracy": 200 / 3,
    # per class F1: pos 2/3 (P 1/2, R 1), neg 0, neu 1 -> mean 5/9
    "polarity_macro_f1": 500 / 9,
}


def assert_scores(actual: dict[str, float], expected: dict[str, float]) -> None:
    assert set(actual) == set(expected)
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=1e-9), key


def test_hand_computed_case():
    assert_scores(targeted_sentiment_scores(GOLD, PREDICTED, ON_GOLD), EXPECTED)


def test_polarity_scores_only_with_gold_aspect_predictions():
    scores = targeted_sentiment_scores(GOLD, PREDICTED)
    assert_scores(scores, {k: v for k, v in EXPECTED.items() if not k.startswith("polarity")})


def test_perfect_predictions():
    scores = targeted_sentiment_scores(GOLD, GOLD, [[t[2] for t in s] for s in GOLD])
    assert_scores(scores, {key: 100.0 for key in EXPECTED})


def test_order_within_a_sentence_does_not_matter():
    shuffled = [list(reversed(s)) for s in PREDICTED]
    assert_scores(targeted_sentiment_scores(GOLD, shuffled, ON_GOLD), EXPECTED)


def test_a_span_counts_once_per_sentence():
    # The same span twice in one sentence is one prediction; in two sentences, two.
    gold = [[(0, 3, "pos")], [(0, 3, "pos")]]
    predicted = [[(0, 3, "pos"), (0, 3, "pos")], []]
    scores = targeted_sentiment_scores(gold, predicted)
    assert scores["aspect_precision"] == 100.0
    assert scores["aspect_recall"] == 50.0
    assert scores["joint_f1"] == pytest.approx(200 / 3)


def test_empty_predictions():
    scores = targeted_sentiment_scores(GOLD, [[], [], []], ON_GOLD)
    assert_scores(
        scores,
        {
            **ALL_ZERO,
            "polarity_accuracy": EXPECTED["polarity_accuracy"],
            "polarity_macro_f1": EXPECTED["polarity_macro_f1"],
        },
    )


def test_empty_gold():
    # Nothing to find: every prediction is wrong, recall is 0 by convention, and there is no
    # polarity score without gold aspects.
    scores = targeted_sentiment_scores([[], []], [[(1, 2, "pos")], []], [[], []])
    assert_scores(scores, ALL_ZERO)
    assert_scores(targeted_sentiment_scores([[], []], [[], []]), ALL_ZERO)
    assert_scores(targeted_sentiment_scores([], []), ALL_ZERO)


def test_macro_f1_counts_a_class_only_predicted():
    # truth (pos, pos), guess (pos, neg): pos F1 = 2/3, neg F1 = 0 -> macro 1/3.
    scores = targeted_sentiment_scores([[(0, 1, "pos"), (2, 3, "pos")]], [[]], [["pos", "neg"]])
    assert scores["polarity_accuracy"] == 50.0
    assert scores["polarity_macro_f1"] == pytest.approx(100 / 3)


def test_length_mismatches_are_errors():
    with pytest.raises(ValueError, match="gold has 3 sentences but predicted has 2"):
        targeted_sentiment_scores(GOLD, PREDICTED[:2])
    with pytest.raises(ValueError, match="3 gold aspects but 2 gold-aspect predictions"):
        targeted_sentiment_scores(GOLD, PREDICTED, [["pos", "pos"], [], []])


def eval_prediction() -> EvalPrediction:
    """The hand-computed case above at the token level, padded the way `Trainer` pads: `-100`
    between batches, `-1` for the model's own empty decoding slots."""
    pad = -100
    pos, neg, neu = 0, 1, 2
    gold_spans = np.array(
        [
            [[0, 3], [5, 8]],
            [[2, 4], [pad, pad]],
            [[pad, pad], [pad, pad]],
        ]
    )
    gold_labels = np.array([[pos, neg], [neu, pad], [pad, pad]])
    # Polarity logits on the gold spans: argmax (pos, pos), (neu, -), (-, -); padded rows hold
    # values that must be ignored (here they would vote for another class).
    aspect_logits = np.array(
        [
            [[3.0, 1.0, 0.0], [2.0, 1.0, 0.0]],
            [[0.0, 1.0, 2.0], [pad, pad, 0]],
            [[pad, 0, pad], [pad, 0, pad]],
        ],
        dtype=np.float32,
    )
    predicted_spans = np.array(
        [
            [[0, 3], [5, 8], [-1, -1]],
            [[2, 5], [pad, pad], [pad, pad]],
            [[1, 2], [-1, -1], [-1, -1]],
        ]
    )
    span_scores = np.array(
        [[5.0, 4.0, -np.inf], [3.0, pad, pad], [1.0, -np.inf, -np.inf]],
        dtype=np.float32,
    )
    predicted_polarities = np.array([[pos, pos, -1], [neu, pad, pad], [neg, -1, -1]])
    polarity_scores = np.array([[0.9, 0.8, 0.0], [0.7, pad, pad], [0.6, 0.0, 0.0]], dtype=np.float32)
    return EvalPrediction(
        predictions=(
            aspect_logits,
            predicted_spans,
            span_scores,
            predicted_polarities,
            polarity_scores,
        ),
        label_ids=(gold_spans, gold_labels),
    )


def test_compute_metrics_on_trainer_outputs():
    scores = compute_targeted_sentiment_metrics(eval_prediction())
    assert_scores(scores, EXPECTED)


def test_compute_metrics_ignores_extra_predictions():
    # Asked for hidden states, Trainer hands over more arrays after the first five.
    prediction = eval_prediction()
    extra = EvalPrediction(
        predictions=(*prediction.predictions, np.zeros((3, 4, 8))),
        label_ids=prediction.label_ids,
    )
    assert_scores(compute_targeted_sentiment_metrics(extra), EXPECTED)


def test_missing_label_names_is_a_clear_error():
    import numpy as np
    from transformers import EvalPrediction

    from hf_sentiment import compute_targeted_sentiment_metrics

    prediction = EvalPrediction(predictions=(np.zeros((2, 1, 3)),) * 5, label_ids=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="label_names"):
        compute_targeted_sentiment_metrics(prediction)
