"""Loading a script of `benchmarks/` as a module, for the tests of its tables and summaries."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def benchmark_module(name: str) -> Iterator[ModuleType]:
    """Yield `benchmarks/<name>.py` loaded as a module (a generator for a pytest fixture: the
    folder is on `sys.path` while the fixture lives, since the scripts import their sibling
    `runs`)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCHMARKS))
