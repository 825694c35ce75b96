"""Property-based fuzzing (hypothesis) of the readers, the FCKT span decoder and the alignment helpers.

* Readers: generated files (well-formed ones with random content, then randomly cut, spliced,
  re-encoded or sprinkled with stray bytes), arbitrary bytes and arbitrary text. Each read either
  succeeds, and then its output keeps the reader's guarantees (offsets inside the text and
  ``text[from:to] == term``, labels among the classes, no blank text, unique ids, ...), or raises
  ``DataFormatError``; any other exception fails the property.
* ``FCKTForTargetedSentiment.decode`` on random logits and candidate masks.
* ``hf_sentiment.fckt.alignment`` on a simulated word-piece tokenizer (words cut into random
  pieces, sequences cut into overlapping windows) and on the real MiniLM fast tokenizer.

Sizes: ``HYPOTHESIS_PROFILE=dev`` (the default, and what CI runs) keeps the file well under a
minute on one thread and draws the same examples every run (``derandomize``), so the suite never
fails by chance; ``HYPOTHESIS_PROFILE=deep`` runs ten times as many random examples, to explore. Each test asks for a multiple of the
profile's ``max_examples`` (see ``examples``). No example database is written.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
import torch
from tests.utils import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer, BertConfig

from hf_sentiment.data import (
    POLARITIES,
    DataFormatError,
    ValenceLexicon,
    load_absa,
    read_absa_file,
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
from hf_sentiment.data.sentibench import SENTIBENCH_TASKS
from hf_sentiment.distill.prompts import load_templates
from hf_sentiment.distill.teacher_cache import CacheEntry, TeacherCache, cache_key
from hf_sentiment.fckt import FCKTConfig, FCKTForTargetedSentiment
from hf_sentiment.fckt.alignment import boundary_candidate_masks, char_span_to_token_span, word_char_spans
from hf_sentiment.offline import offline_minilm_path

_COMMON = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}
settings.register_profile("dev", max_examples=25, derandomize=True, **_COMMON)
settings.register_profile("deep", max_examples=250, **_COMMON)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def examples(weight: float) -> int:
    """``weight`` times the profile's ``max_examples``."""
    return max(1, round(PROFILE.max_examples * weight))


# =============================================================================== readers

WORDS = st.sampled_from(
    ["The", "battery", "life", "is", "great", "screen", "caf\u00e9", "na\u00efve", "!", ".", "good", "$T$", "NULL"]
)
NOISE = st.sampled_from(
    ['"', "'", "<", ">", "&", "&amp;", ";", ",", "\t", "\n", "\r\n", "\r", " ", "####", "=", "$T$", "{", "}", "[", "]"]
    + [":", "\\", "\\u", "\\ud800", "\ufeff", "\u00e9", "\u200b", "\x00", "NaN", "-1", "99", "T-POS", "O", "NULL"]
    + ["\ud800", "\u03a3", "\u0130", "<!ENTITY a 'x'>", "&a;", "]]>"]
)
# Half plain sentences, half with noise, so that both the success and the refusal paths run.
SENTENCES = st.lists(WORDS, min_size=1, max_size=8).map(" ".join) | st.lists(
    WORDS | NOISE | st.text(max_size=3), max_size=8
).map(" ".join)
POLARITY_SPELLINGS = st.sampled_from(
    ["positive", "negative", "neutral", "conflict", "POS", "T-NEG", "1", "-1", "0"] * 3 + ["mixed", "", " positive"]
)
IDS = st.sampled_from([str(number) for number in range(1, 10)] + ["a", "", " "])


@st.composite
def aspects(draw, text: str) -> list[tuple[str, object, object, str]]:
    """(term, from, to, polarity) of up to 3 aspects: mostly true spans of ``text``, some not."""
    found = []
    for _ in range(draw(st.integers(0, 3))):
        if text and draw(st.integers(0, 2)):  # a true, non-empty span
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            term = text[start:end]
        else:
            start, end = draw(st.integers(-2, len(text) + 2)), draw(st.integers(-2, len(text) + 2))
            term = text[max(start, 0) : max(end, 0)] if draw(st.booleans()) else draw(WORDS)
        found.append((term, start, end, draw(POLARITY_SPELLINGS)))
    return found


