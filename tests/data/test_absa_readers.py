"""Tests for the targeted-sentiment readers (``hf_sentiment.data.absa_readers``).

Unit tests use small files written to ``tmp_path``; the real-data tests read the
shared data (fixture ``shared_data``) and check the counts of SOURCES.md.
"""

from __future__ import annotations

import json
import logging
import pickle
from collections import Counter
from pathlib import Path

import pytest
from tests.utils import assert_error, write

from hf_sentiment.data.absa_readers import (
    ABSA_FEATURES,
    normalize_polarity,
    read_absa_file,
    read_dong2014,
    read_e2e_absa,
    read_semeval14_xml,
    read_sentibench_atsa,
)
from hf_sentiment.data.absa_sources import load_absa
from hf_sentiment.data.errors import DataFormatError, ReadReport

TEXT = "The battery life is great."  # "battery life" is TEXT[4:16]
BATTERY = {"term": "battery life", "from": 4, "to": 16, "polarity": "positive"}


# --- errors.py -------------------------------------------------------------------------


def test_data_format_error_message_and_pickle():
    err = DataFormatError("a.json", 3, "aspects[0].from", "offset is not an integer: 'x'")
    assert isinstance(err, ValueError)
    assert str(err) == "a.json, row 3, field 'aspects[0].from': offset is not an integer: 'x'"
    assert str(DataFormatError("a.xml", None, None, "malformed XML")) == "a.xml: malformed XML"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.row, copy.field, copy.message) == (
        err.path,
        err.row,
        err.field,
        err.message,
    )


def test_read_report_counts_and_logs(caplog):
    logger = logging.getLogger("test_absa_readers")
    report = ReadReport()
    with caplog.at_level(logging.WARNING):
        report.log(logger, "empty.json")
    assert report.total == 0 and not caplog.records
    report.add("implicit aspects")
    report.add("implicit aspects", 2)
    report.add("duplicates", 0)
    report.add("duplicates")
    assert report.total == 4
    assert report.skipped == Counter({"implicit aspects": 3, "duplicates": 1})
    assert str(report) == "3 implicit aspects, 1 duplicates"
    with caplog.at_level(logging.WARNING):
        report.log(logger, "data.json")
    assert "data.json" in caplog.text and "3 implicit aspects" in caplog.text
    with pytest.raises(ValueError):
        report.add("x", -1)


@pytest.mark.parametrize(
    "spelling, polarity",
    [
        ("POS", "positive"),
        ("T-POS", "positive"),
        ("1", "positive"),
        (1, "positive"),
        ("Negative", "negative"),
        ("T-NEG", "negative"),
        ("-1", "negative"),
        (-1, "negative"),
        ("neu", "neutral"),
        ("0", "neutral"),
        (" neutral ", "neutral"),
        ("CONFLICT", "conflict"),
    ],
)
def test_normalize_polarity(spelling, polarity):
    assert normalize_polarity(spelling) == polarity


@pytest.mark.parametrize("spelling", ["great", "2", "", None, True, 1.0])
def test_normalize_polarity_rejects(spelling):
    with pytest.raises(ValueError, match="unknown polarity"):
        normalize_polarity(spelling)


# --- SemEval-2014 XML ---------------------------------------------------------------------


