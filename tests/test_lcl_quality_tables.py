"""The LCL benchmark's tables: paired differences to CE, overall and per class."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def lcl_quality():
    sys.path.insert(0, str(BENCHMARKS))  # the script imports its sibling `runs`
    try:
        spec = importlib.util.spec_from_file_location("lcl_quality", BENCHMARKS / "lcl_quality.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCHMARKS))


def run(arm: str, seed: int, macro: float, joy: float, cap: int | None = None) -> dict:
    return {
        "dataset": "goemotions", "arm": arm, "seed": seed, "fold": 0, "max_train_samples": cap,
        "test_accuracy": 50.0, "test_macro_f1": macro, "test_weighted_f1": 50.0,
        "test_f1_joy": joy, "test_f1_anger": 10.0,
    }  # fmt: skip


RUNS = [
    run("ce", 42, 40.0, 60.0),
    run("ce", 43, 44.0, 62.0),
    run("lcl_separate", 42, 41.0, 61.0),
    run("lcl_separate", 43, 47.0, 61.0),
    run("lcl_shared", 42, 39.0, 50.0),
    run("ce", 42, 10.0, 0.0, cap=5000),  # a capped run never pairs with a full one
]


def test_paired_gain_pairs_seeds(lcl_quality):
    # Differences +1 and +3 (seed by seed), not the difference of means over unpaired runs.
    ce = RUNS[:2]
    assert lcl_quality.paired_gain(RUNS[2:4], ce) == "+2.00 ± 1.41"
    assert lcl_quality.paired_gain(RUNS[4:5], ce) == "-1.00 (1 seed)"


def test_table_keeps_capped_runs_apart(lcl_quality):
    rows = lcl_quality.table(RUNS).splitlines()
    assert "| goemotions | lcl_separate | 2 | 50.00 ± 0.00 | 44.00 ± 4.24 | 50.00 ± 0.00 | +2.00 ± 1.41 |" in rows
    assert any(row.startswith("| goemotions (first 5,000 train rows) | ce | 1 |") for row in rows)


def test_per_class_table(lcl_quality):
    rows = lcl_quality.per_class_table(RUNS, "goemotions").splitlines()
    assert rows[0] == "| class | ce F1 (2 runs) | lcl_separate Δ F1 | lcl_shared Δ F1 |"
    assert rows[2] == "| joy | 61.00 ± 1.41 | +0.00 ± 1.41 | -10.00 (1 seed) |"
    assert rows[3] == "| anger | 10.00 ± 0.00 | +0.00 ± 0.00 | +0.00 (1 seed) |"
    with pytest.raises(SystemExit, match="no CE runs"):
        lcl_quality.per_class_table(RUNS, "sst5")