@st.composite
def json_offset(draw, value: int) -> object:
    """An offset as the JSON readers may meet it: mostly ``value``, sometimes not an integer."""
    return draw(st.sampled_from([value, value, str(value), float(value), None, True, float("nan"), "x"]))


@st.composite
def absa_sentences(draw) -> list[tuple[str, str, list]]:
    rows = []
    for _ in range(draw(st.integers(0, 3))):
        text = draw(SENTENCES)
        rows.append((draw(IDS), text, draw(aspects(text))))
    return rows


@st.composite
def semeval_file(draw) -> dict[str, str]:
    sentences = []
    for sid, text, found in draw(absa_sentences()):
        terms = "".join(
            f"<aspectTerm term={quoteattr(term)} polarity={quoteattr(pol)} from='{start}' to='{end}'/>"
            for term, start, end, pol in found
        )
        sentences.append(f"<sentence id={quoteattr(sid)}><text>{escape(text)}</text><aspectTerms>{terms}</aspectTerms>")
        sentences[-1] += "<aspectCategories><aspectCategory category='x'/></aspectCategories>" * draw(st.booleans())
        sentences[-1] += "</sentence>"
    return {"a.xml": '<?xml version="1.0"?>\n<sentences>' + "\n".join(sentences) + "</sentences>"}


TAGS = st.sampled_from(["O"] * 12 + ["T-POS", "T-NEG", "T-NEU"] * 2 + ["T-XYZ", "B-POS", ""])


@st.composite
def e2e_file(draw) -> dict[str, str]:
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        text = draw(SENTENCES)
        tokens = text.split() if draw(st.booleans()) else draw(st.lists(WORDS, max_size=6))
        lines.append(text + "####" + " ".join(f"{token}={draw(TAGS)}" for token in tokens))
    return {"e.txt": "\n".join(lines) + "\n" * draw(st.integers(0, 2))}


@st.composite
def dong_file(draw) -> dict[str, str]:
    instances = []
    for _ in range(draw(st.integers(0, 3))):
        words = draw(st.lists(WORDS, max_size=6))
        words.insert(draw(st.integers(0, len(words))), "$T$")
        polarity = draw(st.sampled_from(["-1", "0", "1", "2", "positive", ""]))
        instances.append(f"{' '.join(words)}\n{draw(SENTENCES)}\n{polarity}\n")
    return {"d.raw": "".join(instances)}


@st.composite
def atsa_file(draw) -> dict[str, str]:
    items = []
    for sid, text, found in draw(absa_sentences()):
        records = [
            {
                "from": draw(json_offset(start)),
                "to": draw(json_offset(end)),
                "target": term if draw(st.integers(0, 4)) else "NULL",
                "category": "FOOD#QUALITY",
                "polarity": pol,
            }
            for term, start, end, pol in found
        ]
        items.append({"ID": sid, "sentence": text, "aspects": records})
    return {"atsa.json": json.dumps(items, ensure_ascii=draw(st.booleans()))}


@st.composite
def user_items(draw) -> list[dict]:
    items = []
    for sid, text, found in draw(absa_sentences()):
        records = []
        for term, start, end, pol in found:
            record = {"term": term, "polarity": pol}
            if draw(st.integers(0, 3)):  # else: the reader must locate the term
                record |= {"from": draw(json_offset(start)), "to": draw(json_offset(end))}
            records.append(record)
        item = {"text": text, "aspects": records}
        if draw(st.booleans()):
            item["id"] = sid
        items.append(item)
    return items


@st.composite
def user_json_file(draw) -> dict[str, str]:
    return {"u.json": json.dumps(draw(user_items()), ensure_ascii=draw(st.booleans()))}


@st.composite
def user_jsonl_file(draw) -> dict[str, str]:
    return {"u.jsonl": "".join(json.dumps(item) + "\n" for item in draw(user_items()))}


