"""What many tests share: running a script in a clean environment, writing input files, and the
assertions on our errors and on saved folders. Tiny random models live beside this module
(`tiny_encoders`, `tiny_causal_lm`) and so do the tiny trainers of the multi-process tests."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest


def run_clean(python: Path, script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run `script` with `python` in `cwd`, offline, with its own HF cache, and fail loudly."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HF_HOME": str(cwd / "hf-home"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    result = subprocess.run(
        [str(python), "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"clean-environment script failed:\n{result.stdout}\n{result.stderr}"
    return result


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def assert_error(
    error: pytest.ExceptionInfo,
    path: Path,
    row: int | None,
    field: str | None,
    fragment: str,
) -> None:
    """The error names the file, the row and the field, and says ``fragment``."""
    err = error.value
    assert (err.path, err.row, err.field) == (str(path), row, field)
    assert fragment in err.message
    message = str(err)
    assert message.startswith(str(path))
    assert (f"row {row}" in message) == (row is not None)
    assert (f"field '{field}'" in message) == (field is not None)


def assert_carries_its_code(folder: Path) -> None:
    """`folder` (a saved model or a Trainer checkpoint) names its classes in `config.json`'s
    `auto_map` and holds every Python file they need, all of them hf_sentiment's own."""
    import hf_sentiment

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config.get("auto_map"), f"{folder}: config.json has no auto_map"
    modules = {reference.split(".")[0] + ".py" for reference in config["auto_map"].values()}
    shipped = {path.name for path in folder.glob("*.py")}
    assert modules <= shipped, f"{folder}: auto_map names {sorted(modules - shipped)} but the folder lacks them"
    ours = {path.name for path in Path(hf_sentiment.__file__).parent.rglob("*.py")}
    assert shipped <= ours, f"{folder}: {sorted(shipped - ours)} are not hf_sentiment files"
