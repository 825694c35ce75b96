"""Bad input: every reader and file entry point against malformed files.

``CASES`` is one table: a reader, the kind of fault, the files written for it and what must
happen. Every case ends either in a ``DataFormatError`` that names the file, the row and the
field (checked on the error's attributes and in its message), or in a read whose report counts
what was left out or changed, with the count asserted. A bare library exception fails the case,
and so does a read that loses or changes data without counting it.

Kinds (where they apply to a format): truncated files, byte-order marks (UTF-8: read; UTF-16:
not UTF-8), non-UTF-8 bytes, offsets outside or mismatching the text, unknown labels, empty and
whitespace-only texts, very long texts, NaN ratings (and NaN offsets / labels), duplicate ids,
plus some format-specific ones (deep JSON nesting, lone surrogates, CSV quoting).

The ABSA cases run twice: through their own reader and through ``load_absa`` (format detected
from the file), which must end the same way.
"""

from __future__ import annotations

import codecs
import copy
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hf_sentiment.cli.common import CLIError
from hf_sentiment.cli.predict_input import iter_texts, open_input
from hf_sentiment.data import (
    POLARITIES,
    DataFileNotFoundError,
    DataFormatError,
    ValenceLexicon,
    load_absa,
    read_absa_file,
    read_classification_file,
    read_dong2014,
    read_e2e_absa,
    read_emobank,
    read_empathetic_dialogues,
    read_goemotions,
    read_semeval14_xml,
    read_sentibench,
    read_sentibench_atsa,
    read_sst,
    read_tweeteval,
)
from hf_sentiment.distill.prompts import load_templates
from hf_sentiment.distill.teacher_cache import CacheEntry, TeacherCache, cache_key
from tests.utils import assert_error, write

BOM = codecs.BOM_UTF8.decode("utf-8")
TEXT = "The battery life is great."  # "battery life" is TEXT[4:16]
# A text of about 200,000 characters ending in the aspect: longer than the csv module's default
# field limit (131,072 characters).
LONG = "word " * 40_000 + "battery life"
LONG_FROM = len(LONG) - len("battery life")
MAX_SECONDS = 30  # per case; the longest e2e alignment used to take minutes on one long line


@dataclass(frozen=True)
class Raises:
    """A ``DataFormatError`` naming ``file`` (relative to the case folder), ``row`` and ``field``,
    whose message holds ``fragment``."""

    file: str
    row: int | None
    field: str | None
    fragment: str


@dataclass(frozen=True)
class Reads:
    """A successful read of ``rows`` rows whose report counts exactly ``skipped`` (reason fragment
    -> count; every reason in the report must match one fragment); ``longest``: the length of the
    longest text, which must come through whole."""

    rows: int
    skipped: dict[str, int] = field(default_factory=dict)
    longest: int | None = None


@dataclass(frozen=True)
class Case:
    reader: str
    kind: str
    files: dict[str, str | bytes]
    expect: Raises | Reads


# --- readers: each returns (rows as dicts with "id" and "text", report counts) -------------------

Rows = list[dict]
Reader = Callable[[Path], tuple[Rows, Counter]]


def _from_dataset(result) -> tuple[Rows, Counter]:
    dataset, report = result
    rows = list(dataset)
    if "label" in dataset.features:
        for row in rows:
            row["label"] = dataset.features["label"].int2str(row["label"])
    return rows, report.skipped


def _lexicon(lexicon: ValenceLexicon) -> tuple[Rows, Counter]:
    return [{"id": word, "text": word} for word in lexicon], lexicon.report.skipped


def _sentibench(result) -> tuple[Rows, Counter]:
    examples, report = result
    rows = [{"id": example.id, "text": example.sentence, "label": example.label} for example in examples]
    return rows, report.skipped


def _templates(folder: Path) -> tuple[Rows, Counter]:
    return [{"id": t.name, "text": t.instruction} for t in load_templates(folder / "t.json")], Counter()


def _teacher_cache(folder: Path) -> tuple[Rows, Counter]:
    with TeacherCache(folder / "cache.jsonl") as cache:
        rows = [{"id": entry.key, "text": entry.prompt} for entry in cache.entries()]
        return rows, Counter({"cut-off last line": cache.truncated_lines})


ABSA_READERS: dict[str, tuple[str, Callable]] = {
    "semeval14": ("a.xml", read_semeval14_xml),
    "e2e": ("e.txt", read_e2e_absa),
    "dong2014": ("d.raw", read_dong2014),
    "sentibench_atsa": ("atsa.json", read_sentibench_atsa),
    "user_json": ("u.json", read_absa_file),
    "user_jsonl": ("u.jsonl", read_absa_file),
    "user_csv": ("u.csv", read_absa_file),
}


def _absa_reader(name: str, via_load_absa: bool) -> Reader:
    file, read = ABSA_READERS[name]
    read = load_absa if via_load_absa else read
    return lambda folder: _from_dataset(read(folder / file, return_report=True))


READERS: dict[str, Reader] = {
    **{name: _absa_reader(name, False) for name in ABSA_READERS},
    **{f"load_absa[{name}]": _absa_reader(name, True) for name in ABSA_READERS},
    "sst": lambda d: _from_dataset(read_sst(d / "stsa.fine.train", return_report=True)),
    "goemotions": lambda d: _from_dataset(read_goemotions(d / "train.tsv", return_report=True)),
    "goemotions_skip": lambda d: _from_dataset(
        read_goemotions(d / "train.tsv", multi_label="skip", return_report=True)
    ),
    "tweeteval": lambda d: _from_dataset(read_tweeteval(d, "train", return_report=True)),
    "tweeteval_skip": lambda d: _from_dataset(read_tweeteval(d, "train", empty_text="skip", return_report=True)),
    "empathetic_dialogues": lambda d: _from_dataset(
        read_empathetic_dialogues(d / "valid_utterances.csv", return_report=True)
    ),
    **{
        f"classification_{kind}": (
            lambda d, kind=kind: _from_dataset(
                read_classification_file(d / f"c.{kind}", ["negative", "positive"], return_report=True)
            )
        )
        for kind in ("csv", "json", "jsonl")
    },
    "lexicon_csv": lambda d: _lexicon(ValenceLexicon.from_csv(d / "lex.csv", "word", "rating", (1, 9))),
    "warriner": lambda d: _lexicon(ValenceLexicon.from_warriner(d / "ratings.csv", d / "words.txt")),
    "emobank": lambda d: _from_dataset(read_emobank(d / "emobank.csv", return_report=True)),
    "sentibench_sst2": lambda d: _sentibench(read_sentibench(d, "sst2", "train", return_report=True)),
    "sentibench_atsa16": lambda d: _sentibench(read_sentibench(d, "atsa_rest16", "train", return_report=True)),
    "sentibench_opener": lambda d: _sentibench(read_sentibench(d, "opener", "train", return_report=True)),
    "templates": _templates,
    "teacher_cache": _teacher_cache,
}


# --- file builders --------------------------------------------------------------------------------


def latin1(text: str) -> bytes:
    return text.encode("latin-1")


def utf16(text: str) -> bytes:
    return text.encode("utf-16")  # with its BOM


# SemEval-2014 XML
def xml_sentence(
    sid: str = "1",
    text: str = TEXT,
    start: str = "4",
    end: str = "16",
    polarity: str = "positive",
    term: str = "battery life",
    extra: str = "",
) -> str:
    return (
        f'<sentence id="{sid}"><text>{text}</text><aspectTerms>'
        f'<aspectTerm term="{term}" polarity="{polarity}" from="{start}" to="{end}"/>'
        f"</aspectTerms>{extra}</sentence>"
    )


