"""The rendered cards in the top-level `model_cards/`: one per model kind, each written by a real
benchmark run (`--card_dir model_cards`), parsed as the Hub parses it, and held to that run.

Each folder holds the card (`README.md`) and `run.json`: the command that trained the model, the
settings it gave the training command and the benchmark's record of the run. The card must carry
the hf-sentiment tags of its kind, list every one of those settings with the value the run used,
and its `model-index` must hold exactly the scores the run recorded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from hf_sentiment.cli.train_fckt import FCKT_CARD_METRICS
from hf_sentiment.cli.train_lcl import LCL_CARD_METRICS
from hf_sentiment.model_cards import KINDS, is_hub_id

CARDS = Path(__file__).resolve().parents[2] / "model_cards"
FOLDERS = sorted(path.parent for path in CARDS.glob("*/README.md"))
#: The card's readable metric name -> the metric's key in the run's record (without its split prefix).
METRIC_KEYS = {readable: key for table in (FCKT_CARD_METRICS, LCL_CARD_METRICS) for key, (_, readable) in table.items()}
#: The split a card names -> the prefix of that split's metrics in a benchmark record.
SPLIT_PREFIXES = {"test": "test_", "validation": "dev_eval_"}


def kind_of(card: ModelCard) -> str:
    """The model kind whose tags the card carries (exactly one must match)."""
    (kind,) = [kind for kind, spec in KINDS.items() if {"hf-sentiment", *spec["tags"]} <= set(card.data.tags)]
    return kind


def hyperparameter_table(text: str) -> dict[str, str]:
    """`{name: value}` of the card's "Training hyper-parameters" table, as written."""
    section = text.split("## Training hyper-parameters", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {name.strip(): value.strip() for name, value in rows[1:]}  # rows[0] is the header


def same_value(written: str, value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return written == str(value)
    try:
        return float(written) == float(value)
    except ValueError:
        return False


def test_one_rendered_card_per_model_kind():
    kinds = {kind_of(ModelCard.load(folder / "README.md")) for folder in FOLDERS}
    assert kinds == set(KINDS), f"model_cards/ has cards of {sorted(kinds)}, the library has {sorted(KINDS)}"


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_card_is_the_run_that_wrote_it(folder):
    card = ModelCard.load(folder / "README.md")
    run = json.loads((folder / "run.json").read_text())
    kind = kind_of(card)
    assert card.data.pipeline_tag == KINDS[kind]["pipeline_tag"]
    assert f"# {folder.name}\n" in card.text, "the card is titled with its folder's name"
    assert "--card_dir" in run["command"], "run.json names the command that wrote the card"
    table = hyperparameter_table(card.text)
    for name, value in run["settings"].items():
        assert name in table, f"{folder.name}: the card does not list {name}"
        assert same_value(table[name], value), f"{folder.name}: {name} is {table[name]} in the card, {value} in the run"
    record = run["record"]
    for result in card.data.eval_results or []:
        key = SPLIT_PREFIXES[result.dataset_split] + METRIC_KEYS[result.metric_name]
        assert result.metric_value == record[key], f"{folder.name}: {result.metric_name}"
    if kind in ("fckt", "lcl"):  # trained and scored by the benchmark: the card carries the scores
        assert card.data.eval_results, f"{folder.name}: no model-index results"


#: The pipeline tags the Hub knows, of those a card of ours may carry.
HUB_PIPELINE_TAGS = {"token-classification", "text-classification", "fill-mask", "text-generation", "feature-extraction"}


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_card_metadata_is_what_the_hub_reads(folder):
    """The fields the Hub reads from the YAML header: each must hold what the Hub expects."""
    card = ModelCard.load(folder / "README.md")
    data, kind = card.data, kind_of(card)
    assert data.pipeline_tag in HUB_PIPELINE_TAGS
    assert data.library_name in ("transformers", "peft")
    # A widget the model cannot serve must be off: FCKT needs its own pipeline.
    assert getattr(data, "inference", True) is KINDS[kind]["inference"]
    # `datasets` lists Hub dataset ids only (owner/name); local names stay in the text.
    for name in data.datasets or []:
        assert is_hub_id(name), f"{folder.name}: datasets holds {name!r}, not a Hub id"
    assert data.base_model is None or is_hub_id(data.base_model)
    assert data.license in ("other", "apache-2.0", "mit")
    if data.license == "other":  # the Hub asks for a name and a link with `other`
        assert re.fullmatch(r"[a-z0-9.-]+", data.license_name) and data.license_link
        anchor = data.license_link.split("#", 1)[1]
        assert f"## {anchor.replace('-', ' ').capitalize()}\n" in card.text, "license_link points at a section"
    for result in data.eval_results or []:
        assert result.task_type == data.pipeline_tag
        assert result.metric_type in ("f1", "accuracy") and isinstance(result.metric_value, float)
        assert result.dataset_name and result.dataset_type and result.dataset_split in SPLIT_PREFIXES
    if kind == "fckt":  # the polarity half of the task is in the index too
        names = {result.metric_name for result in data.eval_results}
        assert {"gold-aspect polarity accuracy (%)", "gold-aspect polarity macro-F1 (%)"} <= names
    assert "others}" not in card.text, "the citation names every author"


def test_hyperparameter_table_reader_reads_what_a_card_writes():
    text = "## Training hyper-parameters\n\n| name | value |\n|---|---|\n| learning_rate | 0.0001 |\n| seed | 42 |\n\n## Evaluation"
    assert hyperparameter_table(text) == {"learning_rate": "0.0001", "seed": "42"}
    assert same_value("0.0001", 1e-4) and same_value("3.0", 3) and not same_value("3.0", 2)
    assert same_value("label_aware", "label_aware") and not same_value("True", 1)
