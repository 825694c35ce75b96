#!/usr/bin/env python
"""Render the kept model cards (`model_cards/*/README.md`) again with the current templates.

A card is the run's data poured into its kind's template. When a template changes, the kept
cards follow without retraining: each is rebuilt by `build_model_card` from what its run recorded,
read back from the card itself (kind, base model, datasets with their terms, the data note, the
hyper-parameter table) and from `run.json`. The results of FCKT and LCL cards are recomputed from
the run's record with the training command's metric table (`FCKT_CARD_METRICS`,
`LCL_CARD_METRICS`), so a metric added there appears; other kinds keep the results their card had.
`run.json` records that the card was re-rendered, and by what.

    python benchmarks/rerender_cards.py              # every folder under model_cards/
    python benchmarks/rerender_cards.py --check      # exit 1 if a card differs from its re-rendering
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from huggingface_hub import ModelCard

from hf_sentiment.cli.train_fckt import FCKT_CARD_METRICS
from hf_sentiment.cli.train_lcl import LCL_CARD_METRICS
from hf_sentiment.model_cards import KINDS, CardResult, build_model_card, results_from_metrics

ROOT = Path(__file__).resolve().parents[1]
METRIC_TABLES = {"fckt": (FCKT_CARD_METRICS, "token-classification"), "lcl": (LCL_CARD_METRICS, "text-classification")}
SPLIT_PREFIXES = {"test": "test_", "validation": "dev_eval_"}


def section(text: str, heading: str) -> str:
    return text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def card_kind(card: ModelCard) -> str:
    (kind,) = [kind for kind, spec in KINDS.items() if {"hf-sentiment", *spec["tags"]} <= set(card.data.tags)]
    return kind


def rerender(folder: Path) -> str:
    """The card of `folder` rendered again from its recorded data."""
    card = ModelCard.load(folder / "README.md")
    run = json.loads((folder / "run.json").read_text())
    kind = card_kind(card)
    data = section(card.text, "Training data")
    datasets = dict(re.findall(r"^- `([^`]+)`: (.*)$", data, re.M))
    data_note = "\n".join(line for line in data.strip().splitlines() if line and not line.startswith("- `")).strip()
    table = section(card.text, "Training hyper-parameters")
    rows = [line.strip("|").split("|") for line in table.splitlines() if line.startswith("| ")][1:]
    hyperparameters = {name.strip(): value.strip() for name, value in rows}
    base_model = re.search(r"^- \*\*Base model:\*\* (.*)$", card.text, re.M).group(1)
    results = [
        CardResult(r.task_type, r.dataset_name, r.dataset_split, r.metric_type, r.metric_value, r.metric_name)
        for r in card.data.eval_results or []
    ]
    if kind in METRIC_TABLES and results:
        names, task_type = METRIC_TABLES[kind]
        split, dataset_name = results[0].dataset_split, results[0].dataset_name
        results = results_from_metrics(
            run["record"], names, task_type=task_type, dataset_name=dataset_name, dataset_split=split,
            prefix=SPLIT_PREFIXES[split],
        )  # fmt: skip
    rendered = build_model_card(
        kind, model_name=folder.name, base_model=base_model, datasets=datasets, hyperparameters=hyperparameters,
        results=results, data_note=data_note,
    )  # fmt: skip
    return str(rendered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", default=str(ROOT / "model_cards"))
    parser.add_argument("--check", action="store_true", help="only report cards that differ from their re-rendering")
    args = parser.parse_args()
    stale = []
    for folder in sorted(path.parent for path in Path(args.cards).glob("*/README.md")):
        text = rerender(folder)
        if text == (folder / "README.md").read_text():
            print(f"{folder.name}: unchanged")
            continue
        stale.append(folder.name)
        if not args.check:
            (folder / "README.md").write_text(text)
            run = json.loads((folder / "run.json").read_text())
            run["rerendered_by"] = "python benchmarks/rerender_cards.py"
            (folder / "run.json").write_text(json.dumps(run, indent=1) + "\n")
        print(f"{folder.name}: {'differs' if args.check else 're-rendered'}")
    if args.check and stale:
        sys.exit(1)


if __name__ == "__main__":
    main()