def csv_text(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@st.composite
def user_csv_file(draw) -> dict[str, str]:
    rows: list[list[object]] = [["id", "text", "term", "from", "to", "polarity"]]
    for sid, text, found in draw(absa_sentences()):
        rows += [[sid, text, term, start, end, pol] for term, start, end, pol in found] or [[sid, text, "", "", "", ""]]
    return {"u.csv": csv_text(rows)}


LABEL_IDS = st.sampled_from(["0", "1", "2"] * 4 + ["3", "-1", "nan", "1.0", " 1", ""])


@st.composite
def sst_file(draw) -> dict[str, str]:
    lines = [f"{draw(LABEL_IDS)} {draw(SENTENCES)}" for _ in range(draw(st.integers(0, 4)))]
    return {"stsa.fine.train": "\n".join(lines) + "\n"}


@st.composite
def goemotions_file(draw) -> dict[str, str]:
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        labels = ",".join(draw(st.lists(LABEL_IDS, min_size=1, max_size=2)))
        lines.append(f"{draw(SENTENCES)}\t{labels}\t{draw(IDS)}")
    return {"train.tsv": "\n".join(lines) + "\n", "labels.txt": "positive\nnegative\nneutral\n"}


@st.composite
def tweeteval_files(draw) -> dict[str, str]:
    texts = draw(st.lists(SENTENCES, max_size=4))
    count = max(0, len(texts) + draw(st.sampled_from([0, 0, 0, 0, -1, 1])))  # mostly one label per text
    labels = draw(st.lists(LABEL_IDS, min_size=count, max_size=count))
    return {
        "train_text.txt": "".join(f"{text} \n" for text in texts),
        "train_labels.txt": "".join(f"{label}\n" for label in labels),
        "mapping.txt": "0\tnegative\n1\tneutral\n2\tpositive\n",
    }


@st.composite
def empathetic_file(draw) -> dict[str, str]:
    rows = [["conv_id", "utterance_idx", "prompt", "utterance", "label"]]
    for _ in range(draw(st.integers(0, 4))):
        index = draw(st.sampled_from(["1", "2", "3", "4", "x", ""]))
        utterance = draw(SENTENCES)
        conversation = draw(st.sampled_from(["c1", "c2", "c3", "c4", ""]))
        rows.append([conversation, index, "p", utterance, draw(LABEL_IDS)])
    return {"valid_utterances.csv": csv_text(rows)}


RATINGS = st.sampled_from(
    ["1", "2.5", "3", "4.75", "5"] * 3 + ["9", "0", "10", "nan", "", "inf", "-inf", "high", "1e400"]
)


@st.composite
def lexicon_file(draw) -> dict[str, str]:
    rows = [["word", "rating"]] + [[draw(WORDS | NOISE), draw(RATINGS)] for _ in range(draw(st.integers(0, 4)))]
    return {"lex.csv": csv_text(rows)}


@st.composite
def emobank_file(draw) -> dict[str, str]:
    rows = [["id", "split", "V", "A", "D", "text"]]
    for _ in range(draw(st.integers(0, 4))):
        rows.append([draw(IDS), draw(st.sampled_from(["train", "dev"])), draw(RATINGS), "3", "3", draw(SENTENCES)])
    return {"emobank.csv": csv_text(rows)}


SST2 = "sc/sst2/train.json"
ATSA16 = "absa/atsa_rest16/train.json"


@st.composite
def sentibench_sst2_file(draw) -> dict[str, str]:
    labels = st.sampled_from(["positive", "negative", "Positive", "neutral", ""])
    rows = [{"label": draw(labels), "sentence": draw(SENTENCES)} for _ in range(draw(st.integers(0, 3)))]
    return {SST2: "\ufeff" * draw(st.booleans()) + json.dumps(rows)}


@st.composite
def sentibench_atsa_file(draw) -> dict[str, str]:
    return {ATSA16: "\ufeff" + draw(atsa_file())["atsa.json"]}


@st.composite
def templates_file(draw) -> dict[str, str]:
    items = []
    for _ in range(draw(st.integers(0, 3))):
        pieces = st.lists(WORDS | NOISE | st.sampled_from(["{text}", "{", "}", "{0}", "{a.b}"]), max_size=3)
        instruction = "".join(draw(pieces)) + draw(st.sampled_from(["{text}", ""])) + "".join(draw(pieces))
        examples = [{"text": draw(SENTENCES), "answer": draw(WORDS)} for _ in range(draw(st.integers(0, 2)))]
        items.append({"name": draw(IDS), "instruction": instruction, "examples": examples})
    return {"t.json": json.dumps(items)}


PROMPTS = SENTENCES.map(lambda text: text.encode("utf-8", "replace").decode("utf-8"))  # no lone surrogates


@st.composite
def teacher_cache_file(draw) -> dict[str, str]:
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            entry = CacheEntry("tiny", "generate", draw(PROMPTS), {"max_new_tokens": 4}, draw(SENTENCES))
        else:
            probabilities = draw(st.lists(st.floats(0, 1), min_size=1, max_size=3))
            entry = CacheEntry("tiny", "label_distribution", draw(PROMPTS), {"labels": ["a"]}, probabilities)
        lines.append(entry.to_json())
    return {"cache.jsonl": "".join(line + "\n" for line in lines)}


# --- what a successful read must guarantee ----------------------------------------------------------


def unique(values: list) -> bool:
    return len(values) == len(set(values))


def valid_text(text: object) -> bool:
    """A non-empty string with something visible in it, and no lone surrogate."""
    if not isinstance(text, str) or not text.replace("\ufeff", "").replace("\u200b", "").strip():
        return False
    text.encode("utf-8")  # no lone surrogates
    return True


def check_absa(result) -> int:
    dataset, report = result
    assert unique(dataset["id"]), dataset["id"]
    for row in dataset:
        text = row["text"]
        assert valid_text(text)
        for aspect in row["aspects"]:
            assert 0 <= aspect["from"] < aspect["to"] <= len(text)
            assert text[aspect["from"] : aspect["to"]] == aspect["term"]
            assert aspect["polarity"] in POLARITIES
    assert all(count > 0 for count in report.skipped.values())
    return len(dataset)


def check_classes(result) -> int:
    dataset, _ = result
    n_classes = dataset.features["label"].num_classes
    assert unique(dataset["id"])
    for row in dataset:
        assert valid_text(row["text"])
        assert 0 <= row["label"] < n_classes
    return len(dataset)


def check_lexicon(lexicon: ValenceLexicon) -> int:
    for word in lexicon:
        assert word and word == word.strip().lower()
        assert 0.0 <= lexicon[word] <= 1.0
    return len(lexicon)


def check_emobank(result) -> int:
    dataset, _ = result
    assert unique(dataset["id"])
    for row in dataset:
        assert valid_text(row["text"]) and 0.0 <= row["valence"] <= 1.0
    return len(dataset)


def check_sentibench(task: str) -> Callable:
    def check(result) -> int:
        examples, _ = result
        spec = SENTIBENCH_TASKS[task]
        for example in examples:
            assert example.sentence.strip()
            if spec.kind == "classification":
                assert example.label in spec.labels
            else:
                assert unique(list(example.tuples))
                assert all(
                    len(answer) == spec.arity and answer[1] in ("negative", "neutral", "positive")
                    for answer in example.tuples
                )
        return len(examples)

    return check


def check_templates(templates) -> int:
    assert unique([template.name for template in templates])
    assert all(template.fields for template in templates)
    return len(templates)


def check_cache(cache: TeacherCache) -> int:
    for entry in cache.entries():
        assert entry.key == cache_key(entry.teacher, entry.prompt, entry.settings, call=entry.call)
        if entry.call == "label_distribution":
            assert all(math.isfinite(p) for p in entry.answer)
        else:
            assert isinstance(entry.answer, str)
    cache.close()
    return len(cache)


@dataclass(frozen=True)
class Target:
    """A reader under test: the strategy for its files, the file to damage, how to read, what to check."""

    files: st.SearchStrategy[dict[str, str]]
    main: str
    read: Callable[[Path], object]
    check: Callable[[object], int]


def _absa(read: Callable, name: str) -> Callable[[Path], object]:
    return lambda folder: read(folder / name, return_report=True)


TARGETS: dict[str, Target] = {
    "semeval14": Target(semeval_file(), "a.xml", _absa(read_semeval14_xml, "a.xml"), check_absa),
    "e2e": Target(e2e_file(), "e.txt", _absa(read_e2e_absa, "e.txt"), check_absa),
    "dong2014": Target(dong_file(), "d.raw", _absa(read_dong2014, "d.raw"), check_absa),
    "sentibench_atsa": Target(atsa_file(), "atsa.json", _absa(read_sentibench_atsa, "atsa.json"), check_absa),
    "user_json": Target(user_json_file(), "u.json", _absa(read_absa_file, "u.json"), check_absa),
    "user_jsonl": Target(user_jsonl_file(), "u.jsonl", _absa(read_absa_file, "u.jsonl"), check_absa),
    "user_csv": Target(user_csv_file(), "u.csv", _absa(read_absa_file, "u.csv"), check_absa),
    "load_absa_xml": Target(semeval_file(), "a.xml", _absa(load_absa, "a.xml"), check_absa),
    "load_absa_raw": Target(dong_file(), "d.raw", _absa(load_absa, "d.raw"), check_absa),
    "load_absa_atsa": Target(atsa_file(), "atsa.json", _absa(load_absa, "atsa.json"), check_absa),
    "load_absa_json": Target(user_json_file(), "u.json", _absa(load_absa, "u.json"), check_absa),
    "load_absa_csv": Target(user_csv_file(), "u.csv", _absa(load_absa, "u.csv"), check_absa),
    "sst": Target(sst_file(), "stsa.fine.train", _absa(read_sst, "stsa.fine.train"), check_classes),
    "goemotions": Target(
        goemotions_file(),
        "train.tsv",
        lambda d: read_goemotions(d / "train.tsv", multi_label="skip", return_report=True),
        check_classes,
    ),
    "tweeteval": Target(
        tweeteval_files(), "train_text.txt", lambda d: read_tweeteval(d, "train", return_report=True), check_classes
    ),
    "empathetic_dialogues": Target(
        empathetic_file(),
        "valid_utterances.csv",
        _absa(read_empathetic_dialogues, "valid_utterances.csv"),
        check_classes,
    ),
    "lexicon_csv": Target(
        lexicon_file(),
        "lex.csv",
        lambda d: ValenceLexicon.from_csv(d / "lex.csv", "word", "rating", (1, 9)),
        check_lexicon,
    ),
    "emobank": Target(emobank_file(), "emobank.csv", _absa(read_emobank, "emobank.csv"), check_emobank),
    "sentibench_sst2": Target(
        sentibench_sst2_file(),
        SST2,
        lambda d: read_sentibench(d, "sst2", "train", return_report=True),
        check_sentibench("sst2"),
    ),
    "sentibench_atsa16": Target(
        sentibench_atsa_file(),
        ATSA16,
        lambda d: read_sentibench(d, "atsa_rest16", "train", return_report=True),
        check_sentibench("atsa_rest16"),
    ),
    "templates": Target(templates_file(), "t.json", lambda d: load_templates(d / "t.json"), check_templates),
    "teacher_cache": Target(
        teacher_cache_file(), "cache.jsonl", lambda d: TeacherCache(d / "cache.jsonl"), check_cache
    ),
}


@st.composite
def damaged(draw, text: str) -> bytes:
    """``text`` after 0-3 random edits (cut, splice in noise, delete, repeat a slice), encoded as
    UTF-8 (a lone surrogate as its invalid 3-byte form), maybe with a BOM, maybe as UTF-16 or with
    a stray byte."""
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(["cut", "insert", "delete", "repeat"]))
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 12)))
        if edit == "cut":
            text = text[:start]
        elif edit == "insert":
            text = text[:start] + draw(NOISE | st.text(max_size=3)) + text[start:]
        elif edit == "delete":
            text = text[:start] + text[end:]
        else:
            text = text[:end] + text[start:end] + text[end:]
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["bom", "utf-16", "stray-byte"]))
    if encoding == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    data = text.encode("utf-8", "surrogatepass")
    if encoding == "bom":
        return b"\xef\xbb\xbf" + data
    if encoding == "stray-byte":
        position = draw(st.integers(0, len(data)))
        return data[:position] + draw(st.binary(min_size=1, max_size=2)) + data[position:]
    return data


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path.parent, path.name, content)


