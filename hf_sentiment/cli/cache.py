"""`hf-sentiment cache repair FILE`: keep every valid entry of a damaged teacher cache.

A teacher cache (`hf-sentiment train distill --cache FILE`) with a line cut in its middle or a
NUL tail after a power loss is refused as a whole, so a foreign file never gets mixed in. This
command is the way back once the user knows the file is theirs: `repair_cache` keeps each complete
entry, moves the original to `FILE.damaged` and prints one JSON line with what it kept and dropped.
"""

from __future__ import annotations

import argparse
import json
import sys

from .common import CLIError

DESCRIPTION = """\
Repair a teacher cache file that `hf-sentiment train distill` refuses as damaged.

Every complete entry is kept in order; each other line (cut short, NUL bytes, not an entry) is
dropped and named. The original is kept as FILE.damaged. Prints one JSON line:
  {"file": ..., "kept": N, "dropped": {"LINE": "why", ...}, "backup": "FILE.damaged"}

Example:
  hf-sentiment cache repair runs/distill/teacher_cache.jsonl
"""


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of `hf-sentiment cache` (the parser comes from `hf_sentiment.cli.COMMANDS`)."""
    parser.add_argument("action", choices=("repair",), help="what to do with the cache file")
    parser.add_argument("file", metavar="FILE", help="the teacher cache (JSON lines)")


def run(args: argparse.Namespace) -> int:
    from ..distill.teacher_cache import repair_cache  # here, so that `hf-sentiment --help` stays quick

    try:
        report = repair_cache(args.file)
    except RuntimeError as error:
        raise CLIError(str(error)) from None
    result = {
        "file": str(report.path),
        "kept": report.kept,
        "dropped": {str(line): why for line, why in report.dropped.items()},
        "backup": None if report.backup is None else str(report.backup),
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0
