#!/usr/bin/env python
"""Dynamic int8 against fp32 for trained FCKT models: pipeline speed and test scores.

For each model folder, the `targeted-sentiment` pipeline in fp32 and with `int8=True` runs the test
split of the dataset the model was trained on (`--test_file`), interleaved, `--rounds` times: the
table gives the median sentences per second, their ratio, and the test joint F1, aspect F1 and
gold-aspect polarity accuracy of both, with the int8 - fp32 difference.

    python benchmarks/fckt_int8.py --model runs/fckt-laptop14 \
        --test_file ../shared/data/semeval14/e2e_absa/laptop14/test.txt
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import transformers
from transformers import AutoModel, AutoTokenizer, pipeline

from hf_sentiment import evaluate_targeted_sentiment, load_absa

METRICS = ("joint_f1", "aspect_f1", "polarity_accuracy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", required=True, help="Trained FCKT folders.")
    parser.add_argument("--test_file", nargs="+", required=True, help="One test file per model (or one for all).")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch_size", type=int, default=32)
    args = parser.parse_args()
    transformers.utils.logging.set_verbosity_error()
    files = args.test_file * len(args.model) if len(args.test_file) == 1 else args.test_file
    print("| model | test file | fp32 sentences/s | int8 sentences/s | speed-up | "
          + " | ".join(f"{m} fp32 | {m} int8 | Δ {m}" for m in METRICS) + " |")  # fmt: skip
    print("|---|---|---|---|---|" + "---|---|---|" * len(METRICS))
    for folder, file in zip(args.model, files, strict=True):
        tokenizer = AutoTokenizer.from_pretrained(folder)
        fp32_model = AutoModel.from_pretrained(folder).eval()
        classifiers = {
            "fp32": pipeline("targeted-sentiment", model=fp32_model, tokenizer=tokenizer),
            "int8": pipeline("targeted-sentiment", model=copy.deepcopy(fp32_model), tokenizer=tokenizer, int8=True),
        }
        test = load_absa(file)
        texts = list(test["text"])
        seconds: dict[str, list[float]] = {name: [] for name in classifiers}
        for _ in range(args.rounds):
            for name, classifier in classifiers.items():
                started = time.perf_counter()
                classifier(texts, batch_size=args.batch_size)
                seconds[name].append(time.perf_counter() - started)
        rate = {name: len(texts) / statistics.median(times) for name, times in seconds.items()}
        scores = {name: evaluate_targeted_sentiment(classifier, test) for name, classifier in classifiers.items()}
        cells = [
            f"{scores['fp32'][m]:.2f} | {scores['int8'][m]:.2f} | {scores['int8'][m] - scores['fp32'][m]:+.2f}"
            for m in METRICS
        ]
        print(f"| {folder} | {file} | {rate['fp32']:.1f} | {rate['int8']:.1f} | {rate['int8'] / rate['fp32']:.2f} | "
              + " | ".join(cells) + " |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
