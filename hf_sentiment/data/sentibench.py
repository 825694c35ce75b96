"""SentiBench (Zhang et al., 2025): the registry of its 12 datasets and a reader for their JSON files.

SentiBench is the few-shot benchmark of "Targeted Distillation for Sentiment Analysis". Its
datasets share one layout (`<root>/<group>/<name>/{train,val,test}.json`, each a JSON list in
UTF-8 with a byte-order mark) but four row formats. This module turns all of them into one
shape, `SentiBenchExample`, that the few-shot harness (`hf_sentiment.evaluation.sentibench`)
needs:

* classification sets (8): `label` is the verbaliser, the lower-cased label the model is asked
  to produce (`"Not Intimate"` -> `"not intimate"`, `"FAVOR"` -> `"favor"`);
* extraction sets (4): `tuples` holds the gold answer as tuples of lower-cased,
  whitespace-normalised strings, without duplicates and in first-seen order:

  | dataset     | tuple                                  | notes                                            |
  |-------------|----------------------------------------|--------------------------------------------------|
  | atsa_rest16 | (aspect term, polarity)                | implicit aspects (NULL) left out and counted     |
  | acsa_rest16 | (category, polarity)                   | `FOOD#QUALITY` -> `food quality`                 |
  | asqp_rest16 | (aspect, category, opinion, polarity)  | implicit aspect -> `null`                        |
  | opener      | (holder, target, expression, polarity) | spans of one part joined by " "; a missing part -> `null` |

Each task also says how it is prompted, in two styles (`SentiBenchTask.prompt_format`): `"paper"`,
the default, the instructions, `Label:` key and answer layout of the paper's evaluation scripts
(`PAPER_INSTRUCTIONS`, word for word), and `"hf_sentiment"`, this library's earlier wording with the
`Answer:` key. `render_answer` writes a demonstration's answer in either.

Readers return plain lists of frozen dataclasses, not `datasets.Dataset`: a few-shot harness
indexes demonstrations at random and keeps the gold tuples as hashable tuples, which an Arrow
table would turn into lists of lists.

Errors follow the library's rule: anything that breaks the format raises `DataFormatError` with
the file, the 1-based row (the element's index in the JSON list) and the field. What a reader
leaves out or merges (implicit ATSA aspects, a tuple given twice in one sentence) is counted in a
`ReadReport`, logged as a warning and returned with `return_report=True`. Rows that repeat
across a file (the real files have a few) are kept as they are: they are separate test items.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..utils.logging import get_logger
from .errors import DataFormatError, ReadReport
from .validation import (
    FieldError,
    PathLike,
    at_row,
    check_span,
    load_json_list,
    require,
    require_text,
    require_type,
)

__all__ = [
    "DEFAULT_PROMPT_STYLE",
    "PAPER_INSTRUCTIONS",
    "PROMPT_STYLES",
    "SENTIBENCH_SPLITS",
    "SENTIBENCH_TASKS",
    "PromptStyle",
    "SentiBenchExample",
    "SentiBenchPromptFormat",
    "SentiBenchTask",
    "check_prompt_style",
    "get_sentibench_task",
    "normalize_answer_text",
    "read_sentibench",
    "render_answer",
    "resolve_sentibench_root",
]

logger = get_logger(__name__)

SENTIBENCH_SPLITS: tuple[str, ...] = ("train", "val", "test")

_IMPLICIT_ASPECT = "implicit aspects (target NULL) left out"
_DUPLICATE_TUPLE = "tuples given twice in one sentence (kept once)"

_ABSA_POLARITIES = ("negative", "neutral", "positive")

# The categories that occur in the released files (train, val and test), in the spelling the
# gold tuples use. They are listed in the instructions so a model knows the closed vocabulary.
_ACSA_CATEGORIES = (
    "ambience general",
    "drinks prices",
    "drinks quality",
    "drinks style_options",
    "food prices",
    "food quality",
    "food style_options",
    "location general",
    "restaurant general",
    "restaurant miscellaneous",
    "restaurant prices",
    "service general",
)
_ASQP_CATEGORIES = tuple(sorted((*_ACSA_CATEGORIES, "food general")))


# --- prompt styles ------------------------------------------------------------------------------

PromptStyle = Literal["paper", "hf_sentiment"]
#: The prompt styles: `"paper"`, the wording and `Label:` key of the paper's evaluation scripts
#: (the default, so that scores compare with the paper's), and `"hf_sentiment"`, this library's
#: earlier wording with the `Answer:` key (the recorded runs in `docs/distill_runs` used it).
PROMPT_STYLES: tuple[str, ...] = ("paper", "hf_sentiment")
DEFAULT_PROMPT_STYLE: PromptStyle = "paper"

#: Where a P-Stance instruction of the `"paper"` style names the test example's stance target.
TARGET_SLOT = "{target}"


def check_prompt_style(style: str) -> PromptStyle:
    """`style` when it is one of `PROMPT_STYLES`.

    Raises:
        ValueError: If it is not (the message lists the styles).
    """
    if style not in PROMPT_STYLES:
        raise ValueError(f"unknown prompt style {style!r}; choose one of {', '.join(PROMPT_STYLES)}")
    return style  # type: ignore[return-value]


@dataclass(frozen=True)
class SentiBenchPromptFormat:
    """What one prompt style writes for one task: the data the one prompt layout is filled with.

    Every style shares the layout (the instruction, then one block per demonstration and one for
    the test sentence, blocks separated by a blank line; a block is `Sentence: <text>` and the
    answer key with the answer). A style only changes the strings below.

    Attributes:
        style (`str`):
            `"paper"` or `"hf_sentiment"`.
        instruction (`str`):
            Opens every prompt. A `{target}` in it (P-Stance, `"paper"`) is replaced by the test
            example's stance target.
        answer_key (`str`):
            The key before each answer: `"Label:"` (paper) or `"Answer:"` (hf_sentiment). The test
            block ends with it.
        sentence_key (`str`, *optional*, defaults to `"Sentence:"`):
            The key before each text.
        target_line (`bool`, *optional*, defaults to `False`):
            P-Stance: a `Target: <target>` line opens each block (hf_sentiment).
        label_answer (`str`, *optional*, defaults to `"{label}"`):
            Classification: a demonstration's answer, `{label}` being its verbaliser and `{target}`
            its stance target (the paper writes `favor(opinion towards 'Joe Biden')`).
        tuple_syntax (`str`, *optional*, defaults to `"semicolons"`):
            Extraction: `"semicolons"` writes `("a", "b"); ("c", "d")` (JSON string quoting),
            `"python_list"` writes Python's `[('a', 'b'), ('c', 'd')]`.
        tuple_order (`tuple[int, ...]`, *optional*, defaults to `()`):
            Extraction: for each written element, the index of the task's field it holds; `()` is
            the task's own order (`fields`).
        empty_answer (`str`, *optional*, defaults to `"None"`):
            Extraction: the answer of a sentence with nothing to extract.
        null_text (`str`, *optional*, defaults to `"null"`):
            Extraction: how a missing part (our gold tuples hold `"null"`) is written.
    """

    style: str
    instruction: str
    answer_key: str
    sentence_key: str = "Sentence:"
    target_line: bool = False
    label_answer: str = "{label}"
    tuple_syntax: Literal["semicolons", "python_list"] = "semicolons"
    tuple_order: tuple[int, ...] = ()
    empty_answer: str = "None"
    null_text: str = "null"

    def instruction_for(self, target: str | None = None) -> str:
        """The instruction, with `{target}` (if it has one) replaced by `target`."""
        if TARGET_SLOT in self.instruction:
            if target is None:
                raise ValueError(f"the {self.style} instruction names the stance target, but the example has none")
            return self.instruction.replace(TARGET_SLOT, target)
        return self.instruction


# The instructions of the paper's evaluation scripts, word for word (typos and spacing included):
# `icl_multifaced.py` (classification) and `fsa.py` (extraction) of HITSZ-HLT/Sentiment-Distillation,
# commit 2810fc2. The P-Stance one has `%s` where we write `{target}`.
_PAPER_SENTIMENT = (
    "Please perform Sentiment Analysis task. Given the sentence, assign a sentiment polarity label from "
    "['negative', 'positive']. Return label only without any other text."
)
PAPER_INSTRUCTIONS: dict[str, str] = {
    "imdb": _PAPER_SENTIMENT,
    "yelp2": _PAPER_SENTIMENT,
    "sst2": _PAPER_SENTIMENT,
    "twitter": (
        "Please perform Sentiment Analysis task. Given the sentence, assign a sentiment polarity label from "
        "['negative', 'positive', 'neutral']. Return label only without any other text."
    ),
    "irony18": (
        "Please perform Irony Detection task. Given the sentence, assign a sentiment label from "
        "['irony', 'non-irony']. Return label only without any other text."
    ),
    "tweeteval": (
        "Please perform Emotion Detection task. Given the sentence, assign a emotion label from "
        "['anger', 'joy', 'sadness', 'optimism']. Return the label only without any other text."
    ),
    "pstance": (
        "Please perform Stance Detection task. Given the sentence, assign a sentiment label expressed by the "
        "author towards \"{target}\" from ['against', 'favor']. Return label only without any other text."
    ),
    "intimacy": (
        "Please perform Intimacy Detection task. Given the sentence, assign an intimacy label from "
        "['not intimate', 'moderately intimate', 'highly intimate']. Return label only without any other text."
    ),
    "atsa_rest16": (
        "Please perform Aspect Term Sentiment Analysis task. Given the sentence, extract all "
        "(aspect term, sentiment polarity) pairs."
    ),
    "acsa_rest16": (
        "Please perform aspect-level sentiment analysis task. Given the sentence, tag all (aspect category, "
        "sentiment) pairs. Aspect category should be selected from ['ambience general', 'drinks prices', "
        "'drinks quality', 'drinks style_options', 'food prices', 'food quality', 'food style_options', "
        "'location general', 'restaurant general', 'restaurant miscellaneous', 'restaurant prices', "
        "'service general'], and sentiment should be selected from ['negative', 'neutral', 'positive']. If there "
        "are no target-sentiment pairs, return an empty list. Otherwise return a python list of tuples containing "
        "two strings in double quotes. Please return python list only, without any other comments or texts."
    ),
    "asqp_rest16": (
        "Please perform Aspect Sentiment Quad Prediction task. Given the sentence, extract all (aspect term, "
        "aspect category, opinion, sentiment polarity) quadruples.\n"
        "\n"
        "1. Aspect category should be selected from ['ambience general', 'drinks prices','drinks quality', "
        "'drinks style_options', 'food general', 'food prices', 'food quality', 'food style_options', "
        "'location general', 'restaurant general', 'restaurant miscellaneous', 'restaurant pcrices', "
        "'service general'].\n"
        "\n"
        "2. Sentiment polarity should be selected from ['negative', 'neutral', 'positive'].\n"
        "\n"
        "3. If there is no aspect term, use 'NULL' as the aspect term. Only aspect term can be 'NULL', aspect "
        "category, opinion and sentiment polarity CANNOT be 'NULL'.\n"
        "\n"
        "4. Please return python list only, without any other comments or texts."
    ),
    "opener": (
        "Please perform the Structured Sentiment Analysis task. Given a sentence, extract all opinion tuples in "
        "the format (holder, target, sentiment expression, sentiment polarity). \n"
        "\n"
        "Each tuple should contain:\n"
        "\n"
        "- Holder: The entity expressing the sentiment, if there is no explicit holder, use 'NULL' as the "
        "holder.\n"
        "\n"
        "- Target: The entity being evaluated, if there is no explicit target, use 'NULL' as the target.\n"
        "\n"
        "- Sentiment Expression: The phrase conveying the sentiment.\n"
        "\n"
        "- Sentiment Polarity: The polarity of the sentiment, either positive, negative, or neutral.\n"
        "\n"
        "Follow these rules:\n"
        "\n"
        "1. If there is no sentiment expression, return 'NULL' for all fields.\n"
        "\n"
        "2. Please return python list only, without any other comments or texts."
    ),
}


# --- the registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentiBenchTask:
    """One SentiBench dataset and how the harness asks for and scores it.

    Attributes:
        name (`str`):
            Short name (`"sst2"`, `"atsa_rest16"`, ...).
        folder (`str`):
            Path below the SentiBench root (`"sc/sst2"`).
        group (`str`):
            `"basic"`, `"multifaceted"` or `"fine-grained"` (the paper's three groups).
        kind (`str`):
            `"classification"` (one label, scored by label likelihood) or `"extraction"`
            (a generated list of tuples).
        metric (`str`):
            `"macro_f1"` (classification) or `"micro_f1"` (tuples).
        instruction (`str`):
            The task description that opens every prompt of the `"hf_sentiment"` style (ours).
        answer_format (`str`):
            How an answer is written, in words (also part of the instruction).
        labels (`tuple[str, ...]`, *optional*, defaults to `()`):
            Classification only: the verbalisers, lower case, in the paper's order.
        fields (`tuple[str, ...]`, *optional*, defaults to `()`):
            Extraction only: the names of the tuple's elements, in order.
        splits (`tuple[str, ...]`, *optional*, defaults to `SENTIBENCH_SPLITS`):
            The splits that exist (`atsa_rest16` / `acsa_rest16` have no `val`).
        paper_format (`SentiBenchPromptFormat`, *optional*):
            How the paper's evaluation scripts prompt this task (`prompt_format("paper")`).
    """

    name: str
    folder: str
    group: Literal["basic", "multifaceted", "fine-grained"]
    kind: Literal["classification", "extraction"]
    metric: Literal["macro_f1", "micro_f1"]
    instruction: str
    answer_format: str
    labels: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    splits: tuple[str, ...] = SENTIBENCH_SPLITS
    paper_format: SentiBenchPromptFormat | None = None

    @property
    def arity(self) -> int:
        """The number of elements of a gold tuple (0 for classification)."""
        return len(self.fields)

    def prompt_format(self, style: str = DEFAULT_PROMPT_STYLE) -> SentiBenchPromptFormat:
        """How prompts of `style` (`"paper"`, the default, or `"hf_sentiment"`) ask for this task.

        Raises:
            ValueError: If `style` is unknown, or `"paper"` for a task without a `paper_format`.
        """
        if check_prompt_style(style) == "hf_sentiment":
            return SentiBenchPromptFormat(
                "hf_sentiment", self.instruction, "Answer:", target_line=self.name == "pstance"
            )
        if self.paper_format is None:
            raise ValueError(f"SentiBench task {self.name!r} has no paper prompt format")
        return self.paper_format


def _choice(labels: tuple[str, ...]) -> str:
    return ", ".join(labels)


def _classification(
    name: str, folder: str, group: Literal["basic", "multifaceted"], task: str, labels: tuple[str, ...]
) -> SentiBenchTask:
    answer_format = f"exactly one label from: {_choice(labels)}"
    # The paper's P-Stance demonstrations name their own target after the label.
    label_answer = "{label}(opinion towards '{target}')" if name == "pstance" else "{label}"
    return SentiBenchTask(
        name=name,
        folder=folder,
        group=group,
        kind="classification",
        metric="macro_f1",
        instruction=f"{task} Answer with {answer_format}, and nothing else.",
        answer_format=answer_format,
        labels=labels,
        paper_format=SentiBenchPromptFormat("paper", PAPER_INSTRUCTIONS[name], "Label:", label_answer=label_answer),
    )


def _extraction(name: str, task: str, fields: tuple[str, ...], splits: tuple[str, ...]) -> SentiBenchTask:
    example = ", ".join(f'"{field}"' for field in fields)
    answer_format = (
        f"one tuple ({example}) per item, each element in double quotes, "
        'tuples separated by "; ", or None when there is nothing to extract'
    )
    paper_format = SentiBenchPromptFormat(
        "paper",
        PAPER_INSTRUCTIONS[name],
        "Label:",
        tuple_syntax="python_list",
        # The paper's ASQP demonstrations write the category first (its instruction names the term
        # first); its OpeNER ones write an opinion-less sentence as one all-NULL tuple.
        tuple_order=(1, 0, 2, 3) if name == "asqp_rest16" else (),
        empty_answer="[('NULL', 'NULL', 'NULL', 'NULL')]" if name == "opener" else "[]",
        null_text="NULL",
    )
    return SentiBenchTask(
        name=name,
        folder=f"absa/{name}",
        group="fine-grained",
        kind="extraction",
        metric="micro_f1",
        instruction=f"{task} Write {answer_format}.",
        answer_format=answer_format,
        fields=fields,
        splits=splits,
        paper_format=paper_format,
    )


_BINARY = ("negative", "positive")
_SENTIMENT_TASK = "Classify the sentiment polarity the sentence expresses."

SENTIBENCH_TASKS: dict[str, SentiBenchTask] = {
    task.name: task
    for task in (
        _classification("imdb", "sc/imdb", "basic", _SENTIMENT_TASK, _BINARY),
        _classification("yelp2", "sc/yelp2", "basic", _SENTIMENT_TASK, _BINARY),
        _classification("sst2", "sc/sst2", "basic", _SENTIMENT_TASK, _BINARY),
        _classification("twitter", "sc/twitter", "basic", _SENTIMENT_TASK, ("negative", "positive", "neutral")),
        _classification(
            "irony18",
            "multifaced/irony18",
            "multifaceted",
            "Decide whether the tweet is ironic.",
            ("non-irony", "irony"),
        ),
        _classification(
            "tweeteval",
            "multifaced/tweeteval",
            "multifaceted",
            "Identify the emotion the tweet expresses.",
            ("anger", "joy", "sadness", "optimism"),
        ),
        _classification(
            "pstance",
            "multifaced/pstance",
            "multifaceted",
            "Decide the stance the author of the tweet takes towards the target.",
            ("against", "favor"),
        ),
        _classification(
            "intimacy",
            "multifaced/intimacy",
            "multifaceted",
            "Rate how intimate the tweet is.",
            ("not intimate", "moderately intimate", "highly intimate"),
        ),
        _extraction(
            "atsa_rest16",
            "Extract every aspect term the sentence mentions explicitly, with the sentiment polarity expressed "
            f"towards it ({_choice(_ABSA_POLARITIES)}).",
            ("aspect term", "polarity"),
            ("train", "test"),
        ),
        _extraction(
            "acsa_rest16",
            "Tag every aspect category the sentence discusses, with the sentiment polarity expressed towards it "
            f"({_choice(_ABSA_POLARITIES)}). Categories: {_choice(_ACSA_CATEGORIES)}.",
            ("category", "polarity"),
            ("train", "test"),
        ),
        _extraction(
            "asqp_rest16",
            "Extract every sentiment quadruple of the sentence: the aspect term (NULL when the aspect is implicit), "
            f"its category ({_choice(_ASQP_CATEGORIES)}), the opinion words and the sentiment polarity "
            f"({_choice(_ABSA_POLARITIES)}).",
            ("aspect", "category", "opinion", "polarity"),
            SENTIBENCH_SPLITS,
        ),
        _extraction(
            "opener",
            "Extract every opinion of the sentence: who holds it (NULL when not stated), what it is about "
            "(NULL when not stated), the words that express it, and its polarity (negative, positive).",
            ("holder", "target", "expression", "polarity"),
            SENTIBENCH_SPLITS,
        ),
    )
}


def get_sentibench_task(name: str | SentiBenchTask) -> SentiBenchTask:
    """The registry entry for a short name (`"sst2"`) or a folder (`"sc/sst2"`).

    Raises:
        ValueError: If the name is unknown (the message lists the known names).
    """
    if isinstance(name, SentiBenchTask):
        return name
    if not isinstance(name, str):
        raise TypeError(f"a SentiBench task name must be a string, got {type(name).__name__}")
    key = name.strip().strip("/")
    if key in SENTIBENCH_TASKS:
        return SENTIBENCH_TASKS[key]
    for task in SENTIBENCH_TASKS.values():
        if task.folder == key:
            return task
    raise ValueError(f"unknown SentiBench task {name!r}; known tasks: {', '.join(SENTIBENCH_TASKS)}")


def resolve_sentibench_root(root: PathLike) -> Path:
    """The SentiBench folder: `root` itself or, when given the shared data folder, `root/sentibench`.

    Raises:
        FileNotFoundError: If neither holds the SentiBench group folders.
    """
    path = Path(root)
    for candidate in (path, path / "sentibench"):
        if any((candidate / group).is_dir() for group in ("sc", "multifaced", "absa")):
            return candidate
    raise FileNotFoundError(
        f"no SentiBench data under {os.fspath(path)} (expected sc/, multifaced/ and absa/ folders, "
        "or a sentibench/ folder holding them)"
    )


# --- examples -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentiBenchExample:
    """One row of a SentiBench file, in the harness's form.

    Attributes:
        sentence (`str`):
            The input text, unchanged.
        label (`str`, *optional*):
            Classification: the verbaliser (one of the task's `labels`); `None` otherwise.
        tuples (`tuple[tuple[str, ...], ...]`, *optional*, defaults to `()`):
            Extraction: the gold tuples (lower case, single spaces, no duplicates, first-seen
            order; empty when the sentence has nothing to extract); `()` for classification.
        target (`str`, *optional*):
            P-Stance: the stance target (`"Donald Trump"`); `None` otherwise.
        id (`str`, *optional*):
            The row's own id where the file has one (`ID` / `sent_id`), else `None`.
    """

    sentence: str
    label: str | None = None
    tuples: tuple[tuple[str, ...], ...] = ()
    target: str | None = None
    id: str | None = None


def normalize_answer_text(text: str) -> str:
    """Lower case with runs of whitespace turned into one space and the ends stripped.

    Gold tuples and parsed predictions both go through this, so that spacing and case never
    decide a match.
    """
    return " ".join(text.lower().split())


def _string(record: Mapping[str, Any], key: str, field: str) -> str:
    """`record[key]`, a non-blank string."""
    return require_text(record.get(key), field)


def _list(record: Mapping[str, Any], key: str, field: str) -> list[Any]:
    """`record[key]`, a list."""
    return require_type(require(record, key, field), list, field, "a list")


def _object(value: Any, field: str | None) -> Mapping[str, Any]:
    """`value`, a JSON object."""
    return require_type(value, dict, field, "a JSON object")


def _records(item: Mapping[str, Any], key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """`(field prefix, object)` for each element of the list `item[key]`, e.g. `("aspects[0]", {...})`."""
    for index, record in enumerate(_list(item, key, key)):
        prefix = f"{key}[{index}]"
        yield prefix, _object(record, prefix)


def _one_of(value: str, allowed: tuple[str, ...], field: str, what: str) -> str:
    normalized = normalize_answer_text(value)
    if normalized not in allowed:
        raise FieldError(field, f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
    return normalized


def _polarity(record: Mapping[str, Any], key: str, prefix: str) -> str:
    """The polarity `record[key]` of an extraction tuple, one of `_ABSA_POLARITIES` after normalising."""
    field = f"{prefix}.{key}"
    return _one_of(_string(record, key, field), _ABSA_POLARITIES, field, key.lower())


def _unique(tuples: list[tuple[str, ...]], report: ReadReport) -> tuple[tuple[str, ...], ...]:
    """`tuples` without repeats (first-seen order); the repeats are counted."""
    kept = tuple(dict.fromkeys(tuples))
    report.add(_DUPLICATE_TUPLE, len(tuples) - len(kept))
    return kept


# --- one parser per row format ----------------------------------------------------------------


def _classification_row(task: SentiBenchTask, item: Mapping[str, Any], report: ReadReport) -> SentiBenchExample:
    sentence = _string(item, "sentence", "sentence")
    label = _one_of(_string(item, "label", "label"), task.labels, "label", "label")
    target = _string(item, "target", "target") if task.name == "pstance" else None
    return SentiBenchExample(sentence=sentence, label=label, target=target)


def _extraction_row(
    item: Mapping[str, Any],
    key: str,
    parse_tuple: Callable[[str, str, Mapping[str, Any]], tuple[str, ...] | None],
    report: ReadReport,
    row_id: str | None = None,
) -> SentiBenchExample:
    """An extraction row: its `sentence` and the gold tuple of each object in the list `item[key]`.

    Args:
        item (`Mapping[str, Any]`): the row, a JSON object.
        key (`str`): the list of the row's gold objects (`"aspects"`, `"quards"`, `"opinions"`).
        parse_tuple (`Callable[[str, str, Mapping[str, Any]], tuple[str, ...] | None]`):
            `parse_tuple(sentence, prefix, record)`: the tuple of one object (`prefix` names it in
            errors, e.g. `aspects[0]`), or `None` for an object with nothing to extract (it counts
            those itself).
        report (`ReadReport`): counts the repeated tuples, kept once.
        row_id (`str`, *optional*): the row's own id, where the format has one.

    Returns:
        `SentiBenchExample`: with `tuples` set.
    """
    sentence = _string(item, "sentence", "sentence")
    tuples = []
    for prefix, record in _records(item, key):
        found = parse_tuple(sentence, prefix, record)
        if found is not None:
            tuples.append(found)
    return SentiBenchExample(sentence=sentence, tuples=_unique(tuples, report), id=row_id)


def _aspect_rows(task: SentiBenchTask, item: Mapping[str, Any], report: ReadReport) -> SentiBenchExample:
    """`atsa_rest16` and `acsa_rest16`: the same file format, different gold tuples."""
    row_id = require(item, "ID", "ID")

    def aspect_tuple(sentence: str, prefix: str, record: Mapping[str, Any]) -> tuple[str, str] | None:
        term = _string(record, "target", f"{prefix}.target")
        category = _string(record, "category", f"{prefix}.category")
        polarity = _polarity(record, "polarity", prefix)
        if task.name == "acsa_rest16":
            return (normalize_answer_text(category.replace("#", " ")), polarity)
        if term == "NULL":
            # Implicit aspects have no term to extract; a few of them carry a non-zero span in
            # the released files, which is why offsets are only checked for explicit terms.
            report.add(_IMPLICIT_ASPECT)
            return None
        check_span(
            sentence,
            term,
            require(record, "from", f"{prefix}.from"),
            require(record, "to", f"{prefix}.to"),
            from_field=f"{prefix}.from",
            to_field=f"{prefix}.to",
            term_field=f"{prefix}.target",
        )
        return (normalize_answer_text(term), polarity)

    return _extraction_row(item, "aspects", aspect_tuple, report, str(row_id))


def _asqp_row(task: SentiBenchTask, item: Mapping[str, Any], report: ReadReport) -> SentiBenchExample:
    return _extraction_row(item, "quards", _asqp_tuple, report)


def _asqp_tuple(sentence: str, prefix: str, record: Mapping[str, Any]) -> tuple[str, ...]:
    """`(aspect, category, opinion, polarity)` of one ASQP quadruple, normalised."""
    parts = (_string(record, key, f"{prefix}.{key}") for key in ("aspect", "category", "opinion"))
    return (*map(normalize_answer_text, parts), _polarity(record, "sentiment", prefix))


def _opener_part(sentence: str, record: Mapping[str, Any], key: str, field: str) -> str:
    """One `[[texts], ["from:to", ...]]` part, checked against the sentence, its texts joined."""
    value = _list(record, key, field)
    if len(value) != 2 or not all(isinstance(part, list) for part in value):
        raise FieldError(field, "expected [[texts], [spans]]")
    texts, spans = value
    if len(texts) != len(spans):
        raise FieldError(field, f"{len(texts)} texts but {len(spans)} spans")
    for index, (text, span) in enumerate(zip(texts, spans)):
        require_text(text, f"{field}[0][{index}]")
        span_field = f"{field}[1][{index}]"
        bounds = span.split(":") if isinstance(span, str) else []
        if len(bounds) != 2:
            raise FieldError(span_field, f"expected a 'from:to' span, got {span!r}")
        check_span(sentence, text, *bounds, from_field=span_field, to_field=span_field, term_field=span_field)
    return normalize_answer_text(" ".join(texts)) if texts else "null"


def _opener_row(task: SentiBenchTask, item: Mapping[str, Any], report: ReadReport) -> SentiBenchExample:
    row_id = _string(item, "sent_id", "sent_id")
    return _extraction_row(item, "opinions", _opener_tuple, report, row_id)


def _opener_tuple(sentence: str, prefix: str, record: Mapping[str, Any]) -> tuple[str, ...]:
    """`(holder, target, expression, polarity)` of one OpeNER opinion; a part with no text is `"null"`."""
    parts = (_opener_part(sentence, record, key, f"{prefix}.{key}") for key in ("Source", "Target", "Polar_expression"))
    return (*parts, _polarity(record, "Polarity", prefix))


_ROW_PARSERS: dict[str, Callable[[SentiBenchTask, Mapping[str, Any], ReadReport], SentiBenchExample]] = {
    "atsa_rest16": _aspect_rows,
    "acsa_rest16": _aspect_rows,
    "asqp_rest16": _asqp_row,
    "opener": _opener_row,
}


# --- the reader ---------------------------------------------------------------------------------


def read_sentibench(
    root: PathLike,
    name: str,
    split: str,
    *,
    return_report: bool = False,
) -> list[SentiBenchExample] | tuple[list[SentiBenchExample], ReadReport]:
    """Read one split of one SentiBench dataset.

    Args:
        root (`str` or `os.PathLike`):
            The SentiBench folder (holding `sc/`, `multifaced/`, `absa/`) or the shared
            data folder that holds `sentibench/`.
        name (`str`):
            A task name of `SENTIBENCH_TASKS` (`"sst2"`) or its folder (`"sc/sst2"`).
        split (`str`):
            `"train"`, `"val"` or `"test"`.
        return_report (`bool`, *optional*, defaults to `False`):
            Also return the `ReadReport`.

    Returns:
        The rows in file order as `SentiBenchExample` (see the module docstring for what
        `label` and `tuples` hold per dataset), or `(examples, report)`.

    Raises:
        ValueError: Unknown task or split, or a split the dataset does not have (`val` of
            `atsa_rest16` / `acsa_rest16`).
        FileNotFoundError: The folder or the file is missing.
        DataFormatError: Not UTF-8, malformed JSON, not a list, an empty list, or a bad row (the
            error names the file, the 1-based row and the field, e.g. `aspects[0].polarity`).
    """
    task = get_sentibench_task(name)
    if split not in SENTIBENCH_SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SENTIBENCH_SPLITS)}")
    if split not in task.splits:
        raise ValueError(f"SentiBench {task.name} has no {split!r} split (it has {', '.join(task.splits)})")
    path = resolve_sentibench_root(root) / task.folder / f"{split}.json"
    if not path.is_file():
        raise FileNotFoundError(f"SentiBench {task.name} {split} file not found: {path}")
    items = load_json_list(path)
    if not items:
        raise DataFormatError(path, None, None, "the JSON list is empty")
    parse_row = _ROW_PARSERS.get(task.name, _classification_row)
    report = ReadReport()
    examples = []
    for row, item in enumerate(items, start=1):
        with at_row(path, row):
            examples.append(parse_row(task, _object(item, None), report))
    report.log(logger, os.fspath(path))
    return (examples, report) if return_report else examples


def render_answer(
    task: SentiBenchTask, example: SentiBenchExample, prompt_style: PromptStyle = DEFAULT_PROMPT_STYLE
) -> str:
    """The answer a demonstration shows: the verbaliser, or the gold tuples in the style's format.

    * `"paper"`: the verbaliser (P-Stance: `favor(opinion towards 'Joe Biden')`), or the tuples as
      Python writes a list of tuples, `[('food', 'positive')]`, in the paper's element order, a
      missing part as `'NULL'`; nothing to extract is `[]` (OpeNER: one all-`'NULL'` tuple).
    * `"hf_sentiment"`: the verbaliser, or `("a", "b"); ("c", "d")` with JSON string quoting;
      nothing to extract is `None`.

    Both survive the harness's `parse_answer` under the same style, elements with commas,
    parentheses or quotes included (real aspect terms have them). The few-shot harness writes its
    demonstrations and ICLDist its targets with it, so a distilled student learns the format it is
    tested on.

    Raises:
        ValueError: If a classification example has no label, or the style is unknown.
    """
    form = task.prompt_format(prompt_style)
    if task.kind == "classification":
        if example.label is None:
            raise ValueError(f"{task.name}: a classification example needs a label")
        # replace, not str.format: a target may hold braces.
        return form.label_answer.replace("{target}", example.target or "").replace("{label}", example.label)
    if not example.tuples:
        return form.empty_answer
    rows = [
        tuple(form.null_text if row[index] == "null" else row[index] for index in form.tuple_order or range(len(row)))
        for row in example.tuples
    ]
    if form.tuple_syntax == "python_list":
        return repr(rows)
    return "; ".join("(" + ", ".join(json.dumps(part, ensure_ascii=False) for part in row) + ")" for row in rows)
