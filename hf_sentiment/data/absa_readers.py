"""Readers for targeted (aspect-based) sentiment data.

Every reader turns one file into a `datasets.Dataset` with the same schema,
`ABSA_FEATURES`:

```text
id:      string
text:    string
aspects: list of {"term": string, "from": int64, "to": int64, "polarity": string}
```

and these guarantees, checked while reading:

* `text` is not empty or whitespace-only (nor holds a lone surrogate);
* `id` is unique within the file;
* `from`/`to` are character offsets with `0 <= from < to <= len(text)` and
  `text[from:to] == term` for every aspect;
* `polarity` is one of `POLARITIES` (lower case); the inputs' spellings
  (`"POS"`, `"T-POS"`, `"1"`, `"-1"`, `"0"`, ...) are normalised;
* sentences without aspects are kept, with `aspects == []`.

Supported inputs:

* `read_semeval14_xml`: SemEval-2014 Task 4 XML (`conflict` is kept).
* `read_e2e_absa`: token-tagged `sentence####tok=TAG ...` lines (Li et al., 2019).
* `read_dong2014`: Dong et al. (2014) `.raw` files, three lines per instance.
* `read_sentibench_atsa`: SentiBench `atsa_rest16` JSON.
* `read_absa_file`: user files in JSON, JSONL or CSV.
* `load_absa` (in `absa_sources`) picks one of the above from a format name or the file.

Any input that breaks the format raises `DataFormatError` naming the file, the
row and the field. Items a reader has to leave out (or change) are counted in a
`ReadReport`, which is logged as a warning and returned with
`return_report=True`.
"""

from __future__ import annotations

import io
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element  # type only; parsing is done by defusedxml

import defusedxml
import defusedxml.ElementTree as safe_etree
from datasets import Features, Value

from ..utils.logging import get_logger
from .errors import DataFormatError, ReadReport
from .validation import (
    DatasetOrPair,
    FieldError,
    PathLike,
    Row,
    at_row,
    check_span,
    csv_records,
    finish_dataset,
    json_lines,
    load_json_list,
    no_surrogates,
    numbered_lines,
    read_lines,
    read_text,
    require,
    require_text,
    require_type,
    unique_id,
)

__all__ = [
    "ABSA_FEATURES",
    "ABSA_FORMATS",
    "POLARITIES",
    "normalize_polarity",
    "read_absa_file",
    "read_dong2014",
    "read_e2e_absa",
    "read_semeval14_xml",
    "read_sentibench_atsa",
]

logger = get_logger(__name__)

POLARITIES: tuple[str, ...] = ("positive", "negative", "neutral", "conflict")

ABSA_FEATURES = Features(
    {
        "id": Value("string"),
        "text": Value("string"),
        "aspects": [
            {
                "term": Value("string"),
                "from": Value("int64"),
                "to": Value("int64"),
                "polarity": Value("string"),
            }
        ],
    }
)

ABSA_FORMATS: tuple[str, ...] = (
    "semeval14",
    "e2e",
    "dong2014",
    "sentibench_atsa",
    "json",
    "jsonl",
    "csv",
)

_POLARITY_SPELLINGS: dict[str, str] = {
    spelling: polarity
    for polarity, spellings in {
        "positive": ("positive", "pos", "t-pos", "1", "+1"),
        "negative": ("negative", "neg", "t-neg", "-1"),
        "neutral": ("neutral", "neu", "t-neu", "0"),
        "conflict": ("conflict",),
    }.items()
    for spelling in spellings
}

_E2E_MAX_ALIGNED_CHARS = 1000
_E2E_FALLBACK = "e2e rows with text rebuilt from the tokens (tokens do not align with the raw sentence)"
# Real SemEval-14 rows share at least half their words with their tags, both ways (the least:
# "We weren't!" tagged "We were n't !", "$999.00 Tax free." tagged "$ 999.00 Tax free"); below
# half, the tags belong to another sentence.
_E2E_MIN_SHARED_WORDS = 0.5
_SEMEVAL_CATEGORIES = "aspectCategory elements (no span)"
_SEMEVAL_IMPLICIT = "Opinion elements with target NULL (no span)"
_SEMEVAL_REPEATED = "Opinion elements repeating an earlier one's target span and polarity (kept once)"
_DONG_EXTRA_MENTIONS = "further $T$ mentions of the target not marked as aspects"
_ATSA_IMPLICIT = "implicit aspects (target NULL)"
_ATSA_DUPLICATE = "duplicate aspects (same from/to/polarity)"
_USER_DUPLICATE = "aspects given twice in one row (same from/to/polarity; kept once)"