def semeval_xml(*sentences: str, header: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> str:
    return f"{header}<sentences>{''.join(sentences)}</sentences>"


def sentence_xml(sentence_id: str, text: str, *terms: str) -> str:
    aspect_terms = f"<aspectTerms>{''.join(f'<aspectTerm {t}/>' for t in terms)}</aspectTerms>" if terms else ""
    return f'<sentence id="{sentence_id}"><text>{text}</text>{aspect_terms}</sentence>'


def test_semeval14_reads_sentences_with_and_without_aspects(tmp_path):
    xml = semeval_xml(
        sentence_xml(
            "10",
            "I said &quot;sales&quot; team, twice.",
            'term="&quot;sales&quot; team" polarity="negative" from="7" to="19"',
            'term="twice" polarity="conflict" from="21" to="26"',
        ),
        sentence_xml("11", "No aspects here.").replace(
            "</sentence>",
            "<aspectCategories><aspectCategory category='food'/></aspectCategories></sentence>",
        ),
    )
    path = write(tmp_path, "tiny.xml", b"\xef\xbb\xbf" + xml.encode())
    dataset, report = read_semeval14_xml(path, return_report=True)
    assert dataset.features == ABSA_FEATURES
    assert dataset["id"] == ["10", "11"]
    assert dataset[0]["text"] == 'I said "sales" team, twice.'
    assert dataset[0]["aspects"] == [
        {"term": '"sales" team', "from": 7, "to": 19, "polarity": "negative"},
        {"term": "twice", "from": 21, "to": 26, "polarity": "conflict"},
    ]
    assert dataset[1]["aspects"] == []
    assert report.skipped == Counter({"aspectCategory elements (no span)": 1})


SEMEVAL_OK = 'term="battery life" polarity="positive" from="4" to="16"'


@pytest.mark.parametrize(
    "attributes, field, fragment",
    [
        (
            'term="battery life" polarity="positive" to="16"',
            "aspectTerm[1].from",
            "missing",
        ),
        ('polarity="positive" from="4" to="16"', "aspectTerm[1].term", "missing"),
        (
            'term="battery life" polarity="positive" from="x" to="16"',
            "aspectTerm[1].from",
            "not a non-negative integer",
        ),
        (
            'term="battery life" polarity="positive" from="4" to="99"',
            "aspectTerm[1].to",
            "outside the text",
        ),
        (
            'term="battery life" polarity="positive" from="16" to="4"',
            "aspectTerm[1].from",
            "smaller than",
        ),
        (
            'term="battery" polarity="positive" from="4" to="16"',
            "aspectTerm[1].term",
            "not the term",
        ),
        (
            'term="battery life" polarity="great" from="4" to="16"',
            "aspectTerm[1].polarity",
            "unknown polarity",
        ),
    ],
)
def test_semeval14_bad_aspect(tmp_path, attributes, field, fragment):
    path = write(
        tmp_path,
        "bad.xml",
        semeval_xml(
            sentence_xml("1", TEXT, SEMEVAL_OK),
            sentence_xml("2", TEXT, SEMEVAL_OK, attributes),
        ),
    )
    with pytest.raises(DataFormatError) as error:
        read_semeval14_xml(path)
    assert_error(error, path, 2, field, fragment)


@pytest.mark.parametrize(
    "sentence, field, fragment",
    [
        (
            "<sentence id='1'><text>   </text></sentence>",
            "text",
            "empty or whitespace-only",
        ),
        ("<sentence id='1'><text/></sentence>", "text", "empty or whitespace-only"),
        ("<sentence id='1'></sentence>", "text", "missing"),
        ("<sentence><text>Fine.</text></sentence>", "id", "missing"),
    ],
)
def test_semeval14_bad_sentence(tmp_path, sentence, field, fragment):
    path = write(tmp_path, "bad.xml", semeval_xml(sentence))
    with pytest.raises(DataFormatError) as error:
        read_semeval14_xml(path)
    assert_error(error, path, 1, field, fragment)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (semeval_xml(sentence_xml("1", TEXT))[:-30], "malformed XML"),
        ("<reviews/>", "expected <sentences>"),
        (
            '<?xml version="1.0"?><!DOCTYPE sentences [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            '<sentences><sentence id="1"><text>&b;</text></sentence></sentences>',
            "unsafe XML refused",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE sentences [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<sentences><sentence id="1"><text>&x;</text></sentence></sentences>',
            "unsafe XML refused",
        ),
    ],
)
def test_semeval14_bad_file(tmp_path, content, fragment):
    path = write(tmp_path, "bad.xml", content)
    with pytest.raises(DataFormatError) as error:
        read_semeval14_xml(path)
    assert_error(error, path, None, None, fragment)


