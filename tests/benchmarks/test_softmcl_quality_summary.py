"""The SoftMCL benchmark's run keys and `--summary` (issue 20): records keyed by (arm, task,
pretrain_seed, seed, protocol, setting), the paired difference to MLM-only on the mean of the five
tasks over (pre-training seed, seed) pairs, and old records (issue 3) still read as such."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from scipy.stats import t as student_t

from tests.utils.benchmark_scripts import benchmark_module

ROOT = Path(__file__).resolve().parents[2]
TASKS = ("sst2", "sst5", "emobank", "warriner", "laptop")
#: Per-task offsets that sum to 0: a pair's mean of five is exactly its base score.
OFFSETS = dict(zip(TASKS, (-2.0, -1.0, 0.0, 1.0, 2.0)))
#: The setting of a fine-tuning run at the benchmark's defaults (issue 20).
NEW = {
    "protocol": "finetune", "pretrain_steps": 2000, "pretrain_batch_size": 32, "pretrain_learning_rate": 1e-4,
    "momentum": 0.99, "warm_mlm_head_steps": 1000, "warm_mlm_head_learning_rate": 1e-3, "max_length": 64,
    "max_dev_samples": 200, "max_test_samples": 1000, "epochs": 2.0, "learning_rate": 5e-5, "max_train_samples": 2000,
}  # fmt: skip


@pytest.fixture(scope="module")
def softmcl_quality():
    yield from benchmark_module("softmcl_quality")


def runs(arm: str, pretrain_seed: int, seed: int, base: float, tasks=TASKS, setting=NEW) -> list[dict]:
    """One record per task, the scores `base + offset` (in points; records hold fractions)."""
    warm = f"minilm-l6-mlmhead-steps1000-bs32-lr0.001-seed{pretrain_seed}"
    return [
        {"arm": arm, "task": task, "pretrain_seed": pretrain_seed, "seed": seed, **setting, "warm_start": warm,
         "dev_score": 0.5, "test_score": (base + OFFSETS[task]) / 100, "train_rows": 2000, "test_rows": 1000}
        for task in tasks
    ]  # fmt: skip


def old_runs(arm: str, seed: int, base: float) -> list[dict]:
    """Fine-tuning records as issue 3 wrote them: no protocol, pre-training seed or warm start."""
    return [
        {"arm": arm, "task": task, "seed": seed, "pretrain_steps": 200, "pretrain_batch_size": 32, "epochs": 2,
         "max_train_samples": 500, "pretrain_learning_rate": 0.0001, "momentum": 0.99, "max_length": 64,
         "max_dev_samples": 200, "learning_rate": 5e-05, "max_test_samples": 1000, "dev_score": 0.5,
         "test_score": (base + OFFSETS[task]) / 100, "train_rows": 500, "test_rows": 1000}
        for task in TASKS
    ]  # fmt: skip


MLM = {(42, 42): 50.0, (42, 43): 52.0, (43, 42): 51.0, (43, 43): 53.0}
# Differences to MLM-only 1, 3 (pre-training seed 42) and 3, 5 (seed 43).
SOFTMCL = {(42, 42): 51.0, (42, 43): 55.0, (43, 42): 54.0, (43, 43): 58.0}
RUNS = [
    *(r for pair, base in MLM.items() for r in runs("mlm", *pair, base)),
    *runs("mlm", 43, 44, 90.0),  # no SoftMCL run on this pair: left out of the pairing
    *(r for pair, base in SOFTMCL.items() for r in runs("softmcl", *pair, base)),
    *runs("softmcl", 44, 42, 99.0, tasks=TASKS[:4]),  # four tasks only: no mean of five
    *runs("softmcl_sharp", 42, 42, 49.0),
    *(r for seed, base in ((42, 40.0), (43, 41.0)) for r in old_runs("mlm", seed, base)),
    *(r for seed, base in ((42, 44.0), (43, 44.0)) for r in old_runs("softmcl", seed, base)),
]


def lines_by(softmcl_quality, runs_):
    return {(line["max_train_samples"], line["arm"]): line for line in softmcl_quality.summary(runs_)}


def test_summary_pairs_over_pretraining_and_finetuning_seeds(softmcl_quality):
    lines = lines_by(softmcl_quality, RUNS)
    line = lines[2000, "softmcl"]
    assert line["protocol"] == "finetune" and line["warm_mlm_head_steps"] == 1000
    assert line["pretrain_seeds"] == [42, 43, 44] and line["seeds"] == [42, 43]
    assert line["warm_starts"] == [f"minilm-l6-mlmhead-steps1000-bs32-lr0.001-seed{s}" for s in (42, 43, 44)]
    assert line["mean_of_5"]["n"] == 4  # the four-task pair (44, 42) has no mean of five
    assert line["mean_of_5"]["mean"] == pytest.approx(statistics.fmean(SOFTMCL.values()))
    assert line["mean_of_5"]["std"] == pytest.approx(statistics.stdev(SOFTMCL.values()))

    difference = line["mean_of_5_minus_mlm"]
    assert difference["pairs"] == [[42, 42], [42, 43], [43, 42], [43, 43]]
    assert difference["n"] == 4 and difference["mean"] == pytest.approx(3.0)
    std = statistics.stdev([1.0, 3.0, 3.0, 5.0])
    half = student_t.ppf(0.975, 3) * std / 2
    assert difference["std"] == pytest.approx(std)
    assert difference["ci95"] == pytest.approx([3.0 - half, 3.0 + half])

    # The pre-training seed as the unit: differences 2 (seed 42) and 4 (seed 43), a wider interval.
    by_seed = line["mean_of_5_minus_mlm_by_pretrain_seed"]
    assert by_seed["pretrain_seeds"] == [42, 43] and by_seed["n"] == 2
    assert by_seed["mean"] == pytest.approx(3.0)
    half = student_t.ppf(0.975, 1) * statistics.stdev([2.0, 4.0]) / 2**0.5
    assert by_seed["ci95"] == pytest.approx([3.0 - half, 3.0 + half])


def test_summary_lines_per_arm_and_the_control_has_no_difference(softmcl_quality):
    lines = lines_by(softmcl_quality, RUNS)
    assert set(lines) == {(2000, "mlm"), (2000, "softmcl"), (2000, "softmcl_sharp"), (500, "mlm"), (500, "softmcl")}
    mlm = lines[2000, "mlm"]
    assert mlm["mean_of_5"]["n"] == 5 and not any(key.startswith("mean_of_5_minus") for key in mlm)
    assert mlm["tasks"]["sst2"] == "57.20 ± 17.25"  # mean_std of 48, 50, 49, 51, 88: the five pairs, in points
    sharp = lines[2000, "softmcl_sharp"]["mean_of_5_minus_mlm"]
    assert sharp["n"] == 1 and sharp["mean"] == pytest.approx(-1.0) and sharp["ci95"] is None


def test_old_records_read_as_their_old_setting_and_never_pair_with_new_ones(softmcl_quality):
    lines = lines_by(softmcl_quality, RUNS)
    old = lines[500, "softmcl"]
    assert old["protocol"] == "finetune" and old["pretrain_seeds"] == [42] and old["warm_starts"] == [None]
    assert old["warm_mlm_head_steps"] == 0 and old["warm_mlm_head_learning_rate"] is None
    difference = old["mean_of_5_minus_mlm"]
    assert difference["pairs"] == [[42, 42], [42, 43]] and difference["mean"] == pytest.approx(3.5)
    record = softmcl_quality.with_defaults(old_runs("mlm", 42, 40.0)[0])
    assert record["pretrain_seed"] == 42 and record["protocol"] == "finetune" and record["warm_start"] is None


def test_the_recorded_issue_3_runs_still_give_their_tables(softmcl_quality):
    """docs/softmcl_runs.jsonl, as recorded: the tables of docs/benchmarks.md, under the old options."""
    from runs import RunLog

    log = RunLog(ROOT / "docs" / "softmcl_runs.jsonl")
    old = ["--pretrain_steps", "200", "--warm_mlm_head_steps", "0"]
    finetune = softmcl_quality.parse_args([*old, "--max_train_samples", "500"])
    probe = softmcl_quality.parse_args([*old, "--protocol", "probe", "--probe_pool", "3000", "--probe_train", "2000"])
    table = softmcl_quality.table(log.runs, softmcl_quality.setting_of(finetune)).splitlines()
    assert (
        "| softmcl | 64.53 ± 6.37 | 25.03 ± 1.59 | 7.58 ± 6.64 | 32.91 ± 8.11 | 58.89 ± 1.70 | 37.79 ± 1.69 |" in table
    )
    assert table[-1].endswith("the mean of 5 is taken per seed, then mean ± std over seeds.")
    table = softmcl_quality.table(log.runs, softmcl_quality.setting_of(probe)).splitlines()
    assert "| mlm | 77.97 ± 0.76 | 37.93 ± 1.36 | 54.43 ± 0.68 | 82.23 ± 0.09 | 65.67 ± 0.40 | 63.65 ± 0.27 |" in table
    lines = softmcl_quality.summary(log.runs)
    assert {(line["protocol"], line["arm"]) for line in lines} == {
        (protocol, arm) for protocol in ("finetune", "probe")
        for arm in ("none", "mlm", "softmcl", "softmcl_noq", "word_only", "sentence_only")
    }  # fmt: skip
    assert all(line["mean_of_5"]["n"] == 3 and line["pretrain_seeds"] == [42] for line in lines)


def test_defaults_are_issue_20s_powered_run(softmcl_quality):
    args = softmcl_quality.parse_args([])
    assert args.arms == ["mlm", "softmcl", "softmcl_sharp"] and args.pretrain_seeds == [42, 43, 44]
    assert args.pretrain_steps == 2000 and args.max_train_samples == 2000 and args.seeds == [42, 43, 44]
    assert args.probe_pool is None and args.probe_train is None and args.warm_mlm_head_steps > 0
    assert softmcl_quality.ARMS["softmcl_sharp"] == {"soft_target_temperature": 0.035}
    assert softmcl_quality.parse_args(["--probe_pool", "all", "--probe_train", "2000"]).probe_train == 2000
    # Without a warm start its learning rate is no part of the setting (as in the old records).
    assert softmcl_quality.parse_args(["--warm_mlm_head_steps", "0"]).warm_mlm_head_learning_rate is None


def test_main_keys_runs_and_resumes(softmcl_quality, monkeypatch, tmp_path, capsys):
    """The run loop, with pre-training, fine-tuning and probing replaced by stand-ins."""
    pretrained = []

    def pretrain(data, arm, pretrain_seed, args):
        pretrained.append((arm, pretrain_seed))
        return Path(f"encoder-{arm}-{pretrain_seed}")

    def finetune(encoder, task, splits, seed, args):
        return {"dev_score": 0.5, "test_score": 0.5, "train_rows": args.max_train_samples, "test_rows": 10}

    def probe(encoder, task, splits, seeds, args):
        return [
            {"seed": seed, "dev_score": 0.5, "strength": 1.0, "test_score": 0.6, "train_rows": 99} for seed in seeds
        ]

    for name, value in (("pretrain", pretrain), ("finetune", finetune), ("probe", probe),
                        ("task_splits", lambda task, data: {}), ("data_folder", lambda given: "data")):  # fmt: skip
        monkeypatch.setattr(softmcl_quality, name, value)
    results = tmp_path / "runs.jsonl"
    common = [
        "--results",
        str(results),
        "--tasks",
        "sst2",
        "laptop",
        "--seeds",
        "42",
        "43",
        "--pretrain_seeds",
        "42",
        "43",
    ]
    softmcl_quality.main([*common, "--arms", "none", "mlm", "softmcl_sharp"])
    records = [json.loads(line) for line in results.read_text().splitlines()]
    # `none` only at the first pre-training seed; the others at both: 2 tasks x 2 seeds each.
    assert pretrained == [("none", 42), ("mlm", 42), ("softmcl_sharp", 42), ("mlm", 43), ("softmcl_sharp", 43)]
    assert len(records) == 5 * 4
    first = records[4]
    assert list(first)[:4] == ["arm", "task", "pretrain_seed", "seed"]
    assert first["arm"] == "mlm" and first["protocol"] == "finetune" and first["max_train_samples"] == 2000
    assert first["warm_start"] == "minilm-l6-mlmhead-steps1000-bs32-lr0.001-seed42"
    assert records[0]["warm_start"] is None  # `none` is the shipped MiniLM
    assert {(r["arm"], r["pretrain_seed"], r["seed"]) for r in records if r["task"] == "laptop"} >= {("mlm", 43, 43)}

    # Resumed: nothing left to run, nothing pre-trained; a new arm runs alone.
    pretrained.clear()
    softmcl_quality.main([*common, "--arms", "mlm", "softmcl"])
    assert pretrained == [("softmcl", 42), ("softmcl", 43)]
    assert len(results.read_text().splitlines()) == 20 + 8

    # The probe on the whole pool: one run per (arm, task, pre-training seed), as the first seed.
    softmcl_quality.main([*common, "--arms", "mlm", "--protocol", "probe"])
    probes = [json.loads(line) for line in results.read_text().splitlines()][28:]
    assert [(r["pretrain_seed"], r["seed"], r["task"]) for r in probes] == [
        (42, 42, "sst2"), (42, 42, "laptop"), (43, 42, "sst2"), (43, 42, "laptop")
    ]  # fmt: skip
    assert probes[0]["probe_pool"] is None and probes[0]["probe_train"] is None and probes[0]["protocol"] == "probe"

    capsys.readouterr()
    softmcl_quality.main(["--results", str(results), "--summary"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["protocol"], line["arm"]) for line in lines] == [
        ("finetune", "none"), ("finetune", "mlm"), ("finetune", "softmcl"), ("finetune", "softmcl_sharp"),
        ("probe", "mlm"),
    ]  # fmt: skip
    assert lines[0]["mean_of_5"]["n"] == 0  # two tasks of five: no mean of five


def test_train_once_resumes_from_the_last_checkpoint_and_caches(softmcl_quality, monkeypatch, tmp_path):
    calls = []

    def train_softmcl(argv):
        calls.append(argv)
        encoder = tmp_path / "run" / "encoder"
        encoder.mkdir(parents=True)
        (encoder / "config.json").write_text("{}")
        (encoder / "model.safetensors").write_text("")

    monkeypatch.setattr("hf_sentiment.cli.train_softmcl.main", train_softmcl)
    folder = tmp_path / "run"
    for step, complete in ((2, True), (10, True), (12, False)):  # checkpoint-12 was cut off mid-write
        (folder / f"checkpoint-{step}").mkdir(parents=True)
        if complete:
            (folder / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    encoder, trained = softmcl_quality.train_once(folder, ["--max_steps", "20"], 5)
    assert trained and encoder == folder / "encoder"
    (argv,) = calls
    assert argv[argv.index("--resume_from_checkpoint") + 1] == str(folder / "checkpoint-10")
    assert argv[argv.index("--save_steps") + 1] == "5" and "--overwrite_output_dir" not in argv
    assert not list(folder.glob("checkpoint-*"))  # removed once the encoder is exported
    assert json.loads((folder / "trainer_state.json").read_text()) == {"global_step": 10}  # the loss curve stays
    assert softmcl_quality.train_once(folder, ["--max_steps", "20"], 5) == (encoder, False) and len(calls) == 1