# --- aspects -------------------------------------------------------------------------


def normalize_polarity(value: Any, field: str = "polarity") -> str:
    """Map a polarity spelling to one of `POLARITIES`.

    Accepts any case and the spellings of the supported formats: `positive`/
    `POS`/`T-POS`/`1`/`+1`, `negative`/`NEG`/`T-NEG`/`-1`,
    `neutral`/`NEU`/`T-NEU`/`0` and `conflict`; integers too.

    Args:
        value (`Any`):
            The polarity as found in the input.
        field (`str`, *optional*, defaults to `"polarity"`):
            The field name used in the error message.

    Returns:
        The lower-case polarity.

    Raises:
        ValueError: If the spelling is unknown.
    """
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        polarity = _POLARITY_SPELLINGS.get(str(value).strip().lower())
        if polarity is not None:
            return polarity
    raise FieldError(field, f"unknown polarity {value!r}; expected one of {', '.join(POLARITIES)}")


def _aspect(
    text: str,
    term: Any,
    start: Any,
    end: Any,
    polarity: Any,
    prefix: str = "",
    term_key: str = "term",
) -> Row:
    """Validate one aspect of `text` and return it in the schema's form.

    `prefix` + key names the fields in errors (e.g. `"aspects[0].from"`).
    """
    term_field = f"{prefix}{term_key}"
    require_type(term, str, term_field, "a string")
    start, end = check_span(
        text, term, start, end, from_field=f"{prefix}from", to_field=f"{prefix}to", term_field=term_field
    )
    return {
        "term": term,
        "from": start,
        "to": end,
        "polarity": normalize_polarity(polarity, f"{prefix}polarity"),
    }


def _locate(text: str, term: str, field: str) -> tuple[int, int]:
    """The span of `term` in `text`; it must occur exactly once."""
    starts = [match.start() for match in re.finditer(f"(?={re.escape(term)})", text)] if term else []
    if len(starts) != 1:
        found = "does not occur" if not starts else f"occurs {len(starts)} times"
        raise FieldError(field, f"term {term!r} {found} in the text; give 'from' and 'to'")
    return starts[0], starts[0] + len(term)


def _aspect_from_record(
    text: str,
    record: Mapping[str, Any],
    prefix: str = "",
    term_key: str = "term",
    locate: bool = False,
) -> Row:
    """An aspect from a mapping with term, from, to and polarity keys.

    With `locate=True` a record without both `from` and `to` is placed by
    finding its term in the text (which must then occur exactly once).
    """
    term = require(record, term_key, f"{prefix}{term_key}")
    polarity = require(record, "polarity", f"{prefix}polarity")
    if locate and record.get("from") is None and record.get("to") is None:
        require_type(term, str, f"{prefix}{term_key}", "a string")
        start, end = _locate(text, term, f"{prefix}{term_key}")
    else:
        start = require(record, "from", f"{prefix}from")
        end = require(record, "to", f"{prefix}to")
    return _aspect(text, term, start, end, polarity, prefix, term_key)


# --- SemEval-2014 XML ----------------------------------------------------------


def read_semeval14_xml(path: PathLike, *, return_report: bool = False) -> DatasetOrPair:
    """Read a SemEval ABSA XML file: the 2014 Task 4 layout (e.g. `Laptop_Train_v2.xml`) or the
    2015 / 2016 one (`<Reviews>` of `<Review>`s).

    One row per `<sentence>`. In the 2014 layout its `<aspectTerm>` elements become the aspects
    (`conflict` polarity is kept); `<aspectCategory>` elements have no span and are counted in
    the report, not read. In the 2015 / 2016 layout each `<Opinion>` with a `target` becomes an
    aspect; opinions with `target="NULL"` (no span) are counted and left out, and an opinion that
    repeats an earlier one's span and polarity (the same target under another category) is kept
    once and counted. An element the layout does not hold (e.g. an `<aspectTerm>` outside
    `<aspectTerms>`, a lower-case `<aspectterm>`, a namespaced `<sentence>`) is an error naming
    it, never skipped. The XML is parsed with `defusedxml`: entity declarations and external
    references are refused.

    Args:
        path (`str` or `os.PathLike`):
            The XML file.
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport`.

    Returns:
        A `Dataset` with `ABSA_FEATURES` (row `id` = the sentence id), or
        `(dataset, report)` with `return_report=True`.

    Raises:
        DataFormatError: Malformed or unsafe XML, an unknown element, or a bad sentence (row = its
            1-based index in the file).
    """
    report = ReadReport()
    return finish_dataset(path, _semeval_rows(path, report), ABSA_FEATURES, report, return_report, logger)


