#!/usr/bin/env python
"""How informative SoftMCL's soft target is, for the linear reading and the exponential one.

The target of a query over M keys is `q_ij ∝ 1 − |v_i − v_j|` (linear, `soft_target_temperature=None`)
or `q_ij ∝ exp(−|v_i − v_j| / t)` (exponential). This script measures, on the valences the model sees
in training, the mean KL(q ‖ uniform) and entropy in nats and the median max / min weight ratio
(`hf_sentiment.soft_target_statistics`), and picks t.

Valences (`--source corpus`, the default): the word valences of every rated word occurrence of the
benchmark pre-training corpus, encoded as `hf-sentiment train softmcl --corpus benchmark --lexicon
warriner --max_length 64` encodes it (train splits of SST-5, SemEval-14 Laptop and Restaurant,
TweetEval-emotion and EmoBank; Warriner et al. 2013 restricted to XANEW's train split), and its
sentence valences (EmoBank train, else the mean of the sentence's rated words). `--source lexicon`
takes the lexicon's train-split words instead, each word once (no tokenizer, word level only).

Each draw imitates one training step at one level: `--steps` draws (fixed `--seed`) of M distinct
items at random, the first `--queries` of them the batch (queries, whose own keys lead the key set)
and the rest the queue. Word level: 96 + 4,096 = 4,192 keys (96 ≈ the rated words of a batch of 32
texts); sentence level: 32 + 1,024 = 1,056.

Choice of t, word level, no test data involved (train-split texts and words only): the t whose mean
KL(q ‖ uniform) equals log 3 ≈ 1.10 nats, i.e. a target as informative as a hard label of three
balanced classes (negative / neutral / positive: uniform over a third of the keys), while every
key keeps a weight that falls smoothly with the valence distance. Found by bisection on log t (the
KL falls as t grows) and rounded to two significant digits. For reference the script also prints
the KL of such a hard 3-class target on the same draws (classes: thirds of the valence scale),
which is below log 3 when the classes are unbalanced.

    python benchmarks/softmcl_target.py [--data ../shared/data] [--source corpus|lexicon] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch
from runs import data_folder

from hf_sentiment import soft_target_statistics

GRID = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
#: level -> (queries per draw, keys per draw: batch + queue as in `SoftMCLConfig`'s defaults).
LEVELS = {"word": (96, 96 + 4096), "sentence": (32, 32 + 1024)}
GOAL = math.log(3)


def corpus_valences(data: Path) -> dict[str, torch.Tensor]:
    """Word valences of every rated word occurrence and the sentence valences of the benchmark
    pre-training corpus, as `hf-sentiment train softmcl --corpus benchmark --lexicon warriner` sees
    them (`max_length` 64, `sentence_fallback="lexicon_mean"`)."""
    from transformers import AutoTokenizer

    from hf_sentiment import encode_valence_corpus
    from hf_sentiment.cli.train_softmcl import DataArguments, benchmark_corpus, load_lexicon
    from hf_sentiment.offline import offline_minilm_path

    arguments = DataArguments(corpus="benchmark", data_dir=str(data), lexicon="warriner", max_length=64)
    encoded, _ = encode_valence_corpus(
        benchmark_corpus(data),
        AutoTokenizer.from_pretrained(offline_minilm_path()),
        load_lexicon(arguments),
        max_length=arguments.max_length,
        sentence_fallback=arguments.sentence_fallback,
    )
    words = [value for row in encoded["word_valence"] for value in row]
    sentences = [value for value in encoded["sentence_valence"] if value >= 0]
    return {
        "word": torch.tensor(words, dtype=torch.float64),
        "sentence": torch.tensor(sentences, dtype=torch.float64),
    }


def lexicon_valences(data: Path) -> dict[str, torch.Tensor]:
    """The valences of the Warriner words of XANEW's train split, each word once."""
    from hf_sentiment.cli.train_softmcl import DataArguments, load_lexicon

    lexicon = load_lexicon(DataArguments(data_dir=str(data), lexicon="warriner"))
    return {"word": torch.tensor(list(lexicon.values()), dtype=torch.float64)}


def draws(valences: torch.Tensor, num_queries: int, num_keys: int, steps: int, seed: int):
    """`(queries (steps, num_queries), keys (steps, num_keys))`: per draw, `num_keys` distinct items at
    random; the first `num_queries` are the batch and lead the keys."""
    generator = torch.Generator().manual_seed(seed)
    picks = torch.stack([torch.randperm(len(valences), generator=generator)[:num_keys] for _ in range(steps)])
    keys = valences[picks]
    return keys[:, :num_queries], keys