def read_or_refuse(target: Target, files: dict[str, str | bytes]) -> int | None:
    """Write ``files`` to a fresh folder and read them: the output must keep the reader's guarantees,
    or the reader must raise ``DataFormatError`` (anything else propagates and fails the test).
    Returns the number of rows read, ``None`` when the files were refused."""
    with tempfile.TemporaryDirectory() as folder:
        write_files(Path(folder), files)
        try:
            result = target.read(Path(folder))
        except DataFormatError as error:
            assert error.path.startswith(folder) and error.message
            return None
        return target.check(result)


@pytest.mark.parametrize("name", TARGETS)
@settings(PROFILE, max_examples=examples(1.6))
@given(data=st.data())
def test_reader_on_generated_and_damaged_files(name, data):
    target = TARGETS[name]
    files: dict[str, str | bytes] = dict(data.draw(target.files, label="files"))
    files[target.main] = data.draw(damaged(files[target.main]), label="main file")
    read_or_refuse(target, files)


@pytest.mark.parametrize("name", TARGETS)
@settings(PROFILE, max_examples=examples(0.6))
@given(data=st.data())
def test_reader_on_arbitrary_bytes_and_text(name, data):
    target = TARGETS[name]
    files: dict[str, str | bytes] = dict(data.draw(target.files, label="files"))
    files[target.main] = data.draw(st.binary(max_size=200) | st.text(max_size=200).map(str.encode), label="main")
    read_or_refuse(target, files)


