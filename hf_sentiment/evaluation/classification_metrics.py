"""Metrics and a confusion-matrix plot for sentence classification (plain Python + scikit-learn).

- `classification_scores`: accuracy, macro-F1, weighted-F1 and per-class F1, in %;
- `compute_classification_metrics`: the same without per-class keys, as a
  `Trainer` `compute_metrics`;
- `plot_confusion_matrix`: a PNG written with matplotlib's Agg canvas (no
  display, no pyplot state), readable for 28-32 classes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from transformers import EvalPrediction

__all__ = [
    "classification_scores",
    "compute_classification_metrics",
    "plot_confusion_matrix",
]

# Values are written into the cells only up to this many classes.
_MAX_ANNOTATED_CLASSES = 12


def _class_ids(values: Sequence[int], n_classes: int, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be one class id per example, got shape {array.shape}")
    if array.size and (not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() >= n_classes):
        raise ValueError(f"{what} must hold integer class ids in 0..{n_classes - 1}")
    return array.astype(np.int64)


def _checked(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    if n_classes < 1:
        raise ValueError("label_names must not be empty")
    truth = _class_ids(y_true, n_classes, "y_true")
    guess = _class_ids(y_pred, n_classes, "y_pred")
    if len(truth) != len(guess):
        raise ValueError(f"y_true has {len(truth)} examples but y_pred has {len(guess)}")
    if not len(truth):
        raise ValueError("no examples to score")
    return truth, guess


def _key(name: str) -> str:
    """`f1_<name>` with runs of whitespace turned into `_` (`f1_very_negative`)."""
    return "f1_" + re.sub(r"\s+", "_", str(name).strip())


def classification_scores(y_true: Sequence[int], y_pred: Sequence[int], label_names: Sequence[str]) -> dict[str, float]:
    """Score single-label predictions (class ids) against gold.

    `macro_f1` averages the F1 of the classes that occur in `y_true` or
    `y_pred` (scikit-learn's default); `weighted_f1` weights each class by
    its support in `y_true`. A class with no gold and no predicted example has
    `f1_<name> == 0` and is left out of `macro_f1`.

    Args:
        y_true (`Sequence[int]`): Gold class ids.
        y_pred (`Sequence[int]`): Predicted class ids.
        label_names (`Sequence[str]`): Class names in id order.

    Returns:
        `dict[str, float]`: `accuracy`, `macro_f1`, `weighted_f1` and one `f1_<name>` per class
        (whitespace in names becomes `_`), all in %.

    Raises:
        ValueError: If the ids are not class ids of `label_names`, the two lengths differ, there
            is no example, or two names give the same key.

    Example:

    ```python
    >>> scores = classification_scores([0, 0, 1, 1], [0, 1, 1, 1], ["negative", "positive"])
    >>> round(scores["accuracy"], 2), round(scores["f1_negative"], 2), round(scores["f1_positive"], 2)
    (75.0, 66.67, 80.0)
    ```
    """
    names = list(label_names)
    keys = [_key(name) for name in names]
    if len(set(keys)) != len(keys):
        raise ValueError(f"label names give duplicate keys: {keys}")
    truth, guess = _checked(y_true, y_pred, len(names))
    per_class = f1_score(truth, guess, labels=list(range(len(names))), average=None, zero_division=0)
    scores = {
        "accuracy": 100 * float(accuracy_score(truth, guess)),
        "macro_f1": 100 * float(f1_score(truth, guess, average="macro", zero_division=0)),
        "weighted_f1": 100 * float(f1_score(truth, guess, average="weighted", zero_division=0)),
    }
    scores.update({key: 100 * float(value) for key, value in zip(keys, per_class)})
    return scores


def compute_classification_metrics(eval_prediction: EvalPrediction) -> dict[str, float]:
    """`compute_metrics` for `Trainer` on sequence classification.

    Takes the argmax of the logits (the first element when the model returns a
    tuple) and returns `accuracy`, `macro_f1` and `weighted_f1` in % (no
    per-class keys, to keep the logs short; use `classification_scores` for
    those). Examples labelled `-100` are ignored.
    """
    logits, labels = eval_prediction.predictions, eval_prediction.label_ids
    logits = np.asarray(logits[0] if isinstance(logits, tuple) else logits)
    labels = np.asarray(labels[0] if isinstance(labels, tuple) else labels)
    keep = labels != -100
    scores = classification_scores(labels[keep], logits.argmax(-1)[keep], [str(i) for i in range(logits.shape[-1])])
    return {key: scores[key] for key in ("accuracy", "macro_f1", "weighted_f1")}


def plot_confusion_matrix(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    label_names: Sequence[str],
    path: str | os.PathLike[str],
    normalize: str | None = "true",
    title: str | None = None,
) -> Path:
    """Write a confusion-matrix PNG (rows: gold, columns: predicted).

    The figure grows with the number of classes, the predicted-class labels are
    rotated, and the cell values are written only for up to 12 classes (the
    colours carry them beyond).

    Args:
        y_true (`Sequence[int]`): Gold class ids.
        y_pred (`Sequence[int]`): Predicted class ids.
        label_names (`Sequence[str]`): Class names in id order.
        path (`str` or `os.PathLike`): The PNG to write (parent folders are made).
        normalize (`str`, *optional*, defaults to `"true"`): `"true"` (rows sum to 1), `"pred"`
            (columns), `"all"`, or `None` for counts.
        title (`str`, *optional*): The figure title (default: none).

    Returns:
        `Path`: The PNG's path.

    Raises:
        ValueError: If `normalize` is none of the above, or the ids do not fit `label_names`.

    Example:

    ```python
    >>> plot_confusion_matrix([0, 1, 2], [0, 2, 2], ["a", "b", "c"], "out/cm.png")  # doctest: +SKIP
    PosixPath('out/cm.png')
    ```
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if normalize not in ("true", "pred", "all", None):
        raise ValueError(f"normalize must be 'true', 'pred', 'all' or None, got {normalize!r}")
    names = [str(name) for name in label_names]
    truth, guess = _checked(y_true, y_pred, len(names))
    matrix = confusion_matrix(truth, guess, labels=list(range(len(names))), normalize=normalize)
    n = len(names)
    side = max(4.0, 2.5 + 0.32 * n)
    figure = Figure(figsize=(side + 1.0, side), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(
        matrix,
        cmap="Blues",
        vmin=0,
        vmax=1 if normalize else None,
        interpolation="nearest",
    )
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    font_size = 9 if n <= 12 else 7
    axes.set_xticks(
        range(n),
        names,
        rotation=45 if n <= 12 else 90,
        ha="right" if n <= 12 else "center",
        rotation_mode="anchor" if n <= 12 else "default",
        fontsize=font_size,
    )
    axes.set_yticks(range(n), names, fontsize=font_size)
    axes.set_xlabel("Predicted")
    axes.set_ylabel("True")
    if title:
        axes.set_title(title)
    if n <= _MAX_ANNOTATED_CLASSES:
        threshold = matrix.max() / 2 if matrix.size else 0
        for row in range(n):
            for column in range(n):
                value = matrix[row, column]
                text = f"{value:.2f}" if normalize else f"{int(value)}"
                color = "white" if value > threshold else "black"
                axes.text(
                    column,
                    row,
                    text,
                    ha="center",
                    va="center",
                    color=color,
                    fontsize=font_size,
                )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