def hard_three_class_kl(queries: torch.Tensor, keys: torch.Tensor) -> float:
    """Mean KL(q ‖ uniform) of a hard target uniform over the keys of the query's class (thirds of
    [0, 1]): `log(M / n_same)` per query."""
    query_class, key_class = ((v * 3).floor().clamp(max=2) for v in (queries, keys))
    same = (query_class[..., :, None] == key_class[..., None, :]).sum(-1).double()
    return float((math.log(keys.shape[-1]) - same.log()).mean())


def choose_temperature(queries: torch.Tensor, keys: torch.Tensor, goal: float = GOAL) -> tuple[float, float]:
    """`(t*, t)`: the t at which the mean KL to uniform equals `goal` (bisection on log t over
    [1e-4, 10]), and t* rounded to two significant digits."""
    low, high = math.log(1e-4), math.log(10.0)

    def kl(log_t: float) -> float:
        return soft_target_statistics(queries, keys, math.exp(log_t))["kl_to_uniform"]

    if not kl(high) <= goal <= kl(low):
        raise SystemExit(f"the KL to uniform does not cross {goal:.3f} nats for t in [1e-4, 10]")
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if kl(middle) > goal else (low, middle)
    exact = math.exp((low + high) / 2)
    return exact, float(f"{exact:.2g}")


def table(queries: torch.Tensor, keys: torch.Tensor, temperatures: list[float]) -> str:
    lines = [
        "| target | mean KL(q ‖ uniform) (nats) | mean entropy (nats) | median max / min weight |",
        "|---|---|---|---|",
    ]
    for t in [None, *temperatures]:
        stats = soft_target_statistics(queries, keys, t)
        name = "linear, 1 − \\|Δv\\|" if t is None else f"exp(−\\|Δv\\| / t), t = {t:g}"
        lines.append(
            f"| {name} | {stats['kl_to_uniform']:.4f} | {stats['entropy']:.4f} | {stats['max_min_ratio']:.3g} |"
        )
    lines.append(
        f"| hard 3-class label (thirds of the scale), reference | {hard_three_class_kl(queries, keys):.4f} | | |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument("--source", choices=("corpus", "lexicon"), default="corpus")
    parser.add_argument("--steps", type=int, default=20, help="Draws (training steps imitated) per level.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", type=float, nargs="+", default=list(GRID), help="Values of t to tabulate.")
    args = parser.parse_args()
    data = Path(data_folder(args.data))

    start = time.perf_counter()
    valences = corpus_valences(data) if args.source == "corpus" else lexicon_valences(data)
    what = {
        "corpus": "rated word occurrences / sentence valences of the benchmark pre-training corpus "
        "(train splits, Warriner ∩ XANEW train, max_length 64)",
        "lexicon": "Warriner words of XANEW's train split, each once",
    }[args.source]
    print(f"valences: {what}")
    print(", ".join(f"{level}: {len(v):,} (mean {v.mean():.3f}, std {v.std():.3f})" for level, v in valences.items()))
    print(f"{args.steps} draws per level, seed {args.seed}\n")

    chosen = None
    for level, values in valences.items():
        num_queries, num_keys = LEVELS[level]
        queries, keys = draws(values, num_queries, num_keys, args.steps, args.seed)
        if level == "word":
            exact, chosen = choose_temperature(queries, keys)
        temperatures = sorted({*args.grid, *([chosen] if chosen is not None else [])})
        print(
            f"### {level} level: {num_queries} queries × {num_keys:,} keys ({num_queries} batch + {num_keys - num_queries:,} queue)\n"
        )
        print(table(queries, keys, temperatures))
        if level == "word":
            print(
                f"\nchosen t = {chosen:g} (bisection: {exact:.5f}): the mean KL(q ‖ uniform) of the word-level "
                f"target equals log 3 = {GOAL:.4f} nats, as informative as a hard label of three balanced classes "
                "while every key keeps a weight that falls smoothly with |Δv|; train-split texts and words only, "
                "no test data."
            )
        else:
            stats = soft_target_statistics(queries, keys, chosen)
            print(
                f"\nat the chosen t = {chosen:g}: mean KL(q ‖ uniform) {stats['kl_to_uniform']:.4f} nats at this level."
            )
        print()
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
