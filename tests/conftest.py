"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder: ``$HF_SENTIMENT_DATA``, else ``<repo>/../shared/data``.

    Tests that use it are skipped when the folder is absent.
    """
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    path = Path(os.environ.get("HF_SENTIMENT_DATA") or default)
    if not path.is_dir():
        pytest.skip(f"real data not found at {path} (set HF_SENTIMENT_DATA to the shared data folder)")
    return path
