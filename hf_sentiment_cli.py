"""The `hf-sentiment` command's entry point (the console script calls `main`).

It sits beside the `hf_sentiment` package, not inside it, so that it runs before the package's
`__init__`: it asks that import to be lazy (`HF_SENTIMENT_LAZY_IMPORT`), which keeps torch,
transformers and the model registrations out of `hf-sentiment --help` and of usage errors. The
command imports them itself once the command line is valid. The variable is restored at once,
so that nothing the command starts (an `accelerate launch` worker, a user's subprocess) inherits it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run `hf-sentiment` with `argv` (default: `sys.argv[1:]`); returns the exit status."""
    before = os.environ.get("HF_SENTIMENT_LAZY_IMPORT")
    os.environ["HF_SENTIMENT_LAZY_IMPORT"] = "1"
    try:
        from hf_sentiment.cli import main as run
    finally:
        if before is None:
            del os.environ["HF_SENTIMENT_LAZY_IMPORT"]
        else:
            os.environ["HF_SENTIMENT_LAZY_IMPORT"] = before
    return run(argv)
