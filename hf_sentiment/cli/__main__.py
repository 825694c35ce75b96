"""`python -m hf_sentiment.cli ...`: the `hf-sentiment` command without the installed entry point."""

from __future__ import annotations

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
