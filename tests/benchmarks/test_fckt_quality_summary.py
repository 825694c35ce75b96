"""The FCKT benchmark's `--summary`: runs grouped by recipe (a run recorded before recipes were
keyed counts as the old default recipe), paired with the span baseline seed by seed."""

from __future__ import annotations

import pytest

from tests.utils.benchmark_scripts import benchmark_module


@pytest.fixture(scope="module")
def fckt_quality():
    yield from benchmark_module("fckt_quality")


def run(arm: str, seed: int, joint: float, context: str | None = None, epoch: float | None = None) -> dict:
    record = {
        "dataset": "laptop14", "arm": arm, "seed": seed, "epochs": 3, "learning_rate": 1e-4,
        "test_joint_f1": joint, "test_aspect_f1": 70.0, "test_polarity_accuracy": 75.0 + seed - 42,
        "dev_eval_joint_f1": joint + 1, "dev_eval_aspect_f1": 71.0, "dev_eval_polarity_accuracy": 76.0,
        "selected_epoch": epoch,
    }  # fmt: skip
    if context is not None:  # keyed recipe fields, as runs recorded now carry them
        record |= {"polarity_context": context, "early_stopping_patience": None}
    return record


RUNS = [
    run("span_baseline", 42, 50.0),
    run("span_baseline", 43, 52.0),
    run("fckt", 43, 55.0, context="none", epoch=3.0),  # the old default recipe, keyed explicitly
    run("fckt", 42, 51.0, context="none", epoch=2.0),
    run("fckt", 44, 60.0),  # no span baseline on seed 44: left out of the pairing
    run("fckt", 42, 70.0, context="attention"),  # another recipe: never paired with the above
]


def test_summary_pairs_by_seed_within_a_recipe(fckt_quality):
    lines = fckt_quality.summary(RUNS)
    by_key = {(line["polarity_context"], line["arm"]): line for line in lines}
    assert set(by_key) == {("none", "span_baseline"), ("none", "fckt"), ("attention", "fckt")}

    fckt = by_key["none", "fckt"]
    assert fckt["seeds"] == [42, 43, 44] and fckt["n"] == 3
    assert fckt["selected_epochs"] == [2.0, 3.0, None]
    difference = fckt["joint_f1_minus_span_baseline"]
    # Pairs (51 - 50) and (55 - 52); seed 44 has no control.
    assert difference["n"] == 2 and difference["mean"] == pytest.approx(2.0)
    assert difference["ci95"][0] < 2.0 < difference["ci95"][1]
    assert fckt["polarity_accuracy_minus_span_baseline"]["mean"] == pytest.approx(0.0)
    assert "joint_f1_minus_span_baseline" not in by_key["none", "span_baseline"]

    other = by_key["attention", "fckt"]
    assert other["test_joint_f1"] == {"mean": 70.0, "std": None}
    assert other["joint_f1_minus_span_baseline"]["n"] == 0
    # The context's own comparison: with the same arm and recipe without it, seed by seed (70 - 51).
    assert other["test_joint_f1_minus_context_none"]["n"] == 1
    assert other["test_joint_f1_minus_context_none"]["mean"] == pytest.approx(19.0)
    assert "test_joint_f1_minus_context_none" not in fckt


def test_tables_keep_recipes_apart(fckt_quality):
    text = fckt_quality.tables(RUNS)
    assert "### 3 epochs, lr 0.0001, polarity context none" in text
    assert "### 3 epochs, lr 0.0001, polarity context attention" in text
