#!/usr/bin/env python
"""How many aspects a trained FCKT model finds in long texts, against the same sentences one by one.

Laptop-14 dev + test sentences (1,104) are predicted three ways with the `targeted-sentiment`
pipeline: one sentence at a time (the reference), joined into "reviews" of about `--review_words`
words (each read in one window), and all joined into one text (read in overlapping windows). For
each, the table gives the spans predicted and the gold recall (a gold aspect counts when a
predicted span has exactly its characters), for decoding with a fixed `n_best` (the old rule,
`n_best_words` = 1e9), with candidates in proportion to the window's words (`n_best_words`), and
with texts cut into sentences first (the pipeline's `split_sentences`, now the default).

    python benchmarks/fckt_long_text.py --model runs/fckt-laptop14
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import transformers
from transformers import AutoModel, AutoTokenizer, pipeline

from hf_sentiment import load_absa
from runs import data_folder


def joined(rows: list[dict], sizes: list[int]) -> list[tuple[str, set[tuple[int, int]]]]:
    """Texts made of consecutive rows, `sizes[i]` rows each, with their gold spans moved to the
    joined offsets."""
    texts, at = [], 0
    for size in sizes:
        parts, gold, offset = [], set(), 0
        for row in rows[at : at + size]:
            gold |= {(a["from"] + offset, a["to"] + offset) for a in row["aspects"]}
            parts.append(row["text"])
            offset += len(row["text"]) + 1
        texts.append((" ".join(parts), gold))
        at += size
    return texts


def review_sizes(rows: list[dict], words: int) -> list[int]:
    sizes, count, total = [], 0, 0
    for row in rows:
        count, total = count + 1, total + len(row["text"].split())
        if total >= words:
            sizes.append(count)
            count, total = 0, 0
    return sizes + ([count] if count else [])


def score(classifier, texts: list[tuple[str, set[tuple[int, int]]]], split: bool) -> tuple[int, float, float]:
    started = time.perf_counter()
    predicted, found, gold_total = 0, 0, 0
    for text, gold in texts:
        spans = {(a["start"], a["end"]) for a in classifier(text, split_sentences=split)}
        predicted += len(spans)
        found += len(spans & gold)
        gold_total += len(gold)
    return predicted, 100 * found / max(gold_total, 1), time.perf_counter() - started


def agreement(classifier, rows: list[dict], sizes: list[int], split: bool) -> tuple[float, float, float]:
    """Recall and precision of the joined texts' spans against the spans their sentences get one
    by one (moved to the joined offsets), and the share of shared spans with the same polarity."""
    alone: set[tuple[int, int, int, str]] = set()  # (text number, start, end, polarity)
    together: set[tuple[int, int, int, str]] = set()
    at = 0
    for number, size in enumerate(sizes):
        group, offset = rows[at : at + size], 0
        for row in group:
            alone |= {(number, a["start"] + offset, a["end"] + offset, a["polarity"]) for a in classifier(row["text"])}
            offset += len(row["text"]) + 1
        text = " ".join(row["text"] for row in group)
        together |= {(number, a["start"], a["end"], a["polarity"]) for a in classifier(text, split_sentences=split)}
        at += size
    spans_alone, spans_together = {key[:3] for key in alone}, {key[:3] for key in together}
    shared = spans_alone & spans_together
    same_polarity = len(alone & together) / max(len(shared), 1)
    return len(shared) / max(len(spans_alone), 1), len(shared) / max(len(spans_together), 1), same_polarity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="A trained FCKT folder.")
    parser.add_argument("--data", default=None)
    parser.add_argument("--review_words", type=int, default=400)
    parser.add_argument("--n_best_words", type=int, nargs="+", default=[128, 64])
    args = parser.parse_args()
    transformers.utils.logging.set_verbosity_error()
    folder = Path(data_folder(args.data)) / "semeval14" / "e2e_absa" / "laptop14"
    rows = [row for split in ("dev", "test") for row in load_absa(folder / f"{split}.txt")]
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model).eval()
    classifier = pipeline("targeted-sentiment", model=model, tokenizer=tokenizer)
    layouts = {
        "one sentence a text": joined(rows, [1] * len(rows)),
        f"reviews of about {args.review_words} words": joined(rows, review_sizes(rows, args.review_words)),
        "all 1,104 sentences as one text": joined(rows, [len(rows)]),
    }
    gold = sum(len(g) for _, g in layouts["one sentence a text"])
    print(f"Laptop-14 dev + test: {len(rows)} sentences, {gold} gold aspects; n_best = {model.config.n_best}")
    rules = [("fixed n_best, whole windows (before)", 10**9, False)]
    rules += [(f"n_best_words = {w}, whole windows", w, False) for w in args.n_best_words]
    rules += [("n_best_words = 128, sentence by sentence (default)", 128, True)]
    print("\n| Laptop-14 test sentences joined | decoding | texts | recall of the one-by-one spans | precision |"
          " same polarity |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    model.config.n_best_words = 128
    test = [row for row in load_absa(folder / "test.txt")]
    for split in (False, True):
        for n in (5, 20, 100, len(test)):
            sizes = [n] * (len(test) // n) + ([len(test) % n] if len(test) % n else [])
            recall, precision, polarity = agreement(classifier, test, sizes, split)
            rule = "sentence by sentence" if split else "whole windows"
            print(f"| {n} | {rule} | {len(sizes)} | {recall:.3f} | {precision:.3f} | {polarity:.3f} |", flush=True)
    print("\n| texts | decoding | texts | spans predicted | gold recall (%) | seconds |")
    print("|---|---|---|---|---|---|")
    for rule, words, split in rules:
        model.config.n_best_words = words
        for name, texts in layouts.items():
            if name.startswith("one sentence") and rule != rules[0][0] and not split:
                continue  # no sentence reaches 128 words: the first rule's figure holds
            predicted, recall, seconds = score(classifier, texts, split)
            print(f"| {name} | {rule} | {len(texts)} | {predicted} | {recall:.1f} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