def xml(*sentences: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<sentences>\n' + "\n".join(sentences) + "\n</sentences>\n"


GOOD_XML = xml(xml_sentence("1"), xml_sentence("2"))
TERM = '<aspectTerm term="battery life" polarity="positive" from="4" to="16"/>'


# SemEval-2015/16 XML: <Reviews> of <Review>s, <Opinions> with targets
def opinion(target: str = "battery life", start: str = "4", end: str = "16", polarity: str = "positive") -> str:
    return f'<Opinion target="{target}" category="LAPTOP#BATTERY" polarity="{polarity}" from="{start}" to="{end}"/>'


def reviews(*opinion_lists: list[str]) -> str:
    sentences = "".join(
        f'<sentence id="r1:{i}"><text>{TEXT}</text><Opinions>{"".join(opinions)}</Opinions></sentence>'
        for i, opinions in enumerate(opinion_lists)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Reviews><Review rid="r1"><sentences>{sentences}</sentences></Review></Reviews>\n'
CATEGORIES = "<aspectCategories><aspectCategory category='food'/><aspectCategory category='price'/></aspectCategories>"

# E2E-ABSA token tags
E2E_TAGS = "####The=O battery=T-POS life=T-POS is=O great=O .=O"
E2E_LINE = TEXT + E2E_TAGS
GOOD_E2E = f"{E2E_LINE}\n{E2E_LINE}\n"
E2E_LONG = LONG + "####" + " ".join(f"{token}=O" for token in LONG.split(" ")[:-2]) + " battery=T-NEG life=T-NEG"
# Tokens that do not rebuild the sentence (café vs cafe) on a line longer than the alignment limit.
E2E_LONG_MISALIGNED = "caf\u00e9 " * 1000 + "battery life####" + "cafe=O " * 1000 + "battery=T-POS life=T-POS"

# Dong et al. (2014)
DONG = "the $T$ is great .\nbattery life\n1\n"
GOOD_DONG = DONG * 2


# SentiBench atsa_rest16 (read_sentibench_atsa)
def atsa_item(
    sid: str = "1",
    sentence: str = TEXT,
    start: object = "4",
    end: object = "16",
    polarity: str = "positive",
    target: str = "battery life",
) -> dict:
    aspect = {"from": start, "to": end, "target": target, "category": "LAPTOP#BATTERY", "polarity": polarity}
    return {"ID": sid, "sentence": sentence, "aspects": [aspect]}


def atsa(*items: dict) -> str:
    return json.dumps(list(items))


GOOD_ATSA = atsa(atsa_item("1"), atsa_item("2"))


# user files
def user_item(text: str = TEXT, start: object = 4, end: object = 16, polarity: str = "positive", **extra) -> dict:
    return {
        **extra,
        "text": text,
        "aspects": [{"term": "battery life", "from": start, "to": end, "polarity": polarity}],
    }


def user_json(*items: dict) -> str:
    return json.dumps(list(items))


def user_jsonl(*items: dict) -> str:
    return "".join(json.dumps(item) + "\n" for item in items)


GOOD_USER = (user_item(id="a"), user_item(id="b"))
CSV_HEADER = "id,text,term,from,to,polarity\n"
CSV_ROW = f"s1,{TEXT},battery life,4,16,positive\n"


def csv_file(*rows: str) -> str:
    return CSV_HEADER + "".join(rows)


# classification files
GOOD_SST = "3 The battery life is great.\n1 Awful screen.\n"
GO_LABELS = "positive\nnegative\nneutral\n"
GOOD_GO = "Great battery.\t0\tc1\nAwful screen.\t1\tc2\n"
TWEETEVAL_MAPPING = "0\tpositive\n1\tnegative\n"


def tweeteval(texts: str | bytes = "Great battery. \nAwful screen. \n", labels: str = "0\n1\n", **extra) -> dict:
    return {"train_text.txt": texts, "train_labels.txt": labels, "mapping.txt": TWEETEVAL_MAPPING, **extra}


ED_HEADER = "conv_id,utterance_idx,prompt,utterance,label\n"
GOOD_CLS = "text,label\nGreat battery.,positive\nAwful screen.,0\n"  # a class name or a class id
GOOD_CLS_JSON = json.dumps([{"text": "Great battery.", "label": "positive"}, {"text": "Awful screen.", "label": 0}])
GOOD_CLS_JSONL = '{"text": "Great battery.", "label": "positive"}\n{"text": "Awful screen.", "label": 0}\n'
GOOD_ED = ED_HEADER + "c1,1,p,I won_comma_ yay,6\nc1,2,p,Great!,6\n"

# valence
LEX_HEADER = "word,rating\n"
GOOD_LEX = LEX_HEADER + "good,7.5\nbad,2.0\n"
WARRINER = ",Word,V.Mean.Sum\n1,good,7.5\n2,bad,2.0\n"
EMOBANK_HEADER = "id,split,V,A,D,text\n"
GOOD_EMOBANK = EMOBANK_HEADER + "a,train,3.0,3,3,Great battery.\nb,test,2.0,3,3,Awful screen.\n"


# SentiBench (read_sentibench): files below the root, JSON lists with a BOM like the real ones
def bench(rows: list | str | bytes) -> str | bytes:
    return BOM + json.dumps(rows) if isinstance(rows, list) else rows


SST2 = "sc/sst2/train.json"
ATSA16 = "absa/atsa_rest16/train.json"
OPENER = "absa/opener/train.json"
GOOD_SST2_ROWS = [{"label": "positive", "sentence": "Great battery."}, {"label": "negative", "sentence": "Awful."}]


def bench_aspect_row(start: str = "6", end: str = "11", target: str = "Sushi", polarity: str = "positive") -> dict:
    aspect = {"from": start, "to": end, "target": target, "category": "FOOD#QUALITY", "polarity": polarity}
    return {"ID": "x", "sentence": "Great Sushi.", "aspects": [aspect]}


def opener_row(target: list | None = None) -> dict:
    opinion = {
        "Source": [[], []],
        "Target": target or [["Rooms"], ["0:5"]],
        "Polar_expression": [["clean"], ["10:15"]],
        "Polarity": "Positive",
    }
    return {"sent_id": "o", "sentence": "Rooms are clean .", "opinions": [opinion]}


# prompt templates
def template(name: str = "polarity", instruction: str = "Text: {text}\nSentiment:", **extra) -> dict:
    return {"name": name, "instruction": instruction, "examples": [{"text": "Great.", "answer": "positive"}], **extra}


GOOD_TEMPLATES = json.dumps([template()])


# teacher cache
def cache_line(prompt: str = "Text: great\nAnswer:", call: str = "generate", answer: object = "positive") -> str:
    return CacheEntry("tiny", call, prompt, {"max_new_tokens": 4}, answer).to_json()


def nan_probabilities_line() -> str:
    record = json.loads(cache_line(call="label_distribution", answer=[0.5, 0.5]))
    record["answer"] = [float("nan"), 0.5]
    assert record["key"] == cache_key("tiny", record["prompt"], record["settings"], call="label_distribution")
    return json.dumps(record)  # NaN is written as the bare JSON extension `NaN`


def edited_line(**changes) -> str:
    """A cache line edited by hand (its key left as it was)."""
    return json.dumps(json.loads(cache_line()) | changes)


LINE_1, LINE_2 = cache_line("prompt one"), cache_line("prompt two")


# --- the table ------------------------------------------------------------------------------------

ABSA_CASES: list[Case] = [
    # SemEval-2014 XML (rows: sentence index)
    Case("semeval14", "truncated", {"a.xml": GOOD_XML[:-40]}, Raises("a.xml", None, None, "malformed XML")),
    # The 2015/16 layout is read; before, it gave zero rows and an empty report.
    Case(
        "semeval14",
        "semeval16_layout",
        {"a.xml": reviews([opinion()], [opinion(), opinion(), opinion("NULL", "0", "0")])},
        Reads(2, {"target NULL": 1, "repeating an earlier one": 1}),
    ),
    Case(
        "semeval14",
        "semeval16_bad_offset",
        {"a.xml": reviews([opinion()], [opinion(end="15")])},
        Raises("a.xml", 2, "Opinion[0].target", "not the term"),
    ),
    # Elements a layout does not hold are refused by name; before, each gave empty aspects or no rows.
    Case(
        "semeval14",
        "aspect_term_outside_aspect_terms",
        {"a.xml": xml(xml_sentence("1"), f'<sentence id="2"><text>{TEXT}</text>{TERM}</sentence>')},
        Raises("a.xml", 2, "aspectTerm", "<sentence> holds a <aspectTerm> element; expected <aspectCategories>"),
    ),
    Case(
        "semeval14",
        "lower_case_elements",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("2").replace("aspectTerm", "aspectterm"))},
        Raises("a.xml", 2, "aspectterms", "<sentence> holds a <aspectterms> element"),
    ),
    Case(
        "semeval14",
        "lower_case_term_inside_terms",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("2").replace("<aspectTerm ", "<aspectterm "))},
        Raises("a.xml", 2, "aspectterm", "<aspectTerms> holds a <aspectterm> element; expected <aspectTerm>"),
    ),
    Case(
        "semeval14",
        "sentence_inside_review",
        {"a.xml": xml(xml_sentence("1"), f"<review>{xml_sentence('2')}</review>")},
        Raises("a.xml", None, None, "<sentences> holds a <review> element; expected only <sentence>"),
    ),
    Case(
        "semeval14",
        "namespaced_sentence",
        {"a.xml": xml(xml_sentence("1")).replace("<sentences>", '<sentences xmlns:s="urn:x">').replace(
            "<sentence ", "<s:sentence ").replace("</sentence>", "</s:sentence>")},
        Raises("a.xml", None, None, "<sentences> holds a <{urn:x}sentence> element; expected only <sentence>"),
    ),
    Case("semeval14", "empty_file", {"a.xml": ""}, Raises("a.xml", None, None, "malformed XML")),
    Case("semeval14", "bom", {"a.xml": BOM + GOOD_XML}, Reads(2)),
    Case("semeval14", "utf16", {"a.xml": utf16(GOOD_XML)}, Raises("a.xml", None, None, "not UTF-8: byte 0xff")),
    Case(
        "semeval14",
        "non_utf8",
        {"a.xml": latin1(GOOD_XML.replace("great", "gr\u00e9at"))},
        Raises("a.xml", None, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "semeval14",
        "text_with_markup",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("2", text="The <b>battery life</b> is great."))},
        Raises("a.xml", 2, "text", "holds a <b> element; expected plain text"),
    ),
    Case(
        "semeval14",
        "offset_outside",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("2", end="99"))},
        Raises("a.xml", 2, "aspectTerm[0].to", "outside the text"),
    ),
    Case(
        "semeval14",
        "offset_negative",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("2", start="-1"))},
        Raises("a.xml", 2, "aspectTerm[0].from", "not a non-negative integer: '-1'"),
    ),
    Case(
        "semeval14",
        "offset_mismatch",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("2", start="5", end="17"))},
        Raises("a.xml", 2, "aspectTerm[0].term", "not the term"),
    ),
    Case(
        "semeval14",
        "offset_reversed",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("2", start="16", end="4"))},
        Raises("a.xml", 2, "aspectTerm[0].from", "smaller than"),
    ),
    Case(
        "semeval14",
        "offset_nan",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("2", start="NaN"))},
        Raises("a.xml", 2, "aspectTerm[0].from", "not a non-negative integer"),
    ),
    Case(
        "semeval14",
        "unknown_label",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("2", polarity="great"))},
        Raises("a.xml", 2, "aspectTerm[0].polarity", "unknown polarity 'great'"),
    ),
    Case(
        "semeval14",
        "empty_text",
        {"a.xml": xml(xml_sentence("1"), '<sentence id="2"><text></text></sentence>')},
        Raises("a.xml", 2, "text", "empty or whitespace-only"),
    ),
    Case(
        "semeval14",
        "whitespace_text",
        {"a.xml": xml(xml_sentence("1"), '<sentence id="2"><text> \t\n </text></sentence>')},
        Raises("a.xml", 2, "text", "empty or whitespace-only"),
    ),
    Case(
        "semeval14",
        "very_long_text",
        {"a.xml": xml(xml_sentence("1", LONG, str(LONG_FROM), str(len(LONG))))},
        Reads(1, longest=len(LONG)),
    ),
    Case(
        "semeval14",
        "duplicate_id",
        {"a.xml": xml(xml_sentence("1"), xml_sentence("1"))},
        Raises("a.xml", 2, "id", "duplicate id '1' (first used in row 1)"),
    ),
    Case(
        "semeval14",
        "category_without_span",
        {"a.xml": xml(xml_sentence("1", extra=CATEGORIES), xml_sentence("2"))},
        Reads(2, {"aspectCategory": 2}),
    ),
    # E2E-ABSA (rows: line numbers)
    Case(
        "e2e",
        "truncated",
        {"e.txt": f"{E2E_LINE}\n{TEXT}####The=O battery=T-P"},
        Raises("e.txt", 2, "tags[1]", "unknown polarity 'T-P'"),
    ),
    Case(
        "e2e",
        "truncated_before_tags",
        {"e.txt": f"{E2E_LINE}\nThe battery li"},
        Raises("e.txt", 2, "tags", "one '####'"),
    ),
    Case("e2e", "bom", {"e.txt": BOM + GOOD_E2E}, Reads(2)),
    Case(
        "e2e",
        "bom_inside",
        {"e.txt": f"{E2E_LINE}\n{BOM}####{BOM}=O\n"},
        Raises("e.txt", 2, "text", "empty or whitespace-only"),
    ),
    Case("e2e", "utf16", {"e.txt": utf16(GOOD_E2E)}, Raises("e.txt", 1, None, "not UTF-8")),
    Case(
        "e2e",
        "non_utf8",
        {"e.txt": latin1(f"{E2E_LINE}\nCaf\u00e9 life####Caf\u00e9=O life=T-POS\n")},
        Raises("e.txt", 2, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "e2e",
        "offset_mismatch",
        {"e.txt": "The batery life is great." + E2E_TAGS + "\n"},
        Reads(1, {"rebuilt from the tokens": 1}),
    ),
    Case(
        "e2e",
        "unknown_label",
        {"e.txt": f"{E2E_LINE}\n{TEXT}####The=O battery=T-XYZ life=O is=O great=O .=O\n"},
        Raises("e.txt", 2, "tags[1]", "unknown polarity 'T-XYZ'"),
    ),
    Case(
        "e2e",
        "missing_tag",
        {"e.txt": f"{E2E_LINE}\n{TEXT}####The=O battery life=O\n"},
        Raises("e.txt", 2, "tags[1]", "expected 'token=TAG'"),
    ),
    Case(
        "e2e",
        "empty_text",
        {"e.txt": f"{E2E_LINE}\n####The=O\n"},
        Raises("e.txt", 2, "text", "empty or whitespace-only"),
    ),
    Case(
        "e2e",
        "whitespace_text",
        {"e.txt": f"{E2E_LINE}\n \t ####The=O\n"},
        Raises("e.txt", 2, "text", "empty or whitespace-only"),
    ),
    # Tabs separate tags as spaces do (tokens hold no whitespace): before, the row had no aspects.
    Case("e2e", "tab_separated_tags", {"e.txt": f"{E2E_LINE}\n{TEXT}####" + "\t".join(E2E_TAGS[4:].split(" ")) + "\n"}, Reads(2)),
    Case(
        "e2e",
        "tags_cut_short",
        {"e.txt": f"{E2E_LINE}\n{TEXT}####The=O battery=T-POS\n"},
        Raises("e.txt", 2, "tags", "the tags end at token 1 ('battery') but the sentence goes on: 'life is great.'"),
    ),
    Case(
        "e2e",
        "tags_of_another_sentence",
        {"e.txt": f"{E2E_LINE}\nThe screen is awful.{E2E_TAGS}\n"},
        Raises("e.txt", 2, "tags", "the tags do not belong to the sentence: they share 2 words, of their 5 and its 4"),
    ),
    Case("e2e", "very_long_text", {"e.txt": E2E_LONG + "\n"}, Reads(1, longest=len(LONG))),
    Case("e2e", "blank_line", {"e.txt": f"{E2E_LINE}\n \t \n{E2E_LINE}\n"}, Reads(2, {"blank lines": 1})),
    Case(
        "e2e",
        "very_long_misaligned",
        {"e.txt": E2E_LONG_MISALIGNED + "\n"},
        Reads(1, {"rebuilt from the tokens": 1}),
    ),
    # Dong et al. (2014) (rows: line numbers)
    Case(
        "dong2014",
        "truncated",
        {"d.raw": GOOD_DONG + "the $T$ is bad .\nscreen\n"},
        Raises("d.raw", 9, "polarity", "ends inside an instance"),
    ),
    Case("dong2014", "bom", {"d.raw": BOM + GOOD_DONG}, Reads(2)),
    Case("dong2014", "utf16", {"d.raw": utf16(GOOD_DONG)}, Raises("d.raw", 1, None, "not UTF-8")),
    Case(
        "dong2014",
        "non_utf8",
        {"d.raw": latin1(DONG + "the $T$ is great .\ncaf\u00e9\n1\n")},
        Raises("d.raw", 5, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "dong2014",
        "unknown_label",
        {"d.raw": DONG + "the $T$ is great .\nbattery life\n2\n"},
        Raises("d.raw", 6, "polarity", "unknown polarity '2'"),
    ),
    Case(
        "dong2014",
        "nan_label",
        {"d.raw": DONG + "the $T$ is great .\nbattery life\nnan\n"},
        Raises("d.raw", 6, "polarity", "unknown polarity 'nan'"),
    ),
    Case(
        "dong2014",
        "empty_text",
        {"d.raw": DONG + "\nbattery life\n1\n"},
        Raises("d.raw", 4, "sentence", "empty or whitespace-only"),
    ),
    Case(
        "dong2014",
        "whitespace_target",
        {"d.raw": DONG + "the $T$ is great .\n   \n1\n"},
        Raises("d.raw", 5, "target", "empty or whitespace-only"),
    ),
    Case(
        "dong2014",
        "offset_missing_placeholder",
        {"d.raw": DONG + "the battery is great .\nbattery\n1\n"},
        Raises("d.raw", 4, "sentence", "no '$T$'"),
    ),
    Case(
        "dong2014",
        "duplicate_mention",
        {"d.raw": "$T$ is great and $T$ lasts .\nbattery\n1\n"},
        Reads(1, {"further $T$ mentions": 1}),
    ),
    Case(
        "dong2014",
        "very_long_text",
        {"d.raw": "word " * 40_000 + "$T$\nbattery life\n-1\n"},
        Reads(1, longest=len(LONG)),
    ),
    # SentiBench atsa_rest16 JSON (rows: element index)
    Case(
        "sentibench_atsa",
        "truncated",
        {"atsa.json": GOOD_ATSA[:-10]},
        Raises("atsa.json", None, None, "malformed JSON"),
    ),
    Case("sentibench_atsa", "bom", {"atsa.json": BOM + GOOD_ATSA}, Reads(2)),
    Case(
        "sentibench_atsa",
        "bom_inside",
        {"atsa.json": json.dumps([{"ID": "1", "sentence": BOM + "\u200b ", "aspects": []}])},
        Raises("atsa.json", 1, "sentence", "empty or whitespace-only"),
    ),
    # U+FEFF starting a text inside a file is kept, as TweetEval's test split needs.
    Case(
        "sentibench_atsa",
        "bom_starting_a_text",
        {
            "atsa.json": json.dumps(
                [
                    {"ID": "1", "sentence": "Good.", "aspects": []},
                    {"ID": "2", "sentence": BOM + "Great food", "aspects": []},
                ]
            )
        },
        Reads(2),
    ),
    Case("sentibench_atsa", "utf16", {"atsa.json": utf16(GOOD_ATSA)}, Raises("atsa.json", None, None, "not UTF-8")),
    Case(
        "sentibench_atsa",
        "non_utf8",
        {"atsa.json": latin1(GOOD_ATSA.replace("great", "gr\u00e9at"))},
        Raises("atsa.json", None, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "sentibench_atsa",
        "offset_outside",
        {"atsa.json": atsa(atsa_item("1"), atsa_item("2", end="99"))},
        Raises("atsa.json", 2, "aspects[0].to", "outside the text"),
    ),
    Case(
        "sentibench_atsa",
        "offset_mismatch",
        {"atsa.json": atsa(atsa_item("1"), atsa_item("2", start="5", end="17"))},
        Raises("atsa.json", 2, "aspects[0].target", "not the term"),
    ),
    Case(
        "sentibench_atsa",
        "offset_nan",
        {"atsa.json": atsa(atsa_item("1"), atsa_item("2", start=float("nan")))},
        Raises("atsa.json", 2, "aspects[0].from", "not a non-negative integer: nan"),
    ),
    Case(
        "sentibench_atsa",
        "unknown_label",
        {"atsa.json": atsa(atsa_item("1"), atsa_item("2", polarity="mixed"))},
        Raises("atsa.json", 2, "aspects[0].polarity", "unknown polarity 'mixed'"),
    ),
    Case(
        "sentibench_atsa",
        "empty_text",
        {"atsa.json": atsa(atsa_item("1"), {"ID": "2", "sentence": "", "aspects": []})},
        Raises("atsa.json", 2, "sentence", "empty or whitespace-only"),
    ),
    Case(
        "sentibench_atsa",
        "whitespace_text",
        {"atsa.json": atsa(atsa_item("1"), {"ID": "2", "sentence": " \u3000\t", "aspects": []})},
        Raises("atsa.json", 2, "sentence", "empty or whitespace-only"),
    ),
    Case(
        "sentibench_atsa",
        "very_long_text",
        {"atsa.json": atsa(atsa_item("1", LONG, str(LONG_FROM), str(len(LONG))))},
        Reads(1, longest=len(LONG)),
    ),
    Case(
        "sentibench_atsa",
        "duplicate_id",
        {"atsa.json": atsa(atsa_item("1"), atsa_item("1"))},
        Raises("atsa.json", 2, "ID", "duplicate id '1'"),
    ),
    Case(
        "sentibench_atsa",
        "implicit_and_duplicate_aspects",
        {
            "atsa.json": atsa(
                atsa_item("1")
                | {"aspects": atsa_item()["aspects"] * 2 + [atsa_item(target="NULL", start="0", end="0")["aspects"][0]]}
            )
        },
        Reads(1, {"implicit aspects": 1, "duplicate aspects": 1}),
    ),
    Case(
        "sentibench_atsa",
        "deep_nesting",
        {"atsa.json": "[" * 100_000 + "]" * 100_000},
        Raises("atsa.json", None, None, "nested too deeply"),
    ),
    Case(
        "sentibench_atsa",
        "lone_surrogate",
        {"atsa.json": atsa(atsa_item("1"), {"ID": "2", "sentence": "caf\ud800 ok", "aspects": []})},
        Raises("atsa.json", 2, "sentence", "lone surrogate"),
    ),
    # user JSON (rows: element index)
    Case("user_json", "truncated", {"u.json": user_json(*GOOD_USER)[:-3]}, Raises("u.json", None, None, "malformed")),
    Case("user_json", "bom", {"u.json": BOM + user_json(*GOOD_USER)}, Reads(2)),
    Case("user_json", "utf16", {"u.json": utf16(user_json(*GOOD_USER))}, Raises("u.json", None, None, "not UTF-8")),
    Case(
        "user_json",
        "non_utf8",
        {"u.json": latin1(user_json(*GOOD_USER).replace("great", "gr\u00e9at"))},
        Raises("u.json", None, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "user_json",
        "offset_outside",
        {"u.json": user_json(user_item(), user_item(end=27))},
        Raises("u.json", 2, "aspects[0].to", "outside the text (length 26)"),
    ),
    Case(
        "user_json",
        "offset_mismatch",
        {"u.json": user_json(user_item(), user_item(start=3, end=15))},
        Raises("u.json", 2, "aspects[0].term", "not the term"),
    ),
    Case(
        "user_json",
        "offset_float",
        {"u.json": user_json(user_item(), user_item(start=4.0))},
        Raises("u.json", 2, "aspects[0].from", "not a non-negative integer"),
    ),
    Case(
        "user_json",
        "offset_nan",
        {"u.json": user_json(user_item(), user_item(end=float("nan")))},
        Raises("u.json", 2, "aspects[0].to", "not a non-negative integer: nan"),
    ),
    Case(
        "user_json",
        "term_not_in_text",
        {"u.json": user_json(user_item(), {"text": TEXT, "aspects": [{"term": "screen", "polarity": "negative"}]})},
        Raises("u.json", 2, "aspects[0].term", "does not occur"),
    ),
    Case(
        "user_json",
        "unknown_label",
        {"u.json": user_json(user_item(), user_item(polarity="good"))},
        Raises("u.json", 2, "aspects[0].polarity", "unknown polarity 'good'"),
    ),
    Case(
        "user_json",
        "empty_text",
        {"u.json": user_json(user_item(), {"text": "", "aspects": []})},
        Raises("u.json", 2, "text", "empty or whitespace-only"),
    ),
    Case(
        "user_json",
        "whitespace_text",
        {"u.json": user_json(user_item(), {"text": "\n \t", "aspects": []})},
        Raises("u.json", 2, "text", "empty or whitespace-only"),
    ),
    Case(  # word joiner, soft hyphen, a lone combining mark: before, only U+FEFF and U+200B counted as blank
        "user_json",
        "invisible_text",
        {"u.json": user_json(user_item(), {"text": "\u2060\u00ad \u0301", "aspects": []})},
        Raises("u.json", 2, "text", "empty or whitespace-only"),
    ),
    Case(
        "user_json",
        "very_long_text",
        {"u.json": user_json(user_item(LONG, LONG_FROM, len(LONG)))},
        Reads(1, longest=len(LONG)),
    ),
    Case(
        "user_json",
        "duplicate_id",
        {"u.json": user_json(user_item(id="a"), user_item(id="a"))},
        Raises("u.json", 2, "id", "duplicate id 'a'"),
    ),
    Case(
        "user_json",
        "duplicate_default_id",
        {"u.json": user_json(user_item(id="2"), user_item())},
        Raises("u.json", 2, "id", "duplicate id '2'"),
    ),
    Case(
        "user_json",
        "deep_nesting",
        {"u.json": "[" * 100_000 + "]" * 100_000},
        Raises("u.json", None, None, "nested too deeply"),
    ),
    Case(
        "user_json",
        "lone_surrogate",
        {"u.json": user_json(user_item(), {"text": "ok \udc80", "aspects": []})},
        Raises("u.json", 2, "text", "lone surrogate"),
    ),
    Case(
        "user_json",
        "lone_surrogate_id",
        {"u.json": user_json(user_item(id="\ud83d"))},
        Raises("u.json", 1, "id", "lone surrogate"),
    ),
    # user JSONL (rows: line numbers)
    Case(
        "user_jsonl",
        "truncated",
        {"u.jsonl": user_jsonl(*GOOD_USER)[:-10]},
        Raises("u.jsonl", 2, None, "malformed JSON"),
    ),
    Case(
        "user_jsonl",
        "duplicate_aspect",
        {"u.jsonl": user_jsonl({**user_item(id="a"), "aspects": user_item()["aspects"] * 2}, GOOD_USER[1])},
        Reads(2, {"aspects given twice in one row": 1}),
    ),
    Case(
        "user_jsonl",
        "id_object",
        {"u.jsonl": user_jsonl(GOOD_USER[0], {**GOOD_USER[1], "id": {"a": 1}})},
        Raises("u.jsonl", 2, "id", "expected a string or a whole number, got {\"a\": 1}"),
    ),
    Case(
        "user_jsonl",
        "id_list",
        {"u.jsonl": user_jsonl(GOOD_USER[0], {**GOOD_USER[1], "id": [1]})},
        Raises("u.jsonl", 2, "id", "expected a string or a whole number, got [1]"),
    ),
    Case(
        "user_jsonl",
        "id_boolean",
        {"u.jsonl": user_jsonl(GOOD_USER[0], {**GOOD_USER[1], "id": True})},
        Raises("u.jsonl", 2, "id", "expected a string or a whole number, got true"),
    ),
    Case(
        "user_jsonl",
        "id_nan",
        {"u.jsonl": user_jsonl(GOOD_USER[0], {**GOOD_USER[1], "id": float("nan")})},
        Raises("u.jsonl", 2, "id", "expected a string or a whole number, got NaN"),
    ),
    Case("user_jsonl", "bom", {"u.jsonl": BOM + user_jsonl(*GOOD_USER)}, Reads(2)),
    Case(
        "user_jsonl",
        "blank_line",
        {"u.jsonl": user_jsonl(GOOD_USER[0]) + "\n" + user_jsonl(GOOD_USER[1])},
        Reads(2, {"blank lines": 1}),
    ),
    Case("user_jsonl", "utf16", {"u.jsonl": utf16(user_jsonl(*GOOD_USER))}, Raises("u.jsonl", 1, None, "not UTF-8")),
    Case(
        "user_jsonl",
        "non_utf8",
        {"u.jsonl": latin1(user_jsonl(user_item(), user_item(TEXT + " Cafe.")).replace("Cafe", "Caf\u00e9"))},
        Raises("u.jsonl", 2, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "user_jsonl",
        "offset_outside",
        {"u.jsonl": user_jsonl(user_item(), user_item(start=30, end=40))},
        Raises("u.jsonl", 2, "aspects[0].from", "offset 30 is outside the text (length 26)"),
    ),
    Case(
        "user_jsonl",
        "offset_mismatch",
        {"u.jsonl": user_jsonl(user_item(), user_item(start=4, end=15))},
        Raises("u.jsonl", 2, "aspects[0].term", "not the term"),
    ),
    Case(
        "user_jsonl",
        "unknown_label",
        {"u.jsonl": user_jsonl(user_item(), user_item(polarity="T-XYZ"))},
        Raises("u.jsonl", 2, "aspects[0].polarity", "unknown polarity"),
    ),
    Case(
        "user_jsonl",
        "empty_text",
        {"u.jsonl": user_jsonl(user_item(), {"text": "", "aspects": []})},
        Raises("u.jsonl", 2, "text", "empty or whitespace-only"),
    ),
    Case(
        "user_jsonl",
        "whitespace_text",
        {"u.jsonl": user_jsonl(user_item(), {"text": "   ", "aspects": []})},
        Raises("u.jsonl", 2, "text", "empty or whitespace-only"),
    ),
    Case(
        "user_jsonl",
        "very_long_text",
        {"u.jsonl": user_jsonl(user_item(LONG, LONG_FROM, len(LONG)))},
        Reads(1, longest=len(LONG)),
    ),
    Case(
        "user_jsonl",
        "duplicate_id",
        {"u.jsonl": json.dumps(user_item(id=7)) + "\n\n" + json.dumps(user_item(id="7")) + "\n"},
        Raises("u.jsonl", 3, "id", "duplicate id '7' (first used in row 1)"),
    ),
    Case(
        "user_jsonl",
        "deep_nesting",
        {"u.jsonl": user_jsonl(user_item()) + "[" * 100_000 + "]" * 100_000 + "\n"},
        Raises("u.jsonl", 2, None, "nested too deeply"),
    ),
    Case(
        "user_jsonl",
        "lone_surrogate",
        {"u.jsonl": user_jsonl(user_item(), {"text": "\udfff", "aspects": []})},
        Raises("u.jsonl", 2, "text", "lone surrogate"),
    ),
    # user CSV (rows: line numbers, the header is line 1)
    Case(
        "user_csv",
        "truncated",
        {"u.csv": csv_file(CSV_ROW, f's2,"{TEXT},battery life,4,16,positive\n')},
        Raises("u.csv", 3, None, "unexpected end of data"),
    ),
    Case(
        "user_csv",
        "stray_quote",
        {"u.csv": csv_file(CSV_ROW, 's2,"The battery" life,,,,\n')},
        Raises("u.csv", 3, None, "cannot parse the CSV record"),
    ),
    # The same aspect twice is kept once and counted; the same span with two polarities is refused.
    Case(
        "user_csv",
        "duplicate_aspect",
        {"u.csv": csv_file(CSV_ROW, CSV_ROW)},
        Reads(1, {"aspects given twice in one row": 1}),
    ),
    Case(
        "user_csv",
        "contradicting_aspect",
        {"u.csv": csv_file(CSV_ROW, CSV_ROW.replace("positive", "negative"))},
        Raises("u.csv", 3, "polarity", "'battery life' at 4-16 is negative here and positive in the row's aspect 1"),
    ),
    Case(  # a text over two lines: the error names the line the record starts on (before: its last line)
        "user_csv",
        "multi_line_record",
        {"u.csv": csv_file(CSV_ROW, 's2,"The battery\nlife is great.",battery life,4,99,positive\n', CSV_ROW.replace("s1", "s3"))},
        Raises("u.csv", 3, "to", "outside the text"),
    ),
    Case("user_csv", "bom", {"u.csv": BOM + csv_file(CSV_ROW)}, Reads(1)),
    Case("user_csv", "utf16", {"u.csv": utf16(csv_file(CSV_ROW))}, Raises("u.csv", 1, None, "not UTF-8")),
    Case(
        "user_csv",
        "non_utf8",
        {"u.csv": latin1(csv_file(CSV_ROW, "s2,Caf\u00e9 ok,,,,\n"))},
        Raises("u.csv", 3, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "user_csv",
        "offset_outside",
        {"u.csv": csv_file(f"s1,{TEXT},battery life,4,99,positive\n")},
        Raises("u.csv", 2, "to", "outside the text"),
    ),
    Case(
        "user_csv",
        "offset_mismatch",
        {"u.csv": csv_file(f"s1,{TEXT},battery life,5,17,positive\n")},
        Raises("u.csv", 2, "term", "not the term"),
    ),
    Case(
        "user_csv",
        "offset_nan",
        {"u.csv": csv_file(f"s1,{TEXT},battery life,nan,16,positive\n")},
        Raises("u.csv", 2, "from", "not a non-negative integer"),
    ),
    Case(
        "user_csv",
        "unknown_label",
        {"u.csv": csv_file(CSV_ROW, f"s2,{TEXT},battery life,4,16,good\n")},
        Raises("u.csv", 3, "polarity", "unknown polarity 'good'"),
    ),
    Case("user_csv", "empty_text", {"u.csv": csv_file("s1,,,,,\n")}, Raises("u.csv", 2, "text", "empty")),
    Case(
        "user_csv",
        "whitespace_text",
        {"u.csv": csv_file(CSV_ROW, 's2," \t ",,,,\n')},
        Raises("u.csv", 3, "text", "empty or whitespace-only"),
    ),
    Case(
        "user_csv",
        "very_long_text",
        {"u.csv": csv_file(f"s1,{LONG},battery life,{LONG_FROM},{len(LONG)},positive\n")},
        Raises("u.csv", 2, None, "field larger than field limit"),
    ),
    Case(
        "user_csv",
        "duplicate_id",
        {"u.csv": csv_file(CSV_ROW, "s1,Another text.,,,,\n")},
        Raises("u.csv", 3, "text", "differs from the text of an earlier row with id 's1'"),
    ),
    Case(
        "user_csv",
        "missing_column",
        {"u.csv": "id,text,term,from,to\ns1,ok,,,\n"},
        Raises("u.csv", 1, "polarity", "missing column"),
    ),
]

OTHER_CASES: list[Case] = [
    # SST (rows: line numbers)
    Case("sst", "truncated", {"stsa.fine.train": GOOD_SST + "1"}, Raises("stsa.fine.train", 3, "sentence", "missing")),
    Case("sst", "bom", {"stsa.fine.train": BOM + GOOD_SST}, Reads(2)),
    Case("sst", "utf16", {"stsa.fine.train": utf16(GOOD_SST)}, Raises("stsa.fine.train", 1, None, "not UTF-8")),
    Case(
        "sst",
        "non_utf8",
        {"stsa.fine.train": latin1(GOOD_SST + "2 Caf\u00e9.\n")},
        Raises("stsa.fine.train", 3, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "sst",
        "unknown_label",
        {"stsa.fine.train": GOOD_SST + "5 Out of range.\n"},
        Raises("stsa.fine.train", 3, "label", "'5' is not a class id"),
    ),
    Case(
        "sst",
        "negative_label",
        {"stsa.fine.train": "-1 Negative id.\n"},
        Raises("stsa.fine.train", 1, "label", "not a class id"),
    ),
    Case("sst", "nan_label", {"stsa.fine.train": "nan Fine.\n"}, Raises("stsa.fine.train", 1, "label", "not a class")),
    Case(
        "sst",
        "empty_text",
        {"stsa.fine.train": GOOD_SST + "2 \n"},
        Raises("stsa.fine.train", 3, "sentence", "missing"),
    ),
    Case("sst", "whitespace_line", {"stsa.fine.train": "3 Good.\n \t \n1 Bad.\n"}, Reads(2, {"blank lines": 1})),
    Case("sst", "very_long_text", {"stsa.fine.train": f"4 {LONG}\n"}, Reads(1, longest=len(LONG))),
    # GoEmotions (rows: line numbers)
    Case(
        "goemotions",
        "truncated",
        {"labels.txt": GO_LABELS, "train.tsv": GOOD_GO[:-4]},
        Raises("train.tsv", 2, "id", "missing column"),
    ),
    Case("goemotions", "bom", {"labels.txt": BOM + GO_LABELS, "train.tsv": BOM + GOOD_GO}, Reads(2)),
    Case(
        "goemotions",
        "utf16",
        {"labels.txt": GO_LABELS, "train.tsv": utf16(GOOD_GO)},
        Raises("train.tsv", 1, None, "not UTF-8"),
    ),
    Case(
        "goemotions",
        "non_utf8",
        {"labels.txt": GO_LABELS, "train.tsv": latin1(GOOD_GO.replace("Awful", "\u00c0wful"))},
        Raises("train.tsv", 2, None, "not UTF-8: byte 0xc0"),
    ),
    Case(
        "goemotions",
        "non_utf8_labels",
        {"labels.txt": latin1("positive\nn\u00e9gative\nneutral\n"), "train.tsv": GOOD_GO},
        Raises("labels.txt", 2, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "goemotions",
        "unknown_label",
        {"labels.txt": GO_LABELS, "train.tsv": GOOD_GO + "Fine.\t3\tc3\n"},
        Raises("train.tsv", 3, "labels", "'3' is not a class id"),
    ),
    Case(
        "goemotions",
        "nan_label",
        {"labels.txt": GO_LABELS, "train.tsv": GOOD_GO + "Fine.\tnan\tc3\n"},
        Raises("train.tsv", 3, "labels", "not a class id"),
    ),
    Case(
        "goemotions",
        "empty_text",
        {"labels.txt": GO_LABELS, "train.tsv": GOOD_GO + "\t2\tc3\n"},
        Raises("train.tsv", 3, "text", "empty or whitespace-only"),
    ),
    Case(
        "goemotions",
        "whitespace_text",
        {"labels.txt": GO_LABELS, "train.tsv": GOOD_GO + " \u00a0 \t2\tc3\n"},
        Raises("train.tsv", 3, "text", "empty or whitespace-only"),
    ),
    Case(
        "goemotions",
        "very_long_text",
        {"labels.txt": GO_LABELS, "train.tsv": GOOD_GO + f"{LONG}\t2\tc3\n"},
        Raises("train.tsv", 3, None, "field larger than field limit"),
    ),
    Case(
        "goemotions",
        "duplicate_id",
        {"labels.txt": GO_LABELS, "train.tsv": GOOD_GO + "Again.\t2\tc1\n"},
        Raises("train.tsv", 3, "id", "duplicate id 'c1' (first used in row 1)"),
    ),
    Case(
        "goemotions",
        "duplicate_label_name",
        {"labels.txt": "positive\npositive\n", "train.tsv": GOOD_GO},
        Raises("labels.txt", 2, "name", "duplicate label name"),
    ),
    Case(
        "goemotions",
        "blank_line",
        {"labels.txt": GO_LABELS, "train.tsv": "Great battery.\t0\tc1\n\nAwful screen.\t1\tc2\n"},
        Reads(2, {"blank lines": 1}),
    ),
    Case(
        "goemotions_skip",
        "multi_label",
        {"labels.txt": GO_LABELS, "train.tsv": GOOD_GO + "Mixed.\t0,1\tc3\n"},
        Reads(2, {"more than one label": 1}),
    ),
    # TweetEval (rows: line numbers of the file named)
    Case(
        "tweeteval",
        "truncated",
        tweeteval(labels="0\n"),
        Raises("train_text.txt", 2, None, "has no partner in train_labels.txt"),
    ),
    Case(
        "tweeteval",
        "bom",
        tweeteval(
            BOM + "Great battery. \nAwful screen. \n", BOM + "0\n1\n", **{"mapping.txt": BOM + TWEETEVAL_MAPPING}
        ),
        Reads(2),
    ),
    Case("tweeteval", "utf16", tweeteval(utf16("Great.\nAwful.\n")), Raises("train_text.txt", 1, None, "not UTF-8")),
    Case(
        "tweeteval",
        "non_utf8",
        tweeteval(latin1("Great battery. \nAwful \u00e9cran. \n")),
        Raises("train_text.txt", 2, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "tweeteval",
        "unknown_label",
        tweeteval(labels="0\n2\n"),
        Raises("train_labels.txt", 2, "label", "'2' is not a class id"),
    ),
    Case("tweeteval", "nan_label", tweeteval(labels="NaN\n1\n"), Raises("train_labels.txt", 1, "label", "not a class")),
    Case(
        "tweeteval",
        "empty_text",
        tweeteval("Great battery. \n\n"),
        Raises("train_text.txt", 2, "text", "empty or whitespace-only"),
    ),
    Case(
        "tweeteval",
        "whitespace_text",
        tweeteval("Great battery. \n \t  \n"),
        Raises("train_text.txt", 2, "text", "empty or whitespace-only"),
    ),
    Case("tweeteval_skip", "empty_text", tweeteval("Great battery. \n \n"), Reads(1, {"empty text": 1})),
    Case("tweeteval", "very_long_text", tweeteval(f"{LONG}\nok\n"), Reads(2, longest=len(LONG))),
    Case(
        "tweeteval",
        "bad_mapping",
        tweeteval(**{"mapping.txt": "0\tpositive\n2\tnegative\n"}),
        Raises("mapping.txt", 2, "id", "expected id 1"),
    ),
    # EmpatheticDialogues (rows: line numbers, the header is line 1)
    Case(
        "empathetic_dialogues",
        "truncated",
        {"valid_utterances.csv": GOOD_ED + 'c2,1,p,"Half a sent'},
        Raises("valid_utterances.csv", 4, None, "unexpected end of data"),
    ),
    Case("empathetic_dialogues", "bom", {"valid_utterances.csv": BOM + GOOD_ED}, Reads(1)),
    Case(
        "empathetic_dialogues",
        "utf16",
        {"valid_utterances.csv": utf16(GOOD_ED)},
        Raises("valid_utterances.csv", 1, None, "not UTF-8"),
    ),
    Case(
        "empathetic_dialogues",
        "non_utf8",
        {"valid_utterances.csv": latin1(GOOD_ED.replace("Great", "Gr\u00e9at"))},
        Raises("valid_utterances.csv", 3, None, "not UTF-8: byte 0xe9"),
    ),
    Case(
        "empathetic_dialogues",
        "unknown_label",
        {"valid_utterances.csv": GOOD_ED + "c2,1,p,Hi,32\n"},
        Raises("valid_utterances.csv", 4, "label", "'32' is not a class id"),
    ),
    Case(
        "empathetic_dialogues",
        "nan_label",
        {"valid_utterances.csv": GOOD_ED + "c2,1,p,Hi,NaN\n"},
        Raises("valid_utterances.csv", 4, "label", "not a class id"),
    ),
    Case(
        "empathetic_dialogues",
        "empty_text",
        {"valid_utterances.csv": GOOD_ED + "c2,1,p,,3\n"},
        Raises("valid_utterances.csv", 4, "utterance", "empty or whitespace-only"),
    ),
    Case(
        "empathetic_dialogues",
        "whitespace_text",
        {"valid_utterances.csv": GOOD_ED + 'c2,1,p," \t ",3\n'},
        Raises("valid_utterances.csv", 4, "utterance", "empty or whitespace-only"),
    ),
    Case(
        "empathetic_dialogues",
        "very_long_text",
        {"valid_utterances.csv": GOOD_ED + f"c2,1,p,{LONG},3\n"},
        Raises("valid_utterances.csv", 4, None, "field larger than field limit"),
    ),
    Case(
        "empathetic_dialogues",
        "duplicate_id",
        {"valid_utterances.csv": GOOD_ED + "c1,2,p,Again!,6\n"},
        Raises("valid_utterances.csv", 4, "utterance_idx", "repeated utterance_idx 2"),
    ),
    Case(
        "empathetic_dialogues",
        "conflicting_labels",
        {"valid_utterances.csv": GOOD_ED + "c1,3,p,Sad now.,0\n"},
        Raises("valid_utterances.csv", 4, "label", "has label 6 at line 2 but 0"),
    ),
    # user classification files (`hf-sentiment evaluate lcl --file`; rows: line numbers, the CSV
    # header is line 1, or element index for a JSON list)
    Case("classification_csv", "truncated", {"c.csv": GOOD_CLS + '"Cut short.,negative\n'},
         Raises("c.csv", 4, None, "unexpected end of data")),  # fmt: skip
    Case("classification_csv", "bom", {"c.csv": BOM + GOOD_CLS}, Reads(2)),
    Case("classification_csv", "non_utf8", {"c.csv": latin1(GOOD_CLS + "caf\u00e9,positive\n")},
         Raises("c.csv", 4, None, "not UTF-8: byte 0xe9")),  # fmt: skip
    Case("classification_csv", "unknown_label", {"c.csv": GOOD_CLS + "Meh.,sad\n"},
         Raises("c.csv", 4, "label", "label 'sad' is not one of the classes ['negative', 'positive']")),  # fmt: skip
    Case("classification_csv", "nan_label", {"c.csv": GOOD_CLS + "Meh.,nan\n"}, Raises("c.csv", 4, "label", "'nan'")),
    Case("classification_csv", "empty_text", {"c.csv": GOOD_CLS + ",positive\n"},
         Raises("c.csv", 4, "text", "empty or whitespace-only")),  # fmt: skip
    Case("classification_csv", "whitespace_text", {"c.csv": GOOD_CLS + "\u200b ,positive\n"},
         Raises("c.csv", 4, "text", "empty or whitespace-only")),  # fmt: skip
    Case("classification_csv", "very_long_text", {"c.csv": GOOD_CLS + f"{LONG},positive\n"},
         Raises("c.csv", 4, None, "field larger than field limit")),  # fmt: skip
    Case("classification_csv", "duplicate_id", {"c.csv": "id,text,label\na,Great.,1\na,Awful.,0\n"},
         Raises("c.csv", 3, "id", "duplicate id 'a' (first used in row 2)")),  # fmt: skip
    Case("classification_csv", "missing_column", {"c.csv": "text,polarity\nGreat.,positive\n"},
         Raises("c.csv", 1, "label", "missing column in the CSV header")),  # fmt: skip
    Case("classification_csv", "unquoted_comma", {"c.csv": GOOD_CLS + "Great, really.,positive\n"},
         Raises("c.csv", 4, None, "more fields than the 2 header columns")),  # fmt: skip
    Case("classification_json", "truncated", {"c.json": GOOD_CLS_JSON[:-3]},
         Raises("c.json", None, None, "malformed JSON")),  # fmt: skip
    Case("classification_json", "bom", {"c.json": BOM + GOOD_CLS_JSON}, Reads(2)),
    Case("classification_json", "non_utf8", {"c.json": latin1(GOOD_CLS_JSON.replace("Great", "Gr\u00e9at"))},
         Raises("c.json", None, None, "not UTF-8: byte 0xe9")),  # fmt: skip
    Case("classification_json", "unknown_label", {"c.json": json.dumps([{"text": "Meh.", "label": 2}])},
         Raises("c.json", 1, "label", "label 2 is not one of the classes")),  # fmt: skip
    Case("classification_json", "nan_label", {"c.json": '[{"text": "Meh.", "label": NaN}]'},
         Raises("c.json", 1, "label", "label nan is not one of the classes")),  # fmt: skip
    Case("classification_json", "bool_label", {"c.json": json.dumps([{"text": "Meh.", "label": True}])},
         Raises("c.json", 1, "label", "label True is not one of the classes")),  # fmt: skip
    Case("classification_json", "empty_text", {"c.json": json.dumps([{"text": "", "label": 0}])},
         Raises("c.json", 1, "text", "empty or whitespace-only")),  # fmt: skip
    Case("classification_json", "not_an_object", {"c.json": json.dumps(["Great.,positive"])},
         Raises("c.json", 1, None, "expected a JSON object, got str")),  # fmt: skip
    Case("classification_json", "lone_surrogate", {"c.json": '[{"text": "ok \\ud800", "label": 0}]'},
         Raises("c.json", 1, "text", "lone surrogate")),  # fmt: skip
    Case("classification_jsonl", "truncated", {"c.jsonl": GOOD_CLS_JSONL + '{"text": "cut'},
         Raises("c.jsonl", 3, None, "malformed JSON at column")),  # fmt: skip
    Case("classification_jsonl", "bom", {"c.jsonl": BOM + GOOD_CLS_JSONL + "\n"}, Reads(2, {"blank lines": 1})),
    Case("classification_jsonl", "non_utf8", {"c.jsonl": latin1(GOOD_CLS_JSONL.replace("Awful", "Aw\u00e9ful"))},
         Raises("c.jsonl", 2, None, "not UTF-8: byte 0xe9")),  # fmt: skip
    Case("classification_jsonl", "unknown_label", {"c.jsonl": GOOD_CLS_JSONL + '{"text": "Meh.", "label": "-1"}\n'},
         Raises("c.jsonl", 3, "label", "label '-1' is not one of the classes")),  # fmt: skip
    Case("classification_jsonl", "very_long_text", {"c.jsonl": json.dumps({"text": LONG, "label": 1}) + "\n"},
         Reads(1, longest=len(LONG))),  # fmt: skip
    # CSV valence lexicon (rows: line numbers, the header is line 1)
    Case("lexicon_csv", "truncated", {"lex.csv": GOOD_LEX + '"ugly,2'}, Raises("lex.csv", 4, None, "unexpected end")),
    Case("lexicon_csv", "bom", {"lex.csv": BOM + GOOD_LEX}, Reads(2)),
    Case("lexicon_csv", "utf16", {"lex.csv": utf16(GOOD_LEX)}, Raises("lex.csv", 1, None, "not UTF-8")),
    Case(
        "lexicon_csv",
        "non_utf8",
        {"lex.csv": latin1(GOOD_LEX + "s\u00fc\u00df,5\n")},
        Raises("lex.csv", 4, None, "not UTF-8: byte 0xfc"),
    ),
    Case("lexicon_csv", "nan_rating", {"lex.csv": GOOD_LEX + "meh,NaN\n"}, Reads(2, {"missing or NaN": 1})),
    Case("lexicon_csv", "missing_rating", {"lex.csv": GOOD_LEX + "meh,\n"}, Reads(2, {"missing or NaN": 1})),
    Case("lexicon_csv", "inf_rating", {"lex.csv": GOOD_LEX + "meh,inf\n"}, Raises("lex.csv", 4, "rating", "outside")),
    Case("lexicon_csv", "off_scale", {"lex.csv": GOOD_LEX + "meh,10\n"}, Raises("lex.csv", 4, "rating", "outside")),
    Case(
        "lexicon_csv",
        "not_a_number",
        {"lex.csv": GOOD_LEX + "meh,high\n"},
        Raises("lex.csv", 4, "rating", "not a number: 'high'"),
    ),
    Case("lexicon_csv", "empty_word", {"lex.csv": GOOD_LEX + ",5\n"}, Raises("lex.csv", 4, "word", "non-empty word")),
    Case(
        "lexicon_csv",
        "whitespace_word",
        {"lex.csv": GOOD_LEX + "  ,5\n"},
        Raises("lex.csv", 4, "word", "non-empty word"),
    ),
    Case("lexicon_csv", "duplicate_word", {"lex.csv": GOOD_LEX + "GOOD,7\n"}, Reads(2, {"duplicate words": 1})),
    Case(
        "lexicon_csv",
        "very_long_text",
        {"lex.csv": GOOD_LEX + f"{LONG},5\n"},
        Raises("lex.csv", 4, None, "field larger than field limit"),
    ),
    Case(
        "lexicon_csv",
        "missing_column",
        {"lex.csv": "word,valence\ngood,7\n"},
        Raises("lex.csv", 1, "rating", "column missing"),
    ),
    # Warriner norms restricted to a word list
    Case(
        "warriner",
        "non_utf8_words",
        {"ratings.csv": WARRINER, "words.txt": latin1("good\ncaf\u00e9\n")},
        Raises("words.txt", 2, None, "not UTF-8: byte 0xe9"),
    ),
    Case("warriner", "bom", {"ratings.csv": BOM + WARRINER, "words.txt": BOM + "good\nbad\n"}, Reads(2)),
    Case(
        "warriner",
        "nan_rating",
        {"ratings.csv": WARRINER + "3,meh,NaN\n", "words.txt": "good\nbad\nmeh\n"},
        Reads(2, {"missing or NaN": 1, "listed words without a rating": 1}),
    ),
    Case(
        "warriner",
        "unlisted_words",
        {"ratings.csv": WARRINER, "words.txt": "good\nugly\n"},
        Reads(1, {"listed words without a rating": 1, "rated words outside the word list": 1}),
    ),
    # EmoBank (rows: line numbers, the header is line 1)
    Case(
        "emobank",
        "truncated",
        {"emobank.csv": GOOD_EMOBANK + 'c,dev,3,3,3,"Half a sent'},
        Raises("emobank.csv", 4, None, "unexpected end of data"),
    ),
    Case("emobank", "bom", {"emobank.csv": BOM + GOOD_EMOBANK}, Reads(2)),
    Case("emobank", "utf16", {"emobank.csv": utf16(GOOD_EMOBANK)}, Raises("emobank.csv", 1, None, "not UTF-8")),
    Case(
        "emobank",
        "non_utf8",
        {"emobank.csv": latin1(GOOD_EMOBANK.replace("Awful", "\u00c0wful"))},
        Raises("emobank.csv", 3, None, "not UTF-8: byte 0xc0"),
    ),
    Case("emobank", "nan_rating", {"emobank.csv": GOOD_EMOBANK + "c,dev,NaN,3,3,Meh.\n"}, Reads(2, {"NaN": 1})),
    Case("emobank", "missing_rating", {"emobank.csv": GOOD_EMOBANK + "c,dev,,3,3,Meh.\n"}, Reads(2, {"NaN": 1})),
    Case(
        "emobank",
        "off_scale",
        {"emobank.csv": GOOD_EMOBANK + "c,dev,6,3,3,Meh.\n"},
        Raises("emobank.csv", 4, "V", "outside the scale"),
    ),
    Case(
        "emobank",
        "inf_rating",
        {"emobank.csv": GOOD_EMOBANK + "c,dev,-inf,3,3,Meh.\n"},
        Raises("emobank.csv", 4, "V", "outside the scale"),
    ),
    Case(
        "emobank",
        "not_a_number",
        {"emobank.csv": GOOD_EMOBANK + "c,dev,three,3,3,Meh.\n"},
        Raises("emobank.csv", 4, "V", "not a number"),
    ),
    Case(
        "emobank",
        "empty_text",
        {"emobank.csv": GOOD_EMOBANK + "c,dev,3,3,3,\n"},
        Raises("emobank.csv", 4, "text", "empty or whitespace-only"),
    ),
    Case(
        "emobank",
        "whitespace_text",
        {"emobank.csv": GOOD_EMOBANK + 'c,dev,3,3,3," \t "\n'},
        Raises("emobank.csv", 4, "text", "empty or whitespace-only"),
    ),
    Case(
        "emobank",
        "duplicate_id",
        {"emobank.csv": GOOD_EMOBANK + "a,dev,3,3,3,Again.\n"},
        Raises("emobank.csv", 4, "id", "duplicate id 'a'"),
    ),
    Case(
        "emobank",
        "very_long_text",
        {"emobank.csv": GOOD_EMOBANK + f"c,dev,3,3,3,{LONG}\n"},
        Raises("emobank.csv", 4, None, "field larger than field limit"),
    ),
    # SentiBench (rows: element index)
    Case("sentibench_sst2", "truncated", {SST2: bench(GOOD_SST2_ROWS)[:-5]}, Raises(SST2, None, None, "malformed")),
    Case("sentibench_sst2", "no_bom", {SST2: json.dumps(GOOD_SST2_ROWS)}, Reads(2)),
    Case("sentibench_sst2", "utf16", {SST2: utf16(json.dumps(GOOD_SST2_ROWS))}, Raises(SST2, None, None, "UTF-8")),
    Case(
        "sentibench_sst2",
        "non_utf8",
        {SST2: codecs.BOM_UTF8 + latin1(json.dumps(GOOD_SST2_ROWS).replace("Awful", "\u00c0wful"))},
        Raises(SST2, None, None, "not UTF-8: byte 0xc0"),
    ),
    Case(
        "sentibench_sst2",
        "unknown_label",
        {SST2: bench([GOOD_SST2_ROWS[0], {"label": "neutral", "sentence": "Fine."}])},
        Raises(SST2, 2, "label", "unknown label 'neutral'"),
    ),
    Case(
        "sentibench_sst2",
        "empty_text",
        {SST2: bench([GOOD_SST2_ROWS[0], {"label": "positive", "sentence": ""}])},
        Raises(SST2, 2, "sentence", "empty or whitespace-only"),
    ),
    Case(
        "sentibench_sst2",
        "whitespace_text",
        {SST2: bench([GOOD_SST2_ROWS[0], {"label": "positive", "sentence": "\n"}])},
        Raises(SST2, 2, "sentence", "empty or whitespace-only"),
    ),
    Case(
        "sentibench_sst2",
        "very_long_text",
        {SST2: bench([{"label": "positive", "sentence": LONG}])},
        Reads(1, longest=len(LONG)),
    ),
    Case(
        "sentibench_sst2",
        "deep_nesting",
        {SST2: BOM + "[" * 100_000 + "]" * 100_000},
        Raises(SST2, None, None, "nested too deeply"),
    ),
    Case(
        "sentibench_atsa16",
        "offset_outside",
        {ATSA16: bench([bench_aspect_row(), bench_aspect_row("20", "25")])},
        Raises(ATSA16, 2, "aspects[0].from", "offset 20 is outside the text (length 12)"),
    ),
    Case(
        "sentibench_atsa16",
        "offset_mismatch",
        {ATSA16: bench([bench_aspect_row(), bench_aspect_row("5", "10")])},
        Raises(ATSA16, 2, "aspects[0].target", "is ' Sush', not the term 'Sushi'"),
    ),
    Case(
        "sentibench_atsa16",
        "offset_negative",
        {ATSA16: bench([bench_aspect_row(), bench_aspect_row("-1", "11")])},
        Raises(ATSA16, 2, "aspects[0].from", "not a non-negative integer"),
    ),
    Case(
        "sentibench_atsa16",
        "unknown_label",
        {ATSA16: bench([bench_aspect_row(), bench_aspect_row(polarity="conflict")])},
        Raises(ATSA16, 2, "aspects[0].polarity", "unknown polarity 'conflict'"),
    ),
    Case(
        "sentibench_atsa16",
        "implicit_and_duplicate",
        {
            ATSA16: bench(
                [
                    bench_aspect_row()
                    | {
                        "aspects": bench_aspect_row()["aspects"] * 2
                        + [bench_aspect_row("0", "0", "NULL")["aspects"][0]]
                    }
                ]
            )
        },
        Reads(1, {"implicit aspects": 1, "tuples given twice": 1}),
    ),
    Case(
        "sentibench_opener",
        "offset_outside",
        {OPENER: bench([opener_row(), opener_row([["Rooms"], ["40:45"]])])},
        Raises(OPENER, 2, "opinions[0].Target[1][0]", "offset 40 is outside the text (length 17)"),
    ),
    Case(
        "sentibench_opener",
        "offset_reversed",
        {OPENER: bench([opener_row(), opener_row([["Rooms"], ["5:0"]])])},
        Raises(OPENER, 2, "opinions[0].Target[1][0]", "from (5) must be smaller than to (0)"),
    ),
    # prompt templates (rows: element index)
    Case("templates", "truncated", {"t.json": GOOD_TEMPLATES[:-2]}, Raises("t.json", None, None, "malformed JSON")),
    Case("templates", "bom", {"t.json": BOM + GOOD_TEMPLATES}, Reads(1)),
    Case("templates", "utf16", {"t.json": utf16(GOOD_TEMPLATES)}, Raises("t.json", None, None, "not UTF-8")),
    Case(
        "templates",
        "non_utf8",
        {"t.json": latin1(GOOD_TEMPLATES.replace("Great", "Gr\u00e9at"))},
        Raises("t.json", None, None, "not UTF-8"),
    ),
    Case(
        "templates",
        "empty_text",
        {"t.json": json.dumps([template(), template("b", "")])},
        Raises("t.json", 2, "instruction", "missing or empty"),
    ),
    Case(
        "templates",
        "whitespace_text",
        {"t.json": json.dumps([template(), template("b", " \n ")])},
        Raises("t.json", 2, "instruction", "missing or empty"),
    ),
    Case(
        "templates",
        "no_slot",
        {"t.json": json.dumps([template(instruction="Sentiment:")])},
        Raises("t.json", 1, "instruction", "no {field} slot"),
    ),
    Case(
        "templates",
        "unclosed_brace",
        {"t.json": json.dumps([template(instruction="Text: {text\nSentiment:")])},
        Raises("t.json", 1, "instruction", "not a format string"),
    ),
    Case(
        "templates",
        "unknown_slot_in_example",
        {"t.json": json.dumps([template(instruction="Text: {review}")])},
        Raises("t.json", 1, "examples", "lacks ['review']"),
    ),
    Case(
        "templates",
        "examples_not_a_list",
        {"t.json": json.dumps([template(examples=5)])},
        Raises("t.json", 1, "examples", "expected a list of objects"),
    ),
    Case(
        "templates",
        "example_not_an_object",
        {"t.json": json.dumps([template(examples=[["text", "answer"]])])},
        Raises("t.json", 1, "examples", "expected a list of objects"),
    ),
    Case(
        "templates",
        "duplicate_id",
        {"t.json": json.dumps([template(), template()])},
        Raises("t.json", None, "name", "duplicate template names"),
    ),
    Case(
        "templates",
        "deep_nesting",
        {"t.json": "[" * 100_000 + "]" * 100_000},
        Raises("t.json", None, None, "nested too deeply"),
    ),
    Case(
        "templates",
        "very_long_text",
        {"t.json": json.dumps([template(instruction=LONG + " {text}")])},
        Reads(1, longest=len(LONG) + 7),
    ),
    # teacher cache (rows: line numbers)
    Case(
        "teacher_cache",
        "truncated",
        {"cache.jsonl": f"{LINE_1}\n{LINE_2[:50]}"},
        Reads(1, {"cut-off last line": 1}),
    ),
    Case(
        "teacher_cache",
        "truncated_foreign",
        {"cache.jsonl": f'{LINE_1}\n{{"hello": '},
        Raises("cache.jsonl", 2, None, "not a teacher cache file?"),
    ),
    Case("teacher_cache", "bom", {"cache.jsonl": f"{BOM}{LINE_1}\n{LINE_2}\n"}, Raises("cache.jsonl", 1, None, "BOM")),
    Case(
        "teacher_cache",
        "utf16",
        {"cache.jsonl": utf16(f"{LINE_1}\n{LINE_2}\n")},
        Raises("cache.jsonl", 1, None, "is not JSON"),
    ),
    Case(
        "teacher_cache",
        "non_utf8",
        {"cache.jsonl": (LINE_1 + "\n").encode() + latin1(cache_line("caf\u00e9")) + b"\n"},
        Raises("cache.jsonl", 2, None, "is not JSON"),
    ),
    Case(
        "teacher_cache",
        "unknown_label",
        {"cache.jsonl": LINE_1.replace('"call":"generate"', '"call":"classify"') + "\n"},
        Raises("cache.jsonl", 1, "call", "unknown call 'classify'"),
    ),
    Case(
        "teacher_cache",
        "edited_prompt",
        {"cache.jsonl": LINE_1.replace("prompt one", "prompt 1") + "\n"},
        Raises("cache.jsonl", 1, "key", "does not match"),
    ),
    Case(
        "teacher_cache",
        "nan_rating",
        {"cache.jsonl": f"{LINE_1}\n{nan_probabilities_line()}\n"},
        Raises("cache.jsonl", 2, "answer", "not a list of finite, non-negative numbers"),
    ),
    Case(
        "teacher_cache",
        "negative_probability",
        {"cache.jsonl": edited_line(call="label_distribution", answer=[1.5, -0.5]) + "\n"},
        Raises("cache.jsonl", 1, "answer", "not a list of finite, non-negative numbers"),
    ),
    Case(
        "teacher_cache",
        "lone_surrogate_answer",
        {"cache.jsonl": edited_line(answer="caf\ud800") + "\n"},
        Raises("cache.jsonl", 1, "answer", "is not valid UTF-8 text or JSON"),
    ),
    Case(
        "teacher_cache",
        "foreign_file",
        {"cache.jsonl": json.dumps({"text": "x", "label": 1}) + "\n"},
        Raises("cache.jsonl", 1, "format", "not a teacher cache entry"),
    ),
    Case("teacher_cache", "very_long_text", {"cache.jsonl": cache_line(LONG) + "\n"}, Reads(1, longest=len(LONG))),
    Case("teacher_cache", "empty_file", {"cache.jsonl": ""}, Reads(0)),
    Case(
        "teacher_cache",
        "lone_surrogate",
        {"cache.jsonl": edited_line(prompt="caf\ud800") + "\n"},
        Raises("cache.jsonl", 1, "prompt", "is not valid UTF-8 text or JSON"),
    ),
    Case(
        "teacher_cache",
        "nan_setting",
        {"cache.jsonl": edited_line(settings={"temperature": float("nan")}) + "\n"},
        Raises("cache.jsonl", 1, "settings", "is not valid UTF-8 text or JSON"),
    ),
    Case(
        "teacher_cache",
        "answer_not_text",
        {"cache.jsonl": edited_line(answer=5) + "\n"},
        Raises("cache.jsonl", 1, "answer", "not a string"),
    ),
]

CASES: list[Case] = [
    *ABSA_CASES,
    *(
        Case(f"load_absa[{case.reader}]", case.kind, case.files, case.expect)
        for case in ABSA_CASES
        if case.reader in ABSA_READERS
    ),
    *OTHER_CASES,
]

# What each format must be tried with (the kinds of the issue that apply to it).
REQUIRED_KINDS: dict[str, set[str]] = {
    "semeval14": {"truncated", "bom", "non_utf8", "offset_outside", "offset_mismatch", "unknown_label", "empty_text"}
    | {"whitespace_text", "very_long_text", "duplicate_id"},
    "e2e": {"truncated", "bom", "non_utf8", "offset_mismatch", "unknown_label", "empty_text", "whitespace_text"}
    | {"very_long_text"},
    "dong2014": {"truncated", "bom", "non_utf8", "unknown_label", "empty_text", "very_long_text"},
    "sentibench_atsa": {"truncated", "bom", "non_utf8", "offset_outside", "offset_mismatch", "unknown_label"}
    | {"empty_text", "whitespace_text", "very_long_text", "duplicate_id", "offset_nan"},
    "user_json": {"truncated", "bom", "non_utf8", "offset_outside", "offset_mismatch", "unknown_label", "empty_text"}
    | {"whitespace_text", "very_long_text", "duplicate_id", "offset_nan"},
    "user_jsonl": {"truncated", "bom", "non_utf8", "offset_outside", "offset_mismatch", "unknown_label"}
    | {"empty_text", "whitespace_text", "very_long_text", "duplicate_id"},
    "user_csv": {"truncated", "bom", "non_utf8", "offset_outside", "offset_mismatch", "unknown_label", "empty_text"}
    | {"whitespace_text", "very_long_text", "duplicate_id", "offset_nan"},
    "sst": {"truncated", "bom", "non_utf8", "unknown_label", "nan_label", "empty_text", "very_long_text"},
    "goemotions": {"truncated", "bom", "non_utf8", "unknown_label", "nan_label", "empty_text", "whitespace_text"}
    | {"very_long_text", "duplicate_id"},
    "tweeteval": {"truncated", "bom", "non_utf8", "unknown_label", "nan_label", "empty_text", "whitespace_text"}
    | {"very_long_text"},
    "empathetic_dialogues": {"truncated", "bom", "non_utf8", "unknown_label", "nan_label", "empty_text"}
    | {"whitespace_text", "very_long_text", "duplicate_id"},
    "classification_csv": {"truncated", "bom", "non_utf8", "unknown_label", "nan_label", "empty_text"}
    | {"whitespace_text", "very_long_text", "duplicate_id"},
    "classification_json": {"truncated", "bom", "non_utf8", "unknown_label", "nan_label", "empty_text"},
    "classification_jsonl": {"truncated", "bom", "non_utf8", "unknown_label", "very_long_text"},
    "lexicon_csv": {"truncated", "bom", "non_utf8", "nan_rating", "empty_word", "very_long_text", "duplicate_word"},
    "emobank": {"truncated", "bom", "non_utf8", "nan_rating", "empty_text", "whitespace_text", "very_long_text"}
    | {"duplicate_id"},
    "sentibench_sst2": {"truncated", "no_bom", "non_utf8", "unknown_label", "empty_text", "very_long_text"},
    "sentibench_atsa16": {"offset_outside", "offset_mismatch", "unknown_label"},
    "templates": {"truncated", "bom", "non_utf8", "empty_text", "whitespace_text", "very_long_text", "duplicate_id"},
    "teacher_cache": {"truncated", "bom", "non_utf8", "unknown_label", "nan_rating", "very_long_text"},
}


def test_the_table_covers_every_reader_and_kind():
    kinds: dict[str, set[str]] = {}
    for case in CASES:
        kinds.setdefault(case.reader, set()).add(case.kind)
    assert set(kinds) == set(READERS), "every reader has cases and every case names a reader"
    for reader, required in REQUIRED_KINDS.items():
        assert required <= kinds[reader], f"{reader} lacks {sorted(required - kinds[reader])}"
        if reader in ABSA_READERS:
            assert kinds[f"load_absa[{reader}]"] == kinds[reader]
    ids = [f"{case.reader}-{case.kind}" for case in CASES]
    assert len(ids) == len(set(ids))


# --- running a case ---------------------------------------------------------------------------------


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path.parent, path.name, content)


def check_rows(rows: Rows) -> None:
    """What every successful read guarantees, whatever the format."""
    for index, row in enumerate(rows):
        for key in ("id", "text", "label"):
            value = row.get(key)
            # Only a file's own BOM is stripped; U+FEFF starting a later text is that text's.
            leaked = index == 0 and isinstance(value, str) and value.startswith(BOM)
            assert not leaked, f"a byte-order mark leaked into {key}"
        assert row["text"].strip(), "an empty or whitespace-only text came through"
        for aspect in row.get("aspects", ()):
            assert 0 <= aspect["from"] < aspect["to"] <= len(row["text"])
            assert row["text"][aspect["from"] : aspect["to"]] == aspect["term"]
            assert aspect["polarity"] in POLARITIES


def check_report(skipped: Counter, expected: dict[str, int]) -> None:
    """``skipped`` counts exactly ``expected`` (reason fragment -> count)."""
    found = {}
    for reason, count in skipped.items():
        if count == 0:
            continue
        matches = [fragment for fragment in expected if fragment in reason]
        assert len(matches) == 1, f"reason {reason!r} (x{count}) matches {matches}, expected one of {list(expected)}"
        found[matches[0]] = count
    assert found == expected, f"report {dict(skipped)}"


@pytest.mark.parametrize("case", CASES, ids=[f"{case.reader}-{case.kind}" for case in CASES])
def test_bad_input(tmp_path, case):
    write_files(tmp_path, case.files)
    read = READERS[case.reader]
    started = time.perf_counter()
    if isinstance(case.expect, Raises):
        with pytest.raises(DataFormatError) as error:
            read(tmp_path)
        assert_error(error, tmp_path / case.expect.file, case.expect.row, case.expect.field, case.expect.fragment)
    else:
        rows, skipped = read(tmp_path)
        assert len(rows) == case.expect.rows
        check_rows(rows)
        check_report(skipped, case.expect.skipped)
        if case.expect.longest is not None:
            assert max(len(row["text"]) for row in rows) == case.expect.longest
    assert time.perf_counter() - started < MAX_SECONDS


@pytest.mark.parametrize("reader", sorted(set(READERS) - {"teacher_cache"}))  # a missing cache is a new one
def test_a_missing_file_is_an_error_in_the_readers_style(tmp_path, reader):
    """Before, the readers raised a bare `FileNotFoundError` / `IsADirectoryError` from `open`."""
    with pytest.raises(FileNotFoundError) as error:
        READERS[reader](tmp_path)
    assert str(tmp_path) in str(error.value)
    if not reader.startswith("sentibench_"):  # those name the data folder they looked in
        assert isinstance(error.value, DataFileNotFoundError) and error.value.message == "no such file"


def test_a_folder_given_as_a_file_is_an_error_in_the_readers_style(tmp_path):
    (tmp_path / "e.txt").mkdir()
    with pytest.raises(DataFileNotFoundError, match=r"e\.txt: is a folder, not a file"):
        READERS["e2e"](tmp_path)


def test_long_text_keeps_the_aspect_at_its_end(tmp_path):
    """The very long inputs are not cut: the aspect at the end keeps its offsets."""
    for reader, name, content in [
        ("semeval14", "a.xml", xml(xml_sentence("1", LONG, str(LONG_FROM), str(len(LONG))))),
        ("user_jsonl", "u.jsonl", user_jsonl(user_item(LONG, LONG_FROM, len(LONG)))),
        ("e2e", "e.txt", E2E_LONG + "\n"),
    ]:
        write(tmp_path, name, content)
        rows, _ = READERS[reader](tmp_path)
        assert rows[0]["aspects"][-1]["from"] == LONG_FROM and rows[0]["aspects"][-1]["to"] == len(LONG)


# --- character offsets: one rule for both readers of SentiBench atsa_rest16 ----------------------

# The same file is read by `read_sentibench_atsa` (targeted-sentiment schema) and by
# `read_sentibench(root, "atsa_rest16", ...)` (the few-shot harness); they kept drifted copies of
# the offset check (signs were accepted by one), and now share `validation.char_offset`: a
# non-negative int or ASCII digits. (field, value as written in the JSON file, the offset read or
# a fragment of the error.)
OFFSET_SPELLINGS: list[tuple[str, object, int | str]] = [
    ("to", "5", 5),
    ("to", 5, 5),
    ("to", " 5 ", 5),
    ("to", "05", 5),
    ("from", "0", 0),
    ("from", 0, 0),
    ("from", "-0", "not a non-negative integer: '-0'"),
    ("to", "+5", "not a non-negative integer: '+5'"),
    ("from", -1, "not a non-negative integer: -1"),
    ("from", "-1", "not a non-negative integer: '-1'"),
    ("to", "5.0", "not a non-negative integer: '5.0'"),
    ("to", 5.0, "not a non-negative integer: 5.0"),
    ("from", False, "not a non-negative integer: False"),
    ("to", "\u0665", "not a non-negative integer"),  # ARABIC-INDIC DIGIT FIVE
    ("to", "\u2075", "not a non-negative integer"),  # SUPERSCRIPT FIVE: isdigit(), yet int() fails
    ("to", "", "not a non-negative integer: ''"),
    ("to", 99, "offset 99 is outside the text (length 12)"),
]


@pytest.mark.parametrize("field, value, expected", OFFSET_SPELLINGS, ids=[repr(v) for _, v, _ in OFFSET_SPELLINGS])
def test_both_sentibench_atsa_readers_read_an_offset_alike(tmp_path, field, value, expected):
    good = {"ID": "1", "sentence": "Sushi rocks.", "aspects": [{"from": "0", "to": "5", "target": "Sushi",
            "category": "FOOD#QUALITY", "polarity": "positive"}]}  # fmt: skip
    row = copy.deepcopy(good)
    row["ID"] = "2"
    row["aspects"][0][field] = value
    write_files(tmp_path, {ATSA16: bench([good, row])})
    path = tmp_path / ATSA16
    readers = {
        "read_sentibench_atsa": lambda: read_sentibench_atsa(path)[1]["aspects"][0][field],
        "read_sentibench": lambda: read_sentibench(tmp_path, "atsa_rest16", "train")[1].tuples,
    }
    if isinstance(expected, int):
        assert readers["read_sentibench_atsa"]() == expected
        assert readers["read_sentibench"]() == (("sushi", "positive"),)
        return
    errors = []
    for read in readers.values():
        with pytest.raises(DataFormatError) as error:
            read()
        assert_error(error, path, 2, f"aspects[0].{field}", expected)
        errors.append(str(error.value))
    assert errors[0] == errors[1]


# --- the CLI's input file (`hf-sentiment predict --input FILE`) ----------------------------------

CLI_CASES: list[tuple[str, str | bytes, list[str] | str]] = [
    # (kind, file content, the texts read or a fragment of the CLIError besides the file name)
    ("non_utf8", latin1("ok\ncaf\u00e9\n"), "not UTF-8"),
    ("bom_plain", BOM + "Great battery.\nAwful screen.\n", ["Great battery.", "Awful screen."]),
    ("bom_json", BOM + '{"id": 1, "text": "Great battery."}\n', ["Great battery."]),
    ("truncated_json", '{"text": "ok"}\n{"text": "cut', "line 2: not valid JSON"),
    ("empty_text", '{"text": ""}\n', "line 1: the JSON object needs a non-empty string 'text'"),
    ("whitespace_only_file", " \n\t\n", "no texts to predict on"),
    ("very_long_text", LONG + "\n", [LONG]),
]


@pytest.mark.parametrize("kind, content, expected", CLI_CASES, ids=[case[0] for case in CLI_CASES])
def test_cli_input_file(tmp_path, kind, content, expected):
    path = write(tmp_path, "input.txt", content)

    def read() -> list[str]:
        handle, source, _ = open_input(str(path))
        with handle:
            return [item.text for item in iter_texts(handle, source)]

    if isinstance(expected, str):
        with pytest.raises(CLIError) as error:
            read()
        assert str(path) in str(error.value) and expected in str(error.value)
    else:
        assert read() == expected
