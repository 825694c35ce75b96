"""Shared pytest fixtures (helpers that tests import live in `tests/utils/`)."""

from __future__ import annotations

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
