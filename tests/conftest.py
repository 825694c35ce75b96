"""Shared pytest fixtures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder by the package's one rule (`hf_sentiment.data.shared_data.find_data_dir`):
    `$HF_SENTIMENT_DATA`, else `../shared/data` beside the checkout.

    Tests that use it are skipped when the folder is absent.
    """
    from hf_sentiment.data.shared_data import DATA_ENV, checkout_data_dir, find_data_dir

    path = find_data_dir()
    if path is None or not path.is_dir():
        shown = path or checkout_data_dir()
        pytest.skip(f"real data not found at {shown} (set {DATA_ENV} to the shared data folder)")
    return path


@pytest.fixture(scope="session")
def python_without_hf_sentiment(tmp_path_factory) -> Path:
    """A fresh virtual environment with this one's packages *except* hf_sentiment.

    Each installed distribution is linked into the new environment's site-packages, leaving out
    hf_sentiment (installed or editable), so remote-code loading is tested as a user without our
    package would run it. Returns the new interpreter.
    """
    root = tmp_path_factory.mktemp("clean-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    target = Path(
        subprocess.run(
            [
                str(root / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    source = Path(sysconfig.get_paths()["purelib"])
    for entry in source.iterdir():
        name = entry.name.lower()
        if name.startswith(("hf_sentiment", "hf-sentiment", "__editable__")) or name.endswith(".pth"):
            continue
        (target / entry.name).symlink_to(entry)
    return root / "bin" / "python"


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
