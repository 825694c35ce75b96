"""Timing helpers shared by the speed benchmarks."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence

import torch
from transformers import Trainer, TrainingArguments


def training_step_times(
    model: torch.nn.Module,
    batches: Sequence[dict],
    steps: int,
    warmup: int = 2,
    after_step: Callable[[], None] | None = None,
) -> list[float]:
    """Seconds per optimizer step (forward + backward + optimizer step + `after_step`, e.g. a
    momentum update) over `steps` batches. The optimizer is the class and implementation `Trainer`
    picks by default (fused AdamW in transformers 5; weight decay aside, which costs the same), so
    that a step costs what it costs a user: a for-loop AdamW took 5x longer for twice the
    parameters and put 0.1 on the LCL separate network's ratio."""
    optimizer_cls, optimizer_kwargs = Trainer.get_optimizer_cls_and_kwargs(
        TrainingArguments(output_dir=tempfile.gettempdir(), learning_rate=1e-5, report_to="none")
    )
    optimizer = optimizer_cls([p for p in model.parameters() if p.requires_grad], **optimizer_kwargs)
    model.train()
    times = []
    for i in range(steps + warmup):
        batch = batches[i % len(batches)]
        start = time.perf_counter()
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if after_step is not None:
            after_step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def compare_step_times(
    models: Mapping[str, torch.nn.Module],
    batches: Sequence[dict],
    steps: int,
    baseline: str,
    rounds: int = 3,
    after_step: Mapping[str, Callable[[], None]] | None = None,
) -> str:
    """A markdown table of median / p90 step times and the ratio to `baseline`.

    The arms run in turns (`rounds` times `steps // rounds` steps each) so that machine noise hits
    them alike.
    """
    results: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds):
        for name, model in models.items():
            hook = (after_step or {}).get(name)
            results[name] += training_step_times(model, batches, max(1, steps // rounds), after_step=hook)
    base = statistics.median(results[baseline])
    rows = ["| arm | median step (s) | p90 step (s) | ratio to " + baseline + " |", "|---|---|---|---|"]
    for name, times in results.items():
        median = statistics.median(times)
        p90 = sorted(times)[int(0.9 * (len(times) - 1))]
        rows.append(f"| {name} | {median:.3f} | {p90:.3f} | {median / base:.2f} |")
    return "\n".join(rows)
