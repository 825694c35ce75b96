#!/usr/bin/env python
"""Peak memory of each file reader against the size of the file it reads.

Every reader gets a generated file of about `--megabytes` MB in its own format (many ordinary rows;
for E2E-ABSA also one single line of that size) and runs in a fresh process, so one reader's heap
never counts against another's. The peak is Linux's high-water mark of the resident set
(`VmHWM`), reset after the imports (`/proc/self/clear_refs`), so the figure is what the read
itself added: `peak / file size` is the ratio `docs/robustness.md` reports.

    python benchmarks/reader_memory.py                 # every reader, about 20 MB each
    python benchmarks/reader_memory.py --megabytes 48 --readers e2e_one_line user_csv
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXT = "The battery life is great but the keyboard feels cheap and the screen is dim"
WORDS = TEXT.split()


def e2e_rows(rows: int) -> str:
    tags = " ".join(f"{w}={'T-POS' if w == 'battery' else 'O'}" for w in WORDS)
    return "".join(f"{TEXT}####{tags}\n" for _ in range(rows))


def e2e_one_line(words: int) -> str:
    chosen = [WORDS[i % len(WORDS)] for i in range(words)]
    tags = " ".join(f"{w}={'T-NEG' if w == 'keyboard' else 'O'}" for w in chosen)
    return " ".join(chosen) + "####" + tags + "\n"


def user_jsonl(rows: int) -> str:
    aspect = {"term": "battery life", "from": 4, "to": 16, "polarity": "positive"}
    return "".join(json.dumps({"id": str(i), "text": TEXT, "aspects": [aspect]}) + "\n" for i in range(rows))


def user_json(rows: int) -> str:
    aspect = {"term": "battery life", "from": 4, "to": 16, "polarity": "positive"}
    return json.dumps([{"id": str(i), "text": TEXT, "aspects": [aspect]} for i in range(rows)])


def user_csv(rows: int) -> str:
    return "id,text,term,from,to,polarity\n" + "".join(f"s{i},{TEXT},battery life,4,16,positive\n" for i in range(rows))


def semeval_xml(rows: int) -> str:
    term = '<aspectTerms><aspectTerm term="battery life" polarity="positive" from="4" to="16"/></aspectTerms>'
    body = "".join(f'<sentence id="{i}"><text>{TEXT}</text>{term}</sentence>\n' for i in range(rows))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sentences>\n{body}</sentences>\n'


def sst(rows: int) -> str:
    return "".join(f"{i % 5} {TEXT}\n" for i in range(rows))


def classification_csv(rows: int) -> str:
    return "text,label\n" + "".join(f"{TEXT},{'positive' if i % 2 else 'negative'}\n" for i in range(rows))


# name -> (file name, bytes per row estimate, generator, reader call as source)
READERS = {
    "e2e": ("data.txt", 420, e2e_rows, "read_e2e_absa(path)"),
    "e2e_one_line": ("data.txt", 18, e2e_one_line, "read_e2e_absa(path)"),
    "user_jsonl": ("data.jsonl", 150, user_jsonl, "read_absa_file(path)"),
    "user_json": ("data.json", 150, user_json, "read_absa_file(path)"),
    "user_csv": ("data.csv", 110, user_csv, "read_absa_file(path)"),
    "semeval_xml": ("data.xml", 200, semeval_xml, "read_semeval14_xml(path)"),
    "sst": ("stsa.fine.train", 80, sst, "read_sst(path)"),
    "classification_csv": ("data.csv", 90, classification_csv, "read_classification_file(path, ['negative', 'positive'])"),
}

PROBE = """
import resource, sys, time
from pathlib import Path
from hf_sentiment.data import read_e2e_absa, read_absa_file, read_semeval14_xml, read_sst, read_classification_file
def status(key):
    return int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith(key)))  # kB
path = Path(sys.argv[1])
Path('/proc/self/clear_refs').write_text('5')  # VmHWM := VmRSS
before = status('VmRSS:')
started = time.perf_counter()
dataset = {call}
seconds = time.perf_counter() - started
print(len(dataset), seconds, status('VmHWM:') - before)
"""


def measure(name: str, megabytes: float, folder: Path) -> dict:
    file_name, per_row, make, call = READERS[name]
    units = max(1, int(megabytes * 1e6 / per_row))
    path = folder / file_name
    path.write_text(make(units), encoding="utf-8")
    size = path.stat().st_size
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(call=call), str(path)], capture_output=True, text=True, check=True
    )
    rows, seconds, peak_kb = result.stdout.split()[-3:]
    path.unlink()
    peak = int(peak_kb) * 1024
    return {"reader": name, "file_mb": size / 1e6, "rows": int(rows), "seconds": float(seconds), "peak_mb": peak / 1e6,
            "ratio": peak / size}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=20)
    parser.add_argument("--readers", nargs="+", choices=list(READERS), default=list(READERS))
    parser.add_argument("--json", action="store_true", help="One JSON line per reader instead of the table.")
    args = parser.parse_args()
    random.seed(0)
    print("| reader | file (MB) | rows | seconds | peak above the imports (MB) | peak / file size |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.readers:
            started = time.perf_counter()
            row = measure(name, args.megabytes, Path(folder))
            if args.json:
                print(json.dumps(row), flush=True)
                continue
            print(f"| {row['reader']} | {row['file_mb']:.1f} | {row['rows']:,} | {row['seconds']:.1f} | "
                  f"{row['peak_mb']:.0f} | {row['ratio']:.1f}x |", flush=True)  # fmt: skip
            del started


if __name__ == "__main__":
    main()
