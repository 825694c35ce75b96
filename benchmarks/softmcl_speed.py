#!/usr/bin/env python
"""Training step time of SoftMCL-style pre-training vs MLM-only, and the queues' memory.

Arms, all on the offline MiniLM-L6 at the same batch and length (default 32 × 64; every position a
real token), SST-5 train sentences with Warriner train-split word valences, measured in turns in
one run. A step is forward + backward + AdamW + (for the contrastive arms) the EMA update and the
enqueue. Prints a markdown table with ratios to MLM-only, then the queue memory. The last arm is a
step of the MLM-head warm start of `benchmarks/softmcl_quality.py` (MLM only, encoder frozen:
`SoftMCLForPreTraining.freeze_encoder`), which skips the encoder's backward pass.

    python benchmarks/softmcl_speed.py [--data ../shared/data] [--steps 30] [--batch_size 32] [--length 64]
    python benchmarks/softmcl_speed.py --arms "MLM only" "SoftMCL (queues 4096 / 1024)" ...   # some arms only
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch
from runs import data_folder
from timing import compare_step_times
from transformers import AutoTokenizer

from hf_sentiment import DataCollatorForSoftMCL, SoftMCLForPreTraining, ValenceLexicon, encode_valence_corpus, read_sst
from hf_sentiment.offline import offline_minilm_path

ARMS = {
    "MLM only": {"word_weight": 0.0, "sentence_weight": 0.0},
    "SoftMCL (queues 4096 / 1024)": {},
    "SoftMCL, no queue": {"word_queue_size": 0, "sentence_queue_size": 0},
    "SoftMCL, queues 65536 / 16384": {"word_queue_size": 65536, "sentence_queue_size": 16384},
    "SoftMCL, sharp target (t = 0.035)": {"soft_target_temperature": 0.035},
    "MLM head warm-up (encoder frozen)": {"word_weight": 0.0, "sentence_weight": 0.0},
}
#: The arms that train their heads only.
FROZEN = {"MLM head warm-up (encoder frozen)"}
BASELINE = "MLM only"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(ARMS), help="MLM only always runs.")
    args = parser.parse_args()
    arms = [name for name in ARMS if name == BASELINE or name in args.arms]
    args.data = data_folder(args.data)

    data = Path(args.data)
    tokenizer = AutoTokenizer.from_pretrained(offline_minilm_path())
    folder = data / "warriner2013"
    lexicon = ValenceLexicon.from_warriner(
        folder / "Ratings_Warriner_et_al.csv", folder / "split_crosslingual_train.txt"
    )
    texts = read_sst(data / "sst" / "stsa.fine.train").select(range(args.batch_size * 8))
    encoded, _ = encode_valence_corpus(texts, tokenizer, lexicon, max_length=args.length)
    collator = DataCollatorForSoftMCL(tokenizer, pad_to_multiple_of=args.length)
    batches = []
    for start in range(0, len(encoded), args.batch_size):
        batch = collator([encoded[i] for i in range(start, start + args.batch_size)])
        batch["attention_mask"] = torch.ones_like(batch["attention_mask"])  # the cost of `length` real tokens
        batches.append(batch)
    rated = sum(int((b["word_valence"] >= 0).sum()) for b in batches) / len(batches)
    torch.manual_seed(0)
    models = {name: SoftMCLForPreTraining.from_pretrained_encoder(offline_minilm_path(), **ARMS[name]) for name in arms}
    for name in FROZEN & set(models):
        models[name].freeze_encoder()
    hooks = {name: model.update_momentum_and_queue for name, model in models.items() if model.config.uses_key_encoder}
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {os.cpu_count()} CPUs")
    print(f"batch {args.batch_size} × length {args.length}, {rated:.0f} rated words per batch\n")
    print(compare_step_times(models, batches, args.steps, baseline=BASELINE, after_step=hooks))
    print("\n| arm | queue memory (MiB) |\n|---|---|")
    for name, model in models.items():
        print(f"| {name} | {model.queue_memory_bytes() / 2**20:.2f} |")


if __name__ == "__main__":
    main()