# The elements each layout holds, by parent: anything else is refused by name.
_SEMEVAL14_CHILDREN = {"sentence": {"text", "aspectTerms", "aspectCategories"}}
_SEMEVAL16_CHILDREN = {"sentence": {"text", "Opinions"}}


def _semeval_rows(path: PathLike, report: ReadReport) -> Iterator[Row]:
    seen: dict[str, int] = {}
    for row, (sentence, opinions) in enumerate(_semeval_sentences(path), start=1):
        with at_row(path, row):
            parsed = _semeval_sentence(sentence, opinions, report)
            unique_id(seen, parsed["id"], row, "id")
        yield parsed


# The tags from the root down to a `<sentence>`, by layout (the root's tag tells which).
_SENTENCE_PATHS = {"sentences": ("sentences", "sentence"), "Reviews": ("Reviews", "Review", "sentences", "sentence")}


def _semeval_sentences(path: PathLike) -> Iterator[tuple[Element, bool]]:
    """Each `<sentence>` element, complete, as the parser reaches its end, and whether the file has
    the 2015/16 layout. The file is parsed incrementally and each sentence dropped once read, so
    its whole tree is never in memory; an element off the layout's path to a sentence is a
    file-level error naming it."""
    data = read_text(path, line_rows=False).encode("utf-8")  # the readers' UTF-8 check and BOM rule
    open_elements: list[Element] = []
    layout: tuple[str, ...] = ()
    try:
        for event, element in safe_etree.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                if not layout:
                    if element.tag not in _SENTENCE_PATHS:
                        expected = "<sentences> (SemEval-2014) or <Reviews> (2015/16)"
                        message = f"root element is <{element.tag}>, expected {expected}"
                        raise DataFormatError(path, None, None, message)
                    layout = _SENTENCE_PATHS[element.tag]
                elif len(open_elements) < len(layout) and element.tag != layout[len(open_elements)]:
                    parent, expected = open_elements[-1].tag, layout[len(open_elements)]
                    message = f"<{parent}> holds a <{element.tag}> element; expected only <{expected}>"
                    raise DataFormatError(path, None, None, message)
                open_elements.append(element)
                continue
            open_elements.pop()
            if len(open_elements) == len(layout) - 1:  # a sentence just ended
                yield element, layout[0] == "Reviews"
                del open_elements[-1][-1]  # it is its parent's last child: drop it, read
    except defusedxml.DefusedXmlException as err:
        message = (
            f"unsafe XML refused ({type(err).__name__}: {err}); "
            "entity declarations and external references are not allowed"
        )
        raise DataFormatError(path, None, None, message) from None
    except safe_etree.ParseError as err:
        raise DataFormatError(path, None, None, f"malformed XML: {err}") from None


def _only(parent: Element, allowed: set[str]) -> None:
    for child in parent:
        if child.tag not in allowed:
            expected = ", ".join(f"<{tag}>" for tag in sorted(allowed))
            raise FieldError(child.tag, f"<{parent.tag}> holds a <{child.tag}> element; expected {expected}")


def _semeval_sentence(sentence: Element, opinions: bool, report: ReadReport) -> Row:
    """One `<sentence>`: 2014 `<aspectTerms>`, or with `opinions` the 2015/16 `<Opinions>`."""
    sentence_id = require(sentence.attrib, "id", "id")
    _only(sentence, (_SEMEVAL16_CHILDREN if opinions else _SEMEVAL14_CHILDREN)["sentence"])
    text_element = sentence.find("text")
    if text_element is None:
        raise FieldError("text", "missing")
    if len(text_element):
        # The offsets count characters of plain text; markup inside <text> has no agreed reading.
        raise FieldError("text", f"holds a <{text_element[0].tag}> element; expected plain text")
    text = require_text(text_element.text or "", "text")
    if opinions:
        return {"id": sentence_id, "text": text, "aspects": _semeval_opinions(sentence, text, report)}
    aspects = []
    for terms in sentence.findall("aspectTerms"):
        _only(terms, {"aspectTerm"})
        aspects += [
            _aspect_from_record(text, term.attrib, prefix=f"aspectTerm[{len(aspects) + index}].")
            for index, term in enumerate(terms)
        ]
    for categories in sentence.findall("aspectCategories"):
        _only(categories, {"aspectCategory"})
        report.add(_SEMEVAL_CATEGORIES, len(categories))
    return {"id": sentence_id, "text": text, "aspects": aspects}


