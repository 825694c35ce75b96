"""Helpers shared by the quality benchmarks: find the data folder, keep a resumable JSON-lines log
of finished runs, format mean ± std, and rerun one recorded run to check that it reproduces.

Every quality benchmark trains through `hf_sentiment.cli.*.main(argv)` (the job behind
`hf-sentiment train ...`), which returns the metrics dict that the benchmark records.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from hf_sentiment.data.shared_data import DATA_ENV, find_data_dir

ROOT = Path(__file__).resolve().parents[1]

# What a rerun cannot repeat: wall-clock measures, and notes written by hand beside a run.
UNREPEATABLE = ("runtime", "per_second", "note")


def data_folder(given: str | None) -> str:
    """The shared data folder (`--data`, else `HF_SENTIMENT_DATA`, else `../shared/data` beside
    the checkout), as a string for the training commands' `--data_dir`.

    Args:
        given (`str`, *optional*):
            The benchmark's `--data` option.

    Raises:
        `SystemExit`: when none of the three names a folder.
    """
    folder = find_data_dir(given)
    if folder is None:
        raise SystemExit(f"no data folder: pass --data or set {DATA_ENV} (see ../shared/data/SOURCES.md)")
    return str(folder)


class RunLog:
    """Finished runs, one JSON object a line; a benchmark skips the runs already there."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.runs = [json.loads(line) for line in self.path.read_text().splitlines()] if self.path.exists() else []

    def has(self, **key: object) -> bool:
        return any(all(run.get(k) == v for k, v in key.items()) for run in self.runs)

    def append(self, run: dict) -> None:
        self.runs.append(run)
        with self.path.open("a") as handle:
            handle.write(json.dumps(run) + "\n")


def mean_std(values: list[float], signed: bool = False) -> str:
    """`mean ± std` (sample std) of the seeds, or the single value marked as such; `signed` writes
    the mean's sign (for differences)."""
    if not values:
        return "–"
    sign = "+" if signed else ""
    if len(values) == 1:
        return f"{values[0]:{sign}.2f} (1 seed)"
    return f"{statistics.mean(values):{sign}.2f} ± {statistics.stdev(values):.2f}"


# ------------------------------------------------------------------------------ reproduction
def paired_difference(treated: list[float], control: list[float]) -> dict[str, object]:
    """The mean paired difference `treated - control` (lists aligned by seed / fold), its sample
    std and its 95% confidence interval (Student's t with n - 1 degrees of freedom); the interval
    is `None` below two pairs.

    Args:
        treated (`list[float]`): the arm's scores.
        control (`list[float]`): the control's scores on the same seeds and folds, in the same order.
    """
    from scipy.stats import t

    differences = [a - b for a, b in zip(treated, control, strict=True)]
    n = len(differences)
    mean = statistics.fmean(differences) if n else None
    std = statistics.stdev(differences) if n > 1 else None
    half = t.ppf(0.975, n - 1) * std / n**0.5 if n > 1 else None
    return {"n": n, "mean": mean, "std": std, "ci95": None if half is None else [mean - half, mean + half]}


def mcnemar(only_treated: int, only_control: int) -> float:
    """The two-sided exact McNemar p-value of paired right / wrong outcomes: under no difference,
    each of the discordant pairs (right for one side only) is a fair coin's toss.

    Args:
        only_treated (`int`): pairs the treated side got right and the control wrong.
        only_control (`int`): pairs the control got right and the treated side wrong.
    """
    from scipy.stats import binomtest

    discordant = only_treated + only_control
    return 1.0 if discordant == 0 else float(binomtest(only_treated, discordant, 0.5).pvalue)


def parse_selector(items: list[str]) -> dict[str, object]:
    """`["dataset=laptop14", "seed=42", "max_train_samples=null"]` -> `{"dataset": "laptop14",
    "seed": 42, "max_train_samples": None}`: values are read as JSON where they parse, so numbers
    and `null` compare with the recorded ones, else kept as strings.

    Args:
        items (`list[str]`):
            `FIELD=VALUE` strings from the command line.

    Raises:
        `SystemExit`: on an item without `=`.
    """
    selector = {}
    for item in items:
        field, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--reproduce takes FIELD=VALUE items, got {item!r}")
        try:
            selector[field] = json.loads(value)
        except json.JSONDecodeError:
            selector[field] = value
    return selector


def pick_recorded(runs: list[dict], selector: dict[str, object]) -> dict:
    """The one recorded run whose fields equal `selector`'s.

    Args:
        runs (`list[dict]`):
            The recorded runs (a `RunLog`'s `runs`).
        selector (`dict`):
            Field values that must all match, from `parse_selector`.

    Raises:
        `SystemExit`: when no run or more than one run matches (the message lists what would
        tell the candidates apart).
    """
    chosen = [run for run in runs if all(run.get(k) == v for k, v in selector.items())]
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        raise SystemExit(f"no recorded run has {selector}")
    # Name the fields that differ among the candidates, so the user knows what to add.
    fields = {k for run in chosen for k in run if not _is_metric(k)}
    fields = sorted(k for k in fields if len({str(run.get(k)) for run in chosen}) > 1)
    raise SystemExit(f"{len(chosen)} recorded runs have {selector}; add one of {fields} to pick one")


def _is_metric(key: str) -> bool:
    return key.startswith(("test_", "dev_", "eval_")) or key.endswith("_score")


def flatten(record: dict, prefix: str = "") -> dict[str, object]:
    """Nested dicts as one level with dotted keys (`tasks.sst2.scores.42`), for comparison."""
    flat = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= flatten(value, f"{name}.")
        else:
            flat[name] = value
    return flat


