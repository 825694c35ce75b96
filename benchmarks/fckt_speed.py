#!/usr/bin/env python
"""FCKT speed and memory, measured against baselines taken in the same run.

Prints three markdown tables:

1. training step time (forward + backward + optimizer) of FCKT vs the span baseline
   (λ = 0, ξ = 1: extract-then-classify) at batch 16, length 128, MiniLM encoder, each with the
   paper's polarity classifier and with the span-queried context (`polarity_context="attention"`);
2. the boundary expectation's time and allocated memory at n = 128, 256, 512 (fixed h), to show
   they grow linearly in n;
3. `targeted-sentiment` pipeline throughput vs the bare encoder's forward on the same batches.

    python benchmarks/fckt_speed.py [--data ../shared/data] [--steps 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch
from runs import data_folder
from timing import compare_step_times
from torch.profiler import ProfilerActivity, profile
from transformers import AutoModel, AutoTokenizer, pipeline

import hf_sentiment
from hf_sentiment import (
    DataCollatorForTargetedSentiment,
    FCKTForTargetedSentiment,
    encode_aspects,
    read_e2e_absa,
)
from hf_sentiment.offline import offline_minilm_path


def fixed_length_batches(tokenizer, data, batch_size: int, length: int, label2id) -> list[dict[str, torch.Tensor]]:
    """Real sentences with aspects, padded to exactly `length` tokens."""
    with_aspects = data.filter(lambda row: len(row["aspects"]) > 0)
    encoded, _ = encode_aspects(with_aspects, tokenizer, label2id, max_length=length, name="speed batches")
    collator = DataCollatorForTargetedSentiment(tokenizer)
    batches = []
    for start in range(0, len(encoded) - batch_size + 1, batch_size):
        batch = collator([encoded[i] for i in range(start, start + batch_size)])
        pad = length - batch["input_ids"].shape[1]
        for key in ("input_ids", "attention_mask", "token_type_ids", "start_candidate_mask", "end_candidate_mask"):
            if key in batch:
                batch[key] = torch.nn.functional.pad(batch[key], (0, pad), value=0)
        # Attend to the whole length: the cost of a 128-token sentence, not of its padding.
        batch["attention_mask"] = torch.ones_like(batch["attention_mask"])
        batches.append(batch)
    return batches


def training_step_table(tokenizer, data, steps: int) -> str:
    """FCKT's step time against the span baseline's, each with the paper's polarity classifier and
    with the span-queried context (`polarity_context="attention"`)."""
    torch.manual_seed(0)
    arms = {}
    for context in ("none", "attention"):
        suffix = "" if context == "none" else ", context"
        arms[f"span baseline (λ=0, ξ=1{suffix})"] = FCKTForTargetedSentiment.from_pretrained_encoder(
            offline_minilm_path(), contrastive_weight=0.0, gold_span_ratio=1.0, polarity_context=context
        )
        arms[f"FCKT (λ=0.1, ξ=0.7, h=3{suffix})"] = FCKTForTargetedSentiment.from_pretrained_encoder(
            offline_minilm_path(), contrastive_weight=0.1, gold_span_ratio=0.7, polarity_context=context
        )
    baseline = "span baseline (λ=0, ξ=1)"
    batches = fixed_length_batches(tokenizer, data, 16, 128, arms[baseline].config.label2id)
    return compare_step_times(arms, batches, steps, baseline=baseline)


def expectation_table(hidden_size: int = 384, batch: int = 16, width: int = 3) -> str:
    torch.manual_seed(0)
    from transformers import BertConfig

    config = hf_sentiment.FCKTConfig(
        backbone_config=BertConfig(
            hidden_size=hidden_size, num_hidden_layers=1, num_attention_heads=12, intermediate_size=4
        ),
        expectation_max_width=width,
    )
    model = FCKTForTargetedSentiment(config)
    rows = ["| n | time fwd+bwd (ms) | allocated (MiB) | time / n (µs) | MiB / n |", "|---|---|---|---|---|"]
    for n in (128, 256, 512):
        hidden = torch.randn(batch, n, hidden_size, requires_grad=True)
        start_lp = torch.randn(batch, n, requires_grad=True).log_softmax(-1)
        end_lp = torch.randn(batch, n, requires_grad=True).log_softmax(-1)
        mask = torch.ones(batch, n, dtype=torch.bool)
        spans = torch.stack([torch.randint(1, n - 4, (batch, 4))] * 2, -1)
        spans[..., 1] += 2

        def run(inputs: tuple = (hidden, start_lp, end_lp, mask, spans)) -> None:
            model.expected_polarity_logits(*inputs).sum().backward(retain_graph=True)

        run()
        times = []
        for _ in range(5):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            run()
        # Self allocations only: an op's total also counts its children's, which would count a
        # nested allocation once per nesting level.
        allocated = sum(max(event.self_cpu_memory_usage, 0) for event in prof.events()) / 2**20
        ms = 1000 * statistics.median(times)
        rows.append(f"| {n} | {ms:.1f} | {allocated:.1f} | {1000 * ms / n:.1f} | {allocated / n:.3f} |")
    return "\n".join(rows)


def throughput_table(tokenizer, data, batch_size: int = 32, rounds: int = 3) -> str:
    """Sentences per second of the `targeted-sentiment` pipeline against the bare encoder forward
    (tokenise + forward) on the same texts, in input order and over length-sorted batches: the
    three run interleaved, `rounds` times, and the medians are compared."""
    torch.manual_seed(0)
    model = FCKTForTargetedSentiment.from_pretrained_encoder(offline_minilm_path()).eval()
    encoder = AutoModel.from_pretrained(offline_minilm_path()).eval()
    texts = list(data["text"])
    by_length = sorted(texts, key=len, reverse=True)
    classifier = pipeline("targeted-sentiment", model=model, tokenizer=tokenizer)

    def forward(ordered: list[str]) -> None:
        with torch.inference_mode():
            for start in range(0, len(ordered), batch_size):
                inputs = tokenizer(ordered[start : start + batch_size], padding=True, truncation=True, return_tensors="pt")
                encoder(**inputs)

    runs = {
        "bare encoder forward, input order": lambda: forward(texts),
        "bare encoder forward, length-sorted batches": lambda: forward(by_length),
        "targeted-sentiment pipeline (texts in input order)": lambda: classifier(texts, batch_size=batch_size),
    }
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - started)
    rates = {name: len(texts) / statistics.median(times) for name, times in seconds.items()}
    reference = rates["bare encoder forward, length-sorted batches"]
    rows = [
        f"| what ({len(texts)} sentences, batch {batch_size}) | sentences/s (median of {rounds}, interleaved) "
        "| ratio to the length-sorted forward |",
        "|---|---|---|",
    ]
    rows += [f"| {name} | {rate:.1f} | {rate / reference:.2f} |" for name, rate in rates.items()]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--only", choices=["step", "expectation", "throughput"], default=None)
    args = parser.parse_args()
    args.data = data_folder(args.data)
    tokenizer = AutoTokenizer.from_pretrained(offline_minilm_path())
    laptop = Path(args.data) / "semeval14" / "e2e_absa" / "laptop14"
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {os.cpu_count()} CPUs\n")
    if args.only in (None, "step"):
        print("### Training step, batch 16, length 128, MiniLM-L6\n")
        print(training_step_table(tokenizer, read_e2e_absa(laptop / "train.txt"), args.steps) + "\n")
    if args.only in (None, "expectation"):
        print("### Boundary expectation, batch 16, hidden 384, h = 3\n")
        print(expectation_table() + "\n")
    if args.only in (None, "throughput"):
        for name, folder in (("Laptop-14", laptop), ("Restaurant-14", laptop.parent / "rest14")):
            print(f"### Pipeline throughput, {name} test sentences, MiniLM-L6\n")
            print(throughput_table(tokenizer, read_e2e_absa(folder / "test.txt")) + "\n")


if __name__ == "__main__":
    main()
