#!/usr/bin/env python
"""Training step time of label-aware contrastive fine-tuning vs plain cross-entropy.

Arms, all on the offline MiniLM-L6 at batch 16, length 128, SST-5 sentences, measured in turns in
one run: CE; CE + SupCon; LCL with the shared (light) weighting head; LCL with a separate weighting
encoder (the paper's design); and, for reference, LCL-shared with a SimCSE-style second encoder pass
(`second_view="encoder_dropout"`). Prints a markdown table with ratios to CE.

    python benchmarks/lcl_speed.py [--data ../shared/data] [--steps 30]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch
from runs import data_folder
from timing import compare_step_times
from transformers import AutoTokenizer

from hf_sentiment import LCLForSequenceClassification, read_sst
from hf_sentiment.offline import offline_minilm_path

ARMS = {
    "CE": {"contrastive_loss": "none"},
    "CE + SupCon": {"contrastive_loss": "supcon"},
    "LCL, shared head": {"contrastive_loss": "label_aware", "weighting_network": "shared"},
    "LCL, separate network": {"contrastive_loss": "label_aware", "weighting_network": "separate"},
    "LCL, shared head, encoder-dropout view": {
        "contrastive_loss": "label_aware",
        "weighting_network": "shared",
        "second_view": "encoder_dropout",
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    args.data = data_folder(args.data)

    tokenizer = AutoTokenizer.from_pretrained(offline_minilm_path())
    data = read_sst(Path(args.data) / "sst" / "stsa.fine.train").select(range(16 * 8))
    batches = []
    for start in range(0, len(data), 16):
        rows = data[start : start + 16]
        batch = tokenizer(rows["text"], padding="max_length", truncation=True, max_length=128, return_tensors="pt")
        batch["attention_mask"] = torch.ones_like(batch["attention_mask"])  # the cost of 128 real tokens
        batch["labels"] = torch.tensor(rows["label"])
        batches.append(dict(batch))
    names = data.features["label"].names
    torch.manual_seed(0)
    models = {
        name: LCLForSequenceClassification.from_pretrained_encoder(
            offline_minilm_path(), id2label=dict(enumerate(names)), **kwargs
        )
        for name, kwargs in ARMS.items()
    }
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {os.cpu_count()} CPUs\n")
    print("### LCL training step, batch 16, length 128, MiniLM-L6, SST-5 sentences\n")
    print(compare_step_times(models, batches, args.steps, baseline="CE"))


if __name__ == "__main__":
    main()