def _semeval_opinions(sentence: Element, text: str, report: ReadReport) -> list[Row]:
    records = []
    for block in sentence.findall("Opinions"):
        _only(block, {"Opinion"})
        records += [(f"Opinion[{index}].", opinion.attrib) for index, opinion in enumerate(block)]
    return _target_aspects(text, records, report, implicit=_SEMEVAL_IMPLICIT, repeated=_SEMEVAL_REPEATED)


def _target_aspects(
    text: str, records: Iterable[tuple[str, Mapping[str, Any]]], report: ReadReport, *, implicit: str, repeated: str
) -> list[Row]:
    """The aspects of `(field prefix, record)` pairs whose term is a `target` (SemEval-2016
    opinions and the SentiBench ATSA file made from them): a `NULL` target has no span and is
    counted under `implicit`; a span and polarity given again (the same target under another
    category) is kept once and counted under `repeated`."""
    aspects: list[Row] = []
    seen: set[tuple[int, int, str]] = set()
    for prefix, record in records:
        if require(record, "target", f"{prefix}target") == "NULL":
            report.add(implicit)
            continue
        aspect = _aspect_from_record(text, record, prefix, term_key="target")
        key = (aspect["from"], aspect["to"], aspect["polarity"])
        if key in seen:
            report.add(repeated)
            continue
        seen.add(key)
        aspects.append(aspect)
    return aspects


# --- E2E-ABSA token tags ---------------------------------------------------------


def read_e2e_absa(path: PathLike, *, return_report: bool = False) -> DatasetOrPair:
    """Read an E2E-ABSA file: lines `raw sentence####tok=TAG tok=TAG ...`.

    Tags are `O`, `T-POS`, `T-NEG` and `T-NEU`; a maximal run of tokens
    with the same `T-` tag is one aspect. Tokens are placed in the raw
    sentence to get character offsets: first token by token (only whitespace
    may lie between tokens); if that fails (the tokeniser changed some
    characters), by a character alignment of the joined tokens with the
    sentence, which must reproduce every aspect term exactly and not cut a
    word; if that fails too, the row's text becomes `" ".join(tokens)`, so
    that the offsets stay exact. Such rows are counted in the report.

    Tags are separated by any whitespace (tokens hold none). A row whose tags cannot be its own
    is refused: tags that stop while the sentence goes on with a word (a tag list cut short;
    closing punctuation may stay untagged, as in the real files), or tags most of whose words are
    not in the sentence, or the sentence's words not among the tags (compared without case or
    accents; the real SemEval-14 rows share at least half).

    Args:
        path (`str` or `os.PathLike`):
            The `.txt` file.
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport`.

    Returns:
        A `Dataset` with `ABSA_FEATURES`, ids `"{file stem}-{line number}"`,
        or `(dataset, report)` with `return_report=True`. Blank lines are
        not rows; the report counts them.

    Raises:
        DataFormatError: A bad line (row = its line number).
    """
    report = ReadReport()
    return finish_dataset(path, _e2e_rows(path, report), ABSA_FEATURES, report, return_report, logger)


def _e2e_rows(path: PathLike, report: ReadReport) -> Iterator[Row]:
    stem = Path(path).stem
    for line_number, line in numbered_lines(path, report):
        with at_row(path, line_number):
            row, rebuilt = _e2e_line(line, f"{stem}-{line_number}")
        report.add(_E2E_FALLBACK, int(rebuilt))
        yield row


def _e2e_line(line: str, row_id: str) -> tuple[Row, bool]:
    """The row for one line, and whether its text was rebuilt from the tokens."""
    parts = line.split("####")
    if len(parts) != 2:
        raise FieldError(
            "tags",
            f"expected one '####' between sentence and tags, found {len(parts) - 1}",
        )
    raw = require_text(parts[0], "text")
    tags = _Tags(parts[1])
    _check_no_untagged_words(raw, tags)
    _check_tokens_belong(raw, tags)
    runs = tags.runs
    text, spans, rebuilt = _place_runs(raw, tags, [(first, last) for first, last, _ in runs])
    aspects = [
        _aspect(text, text[start:end], start, end, polarity, prefix=f"tags[{first}].")
        for (start, end), (first, _, polarity) in zip(spans, runs)
    ]
    return {"id": row_id, "text": text, "aspects": aspects}, rebuilt