def test_semeval14_non_utf8(tmp_path):
    content = semeval_xml(sentence_xml("1", "caf\u00e9 ok")).encode("latin-1")
    offset = content.index("\u00e9".encode("latin-1"))
    path = write(tmp_path, "latin1.xml", content)
    with pytest.raises(DataFormatError) as error:
        read_semeval14_xml(path)
    assert_error(error, path, None, None, f"byte 0xe9 at byte offset {offset} (line 2)")


# --- E2E-ABSA -----------------------------------------------------------------------------


def test_e2e_aligns_tokens_and_groups_runs(tmp_path):
    lines = [
        "The battery life is great.####The=O battery=T-POS life=T-POS is=O great=O .=O",
        "",
        "Screen  and keys, x=y fine.####Screen=T-NEU and=O keys=T-NEG ,=O x=y=T-NEG fine=O .=O",
        "Nothing to see.####Nothing=O to=O see=O .=O",
    ]
    path = write(tmp_path, "train.txt", "\n".join(lines) + "\n")
    dataset, report = read_e2e_absa(path, return_report=True)
    assert dataset.features == ABSA_FEATURES
    assert dataset["id"] == ["train-1", "train-3", "train-4"]
    assert dataset[0]["aspects"] == [BATTERY]
    assert [(a["term"], a["polarity"]) for a in dataset[1]["aspects"]] == [
        ("Screen", "neutral"),
        ("keys", "negative"),
        ("x=y", "negative"),
    ]
    assert dataset[2]["aspects"] == []
    assert dict(report.skipped) == {"blank lines": 1}


def test_e2e_tabs_between_tags_read_as_spaces(tmp_path):
    # Before, the tab-joined items were one token: no aspects, and a last T- tag made the tag string the text.
    tags = "The=O battery=T-POS life=T-POS is=O great=O .=T-NEG"
    spaced = write(tmp_path, "spaced.txt", f"The battery life is great.####{tags}\n")
    tabbed = write(tmp_path, "tabbed.txt", f"The battery life is great.####{tags.replace(' ', chr(9))}\n")
    expected = read_e2e_absa(spaced)[0]
    assert read_e2e_absa(tabbed)[0] | {"id": expected["id"]} == expected
    assert [a["term"] for a in expected["aspects"]] == ["battery life", "."]


def test_e2e_tags_that_leave_closing_punctuation_untagged_keep_the_text(tmp_path):
    # The real files do this now and then ("..", ")"): nothing is lost, no aspect can change.
    path = write(tmp_path, "t.txt", "The battery life is great..####The=O battery=T-POS life=T-POS is=O great=O .=O\n")
    dataset, report = read_e2e_absa(path, return_report=True)
    assert dataset[0]["text"] == "The battery life is great.." and dataset[0]["aspects"] == [BATTERY]
    assert not report.skipped


def test_e2e_same_tag_run_is_one_aspect_and_tag_change_splits(tmp_path):
    path = write(tmp_path, "dev.txt", "a b c d####a=T-POS b=T-POS c=T-NEG d=T-NEG\n")
    aspects = read_e2e_absa(path)[0]["aspects"]
    assert [(a["term"], a["polarity"]) for a in aspects] == [
        ("a b", "positive"),
        ("c d", "negative"),
    ]


def test_e2e_keeps_raw_text_when_aspects_align_despite_tokenizer_changes(tmp_path):
    # The tokeniser turned "-" into ",": the tokens do not rebuild the sentence,
    # but the aspect "food" is found intact in the raw text.
    path = write(
        tmp_path,
        "test.txt",
        "The food - really good.####The=O food=T-POS ,=O really=O good=O .=O\n",
    )
    dataset, report = read_e2e_absa(path, return_report=True)
    assert dataset[0]["text"] == "The food - really good."
    assert dataset[0]["aspects"] == [{"term": "food", "from": 4, "to": 8, "polarity": "positive"}]
    assert report.total == 0