def _is_loss(key: str) -> bool:
    return key.rsplit(".", 1)[-1].endswith("loss")


def compare(
    recorded: dict, now: dict, ignore: tuple[str, ...] = ()
) -> tuple[list[tuple[str, object, object, str]], bool]:
    """Every field of a recorded run against the rerun's, exactly (`==`, no tolerance: a rerun on
    the same data, seed and thread count must give the same floats).

    Fields whose name contains one of `UNREPEATABLE` (runtimes, throughput, notes) or one of
    `ignore` are left out. A field the rerun lacks is a difference; a field only the rerun has
    (a metric added since the run was recorded) is listed as `new` and is not. A loss (a field
    ending in `loss`) that differs is listed as `NO (loss)` but does not count against the
    reproduction: our reading is that the scores are what a run records, while a mean loss can move
    in its last bits without any prediction changing (the recorded tweeteval_emotion CE run, seed
    42, reruns with its dev loss one float32 step away and all its scores equal; Laptop-14 FCKT
    seed 42 with its dev loss 1e-4 away, relative, and all its scores equal).
    `report_reproduction` prints the relative difference, so a real drift still shows.

    Args:
        recorded (`dict`):
            The recorded run (nested dicts are compared field by field).
        now (`dict`):
            The rerun's record, built the way the benchmark builds a recorded one.
        ignore (`tuple[str, ...]`, *optional*, defaults to `()`):
            More substrings of field names to leave out (e.g. a path the rerun writes elsewhere).

    Returns:
        `tuple[list, bool]`: rows `(field, recorded, now, verdict)` with verdict `yes`, `NO`,
        `NO (loss)`, `missing` or `new`, and whether every recorded field other than the losses
        reproduced.
    """
    old, new = flatten(recorded), flatten(now)
    rows, same = [], True
    for key in list(old) + [k for k in new if k not in old]:
        if any(part in key for part in UNREPEATABLE + ignore):
            continue
        if key not in new:
            verdict = "missing"
        elif key not in old:
            verdict = "new"
        elif old[key] == new[key]:
            verdict = "yes"
        else:
            verdict = "NO (loss)" if _is_loss(key) else "NO"
        same &= verdict in ("yes", "new", "NO (loss)")
        rows.append((key, old.get(key, "–"), new.get(key, "–"), verdict))
    return rows, same


def report_reproduction(recorded: dict, now: dict, ignore: tuple[str, ...] = ()) -> int:
    """Print the `metric | recorded | now | equal?` table of `compare` and return the exit code:
    0 when every recorded score reproduced exactly, 1 otherwise. Losses that differ are named
    with their relative difference under the table.

    Args:
        recorded (`dict`):
            The recorded run.
        now (`dict`):
            The rerun's record.
        ignore (`tuple[str, ...]`, *optional*, defaults to `()`):
            Passed on to `compare`.
    """
    import torch
    import transformers

    rows, same = compare(recorded, now, ignore)
    # The floats depend on these: CPU reductions split work by thread, so a rerun with another thread
    # count moves the floats (Pearson r in its last digits, a near-tied prediction now and then). The
    # LCL, SoftMCL and distillation runs were recorded with one thread per process, FCKT's with two.
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, {torch.get_num_threads()} thread(s)\n")
    print("| metric | recorded | now | equal? |\n|---|---|---|---|")
    for key, old, new, verdict in rows:
        print(f"| {key} | {old} | {new} | {verdict} |")
    differing = sum(verdict in ("NO", "missing") for *_, verdict in rows)
    print(f"\n{'every recorded score reproduced exactly' if same else f'{differing} recorded field(s) differ'}")
    for key, old, new, verdict in rows:
        if verdict == "NO (loss)":
            relative = abs(new - old) / max(abs(old), 1e-30)
            print(f"{key} differs by {relative:.1e} (relative); a loss, not counted as a score")
    return 0 if same else 1


def run_folder(name: str) -> Path:
    """A new, empty output folder called `name` (inside a fresh temporary folder): the training
    commands name the model after their output folder, so a kept card names the run, not a
    temporary suffix."""
    return Path(tempfile.mkdtemp(prefix="hf-sentiment-benchmark-")) / name


def keep_card(output: Path, card_dir: str | None, record: dict, settings: dict) -> None:
    """Copy the model card the training command wrote into `output` to `card_dir/<output's
    name>/README.md`, with `run.json` beside it: the command that made it, the benchmark's record
    of the run and the settings it gave the training command (under the names the card's
    hyper-parameter table uses), so that `tests/model_cards/test_rendered_cards.py` can hold the
    card to the run. Nothing happens when `card_dir` is `None` (the `--card_dir` option).
    """
    if card_dir is None:
        return
    kept = Path(card_dir) / output.name
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(output / "README.md", kept / "README.md")
    threads = os.environ.get("OMP_NUM_THREADS")
    command = " ".join(["python", *sys.argv])
    run = {"command": f"OMP_NUM_THREADS={threads} {command}" if threads else command, "settings": settings}
    run["record"] = record
    (kept / "run.json").write_text(json.dumps(run, indent=1) + "\n")


def scratch_log(path: str | None, results: str) -> RunLog:
    """The log a reproduction writes its rerun to: never the recorded results file.

    Args:
        path (`str`, *optional*):
            The `--scratch` option.
        results (`str`):
            The recorded results file (`--results`).

    Raises:
        `SystemExit`: when `path` is missing or is the results file.
    """
    if path is None:
        raise SystemExit("--reproduce needs --scratch FILE (where the rerun goes; never the recorded results)")
    if Path(path).resolve() == Path(results).resolve():
        raise SystemExit("--scratch must not be the recorded results file")
    return RunLog(path)