@pytest.mark.parametrize("name", TARGETS)
def test_generated_files_are_often_read(name):
    """The generators are not so wild that every file is refused (then the checks of a successful
    read would never run): some undamaged generated files of every reader are read, with rows."""
    outcomes: list[int | None] = []

    @settings(PROFILE, max_examples=examples(1.6), derandomize=True)
    @given(files=TARGETS[name].files)
    def read(files):
        as_bytes = {file: content.encode("utf-8", "surrogatepass") for file, content in files.items()}
        outcomes.append(read_or_refuse(TARGETS[name], as_bytes))

    read()
    read_with_rows = sum(1 for rows in outcomes if rows)
    assert read_with_rows >= 2, f"{read_with_rows} of {len(outcomes)} generated files read with rows"


# ========================================================================== span decoder


@pytest.fixture(scope="module")
def fckt() -> FCKTForTargetedSentiment:
    torch.manual_seed(0)
    backbone = BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8)
    return FCKTForTargetedSentiment(FCKTConfig(backbone_config=backbone)).eval()


@st.composite
def decoder_inputs(draw):
    batch, seq_len = draw(st.integers(1, 3)), draw(st.integers(1, 24))
    floats = st.floats(-20, 20, width=32) | st.sampled_from([0.0, 1.0, -1.0])  # repeats make ties
    start = torch.tensor(
        draw(st.lists(st.lists(floats, min_size=seq_len, max_size=seq_len), min_size=batch, max_size=batch))
    )
    end = torch.tensor(
        draw(st.lists(st.lists(floats, min_size=seq_len, max_size=seq_len), min_size=batch, max_size=batch))
    )
    masks = st.lists(st.lists(st.booleans(), min_size=seq_len, max_size=seq_len), min_size=batch, max_size=batch)
    start_mask, end_mask = torch.tensor(draw(masks)), torch.tensor(draw(masks))
    lengths = torch.tensor(draw(st.lists(st.integers(1, seq_len), min_size=batch, max_size=batch)))
    padding = torch.arange(seq_len) >= lengths.unsqueeze(1)
    # As the forward pass does: padding holds the dtype's minimum and may be no candidate.
    lowest = torch.finfo(torch.float32).min
    start, end = start.masked_fill(padding, lowest), end.masked_fill(padding, lowest)
    start_mask, end_mask = start_mask & ~padding, end_mask & ~padding
    config = {
        "n_best": draw(st.integers(1, 30)),
        "max_span_length": draw(st.integers(1, 8)),
        "span_threshold": draw(st.floats(-40, 40, width=32) | st.just(0.0)),
    }
    return start, end, start_mask, end_mask, lengths, config