def test_e2e_falls_back_to_joined_tokens_and_counts_it(tmp_path, caplog):
    # "order" is not a word of the raw sentence ("ordered"): use the tokens' text.
    lines = (
        "I ordered for delivery.####I=O order=T-NEG for=O delivery=T-NEG .=O\n"
        + TEXT
        + "####The=O battery=T-POS life=T-POS is=O great=O .=O\n"
    )
    path = write(tmp_path, "test.txt", lines)
    with caplog.at_level(logging.WARNING, logger="hf_sentiment.data.absa_readers"):
        dataset, report = read_e2e_absa(path, return_report=True)
    assert dataset[0]["text"] == "I order for delivery ."
    assert [(a["term"], a["from"], a["to"]) for a in dataset[0]["aspects"]] == [
        ("order", 2, 7),
        ("delivery", 12, 20),
    ]
    assert dataset[1]["text"] == TEXT
    assert report.total == 1
    assert str(path) in caplog.text and "rebuilt from the tokens" in caplog.text


@pytest.mark.parametrize(
    "line, field, fragment",
    [
        ("No separator here", "tags", "expected one '####'"),
        ("a####b####a=O", "tags", "expected one '####'"),
        ("   ####a=O", "text", "empty or whitespace-only"),
        ("Good food.####Good=O food=T-XYZ .=O", "tags[1]", "unknown polarity"),
        ("Good food.####Good food=O", "tags[0]", "expected 'token=TAG'"),
        ("Good food.####Good=O =O", "tags[1]", "expected 'token=TAG'"),
    ],
)
def test_e2e_bad_line(tmp_path, line, field, fragment):
    path = write(tmp_path, "bad.txt", f"Fine.####Fine=O .=O\n{line}\n")
    with pytest.raises(DataFormatError) as error:
        read_e2e_absa(path)
    assert_error(error, path, 2, field, fragment)


def test_e2e_non_utf8_names_line_and_offset(tmp_path):
    content = b"Fine.####Fine=O .=O\nBad \xff.####Bad=O \xff=O .=O\n"
    path = write(tmp_path, "bad.txt", content)
    with pytest.raises(DataFormatError) as error:
        read_e2e_absa(path)
    assert_error(error, path, 2, None, "byte 0xff at byte offset 24")


# --- Dong et al. 2014 ----------------------------------------------------------------------


def test_dong2014_substitutes_target(tmp_path):
    content = "i love $T$ !\nwindows 7\n1\n$T$ is down , $T$ again\ngoogle\n-1\nmeh , $T$\nxbox\n0\n"
    path = write(tmp_path, "train.raw", content)
    dataset, report = read_dong2014(path, return_report=True)
    assert dataset.features == ABSA_FEATURES
    assert dataset["id"] == ["train-1", "train-4", "train-7"]
    assert dataset["text"] == [
        "i love windows 7 !",
        "google is down , google again",
        "meh , xbox",
    ]
    assert dataset["aspects"] == [
        [{"term": "windows 7", "from": 7, "to": 16, "polarity": "positive"}],
        [{"term": "google", "from": 0, "to": 6, "polarity": "negative"}],
        [{"term": "xbox", "from": 6, "to": 10, "polarity": "neutral"}],
    ]
    assert report.total == 1  # the second "$T$" of instance 2


@pytest.mark.parametrize(
    "content, row, field, fragment",
    [
        ("no placeholder\nx\n1\n", 1, "sentence", "no '$T$'"),
        ("a $T$\n\n1\n", 2, "target", "empty or whitespace-only"),
        ("a $T$\nx\n2\n", 3, "polarity", "unknown polarity"),
        ("a $T$\nx\n1\nb $T$\n", 5, "target", "ends inside an instance"),
        ("a $T$\nx\n1\nb $T$\ny\n", 6, "polarity", "ends inside an instance"),
    ],
)
def test_dong2014_bad_instance(tmp_path, content, row, field, fragment):
    path = write(tmp_path, "bad.raw", content)
    with pytest.raises(DataFormatError) as error:
        read_dong2014(path)
    assert_error(error, path, row, field, fragment)


