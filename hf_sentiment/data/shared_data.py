"""Where the real data lives: one rule for the command line, the examples, the benchmarks and the tests.

The shared data folder (see `../shared/data/SOURCES.md` beside a checkout) is never copied into the
repository. It is found, in this order, from

1. a path the user gave (`--data_dir`, a benchmark's `--data`),
2. the environment variable `HF_SENTIMENT_DATA`,
3. `../shared/data` beside a source checkout of hf-sentiment (the layout this project is developed in).

An installed package has no checkout beside it, so step 3 finds nothing there and the caller asks
the user for the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "HF_SENTIMENT_DATA"


def checkout_data_dir() -> Path:
    """`../shared/data` beside the source checkout that holds this package (it may not exist)."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def find_data_dir(given: str | os.PathLike[str] | None = None) -> Path | None:
    """The shared data folder by the rule above, or `None` when none of the three names a folder.

    A path that was given (by argument or by `HF_SENTIMENT_DATA`) is returned as it is, even when it
    does not exist, so the caller's error can name what the user asked for; the checkout fallback is
    returned only when it exists.

    Example:

    ```python
    >>> from hf_sentiment.data.shared_data import find_data_dir
    >>> find_data_dir("/data/shared")
    PosixPath('/data/shared')
    ```
    """
    chosen = given or os.environ.get(DATA_ENV)
    if chosen:
        return Path(chosen)
    fallback = checkout_data_dir()
    return fallback if fallback.is_dir() else None


__all__ = ["DATA_ENV", "checkout_data_dir", "find_data_dir"]
