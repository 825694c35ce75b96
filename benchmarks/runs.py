"""Helpers shared by the quality benchmarks: run an example script in-process, keep a resumable
JSON-lines log of finished runs, and format mean ± std."""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_example(name: str) -> ModuleType:
    """Import `examples/<name>.py` as a module (its `main(argv)` is what users run)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


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