# --- SentiBench atsa_rest16 ---------------------------------------------------------------------


def atsa_aspect(
    target: str,
    start: int,
    end: int,
    polarity: str = "positive",
    category: str = "FOOD#QUALITY",
) -> dict:
    return {
        "from": str(start),
        "to": str(end),
        "target": target,
        "category": category,
        "polarity": polarity,
    }


def test_sentibench_atsa_drops_and_counts_implicit_and_duplicates(tmp_path):
    items = [
        {
            "ID": "1:0",
            "sentence": TEXT,
            "aspects": [
                atsa_aspect("battery life", 4, 16),
                atsa_aspect("battery life", 4, 16, category="BATTERY#GENERAL"),
                atsa_aspect("NULL", 0, 0, "negative"),
            ],
        },
        {"ID": "1:1", "sentence": "Fine.", "aspects": [atsa_aspect("NULL", 0, 0)]},
        {"ID": "1:2", "sentence": "Fine.", "aspects": []},
    ]
    path = write(tmp_path, "train.json", "\ufeff" + json.dumps(items, indent=4))
    dataset, report = read_sentibench_atsa(path, return_report=True)
    assert dataset.features == ABSA_FEATURES
    assert dataset["id"] == ["1:0", "1:1", "1:2"]
    assert dataset["aspects"] == [[BATTERY], [], []]
    assert report.skipped == Counter(
        {
            "implicit aspects (target NULL)": 2,
            "duplicate aspects (same from/to/polarity)": 1,
        }
    )


@pytest.mark.parametrize(
    "item, field, fragment",
    [
        ({"ID": "2", "aspects": []}, "sentence", "missing"),
        ({"sentence": TEXT, "aspects": []}, "ID", "missing"),
        (
            {"ID": "2", "sentence": " \t", "aspects": []},
            "sentence",
            "empty or whitespace-only",
        ),
        ({"ID": "2", "sentence": TEXT}, "aspects", "missing"),
        (
            {
                "ID": "2",
                "sentence": TEXT,
                "aspects": [atsa_aspect("battery life", 4, 16) | {"from": "4.0"}],
            },
            "aspects[0].from",
            "not a non-negative integer",
        ),
        (
            {"ID": "2", "sentence": TEXT, "aspects": [atsa_aspect("battery", 4, 16)]},
            "aspects[0].target",
            "not the term",
        ),
        (
            {
                "ID": "2",
                "sentence": TEXT,
                "aspects": [atsa_aspect("battery life", 4, 16, "POSITIVE!")],
            },
            "aspects[0].polarity",
            "unknown polarity",
        ),
        (["not", "an", "object"], None, "expected a JSON object"),
    ],
)
def test_sentibench_atsa_bad_item(tmp_path, item, field, fragment):
    good = {
        "ID": "1",
        "sentence": TEXT,
        "aspects": [atsa_aspect("battery life", 4, 16)],
    }
    path = write(tmp_path, "bad.json", json.dumps([good, item]))
    with pytest.raises(DataFormatError) as error:
        read_sentibench_atsa(path)
    assert_error(error, path, 2, field, fragment)


def test_sentibench_atsa_truncated_json(tmp_path):
    path = write(
        tmp_path,
        "bad.json",
        json.dumps([{"ID": "1", "sentence": TEXT, "aspects": []}])[:-5],
    )
    with pytest.raises(DataFormatError) as error:
        read_sentibench_atsa(path)
    assert_error(error, path, None, None, "malformed JSON at line 1")


# --- user files: JSON, JSONL, CSV ------------------------------------------------------------------


