"""The LCL benchmark's tables (paired differences to CE, overall and per class), and the check that
reruns one recorded run of a quality benchmark (`--reproduce`, in `benchmarks/runs.py`)."""

from __future__ import annotations

import sys

import pytest

from tests.utils.benchmark_scripts import benchmark_module


@pytest.fixture(scope="module")
def lcl_quality():
    yield from benchmark_module("lcl_quality")


@pytest.fixture(scope="module")
def helpers(lcl_quality):
    """`benchmarks/runs.py`, the helpers every quality benchmark imports (loaded with the LCL one)."""
    return sys.modules["runs"]


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


# ------------------------------------------------------------------------------ --reproduce
def test_reproduce_picks_one_recorded_run(helpers):
    selector = helpers.parse_selector(["arm=lcl_separate", "seed=43", "max_train_samples=null"])
    assert selector == {"arm": "lcl_separate", "seed": 43, "max_train_samples": None}
    assert helpers.pick_recorded(RUNS, selector) is RUNS[3]
    # CE seed 42 exists full and capped: the error names the field that tells them apart.
    with pytest.raises(SystemExit, match=r"2 recorded runs .* add one of \['max_train_samples'\]"):
        helpers.pick_recorded(RUNS, helpers.parse_selector(["arm=ce", "seed=42"]))
    with pytest.raises(SystemExit, match="no recorded run"):
        helpers.pick_recorded(RUNS, {"arm": "ce", "seed": 7})
    with pytest.raises(SystemExit, match="FIELD=VALUE"):
        helpers.parse_selector(["seed"])


def test_reproduce_compares_every_score_exactly(helpers, capsys):
    recorded = {**RUNS[0], "dev_eval_runtime": 4.8, "dev_eval_samples_per_second": 78.0, "note": "by hand"}
    same = {**RUNS[0], "dev_eval_runtime": 9.9, "dev_eval_samples_per_second": 38.0, "test_f1_love": 1.0}
    rows, equal = helpers.compare(recorded, same)
    assert equal
    verdicts = {key: verdict for key, _, _, verdict in rows}
    assert "dev_eval_runtime" not in verdicts and "note" not in verdicts  # a rerun cannot repeat them
    assert verdicts["test_macro_f1"] == "yes" and verdicts["test_f1_love"] == "new"

    # The last bit of a float is a difference; so is a recorded score the rerun lacks.
    drifted = {**same, "test_macro_f1": 40.0 + 1e-12}
    del drifted["test_f1_joy"]
    rows, equal = helpers.compare(recorded, drifted)
    assert not equal
    verdicts = {key: verdict for key, _, _, verdict in rows}
    assert verdicts["test_macro_f1"] == "NO" and verdicts["test_f1_joy"] == "missing"
    assert helpers.report_reproduction(recorded, drifted) == 1
    out = capsys.readouterr().out
    assert "| test_macro_f1 | 40.0 | 40.000000000001 | NO |" in out and "2 recorded field(s) differ" in out
    assert helpers.report_reproduction(recorded, same) == 0


def test_reproduce_shows_a_loss_that_moved_without_failing(helpers, capsys):
    # A mean loss one float32 step away, every score equal: shown, with its size, not a failure.
    recorded = {**RUNS[0], "dev_eval_loss": 0.6399174928665161}
    now = {**RUNS[0], "dev_eval_loss": 0.6399175524711609}
    rows, equal = helpers.compare(recorded, now)
    assert equal and ("dev_eval_loss", 0.6399174928665161, 0.6399175524711609, "NO (loss)") in rows
    assert helpers.report_reproduction(recorded, now) == 0
    assert "dev_eval_loss differs by 9.3e-08 (relative); a loss" in capsys.readouterr().out
    # A loss never hides a score that moved.
    assert helpers.report_reproduction(recorded, {**now, "test_accuracy": 50.1}) == 1


def test_reproduce_compares_nested_records_and_ignores_paths(helpers):
    # The distillation rows are nested JSON: scores per task and seed, and the model's folder.
    recorded = {"settings": {"model": "/a/merged", "k": 4}, "tasks": {"sst2": {"scores": {"42": 0.5}}}}
    now = {"settings": {"model": "/tmp/b/merged", "k": 4}, "tasks": {"sst2": {"scores": {"42": 0.5}}}}
    assert not helpers.compare(recorded, now)[1]
    rows, equal = helpers.compare(recorded, now, ignore=("settings.model",))
    assert equal and [key for key, *_ in rows] == ["settings.k", "tasks.sst2.scores.42"]


def test_reproduce_never_writes_to_the_recorded_log(helpers, tmp_path):
    results = tmp_path / "runs.jsonl"
    with pytest.raises(SystemExit, match="--scratch"):
        helpers.scratch_log(None, str(results))
    with pytest.raises(SystemExit, match="must not be the recorded"):
        helpers.scratch_log(str(results), str(results))
    assert helpers.scratch_log(str(tmp_path / "scratch.jsonl"), str(results)).runs == []


def test_summary_averages_the_weighting_entropy_course_per_epoch(lcl_quality):
    runs = [
        run("ce", 42, 40.0, 60.0),
        run("lcl_shared", 42, 41.0, 60.0) | {"weighting_entropy_by_epoch": [3.0, 2.0, 1.0]},
        run("lcl_shared", 43, 41.0, 60.0) | {"weighting_entropy_by_epoch": [None, 1.0]},  # stopped early
        run("lcl_shared", 44, 41.0, 60.0),  # recorded before the entropy was logged
    ]
    lines = {line["arm"]: line for line in lcl_quality.summary(runs)}
    course = lines["lcl_shared"]["weighting_entropy_by_epoch"]
    assert course == {"n": 2, "mean": [3.0, 1.5, 1.0], "runs": [1, 2, 1]}
    assert "weighting_entropy_by_epoch" not in lines["ce"]