@settings(PROFILE, max_examples=examples(6))
@given(inputs=decoder_inputs())
def test_decoder_spans_are_valid_non_overlapping_and_maximal(fckt, inputs):
    start, end, start_mask, end_mask, lengths, config = inputs
    for key, value in config.items():
        setattr(fckt.config, key, value)
    spans, scores = fckt.decode(start, end, start_mask, end_mask)
    batch, seq_len = start.shape
    k = min(config["n_best"], seq_len)
    assert spans.shape == (batch, k, 2) and scores.shape == (batch, k)
    for b in range(batch):
        null = start[b, 0] + end[b, 0]
        found = [(int(s), int(e)) for s, e in spans[b] if s >= 0]
        n = len(found)
        # valid spans first, then padding: (-1, -1) with score -inf
        assert (spans[b, n:] == -1).all() and torch.isneginf(scores[b, n:]).all()
        assert torch.isfinite(scores[b, :n]).all()
        for (s, e), score in zip(found, scores[b, :n].tolist()):
            assert 0 <= s <= e < int(lengths[b])
            assert e - s + 1 <= config["max_span_length"]
            assert start_mask[b, s] and end_mask[b, e]
            assert score >= config["span_threshold"]
            assert math.isclose(score, float(start[b, s] + end[b, e] - null), rel_tol=1e-6, abs_tol=1e-4)
        for i, (s1, e1) in enumerate(found):
            for s2, e2 in found[i + 1 :]:
                assert e1 < s2 or e2 < s1, "decoded spans overlap"
        ranks = [score - (e - s + 1) for (s, e), score in zip(found, scores[b, :n].tolist())]
        assert all(a >= c - 1e-4 for a, c in itertools.pairwise(ranks)), "not best first"
        # Maximal: a pair of clearly top-k boundaries (strictly above the k-th best, so ties do not
        # matter) that passes every filter is decoded or overlaps a decoded span.
        lowest = torch.finfo(start.dtype).min
        masked_start = start[b].masked_fill(~start_mask[b], lowest)
        masked_end = end[b].masked_fill(~end_mask[b], lowest)
        kth_start = masked_start.topk(k).values[-1]
        kth_end = masked_end.topk(k).values[-1]
        for s in range(seq_len):
            for e in range(s, min(seq_len, s + config["max_span_length"])):
                top = masked_start[s] > kth_start and masked_end[e] > kth_end
                if not (top and start_mask[b, s] and end_mask[b, e]):
                    continue
                if float(start[b, s] + end[b, e] - null) < config["span_threshold"]:
                    continue
                assert any(not (e < s2 or e2 < s) for s2, e2 in found), f"({s}, {e}) was dropped"