def test_user_json_defaults_id_and_locates_unique_terms(tmp_path):
    items = [
        {
            "text": "Good food, bad service.",
            "aspects": [{"term": "bad service", "polarity": "NEG"}],
        },
        {"id": "x", "text": TEXT, "aspects": [BATTERY]},
        {"id": 7, "text": "Nothing.", "aspects": []},
    ]
    path = write(tmp_path, "mine.json", json.dumps(items))
    dataset = read_absa_file(path)
    assert dataset.features == ABSA_FEATURES
    assert dataset["id"] == ["1", "x", "7"]
    assert dataset["aspects"] == [
        [{"term": "bad service", "from": 11, "to": 22, "polarity": "negative"}],
        [BATTERY],
        [],
    ]


def test_user_json_empty_list(tmp_path):
    dataset = read_absa_file(write(tmp_path, "empty.json", "[]"))
    assert len(dataset) == 0 and dataset.features == ABSA_FEATURES


def test_user_custom_field_names(tmp_path):
    path = write(
        tmp_path,
        "mine.jsonl",
        json.dumps({"sentence": TEXT, "targets": [BATTERY]}) + "\n",
    )
    dataset = read_absa_file(path, text_field="sentence", aspects_field="targets")
    assert dataset["aspects"] == [[BATTERY]]


@pytest.mark.parametrize(
    "item, field, fragment",
    [
        (
            {
                "text": "food, food",
                "aspects": [{"term": "food", "polarity": "positive"}],
            },
            "aspects[0].term",
            "occurs 2 times",
        ),
        (
            {"text": "food", "aspects": [{"term": "wine", "polarity": "positive"}]},
            "aspects[0].term",
            "does not occur",
        ),
        (
            {"text": TEXT, "aspects": [BATTERY | {"to": None}]},
            "aspects[0].to",
            "missing",
        ),
        (
            {"text": TEXT, "aspects": [BATTERY | {"from": 4.0}]},
            "aspects[0].from",
            "not a non-negative integer",
        ),
        (
            {"text": TEXT, "aspects": [BATTERY | {"from": -1}]},
            "aspects[0].from",
            "not a non-negative integer: -1",
        ),
        (
            {"text": TEXT, "aspects": [{"term": "battery life", "from": 4, "to": 16}]},
            "aspects[0].polarity",
            "missing",
        ),
        ({"text": TEXT, "aspects": "battery life"}, "aspects", "expected a list"),
        ({"text": 3, "aspects": []}, "text", "expected a string"),
        ({"aspects": []}, "text", "missing"),
    ],
)
def test_user_json_bad_item(tmp_path, item, field, fragment):
    path = write(tmp_path, "bad.json", json.dumps([{"text": TEXT, "aspects": [BATTERY]}, item]))
    with pytest.raises(DataFormatError) as error:
        read_absa_file(path)
    assert_error(error, path, 2, field, fragment)


def test_user_jsonl_rows_are_line_numbers(tmp_path):
    good = json.dumps({"text": TEXT, "aspects": [BATTERY]})
    path = write(tmp_path, "mine.jsonl", f"{good}\n\n{good[:-3]}\n")
    with pytest.raises(DataFormatError) as error:
        read_absa_file(path)
    assert_error(error, path, 3, None, "malformed JSON")
    path = write(tmp_path, "ok.jsonl", f"{good}\n\n{good}\n")
    assert read_absa_file(path)["id"] == ["1", "3"]


CSV_HEADER = "id,text,term,from,to,polarity\n"


def test_user_csv_groups_rows_by_id(tmp_path):
    content = CSV_HEADER + (
        f"s1,{TEXT},battery life,4,16,POS\n"
        "s2,Nothing here.,,,,\n"
        '"s3","Screen, keyboard: fine.",keyboard,,,neutral\n'
        '"s3","Screen, keyboard: fine.",Screen,0,6,positive\n'
    )
    dataset = read_absa_file(write(tmp_path, "mine.csv", content))
    assert dataset.features == ABSA_FEATURES
    assert dataset["id"] == ["s1", "s2", "s3"]
    assert dataset["aspects"] == [
        [BATTERY],
        [],
        [
            {"term": "keyboard", "from": 8, "to": 16, "polarity": "neutral"},
            {"term": "Screen", "from": 0, "to": 6, "polarity": "positive"},
        ],
    ]


