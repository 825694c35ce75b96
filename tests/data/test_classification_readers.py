"""Tests for the sentence-classification readers (``hf_sentiment.data.classification_readers``).

Unit tests use small files written to ``tmp_path``; the real-data tests read the
shared data (fixture ``shared_data``) and check the counts of SOURCES.md.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from tests.utils import assert_error, write
from datasets import Dataset

from hf_sentiment.data.classification_readers import (
    EMPATHETIC_DIALOGUES_LABELS,
    SST2_LABELS,
    SST5_LABELS,
    classification_features,
    read_classification_file,
    read_empathetic_dialogues,
    read_goemotions,
    read_sst,
    read_tweeteval,
    stratified_folds,
)
from hf_sentiment.data.errors import DataFormatError

GOEMOTIONS_NAMES = "admiration\namusement\nanger\nneutral"
ED_HEADER = "conv_id,utterance_idx,prompt,utterance,label\n"


def test_classification_features_schema():
    features = classification_features(["negative", "positive"])
    assert list(features) == ["id", "text", "label"]
    assert features["label"].names == ["negative", "positive"]
    multi = classification_features(["a", "b"], multi_label=True)
    assert list(multi) == ["id", "text", "labels"]
    assert multi["labels"].feature.names == ["a", "b"]
    with pytest.raises(ValueError, match="unique"):
        classification_features(["a", "a"])


# --- SST ---------------------------------------------------------------------------------


def test_sst_reads_binary_and_fine_by_name(tmp_path):
    binary = read_sst(write(tmp_path, "stsa.binary.dev", "1 a good film .\n0 bad .\n"))
    assert binary.features["label"].names == list(SST2_LABELS)
    assert binary["label"] == [1, 0]
    assert binary["text"] == ["a good film .", "bad ."]
    assert binary["id"] == ["stsa.binary.dev-1", "stsa.binary.dev-2"]
    fine = read_sst(write(tmp_path, "stsa.fine.dev", "4 superb\n0 awful\n"))
    assert fine.features["label"].names == list(SST5_LABELS)
    assert fine.features["label"].int2str(fine["label"]) == [
        "very positive",
        "very negative",
    ]


def test_sst_num_classes_argument(tmp_path):
    path = write(tmp_path, "my_sst.txt", "3 fine\n")
    assert read_sst(path, num_classes=5)["label"] == [3]
    with pytest.raises(ValueError, match="num_classes"):
        read_sst(path)
    with pytest.raises(ValueError, match="SST-2"):
        read_sst(write(tmp_path, "stsa.binary.x", "1 a\n"), num_classes=5)
    with pytest.raises(ValueError, match="2 or 5"):
        read_sst(path, num_classes=3)


def test_sst_counts_blank_lines(tmp_path, caplog):
    path = write(tmp_path, "stsa.binary.x", "1 a\n\n0 b\n")
    with caplog.at_level(logging.WARNING):
        dataset, report = read_sst(path, return_report=True)
    assert len(dataset) == 2 and dataset["id"] == ["stsa.binary.x-1", "stsa.binary.x-3"]
    assert report.skipped == Counter({"blank lines": 1})
    assert "1 blank lines" in caplog.text


@pytest.mark.parametrize(
    "content, row, field, fragment",
    [
        ("1 ok\n2 out of range\n", 2, "label", "'2' is not a class id"),
        ("1 ok\npositive text\n", 2, "label", "not a class id"),
        ("1 ok\n1\n", 2, "sentence", "missing"),
        ("1 ok\n0    \n", 2, "sentence", "missing"),
    ],
)
def test_sst_bad_line(tmp_path, content, row, field, fragment):
    path = write(tmp_path, "stsa.binary.x", content)
    with pytest.raises(DataFormatError) as error:
        read_sst(path)
    assert_error(error, path, row, field, fragment)


def test_sst_non_utf8(tmp_path):
    path = write(tmp_path, "stsa.fine.x", b"1 ok\n2 caf\xe9\n")
    with pytest.raises(DataFormatError) as error:
        read_sst(path)
    assert_error(error, path, 2, None, "not UTF-8: byte 0xe9")


# --- GoEmotions ----------------------------------------------------------------------------


def goemotions(tmp_path: Path, content: str | bytes, labels: str = GOEMOTIONS_NAMES) -> Path:
    write(tmp_path, "labels.txt", labels)
    return write(tmp_path, "train.tsv", content)


def test_goemotions_single_label_and_quotes_are_text(tmp_path):
    path = goemotions(tmp_path, 'I "love" it\t0\tc1\nmeh\t3\tc2\n')
    dataset = read_goemotions(path)
    assert dataset["text"] == ['I "love" it', "meh"]
    assert dataset["label"] == [0, 3]
    assert dataset["id"] == ["c1", "c2"]
    assert dataset.features["label"].names == [
        "admiration",
        "amusement",
        "anger",
        "neutral",
    ]


def test_goemotions_multi_label_modes(tmp_path, caplog):
    path = goemotions(tmp_path, "one\t1\tc1\ntwo\t0,2\tc2\nthree\t2\tc3\n")
    with pytest.raises(DataFormatError) as error:
        read_goemotions(path)
    assert_error(error, path, 2, "labels", "2 labels (0,2)")
    assert "multi_label='skip'" in str(error.value)
    with caplog.at_level(logging.WARNING):
        skipped, report = read_goemotions(path, multi_label="skip", return_report=True)
    assert skipped["id"] == ["c1", "c3"]
    assert report.skipped == Counter({"rows with more than one label (multi_label='skip')": 1})
    assert "1 rows with more than one label" in caplog.text
    kept = read_goemotions(path, multi_label="keep")
    assert "label" not in kept.features
    assert kept["labels"] == [[1], [0, 2], [2]]
    assert kept.features["labels"].feature.names[3] == "neutral"
    with pytest.raises(ValueError, match="multi_label"):
        read_goemotions(path, multi_label="first")


def test_goemotions_explicit_labels_path(tmp_path):
    names = write(tmp_path, "names.txt", "x\ny\n")
    path = write(tmp_path, "data.tsv", "t\t1\tc1\n")
    assert read_goemotions(path, names).features["label"].names == ["x", "y"]


@pytest.mark.parametrize(
    "content, field, fragment",
    [
        ("ok\t0\tc0\ntext only\n", "labels", "missing column"),
        ("ok\t0\tc0\ntext\t0\n", "id", "missing column"),
        (
            "ok\t0\tc0\ntext\t0\tc1\textra\n",
            None,
            "expected 3 tab-separated columns, got 4",
        ),
        ("ok\t0\tc0\n   \t0\tc1\n", "text", "empty or whitespace-only text"),
        ("ok\t0\tc0\ntext\t4\tc1\n", "labels", "'4' is not a class id"),
        ("ok\t0\tc0\ntext\t\tc1\n", "labels", "missing"),
        ("ok\t0\tc0\ntext\t1,1\tc1\n", "labels", "repeated label id"),
        ("ok\t0\tc0\ntext\t1\t \n", "id", "missing"),
    ],
)
def test_goemotions_bad_line(tmp_path, content, field, fragment):
    path = goemotions(tmp_path, content)
    with pytest.raises(DataFormatError) as error:
        read_goemotions(path, multi_label="keep")
    assert_error(error, path, 2, field, fragment)


def test_goemotions_bad_label_file_and_non_utf8(tmp_path):
    path = goemotions(tmp_path, "ok\t0\tc0\n", labels="a\n\nb\n")
    with pytest.raises(DataFormatError) as error:
        read_goemotions(path)
    assert_error(error, tmp_path / "labels.txt", 2, "name", "blank line")
    path = goemotions(tmp_path, b"ok\t0\tc0\nna\xefve\t1\tc1\n")
    with pytest.raises(DataFormatError) as error:
        read_goemotions(path)
    assert_error(error, path, 2, None, "not UTF-8: byte 0xef")


# --- TweetEval ----------------------------------------------------------------------------------


def tweeteval(
    folder: Path,
    texts: str | bytes,
    labels: str,
    mapping: str | None = "0\tneg\n1\tpos",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write(folder, "train_text.txt", texts)
    write(folder, "train_labels.txt", labels)
    if mapping is not None:
        write(folder, "mapping.txt", mapping)
    return folder


def test_tweeteval_reads_and_strips_trailing_space(tmp_path):
    folder = tweeteval(tmp_path / "irony", "so #great \n@user meh \n", "1\n0\n")
    dataset = read_tweeteval(folder, "train")
    assert dataset["text"] == ["so #great", "@user meh"]
    assert dataset["label"] == [1, 0]
    assert dataset["id"] == ["irony-train-1", "irony-train-2"]
    assert dataset.features["label"].names == ["neg", "pos"]
    with pytest.raises(ValueError, match="split"):
        read_tweeteval(folder, "training")


def test_tweeteval_stance_mapping_from_parent(tmp_path):
    (tmp_path / "stance").mkdir()
    write(tmp_path / "stance", "mapping.txt", "0\tnone\n1\tagainst\n2\tfavor")
    folder = tweeteval(tmp_path / "stance" / "abortion", "a \nb \n", "2\n0\n", mapping=None)
    dataset = read_tweeteval(folder, "train")
    assert dataset.features["label"].names == ["none", "against", "favor"]
    assert dataset["label"] == [2, 0]


@pytest.mark.parametrize(
    "texts, labels, longer, row",
    [
        ("a \nb \nc \n", "0\n1\n", "train_text.txt", 3),
        ("a \n", "0\n1\n", "train_labels.txt", 2),
    ],
)
def test_tweeteval_line_count_mismatch_names_both_files(tmp_path, texts, labels, longer, row):
    folder = tweeteval(tmp_path / "hate", texts, labels)
    with pytest.raises(DataFormatError) as error:
        read_tweeteval(folder, "train")
    assert_error(error, folder / longer, row, None, "lines but")
    assert str(folder / "train_text.txt") in error.value.message
    assert str(folder / "train_labels.txt") in error.value.message


def test_tweeteval_bad_label_and_empty_text(tmp_path, caplog):
    folder = tweeteval(tmp_path / "a", "x \ny \n", "0\n2\n")
    with pytest.raises(DataFormatError) as error:
        read_tweeteval(folder, "train")
    assert_error(error, folder / "train_labels.txt", 2, "label", "'2' is not a class id")
    folder = tweeteval(tmp_path / "b", "x \n\nz \n", "0\n1\n1\n")
    with pytest.raises(DataFormatError) as error:
        read_tweeteval(folder, "train")
    assert_error(error, folder / "train_text.txt", 2, "text", "empty or whitespace-only text")
    with caplog.at_level(logging.WARNING):
        dataset, report = read_tweeteval(folder, "train", empty_text="skip", return_report=True)
    assert dataset["id"] == ["b-train-1", "b-train-3"]
    assert report.total == 1
    assert "1 rows with empty text" in caplog.text


def test_tweeteval_bad_mapping_and_non_utf8(tmp_path):
    folder = tweeteval(tmp_path / "a", "x \n", "0\n", mapping="0\tneg\n2\tpos\n")
    with pytest.raises(DataFormatError) as error:
        read_tweeteval(folder, "train")
    assert_error(error, folder / "mapping.txt", 2, "id", "expected id 1")
    folder = tweeteval(tmp_path / "b", b"x \n\xff \n", "0\n1\n")
    with pytest.raises(DataFormatError) as error:
        read_tweeteval(folder, "train")
    assert_error(error, folder / "train_text.txt", 2, None, "not UTF-8")


# --- EmpatheticDialogues ------------------------------------------------------------------------------


def test_empathetic_dialogues_one_row_per_conversation(tmp_path):
    path = write(
        tmp_path,
        "valid_utterances.csv",
        ED_HEADER
        + "c1,2,p,Are you ok?,2\n"
        + "c1,1,p,A tire burst_comma_ scary!,2\n"
        + "c2,1,p,I won_comma_ yay,6\n"
        + 'c2,2,p,"Great, well done ",6\n',
    )
    dataset = read_empathetic_dialogues(path)
    assert dataset["id"] == ["c1", "c2"]
    assert dataset["text"] == [
        "A tire burst, scary! Are you ok?",
        "I won, yay Great, well done",
    ]
    assert dataset.features["label"].int2str(dataset["label"]) == [
        "terrified",
        "joyful",
    ]
    assert dataset.features["label"].names == list(EMPATHETIC_DIALOGUES_LABELS)
    assert len(EMPATHETIC_DIALOGUES_LABELS) == 32


@pytest.mark.parametrize(
    "rows, field, fragment",
    [
        ("c1,1,p,hi,2\nc1,2,p,there,3\n", "label", "has label 2 at line 2 but 3"),
        ("c1,1,p,hi,2\nc1,2,p,there,32\n", "label", "'32' is not a class id"),
        ("c1,1,p,hi,2\nc1,2,p,  ,2\n", "utterance", "empty or whitespace-only text"),
        ("c1,1,p,hi,2\nc1,x,p,there,2\n", "utterance_idx", "non-negative integer"),
        ("c1,1,p,hi,2\nc1,1,p,there,2\n", "utterance_idx", "repeated utterance_idx 1"),
        ("c1,1,p,hi,2\n,2,p,there,2\n", "conv_id", "missing"),
        ("c1,1,p,hi,2\nc1,2,p,there\n", "label", "missing"),
        ("c1,1,p,hi,2\nc1,2,p,there,2,extra\n", None, "more fields"),
    ],
)
def test_empathetic_dialogues_bad_row(tmp_path, rows, field, fragment):
    path = write(tmp_path, "valid_utterances.csv", ED_HEADER + rows)
    with pytest.raises(DataFormatError) as error:
        read_empathetic_dialogues(path)
    assert_error(error, path, 3, field, fragment)


def test_empathetic_dialogues_missing_column_and_non_utf8(tmp_path):
    path = write(tmp_path, "a.csv", "conv_id,utterance_idx,prompt,utterance\nc1,1,p,hi\n")
    with pytest.raises(DataFormatError) as error:
        read_empathetic_dialogues(path)
    assert_error(error, path, 1, "label", "missing column")
    path = write(tmp_path, "b.csv", ED_HEADER.encode() + b"c1,1,p,h\xe9llo,2\n")
    with pytest.raises(DataFormatError) as error:
        read_empathetic_dialogues(path)
    assert_error(error, path, 2, None, "not UTF-8")


def test_stratified_folds_are_disjoint_stratified_and_seeded():
    labels = [0] * 10 + [1] * 20 + [2] * 5
    dataset = Dataset.from_dict(
        {"id": [str(i) for i in range(35)], "text": ["t"] * 35, "label": labels},
        features=classification_features(["a", "b", "c"]),
    )
    folds = stratified_folds(dataset, k=5, seed=0)
    assert len(folds) == 5
    tests = np.concatenate([test for _, test in folds])
    assert sorted(tests.tolist()) == list(range(35))
    for train, test in folds:
        assert not set(train) & set(test)
        assert len(train) + len(test) == 35
        assert Counter(np.asarray(labels)[test].tolist()) == {0: 2, 1: 4, 2: 1}
    again = stratified_folds(dataset, k=5, seed=0)
    assert all((a[1] == b[1]).all() for a, b in zip(folds, again))


# --- user files (`read_classification_file`) ----------------------------------------------------

NAMES = ["negative", "positive"]


def test_classification_file_reads_csv_jsonl_and_json_alike(tmp_path):
    # A label is a class name or a class id (digits, or a JSON integer); surrounding spaces go.
    csv_path = write(tmp_path, "c.csv", "text,label\nGreat battery.,positive\nAwful screen., 0\n")
    jsonl_path = write(
        tmp_path, "c.jsonl", '{"text": "Great battery.", "label": "1"}\n\n{"text": "Awful screen.", "label": 0}\n'
    )
    json_path = write(
        tmp_path, "c.json", '[{"text": "Great battery.", "label": 1}, {"text": "Awful screen.", "label": "negative"}]'
    )
    for path in (csv_path, jsonl_path, json_path):
        dataset, report = read_classification_file(path, NAMES, return_report=True)
        assert dataset.features == classification_features(NAMES)
        assert dataset["text"] == ["Great battery.", "Awful screen."]
        assert dataset["label"] == [1, 0]
        assert report.skipped == ({"blank lines": 1} if path == jsonl_path else {})
    # The id is the row's number unless the row gives one: the line (CSV, JSONL) or the element.
    assert read_classification_file(csv_path, NAMES)["id"] == ["2", "3"]
    assert read_classification_file(jsonl_path, NAMES)["id"] == ["1", "3"]
    assert read_classification_file(json_path, NAMES)["id"] == ["1", "2"]


def test_classification_file_options(tmp_path):
    path = write(tmp_path, "reviews.txt", "id,review,stars\nr1,Fine.,good\nr2,Bad.,bad\n")
    dataset = read_classification_file(path, ["bad", "good"], text_field="review", label_field="stars", format="csv")
    assert dataset["id"] == ["r1", "r2"] and dataset["label"] == [1, 0]
    with pytest.raises(ValueError, match="unknown format None"):
        read_classification_file(path, ["bad", "good"])
    # A class named with digits wins over the id it spells.
    digits = read_classification_file(write(tmp_path, "d.csv", "text,label\nx,1\ny,0\n"), ["1", "0"])
    assert digits["label"] == [0, 1]


@pytest.mark.parametrize(
    "name, content, row, field, fragment",
    [
        ("c.csv", "text,label\nok,positive\nok,2\n", 3, "label", "label '2' is not one of the classes"),
        ("c.csv", "text,label\nok,positive\nok,\n", 3, "label", "missing"),
        ("c.csv", "text\nok\n", 1, "label", "missing column in the CSV header"),
        ("c.jsonl", '{"text": "ok", "label": 1}\n{"text": "ok", "label": 1.0}\n', 2, "label", "label 1.0"),
        ("c.jsonl", '{"text": "ok", "label": 1}\n{"text": 5, "label": 1}\n', 2, "text", "expected a string, got int"),
        ("c.json", '[{"text": "ok", "label": 1}, {"text": "ok", "label": 1, "id": 1}]', 2, "id", "duplicate id '1'"),
        ("c.json", '{"text": "ok", "label": 1}', None, None, "expected a JSON list"),
    ],
)
def test_classification_file_errors_name_file_row_field(tmp_path, name, content, row, field, fragment):
    path = write(tmp_path, name, content)
    with pytest.raises(DataFormatError) as error:
        read_classification_file(path, NAMES)
    assert_error(error, path, row, field, fragment)


# --- real data -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, counts",
    [
        ("binary", {"train": 6920, "dev": 872, "test": 1821}),
        ("fine", {"train": 8544, "dev": 1101, "test": 2210}),
    ],
)
def test_real_sst(shared_data, kind, counts):
    for split, rows in counts.items():
        dataset = read_sst(shared_data / "sst" / f"stsa.{kind}.{split}")
        assert len(dataset) == rows
        assert dataset.features["label"].num_classes == (2 if kind == "binary" else 5)
    train = read_sst(shared_data / "sst" / "stsa.binary.train")
    assert Counter(train["label"]) == {0: 3310, 1: 3610}


def test_real_goemotions(shared_data):
    path = shared_data / "goemotions" / "train.tsv"
    kept = read_goemotions(path, multi_label="keep")
    assert len(kept) == 43410
    assert kept.features["labels"].feature.num_classes == 28
    assert kept.features["labels"].feature.names[27] == "neutral"
    single, report = read_goemotions(path, multi_label="skip", return_report=True)
    assert len(single) == 36308
    assert report.total == 43410 - 36308 == 7102
    with pytest.raises(DataFormatError, match="labels"):
        read_goemotions(path)


@pytest.mark.parametrize("split, rows", [("dev", 4548), ("test", 4590)])
def test_real_goemotions_single_label_subset(shared_data, split, rows):
    assert len(read_goemotions(shared_data / "goemotions" / f"{split}.tsv", multi_label="skip")) == rows


def test_real_tweeteval(shared_data):
    for split, rows in (("train", 3257), ("val", 374), ("test", 1421)):
        dataset = read_tweeteval(shared_data / "tweeteval" / "emotion", split)
        assert len(dataset) == rows
        assert dataset.features["label"].names == [
            "anger",
            "joy",
            "optimism",
            "sadness",
        ]
    stance = read_tweeteval(shared_data / "tweeteval" / "stance" / "hillary", "train")
    assert len(stance) == 620
    assert stance.features["label"].names == ["none", "against", "favor"]
    hate, report = read_tweeteval(
        shared_data / "tweeteval" / "hate",
        "train",
        empty_text="skip",
        return_report=True,
    )
    assert (len(hate), report.total) == (8993, 7)


def test_real_empathetic_dialogues_and_folds(shared_data):
    dataset = read_empathetic_dialogues(shared_data / "empathetic_dialogues" / "valid_utterances.csv")
    assert len(dataset) == 2770
    assert len(set(dataset["id"])) == 2770
    assert dataset[0]["label"] == 2 and "_comma_" not in "".join(dataset["text"])
    folds = stratified_folds(dataset, k=5, seed=42)
    tests = [set(test.tolist()) for _, test in folds]
    assert sum(len(test) for test in tests) == 2770
    assert set().union(*tests) == set(range(2770))
    for (train, test), test_set in zip(folds, tests):
        assert not set(train.tolist()) & test_set