def _check_tokens_belong(raw: str, tags: _Tags) -> None:
    """Refuse tags that are not this sentence's: most of the tags' words must be the sentence's,
    and most of the sentence's words among the tags (a tag list cut short, or copied from another
    line, would otherwise give aspects of the wrong text or none). Words are the `\\w+` pieces of
    each side without case or accents (tokenisers lower-case, strip accents and split "weren't"
    into "were n't"), counted as multisets: one pass, whatever the length of the line."""
    sentence_words = Counter(match.group() for match in _WORD.finditer(_fold(raw)))
    tag_words = Counter(word for token in tags.tokens() for word in _WORD.findall(_fold(token)))
    shared = sum((sentence_words & tag_words).values())
    in_sentence, in_tags = sum(tag_words.values()), sum(sentence_words.values())
    if shared < _E2E_MIN_SHARED_WORDS * in_sentence or shared < _E2E_MIN_SHARED_WORDS * in_tags:
        raise FieldError(
            "tags",
            f"the tags do not belong to the sentence: they share {shared} words, of their {in_sentence} and its "
            f"{in_tags} ({tags.count} tags for {raw[:200]!r})",
        )


_WORD = re.compile(r"\w+")
_ITEM = re.compile(r"\S+")


def _fold(text: str) -> str:
    """`text` case-folded, with its accents and other combining marks removed."""
    if text.isascii():  # the common case, without a list of every character of a long line
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def _check_no_untagged_words(raw: str, tags: _Tags) -> None:
    """Where the tokens sit in `raw` one by one, only punctuation may follow the last one (the
    real files leave a closing `..` or `)` untagged now and then); a word means the tag list was
    cut short."""
    placed = _token_spans(raw, tags.tokens(), keep=()) if tags.count else None
    tail = raw[placed[1] :].strip() if placed else ""
    if any(c.isalnum() for c in tail):
        raise FieldError(
            "tags", f"the tags end at token {tags.count - 1} ({tags.last!r}) but the sentence goes on: {tail!r}"
        )


class _Tags:
    """The `tok=TAG` items of one line. They are parsed and checked once, on construction (the
    aspect runs, the count and the last token are kept), and walked again lazily by `tokens`, so a
    line of a million tokens is never held as a list of them."""

    def __init__(self, tagged: str) -> None:
        self.tagged = tagged
        self.count, self.last = 0, ""
        self.runs = _tag_runs(self._polarities())

    def _polarities(self) -> Iterator[str | None]:
        # Tokens hold no whitespace: a tab between two items separates them as a space does.
        for index, match in enumerate(_ITEM.finditer(self.tagged)):
            item = match.group()
            field = f"tags[{index}]"
            # Split on the last '=': tokens may contain '=' themselves.
            token, sep, tag = item.rpartition("=")
            if not sep or not token:
                raise FieldError(field, f"expected 'token=TAG', got {item!r}")
            self.count, self.last = index + 1, token
            yield None if tag == "O" else normalize_polarity(tag, field)

    def tokens(self) -> Iterator[str]:
        """The tokens, in order (already checked)."""
        return (match.group().rpartition("=")[0] for match in _ITEM.finditer(self.tagged))


def _tag_runs(polarities: Iterable[str | None]) -> list[tuple[int, int, str]]:
    """`(first, last, polarity)` of each maximal run of one aspect tag."""
    runs: list[tuple[int, int, str]] = []
    for index, polarity in enumerate(polarities):
        if polarity is None:
            continue
        if runs and runs[-1][1] == index - 1 and runs[-1][2] == polarity:
            runs[-1] = (runs[-1][0], index, polarity)
        else:
            runs.append((index, index, polarity))
    return runs