@pytest.mark.parametrize(
    "rows, row, field, fragment",
    [
        (
            f"s1,{TEXT},battery life,4,16,positive\ns1,Other text.,,,,\n",
            3,
            "text",
            "differs from the text",
        ),
        (f"s1,{TEXT},battery life,four,16,positive\n", 2, "from", "not a non-negative integer"),
        (f"s1,{TEXT},battery life,16,4,positive\n", 2, "from", "smaller than"),
        (f"s1,{TEXT},battery life,4,16,\n", 2, "polarity", "missing"),
        (f"s1,{TEXT},,4,16,positive\n", 2, "term", "missing"),
        (f",{TEXT},battery life,4,16,positive\n", 2, "id", "missing"),
        ("s1,  ,,,,\n", 2, "text", "empty or whitespace-only"),
    ],
)
def test_user_csv_bad_row(tmp_path, rows, row, field, fragment):
    path = write(tmp_path, "bad.csv", CSV_HEADER + rows)
    with pytest.raises(DataFormatError) as error:
        read_absa_file(path)
    assert_error(error, path, row, field, fragment)


def test_user_csv_missing_column(tmp_path):
    path = write(tmp_path, "bad.csv", f"id,text,term,from,to\ns1,{TEXT},battery life,4,16\n")
    with pytest.raises(DataFormatError) as error:
        read_absa_file(path)
    assert_error(error, path, 1, "polarity", "missing column")


def test_user_file_unknown_format(tmp_path):
    path = write(tmp_path, "data.tsv", "id\ttext\n")
    with pytest.raises(ValueError, match="unknown format"):
        read_absa_file(path)


# --- load_absa ---------------------------------------------------------------------------


@pytest.fixture
def one_file_per_format(tmp_path) -> dict[str, Path]:
    atsa = [{"ID": "1", "sentence": TEXT, "aspects": [atsa_aspect("battery life", 4, 16)]}]
    return {
        "semeval14": write(tmp_path, "a.xml", semeval_xml(sentence_xml("1", TEXT, SEMEVAL_OK))),
        "e2e": write(
            tmp_path,
            "a.txt",
            TEXT + "####The=O battery=T-POS life=T-POS is=O great=O .=O\n",
        ),
        "dong2014": write(tmp_path, "a.raw", "The $T$ is great.\nbattery life\n1\n"),
        "sentibench_atsa": write(tmp_path, "atsa.json", "\ufeff" + json.dumps(atsa)),
        "json": write(tmp_path, "a.json", json.dumps([{"text": TEXT, "aspects": [BATTERY]}])),
        "jsonl": write(tmp_path, "a.jsonl", json.dumps({"text": TEXT, "aspects": [BATTERY]})),
        "csv": write(tmp_path, "a.csv", CSV_HEADER + f"1,{TEXT},battery life,4,16,positive\n"),
    }


@pytest.mark.parametrize(
    "format",
    ["semeval14", "e2e", "dong2014", "sentibench_atsa", "json", "jsonl", "csv"],
)
def test_load_absa_detects_and_accepts_each_format(one_file_per_format, format):
    path = one_file_per_format[format]
    for dataset in (load_absa(path), load_absa(path, format=format)):
        assert dataset.features == ABSA_FEATURES
        assert dataset["text"] == [TEXT]
        assert dataset["aspects"] == [[BATTERY]]
    dataset, report = load_absa(path, return_report=True)
    assert isinstance(report, ReadReport)