@settings(PROFILE, max_examples=examples(1))
@given(seq_len=st.integers(1, 12), batch=st.integers(1, 3))
def test_decoder_without_candidates_returns_padding(fckt, seq_len, batch):
    fckt.config.n_best, fckt.config.max_span_length, fckt.config.span_threshold = 5, 4, 0.0
    logits = torch.randn(batch, seq_len)
    none = torch.zeros(batch, seq_len, dtype=torch.bool)
    spans, scores = fckt.decode(logits, logits, none, none)
    assert (spans == -1).all() and torch.isneginf(scores).all()


# ===================================================================== alignment helpers

PIECE_TEXT = st.text(alphabet="ab\u00e9\u00fcXY09'-", min_size=1, max_size=7)


@st.composite
def tokenised_text(draw):
    """A text of words and the encoding a word-piece tokenizer would give: each word cut into random
    pieces, [CLS] / [SEP] around with empty offsets. Returns the text, the words' spans, the tokens'
    word ids and offsets."""
    words = draw(st.lists(PIECE_TEXT, min_size=1, max_size=8))
    text = draw(st.sampled_from(["", " ", "\t"]))
    spans, word_ids, offsets = [], [None], [(0, 0)]
    for index, word in enumerate(words):
        start = len(text)
        text += word
        spans.append((start, len(text)))
        cuts = sorted(draw(st.sets(st.integers(1, len(word) - 1), max_size=len(word) - 1))) if len(word) > 1 else []
        for a, b in zip([0, *cuts], [*cuts, len(word)]):
            word_ids.append(index)
            offsets.append((start + a, start + b))
        text += draw(st.sampled_from([" ", "  ", "\n", " \t "]))
    word_ids.append(None)
    offsets.append((0, 0))
    return text, spans, word_ids, offsets


def windows(word_ids: list, offsets: list, size: int, stride: int) -> list[tuple[list, list]]:
    """Overlapping windows over the inner tokens, each wrapped in the special tokens again."""
    inner = list(zip(word_ids[1:-1], offsets[1:-1]))
    starts = list(range(0, max(1, len(inner) - size + stride), stride))
    result = []
    for first in starts:
        part = inner[first : first + size]
        result.append(([None, *(w for w, _ in part), None], [(0, 0), *(o for _, o in part), (0, 0)]))
    return result