def _place_runs(raw: str, tags: _Tags, runs: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]], bool]:
    """Char spans of token runs: `(text, spans, rebuilt_from_tokens)`."""
    ends = {index for run in runs for index in run}
    placed = _token_spans(raw, tags.tokens(), keep=ends)
    if placed is not None:
        token_spans, _ = placed
        return raw, [(token_spans[first][0], token_spans[last][1]) for first, last in runs], False
    joined = " ".join(tags.tokens())
    rebuilt = _token_spans(joined, tags.tokens(), keep=ends)
    assert rebuilt is not None  # the tokens rebuild their own join
    joined_spans, _ = rebuilt
    spans = [(joined_spans[first][0], joined_spans[last][1]) for first, last in runs]
    # SequenceMatcher is up to cubic in the line length: one misaligned 8000-character line takes
    # minutes. Longer lines (the real files' longest is 464 characters)
    # skip the character alignment and are rebuilt from the tokens, counted in the report.
    if max(len(joined), len(raw)) > _E2E_MAX_ALIGNED_CHARS:
        return joined, spans, True
    projected = _project_spans(joined, spans, raw)
    if projected is not None:
        return raw, projected, False
    return joined, spans, True


def _token_spans(
    text: str, tokens: Iterable[str], keep: Collection[int]
) -> tuple[dict[int, tuple[int, int]], int] | None:
    """Where `tokens` sit in order in `text` with only whitespace between: `(spans, end)`, the
    spans of the tokens whose indices are in `keep` and the end of the last token; `None` when
    they do not sit so. Only the spans asked for are kept: a line of a million tokens would
    otherwise hold a million tuples."""
    spans = {}
    position = 0
    for index, token in enumerate(tokens):
        while position < len(text) and text[position].isspace():
            position += 1
        if not text.startswith(token, position):
            return None
        if index in keep:
            spans[index] = (position, position + len(token))
        position += len(token)
    return spans, position


def _project_spans(source: str, spans: list[tuple[int, int]], target: str) -> list[tuple[int, int]] | None:
    """Map spans of `source` onto `target` through a character alignment.

    Returns `None` unless every span lands on exactly the same characters in
    `target` and does not cut a word there (e.g. the token `order` must not
    land inside `ordered`).
    """
    matcher = SequenceMatcher(None, source, target, autojunk=False)
    char_map = {
        source_start + k: target_start + k
        for source_start, target_start, size in matcher.get_matching_blocks()
        for k in range(size)
    }
    projected = []
    for start, end in spans:
        if start not in char_map or end - 1 not in char_map:
            return None
        new_start, new_end = char_map[start], char_map[end - 1] + 1
        if target[new_start:new_end] != source[start:end] or _cuts_word(target, new_start, new_end):
            return None
        projected.append((new_start, new_end))
    return projected