def test_load_absa_rejects_unknown_formats(tmp_path):
    with pytest.raises(ValueError, match="cannot tell"):
        load_absa(write(tmp_path, "plain.txt", "just text\n"))
    with pytest.raises(ValueError, match="unknown ABSA format"):
        load_absa(write(tmp_path, "a.json", "[]"), format="yaml")


# --- real data (SOURCES.md sections 1, 2 and 10) -----------------------------------------------


def assert_spans_exact(dataset) -> None:
    for row in dataset:
        assert row["text"].strip()
        for aspect in row["aspects"]:
            assert 0 <= aspect["from"] < aspect["to"] <= len(row["text"])
            assert row["text"][aspect["from"] : aspect["to"]] == aspect["term"]


def polarity_counts(dataset) -> tuple[int, ...]:
    counts = Counter(a["polarity"] for aspects in dataset["aspects"] for a in aspects)
    return tuple(counts[p] for p in ("positive", "negative", "neutral", "conflict"))


@pytest.mark.parametrize(
    "name, sentences, without_aspects, polarities",
    [
        ("Laptop_Train_v2.xml", 3045, 1557, (987, 866, 460, 45)),
        ("Laptops_Test_Gold.xml", 800, 378, (341, 128, 169, 16)),
        ("Restaurants_Train_v2.xml", 3041, 1020, (2164, 805, 633, 91)),
        ("Restaurants_Test_Gold.xml", 800, 194, (728, 196, 196, 14)),
    ],
)
def test_real_semeval14(shared_data, name, sentences, without_aspects, polarities):
    dataset = load_absa(shared_data / "semeval14" / name)
    assert len(dataset) == sentences
    assert sum(not aspects for aspects in dataset["aspects"]) == without_aspects
    assert polarity_counts(dataset) == polarities
    assert_spans_exact(dataset)


@pytest.mark.parametrize(
    "domain, split, rows",
    [
        ("laptop14", "train", 2741),
        ("laptop14", "dev", 304),
        ("laptop14", "test", 800),
        ("rest14", "train", 2736),
        ("rest14", "dev", 304),
        ("rest14", "test", 800),
    ],
)
def test_real_e2e(shared_data, domain, split, rows):
    path = shared_data / "semeval14" / "e2e_absa" / domain / f"{split}.txt"
    dataset, report = load_absa(path, return_report=True)
    assert len(dataset) == rows
    assert dataset[0]["id"] == f"{split}-1"
    assert polarity_counts(dataset)[3] == 0  # conflict was removed from this version
    assert_spans_exact(dataset)
    # Most misaligned lines keep their raw text; only a few are rebuilt from tokens.
    assert 0 < report.total <= 0.01 * rows


@pytest.mark.parametrize(
    "split, rows, polarities",
    [("train", 6248, (1561, 1560, 3127, 0)), ("test", 692, (173, 173, 346, 0))],
)
def test_real_dong2014(shared_data, split, rows, polarities):
    dataset = load_absa(shared_data / "twitter_dong2014" / f"{split}.raw")
    assert len(dataset) == rows
    assert all(len(aspects) == 1 for aspects in dataset["aspects"])
    assert polarity_counts(dataset) == polarities
    assert not any("$T$" in text for text in dataset["text"])
    assert_spans_exact(dataset)


@pytest.mark.parametrize("split, rows", [("train", 2000), ("test", 676)])
def test_real_sentibench_atsa(shared_data, split, rows):
    path = shared_data / "sentibench" / "absa" / "atsa_rest16" / f"{split}.json"
    dataset, report = load_absa(path, return_report=True)
    assert len(dataset) == rows
    raw = json.loads(path.read_text(encoding="utf-8-sig"))
    implicit = sum(a["target"] == "NULL" for item in raw for a in item["aspects"])
    kept = sum(len(aspects) for aspects in dataset["aspects"])
    assert report.skipped["implicit aspects (target NULL)"] == implicit > 0
    assert kept + report.total == sum(len(item["aspects"]) for item in raw)
    assert_spans_exact(dataset)