@settings(PROFILE, max_examples=examples(3))
@given(data=tokenised_text(), size=st.integers(1, 6), stride=st.integers(1, 6))
def test_alignment_round_trips(data, size, stride):
    _, spans, word_ids, offsets = data
    expected = dict(enumerate(spans))
    assert word_char_spans([(word_ids, offsets)]) == expected
    parts = windows(word_ids, offsets, size, min(size, stride))
    assert word_char_spans(parts) == expected, "windows together give every word its full span"

    starts, ends = boundary_candidate_masks(word_ids, offsets, expected)
    firsts = {word_ids.index(w) for w in expected}
    lasts = {len(word_ids) - 1 - word_ids[::-1].index(w) for w in expected}
    assert [i for i, flag in enumerate(starts) if flag] == sorted(firsts)
    assert [i for i, flag in enumerate(ends) if flag] == sorted(lasts)

    for i in expected:
        for j in range(i, len(spans)):
            first, last = char_span_to_token_span(offsets, spans[i][0], spans[j][1])
            assert (word_ids[first], word_ids[last]) == (i, j)
            assert first in firsts and last in lasts
            assert (offsets[first][0], offsets[last][1]) == (spans[i][0], spans[j][1])

    for window_ids, window_offsets in parts:
        w_starts, w_ends = boundary_candidate_masks(window_ids, window_offsets, expected)
        inside = {w for w in window_ids if w is not None}
        for position, word in enumerate(window_ids):
            is_first = word is not None and window_offsets[position][0] == spans[word][0]
            is_last = word is not None and window_offsets[position][1] == spans[word][1]
            assert (w_starts[position], w_ends[position]) == (is_first, is_last)
        for word in inside:
            whole = window_ids.count(word) == word_ids.count(word)
            found = char_span_to_token_span(window_offsets, *spans[word])
            if whole:
                assert found is not None and window_offsets[found[0]][0] == spans[word][0]
                assert window_offsets[found[1]][1] == spans[word][1]
            else:
                assert found is None, "a word cut by the window edge is not inside this window"


@settings(PROFILE, max_examples=examples(3))
@given(data=tokenised_text(), bounds=st.tuples(st.integers(0, 80), st.integers(1, 40)))
def test_char_span_to_token_span_covers_exactly_the_overlapping_tokens(data, bounds):
    text, _, _, offsets = data
    start = min(bounds[0], len(text))
    end = start + bounds[1]
    found = char_span_to_token_span(offsets, start, end)
    real = [(i, a, b) for i, (a, b) in enumerate(offsets) if b > a]
    overlapping = [i for i, a, b in real if a < end and b > start]
    if found is None:
        assert not overlapping or start < real[0][1] or end > real[-1][2]
    else:
        assert overlapping and found == (overlapping[0], overlapping[-1])
        assert real[0][1] <= start and end <= real[-1][2]


@pytest.fixture(scope="module")
def minilm_tokenizer():
    return AutoTokenizer.from_pretrained(offline_minilm_path())


@settings(PROFILE, max_examples=examples(1.2))
@given(
    text=st.lists(WORDS | NOISE | PIECE_TEXT, min_size=1, max_size=10).map(" ".join).filter(str.isprintable) | PROMPTS
)
def test_alignment_with_a_real_fast_tokenizer(minilm_tokenizer, text):
    encoding = minilm_tokenizer(text, return_offsets_mapping=True)
    word_ids, offsets = encoding.word_ids(), encoding["offset_mapping"]
    words = word_char_spans([(word_ids, offsets)])
    starts, ends = boundary_candidate_masks(word_ids, offsets, words)
    for word, (start, end) in words.items():
        assert 0 <= start < end <= len(text)
        pieces = [i for i, w in enumerate(word_ids) if w == word]
        assert starts[pieces[0]] and ends[pieces[-1]]
        found = char_span_to_token_span(offsets, start, end)
        assert found is not None and set(word_ids[found[0] : found[1] + 1]) == {word}
    assert sum(starts) == sum(ends) == len(words)