def _cuts_word(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` begins or ends inside an alphanumeric word."""
    cuts_start = 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum()
    cuts_end = 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum()
    return cuts_start or cuts_end


# --- Dong et al. (2014) Twitter ------------------------------------------------------


def read_dong2014(path: PathLike, *, return_report: bool = False) -> DatasetOrPair:
    """Read a Dong et al. (2014) `.raw` file: three lines per instance.

    The lines are the sentence with `$T$` for the target, the target, and the
    polarity (`-1`/`0`/`1`). The target is put back at every `$T$`; the
    first one becomes the row's single aspect. Further `$T$` mentions are not
    marked as aspects and are counted in the report.

    Args:
        path (`str` or `os.PathLike`):
            The `.raw` file.
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport`.

    Returns:
        A `Dataset` with `ABSA_FEATURES`, ids `"{file stem}-{line number of
        the sentence}"`, or `(dataset, report)` with `return_report=True`.

    Raises:
        DataFormatError: A bad instance (row = the line number of the bad line).
    """
    rows, report = _dong_rows(path)
    return finish_dataset(path, rows, ABSA_FEATURES, report, return_report, logger)


def _dong_rows(path: PathLike) -> tuple[list[Row], ReadReport]:
    lines = read_lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) % 3:
        missing = "target" if len(lines) % 3 == 1 else "polarity"
        raise DataFormatError(path, len(lines) + 1, missing, "missing: the file ends inside an instance")
    stem = Path(path).stem
    report = ReadReport()
    rows = []
    for index in range(0, len(lines), 3):
        line_number = index + 1
        with at_row(path, line_number):
            pieces = require_text(lines[index], "sentence").split("$T$")
            if len(pieces) < 2:
                raise FieldError("sentence", "no '$T$' placeholder for the target")
        with at_row(path, line_number + 1):
            target = require_text(lines[index + 1], "target")
        with at_row(path, line_number + 2):
            polarity = normalize_polarity(lines[index + 2], "polarity")
        text = target.join(pieces)
        start = len(pieces[0])
        aspect = _aspect(text, target, start, start + len(target), polarity)
        rows.append({"id": f"{stem}-{line_number}", "text": text, "aspects": [aspect]})
        report.add(_DONG_EXTRA_MENTIONS, len(pieces) - 2)
    return rows, report


# --- SentiBench atsa_rest16 -----------------------------------------------------------


def read_sentibench_atsa(path: PathLike, *, return_report: bool = False) -> DatasetOrPair:
    """Read SentiBench `absa/atsa_rest16/{train,test}.json`.

    A JSON list (UTF-8 with BOM) of `{"ID", "sentence", "aspects": [{"from",
    "to", "target", "category", "polarity"}]}` with string offsets. Implicit
    aspects (`target == "NULL"`) have no span and are left out; an aspect
    with the same (from, to, polarity) as an earlier one in the sentence (one
    term with several categories) is kept once. Both are counted in the report.

    Args:
        path (`str` or `os.PathLike`):
            The `.json` file.
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport`.

    Returns:
        A `Dataset` with `ABSA_FEATURES` (`id` = `ID`), or
        `(dataset, report)` with `return_report=True`.

    Raises:
        DataFormatError: Malformed JSON or a bad element (row = its 1-based index).
    """
    rows, report = _atsa_rows(path, load_json_list(path))
    return finish_dataset(path, rows, ABSA_FEATURES, report, return_report, logger)


def _atsa_rows(path: PathLike, items: list[Any]) -> tuple[list[Row], ReadReport]:
    report = ReadReport()
    rows = []
    seen: dict[str, int] = {}
    for row, item in enumerate(items, start=1):
        with at_row(path, row):
            rows.append(_atsa_item(item, report))
            unique_id(seen, rows[-1]["id"], row, "ID")
    return rows, report


def _atsa_item(item: Any, report: ReadReport) -> Row:
    require_type(item, dict, None, "a JSON object")
    row_id = no_surrogates(str(require(item, "ID", "ID")), "ID")
    text = require_text(item.get("sentence"), "sentence")
    records = require_type(require(item, "aspects", "aspects"), list, "aspects", "a list")
    for index, record in enumerate(records):
        require_type(record, dict, f"aspects[{index}]", "a JSON object")
    prefixed = [(f"aspects[{index}].", record) for index, record in enumerate(records)]
    aspects = _target_aspects(text, prefixed, report, implicit=_ATSA_IMPLICIT, repeated=_ATSA_DUPLICATE)
    return {"id": row_id, "text": text, "aspects": aspects}


# --- user files: JSON, JSONL, CSV -------------------------------------------------------

USER_SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".csv": "csv"}
_CSV_ASPECT_COLUMNS = ("term", "from", "to", "polarity")


def read_absa_file(
    path: PathLike,
    *,
    text_field: str = "text",
    aspects_field: str = "aspects",
    format: str | None = None,
    return_report: bool = False,
) -> DatasetOrPair:
    """Read a user file in JSON, JSONL or CSV.

    * `json`: a list of objects; `jsonl`: one object per line. Each object
      has `text_field` (the sentence), `aspects_field` (a list of
      `{"term", "from", "to", "polarity"}`) and optionally `id` (default:
      the 1-based row number).
    * `csv`: one row per aspect, columns `id`, `text_field`, `term`,
      `from`, `to`, `polarity`; the rows of one sentence share its id
      (and text). A row with empty `term`, `from` and `to` is a sentence
      without aspects.

    An aspect with a `term` but without `from` and `to` is placed where the
    term occurs in the text, which it must do exactly once.

    Blank JSONL lines are not rows; the report counts them.

    Args:
        path (`str` or `os.PathLike`):
            The file.
        text_field (`str`, *optional*, defaults to `"text"`):
            Name of the text field / column.
        aspects_field (`str`, *optional*, defaults to `"aspects"`):
            Name of the aspects field (JSON, JSONL).
        format (`str`, *optional*):
            `"json"`, `"jsonl"` or `"csv"`; default: from the suffix.
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport`.

    Returns:
        A `Dataset` with `ABSA_FEATURES`, or `(dataset, report)` with
        `return_report=True`.

    Raises:
        DataFormatError: A bad file or row (row = element index for JSON, line
            number for JSONL and CSV).
        ValueError: An unknown format.
    """
    format = format or USER_SUFFIXES.get(Path(path).suffix.lower())
    report = ReadReport()
    if format == "json":
        rows = user_rows(path, enumerate(load_json_list(path), start=1), text_field, aspects_field, report)
    elif format == "jsonl":
        rows = user_rows(path, json_lines(path, report), text_field, aspects_field, report)
    elif format == "csv":
        rows = _csv_rows(path, text_field, report)
    else:
        raise ValueError(f"{os.fspath(path)}: unknown format {format!r}; expected json, jsonl or csv")
    return finish_dataset(path, rows, ABSA_FEATURES, report, return_report, logger)


def user_rows(
    path: PathLike, items: Iterable[tuple[int, Any]], text_field: str, aspects_field: str, report: ReadReport
) -> Iterator[Row]:
    """The rows of `(row number, JSON value)` pairs: a JSON list's elements or a JSONL file's lines."""
    seen: dict[str, int] = {}
    for row, item in items:
        with at_row(path, row):
            parsed = _user_object(item, row, text_field, aspects_field, report)
            unique_id(seen, parsed["id"], row, "id")
        yield parsed


def _user_object(item: Any, row: int, text_field: str, aspects_field: str, report: ReadReport) -> Row:
    require_type(item, dict, None, "a JSON object")
    text = require_text(item.get(text_field), text_field)
    records = require_type(require(item, aspects_field, aspects_field), list, aspects_field, "a list")
    aspects: list[Row] = []
    for index, record in enumerate(records):
        field = f"{aspects_field}[{index}]"
        require_type(record, dict, field, "a JSON object")
        aspect = _aspect_from_record(text, record, f"{field}.", locate=True)
        add_aspect(aspects, aspect, f"{field}.polarity", report)
    row_id = item.get("id")
    # str() would turn {"a": 1}, [1], NaN or true into an id nobody wrote.
    if row_id is not None and (isinstance(row_id, bool) or not isinstance(row_id, (str, int))):
        raise FieldError("id", f"expected a string or a whole number, got {json.dumps(row_id)}")
    return {
        "id": no_surrogates(str(row if row_id is None else row_id), "id"),
        "text": text,
        "aspects": aspects,
    }


def add_aspect(aspects: list[Row], aspect: Row, polarity_field: str, report: ReadReport) -> None:
    """Append `aspect` to its row's `aspects` unless the row already holds it (counted in
    `report`); the same span with another polarity is a contradiction, so an error."""
    for index, earlier in enumerate(aspects):
        if (earlier["from"], earlier["to"]) == (aspect["from"], aspect["to"]):
            if earlier["polarity"] == aspect["polarity"]:
                report.add(_USER_DUPLICATE)
                return
            raise FieldError(
                polarity_field,
                f"{aspect['term']!r} at {aspect['from']}-{aspect['to']} is {aspect['polarity']} here and "
                f"{earlier['polarity']} in the row's aspect {index + 1}",
            )
    aspects.append(aspect)


def _csv_rows(path: PathLike, text_field: str, report: ReadReport) -> list[Row]:
    sentences: dict[str, Row] = {}
    for line_number, record in csv_records(path, ("id", text_field, *_CSV_ASPECT_COLUMNS)):
        with at_row(path, line_number):
            _add_csv_record(record, sentences, text_field, report)
    return list(sentences.values())


def _add_csv_record(
    record: dict[str, str | None], sentences: dict[str, Row], text_field: str, report: ReadReport
) -> None:
    """Add one CSV row to the sentence with its id (made on first sight)."""
    row_id = _csv_cell(record.get("id"))
    if row_id is None:
        raise FieldError("id", "missing")
    text = require_text(record.get(text_field), text_field)
    sentence = sentences.setdefault(row_id, {"id": row_id, "text": text, "aspects": []})
    if sentence["text"] != text:
        raise FieldError(text_field, f"differs from the text of an earlier row with id {row_id!r}")
    cells = {key: _csv_cell(record.get(key)) for key in _CSV_ASPECT_COLUMNS}
    if cells["term"] is None and cells["from"] is None and cells["to"] is None:
        return
    add_aspect(sentence["aspects"], _aspect_from_record(text, cells, locate=True), "polarity", report)


def _csv_cell(value: str | None) -> str | None:
    """A CSV cell, `None` when empty; not stripped (offsets depend on the term)."""
    return value if value and value.strip() else None


# --- dispatch -------------------------------------------------------------------------------
