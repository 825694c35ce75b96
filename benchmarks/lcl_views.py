#!/usr/bin/env python
"""How much do the augmented second views change, and what do they cost the data loader?

For the first `--rows` training texts of each dataset, tokenised for the offline MiniLM-L6: the
share of rows whose view differs from the row, the share of real tokens changed (position by
position where the length is kept, else by a multiset difference), and the collator's time per
batch of 16 (`DataCollatorWithPadding` for no view; `DataCollatorWithAugmentedView` otherwise),
all at the same per-token / per-word probability.

    python benchmarks/lcl_views.py [--data ../shared/data] [--rows 2000] [--probability 0.1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter

from transformers import AutoTokenizer, DataCollatorWithPadding

from hf_sentiment import DataCollatorWithAugmentedView
from hf_sentiment.cli.train_lcl import DATASETS, DataArguments, load_splits
from hf_sentiment.data import RandomTokenDeletion, RandomTokenMasking, SynonymReplacement, WordNetSynonyms
from hf_sentiment.offline import offline_minilm_path
from runs import data_folder


def changed_share(original: list[int], view: list[int], special: set[int]) -> float:
    """Share of the original's real tokens that the view does not keep."""
    real = [t for t in original if t not in special]
    if len(view) == len(original):
        return sum(a != b for a, b in zip(original, view) if a not in special) / len(real)
    kept = Counter(real) & Counter(t for t in view if t not in special)
    return 1 - sum(kept.values()) / len(real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument(
        "--datasets", nargs="+", choices=DATASETS, default=["goemotions", "sst5", "empathetic_dialogues"]
    )
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--probability", type=float, default=0.1)
    args = parser.parse_args()
    args.data = data_folder(args.data)

    tokenizer = AutoTokenizer.from_pretrained(offline_minilm_path())
    start = time.perf_counter()
    synonyms = WordNetSynonyms()
    load_seconds = time.perf_counter() - start
    p = args.probability
    views = {
        "synonym (WordNet)": SynonymReplacement(tokenizer, p, synonyms=synonyms),
        "mask": RandomTokenMasking(p, tokenizer.mask_token_id),
        "delete": RandomTokenDeletion(p),
    }
    special = set(tokenizer.all_special_ids)
    print(f"WordNet: {len(synonyms)} words with synonyms, read in {load_seconds:.1f} s; probability {p}\n")
    print("| dataset | view | rows | rows changed (%) | real tokens changed (%) | collator ms / batch of 16 |")
    print("|---|---|---|---|---|---|")
    for dataset in args.datasets:
        texts = load_splits(DataArguments(dataset=dataset, data_dir=args.data))["train"]["text"][: args.rows]
        features = [dict(tokenizer(text, truncation=True, max_length=128)) | {"label": 0} for text in texts]
        batches = [features[i : i + 16] for i in range(0, len(features), 16)]
        plain = DataCollatorWithPadding(tokenizer)
        start = time.perf_counter()
        for batch in batches:
            plain(batch)
        base_ms = 1000 * (time.perf_counter() - start) / len(batches)
        print(f"| {dataset} | none | {len(texts)} | 0 | 0 | {base_ms:.2f} |")
        for name, augmenter in views.items():
            rng = random.Random(0)
            shares = []
            for feature in features:
                ids = feature["input_ids"]
                mask = tokenizer.get_special_tokens_mask(ids, already_has_special_tokens=True)
                shares.append(changed_share(ids, augmenter(ids, mask, rng), special))
            collator = DataCollatorWithAugmentedView(tokenizer, augmenter, seed=0)
            start = time.perf_counter()
            for batch in batches:
                collator(batch)
            ms = 1000 * (time.perf_counter() - start) / len(batches)
            rows_changed = 100 * sum(s > 0 for s in shares) / len(shares)
            print(
                f"| {dataset} | {name} | {len(texts)} | {rows_changed:.1f} | "
                f"{100 * statistics.mean(shares):.1f} | {ms:.2f} |"
            )


if __name__ == "__main__":
    main()
