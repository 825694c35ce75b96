#!/usr/bin/env python
"""int8 and ONNX Runtime against fp32 PyTorch for trained FCKT models: pipeline speed and test
scores.

For each model folder, the `targeted-sentiment` pipeline in fp32, with `int8="all"` (every linear
layer of the encoder, what `int8=True` means), with `int8="ffn"` (the feed-forward layers) and, with
`--onnx`, with `onnx=True` on the model's ONNX export (`export_onnx`, into a temporary folder) runs
the test split of the dataset the model was trained on (`--test_file`), interleaved, `--rounds` times:
a row per variant gives the median sentences per second, the speed-up over fp32, the test joint
F1, aspect F1 and gold-aspect polarity accuracy with the difference to fp32, and its agreement
with fp32: the share of sentences whose extracted spans are the same, and of fp32's aspects that
the variant finds with the same polarity.

    python benchmarks/fckt_int8.py --model runs/fckt-laptop14 \
        --test_file ../shared/data/semeval14/e2e_absa/laptop14/test.txt
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time

import transformers
from transformers import AutoModel, AutoTokenizer, pipeline

from hf_sentiment import evaluate_targeted_sentiment, load_absa
from hf_sentiment.fckt import export_onnx

METRICS = ("joint_f1", "aspect_f1", "polarity_accuracy")


def agreement(reference: list[list[dict]], other: list[list[dict]]) -> tuple[float, float]:
    """The share of sentences with the same extracted spans, and of the reference's aspects found
    at the same span with the same polarity."""
    same_spans = same_polarity = aspects = 0
    for expected, found in zip(reference, other, strict=True):
        spans = {(a["start"], a["end"]): a["polarity"] for a in found}
        same_spans += set(spans) == {(a["start"], a["end"]) for a in expected}
        aspects += len(expected)
        same_polarity += sum(spans.get((a["start"], a["end"])) == a["polarity"] for a in expected)
    return same_spans / max(len(reference), 1), same_polarity / max(aspects, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", required=True, help="Trained FCKT folders.")
    parser.add_argument("--test_file", nargs="+", required=True, help="One test file per model (or one for all).")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--onnx", action="store_true", help="also the ONNX Runtime path (needs hf-sentiment[onnx])")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    transformers.utils.logging.set_verbosity_error()
    files = args.test_file * len(args.model) if len(args.test_file) == 1 else args.test_file
    print("| model | variant | sentences/s | speed-up | " + " | ".join(f"{m} (Δ)" for m in METRICS)
          + " | same spans | same polarity |")  # fmt: skip
    print("|---|---|---|---|" + "---|" * len(METRICS) + "---|---|")
    for folder, file in zip(args.model, files, strict=True):
        tokenizer = AutoTokenizer.from_pretrained(folder)
        fp32_model = AutoModel.from_pretrained(folder).eval()
        classifiers = {"fp32": pipeline("targeted-sentiment", model=fp32_model, tokenizer=tokenizer)}
        for layers in ("all", "ffn"):
            quantised = copy.deepcopy(fp32_model)
            classifier = pipeline("targeted-sentiment", model=quantised, tokenizer=tokenizer, int8=layers)
            classifiers[f"int8 {layers}"] = classifier
        if args.onnx:
            exported = f"{scratch.name}/{len(classifiers)}-{folder.rstrip('/').split('/')[-1]}"
            export_onnx(fp32_model, tokenizer, exported)
            classifiers["onnx"] = pipeline("targeted-sentiment", model=exported, onnx=True)
        test = load_absa(file)
        texts = list(test["text"])
        seconds: dict[str, list[float]] = {name: [] for name in classifiers}
        predictions: dict[str, list] = {}
        for _ in range(args.rounds):
            for name, classifier in classifiers.items():
                started = time.perf_counter()
                predictions[name] = classifier(texts, batch_size=args.batch_size)
                seconds[name].append(time.perf_counter() - started)
        rate = {name: len(texts) / statistics.median(times) for name, times in seconds.items()}
        scores = {name: evaluate_targeted_sentiment(classifier, test) for name, classifier in classifiers.items()}
        for name in classifiers:
            cells = [f"{scores[name][m]:.2f} ({scores[name][m] - scores['fp32'][m]:+.2f})" for m in METRICS]
            speed = f"{rate[name]:.1f} | {rate[name] / rate['fp32']:.2f}"
            spans, polarity = agreement(predictions["fp32"], predictions[name])
            print(f"| {folder} | {name} | {speed} | " + " | ".join(cells) + f" | {spans:.2%} | {polarity:.2%} |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
