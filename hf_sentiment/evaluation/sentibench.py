"""The SentiBench few-shot evaluation harness for causal language models.

SentiBench (Zhang et al., 2025, "Targeted Distillation for Sentiment Analysis") measures how well a
(small) causal LM does sentiment analysis from a prompt alone. This module runs its protocol on any
`transformers` causal LM and tokenizer, offline:

* **Demonstrations.** For every test example, `k` (default 4) demonstrations are drawn without
  replacement from the train split by `random.Random(seed)`, one fresh draw per test example in
  file order, as the paper's own scripts do (per example, not one set per seed). Example `i`'s
  demonstrations depend only on the seed and `i`, so capping the test set with `max_examples`
  keeps the first `N` prompts exactly the same for every model.
* **Prompt.** Plain text, no chat template by default, in one layout for both prompt styles:

  ```text
  <instruction>

  Sentence: <demo 1>
  Label: <its answer>

  ...

  Sentence: <test sentence>
  Label:
  ```

  `prompt_style="paper"` (the default) fills it as the paper's evaluation scripts do: their
  instruction word for word ("Please perform Sentiment Analysis task. Given the sentence, assign a
  sentiment polarity label from ['negative', 'positive']. Return label only without any other
  text."), the key `Label:`, extraction answers as Python lists (`[('food', 'positive')]`) and
  P-Stance's target in the instruction and after each demonstration's label.
  `prompt_style="hf_sentiment"` is this library's earlier wording, with the key `Answer:`,
  answers `("food", "positive")` and a `Target: <target>` line before each P-Stance sentence
  (see `SentiBenchTask.prompt_format`). With `use_chat_template=True` the same text becomes one
  user message and the tokenizer's chat template adds the generation prompt.
* **Classification** (8 sets, macro-F1). One batched forward pass per batch (left padding, position
  ids from the attention mask), and the prediction is the argmax of the next-token log-probability
  at the last position over the *first* token of each verbalised label (`" positive"`). When two
  labels share their first token under the model's tokenizer, the first token cannot tell them
  apart, so every label of that task is scored by the summed log-probability of all its tokens
  instead (a sum, not a mean: it is the label's probability as a continuation, which favours
  shorter labels; the choice is recorded per task as `scoring`).
* **Extraction** (4 sets, micro-F1). Batched greedy `generate` (`max_new_tokens`, stopping at
  a blank line); the answer is cut at the first blank line or next `Sentence:`, a leading
  `Label:` or `Answer:` is dropped, and the rest is parsed into tuples (`parse_answer`):
  `("a", "b"); ("c", "d")`, Python lists of tuples and unquoted `(a, b)` all parse (the paper
  style's element order is mapped back to the task's); elements are lower-cased with whitespace
  collapsed; `None` or `[]` is the empty set (in the paper style, so is an all-`NULL` tuple); a
  tuple of the wrong length is dropped. Micro-F1 compares per-sentence sets.
* **Aggregation.** Each dataset gets one score per seed; `SentiBenchResults` reports the mean and
  the sample standard deviation over seeds (0 for one seed), the mean over datasets and per group;
  scores are fractions in [0, 1] (the Markdown table shows %).

The tokenizer is never changed: batches are left-padded by `tokenizer.pad` (the helpers of
`hf_sentiment.causal_lm`), with the pad token or, when the tokenizer has none, its end-of-sequence
token, set on a copy (with a warning; the padding side is given on each call, so the tokenizer's
own does not matter). Prompts are not truncated; a warning counts those longer than `max_position_embeddings`.
"""

from __future__ import annotations

import json
import os
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..causal_lm import generate_answers, label_token_ids, score_labels, with_padding_token
from ..data.sentibench import (
    DEFAULT_PROMPT_STYLE,
    PROMPT_STYLES,
    SENTIBENCH_TASKS,
    PromptStyle,
    SentiBenchExample,
    SentiBenchPromptFormat,
    SentiBenchTask,
    check_prompt_style,
    get_sentibench_task,
    normalize_answer_text,
    read_sentibench,
    render_answer,
    resolve_sentibench_root,
)
from ..utils.logging import get_logger
from .classification_metrics import classification_scores

__all__ = [
    "ANSWER_KEY",
    "ANSWER_KEYS",
    "PROMPT_STYLES",
    "SentiBenchPrompt",
    "SentiBenchResults",
    "SentiBenchTaskResult",
    "build_sentibench_prompts",
    "evaluate_sentibench",
    "macro_f1",
    "micro_f1",
    "parse_answer",
    "render_answer",
]

logger = get_logger(__name__)

#: The answer key of the `"hf_sentiment"` prompt style (the paper's is `"Label:"`).
ANSWER_KEY = "Answer:"
#: The answer keys of the prompt styles; the parser drops either one from the start of an answer.
ANSWER_KEYS: tuple[str, ...] = ("Label:", "Answer:")
SENTENCE_KEY = "Sentence:"
TARGET_KEY = "Target:"
RESULTS_JSON = "sentibench_results.json"
RESULTS_MARKDOWN = "sentibench_results.md"
PREDICTIONS_JSONL = "sentibench_predictions.jsonl"

Tuple = tuple[str, ...]

_GROUPS = ("basic", "multifaceted", "fine-grained")


# --- prompts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentiBenchPrompt:
    """A few-shot prompt and the train rows it shows.

    Attributes:
        text (`str`): The plain-text prompt, ending in the style's answer key (`"Label:"` or
            `"Answer:"`).
        demo_indices (`tuple[int, ...]`): Indices into the train split of the demonstrations, in
            prompt order.
    """

    text: str
    demo_indices: tuple[int, ...]


def _block(form: SentiBenchPromptFormat, example: SentiBenchExample, answer: str | None) -> str:
    lines = [f"{TARGET_KEY} {example.target}"] if form.target_line else []
    lines.append(f"{form.sentence_key} {example.sentence}")
    lines.append(form.answer_key if answer is None else f"{form.answer_key} {answer}")
    return "\n".join(lines)


def build_sentibench_prompts(
    task: str | SentiBenchTask,
    train: Sequence[SentiBenchExample],
    test: Sequence[SentiBenchExample],
    *,
    k: int,
    seed: int,
    prompt_style: PromptStyle = DEFAULT_PROMPT_STYLE,
) -> list[SentiBenchPrompt]:
    """One few-shot prompt per test example (see the module docstring for the layout).

    Demonstrations come from `train` only: `random.Random(seed).sample` draws `k` distinct
    rows per test example, in the order of `test`, so the first `N` prompts do not depend on
    how many follow. `prompt_style` (`"paper"` or `"hf_sentiment"`) decides the wording, the
    answer key and how answers are written, never which demonstrations are drawn.

    Raises:
        ValueError: If `k` is negative or larger than `train`, or the style is unknown.
    """
    task = get_sentibench_task(task)
    form = task.prompt_format(prompt_style)
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    if k > len(train):
        raise ValueError(f"k={k} demonstrations asked for, but the {task.name} train split has {len(train)} rows")
    rng = random.Random(seed)
    prompts = []
    for example in test:
        indices = tuple(rng.sample(range(len(train)), k))
        blocks = [form.instruction_for(example.target)]
        blocks += [_block(form, train[index], render_answer(task, train[index], prompt_style)) for index in indices]
        blocks.append(_block(form, example, None))
        prompts.append(SentiBenchPrompt("\n\n".join(blocks), indices))
    return prompts


# --- answer parsing -----------------------------------------------------------------------------

_CLOSING_QUOTE = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_EMPTY_ANSWERS = {"none", "[]", "()", "null", "n/a"}


def _cut_answer(text: str) -> str:
    """The generated answer up to the first blank line or the next prompt block, without a
    leading answer key (`Label:` / `Answer:`, any case, as a chat model may repeat it)."""
    text = text.lstrip()
    for key in ANSWER_KEYS:
        if text[: len(key)].lower() == key.lower():
            text = text[len(key) :].lstrip()
            break
    for stop in ("\n\n", f"\n{SENTENCE_KEY}", f"\n{TARGET_KEY}"):
        end = text.find(stop)
        if end != -1:
            text = text[:end]
    return text.strip()


def _read_tuple(text: str, start: int) -> tuple[list[str], int] | None:
    """The elements of the tuple whose `(` is at `start - 1` and the index after its `)`.

    Elements are quoted strings (`"..."`, `'...'`, curly quotes; backslash escapes) or bare
    text up to `,` / `)`. `None` when the text there is not a tuple.
    """
    items: list[str] = []
    i, n = start, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return None
        if text[i] in _CLOSING_QUOTE:
            close = _CLOSING_QUOTE[text[i]]
            i += 1
            chars = []
            while i < n and text[i] != close:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= n:
                return None
            items.append("".join(chars))
            i += 1
            while i < n and text[i].isspace():
                i += 1
        else:
            end = i
            while end < n and text[end] not in ",()":
                end += 1
            if end >= n or text[end] == "(":
                return None
            items.append(text[i:end])
            i = end
        if i >= n:
            return None
        if text[i] == ")":
            return items, i + 1
        if text[i] != ",":
            return None
        i += 1


def _parse(text: str, arity: int, form: SentiBenchPromptFormat | None = None) -> tuple[frozenset[Tuple], bool]:
    """`parse_answer` plus whether the answer was understood (`None` or at least one tuple).

    With a paper-style `form`, elements written in its `tuple_order` are put back in the task's
    order, and an all-`NULL` tuple (the paper's "nothing to extract") counts as no tuple."""
    answer = _cut_answer(text)
    if normalize_answer_text(answer).rstrip(".") in _EMPTY_ANSWERS:
        return frozenset(), True
    order = form.tuple_order if form is not None else ()
    paper = form is not None and form.style == "paper"
    found = set()
    understood = False
    position = answer.find("(")
    while position != -1:
        parsed = _read_tuple(answer, position + 1)
        if parsed is None:
            position = answer.find("(", position + 1)
            continue
        items, end = parsed
        row = tuple(normalize_answer_text(item) for item in items)
        if len(row) == arity and all(row):
            if order:
                reordered = [""] * arity
                for written, index in enumerate(order):
                    reordered[index] = row[written]
                row = tuple(reordered)
            understood = True
            if not (paper and all(part == "null" for part in row)):
                found.add(row)
        position = answer.find("(", end)
    return frozenset(found), understood


def parse_answer(
    text: str, task: int | str | SentiBenchTask, prompt_style: PromptStyle = DEFAULT_PROMPT_STYLE
) -> frozenset[tuple[str, ...]]:
    """The set of tuples a generated answer states, in the task's field order.

    Only the text before the first blank line (or the next `Sentence:` / `Target:` line)
    counts, and an answer key at its start (`Label:` or `Answer:`, either style's) is dropped.
    Elements are lower-cased, stripped, and runs of whitespace become one space. `None` / `[]` /
    empty give the empty set, as does junk; tuples of another length or with an empty element
    are dropped. Under the `"paper"` style an all-`NULL` tuple states nothing, and a task whose
    paper answers put the elements in another order (ASQP: category first) is read back in the
    task's order.

    Args:
        text (`str`): The generated text.
        task (`int`, `str` or `SentiBenchTask`): The task (name or registry entry), or just the
            tuple length it asks for (2 for `(aspect, polarity)`; the elements are then kept in
            the order written).
        prompt_style (`str`, *optional*, defaults to `"paper"`): The style the prompt was written
            in (`"paper"` or `"hf_sentiment"`).

    Returns:
        `frozenset[tuple[str, ...]]`: The tuples stated, normalised.

    Raises:
        ValueError: If the tuple length is below 1 (a classification task), or the style is
            unknown.

    Example:

    ```python
    >>> sorted(parse_answer(' ("Battery  Life", "POSITIVE"); (keyboard, negative)\\n\\nSentence: x', 2))
    [('battery life', 'positive'), ('keyboard', 'negative')]
    >>> sorted(parse_answer("Label: [('food general', 'NULL', 'great', 'positive')]", "asqp_rest16"))
    [('null', 'food general', 'great', 'positive')]
    ```
    """
    check_prompt_style(prompt_style)
    if isinstance(task, int) and not isinstance(task, bool):
        arity, form = task, None
        if prompt_style == "paper":
            form = SentiBenchPromptFormat("paper", "", "Label:")
    else:
        entry = get_sentibench_task(task)
        arity, form = entry.arity, entry.prompt_format(prompt_style)
    if arity < 1:
        raise ValueError(f"arity must be >= 1, got {arity}")
    return _parse(text, arity, form)[0]


# --- metrics ------------------------------------------------------------------------------------


def micro_f1(gold: Sequence[Iterable[Tuple]], predicted: Sequence[Iterable[Tuple]]) -> dict[str, float]:
    """Micro precision, recall and F1 over exact tuple matches, per sentence.

    Each sentence's gold and predicted tuples are compared as sets (a repeated tuple counts once);
    true positives, gold and predicted counts are summed over sentences. With no gold and no
    predicted tuple at all, every score is 1 (nothing to find, nothing wrongly found).

    Args:
        gold (`Sequence[Iterable[tuple[str, ...]]]`): The gold tuples of each sentence.
        predicted (`Sequence[Iterable[tuple[str, ...]]]`): The predicted tuples of each sentence.

    Returns:
        `dict[str, float]`: `precision`, `recall`, `f1` in [0, 1], and the counts `tp`, `n_gold`,
        `n_pred`.

    Raises:
        ValueError: If `gold` and `predicted` hold different numbers of sentences.

    Example:

    ```python
    >>> micro_f1([[("a", "pos")], []], [[("a", "pos"), ("b", "neg")], []])["f1"]
    0.6666666666666666
    ```
    """
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} sentences but predicted has {len(predicted)}")
    tp = n_gold = n_pred = 0
    for gold_rows, predicted_rows in zip(gold, predicted):
        gold_set, predicted_set = set(gold_rows), set(predicted_rows)
        tp += len(gold_set & predicted_set)
        n_gold += len(gold_set)
        n_pred += len(predicted_set)
    precision = tp / n_pred if n_pred else float(n_gold == 0)
    recall = tp / n_gold if n_gold else float(n_pred == 0)
    f1 = 2 * tp / (n_gold + n_pred) if n_gold + n_pred else 1.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "n_gold": n_gold, "n_pred": n_pred}


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """Macro-F1 and accuracy of predicted labels, as fractions in [0, 1].

    Macro-F1 averages the F1 of the labels that occur in `gold` or `predicted` (scikit-learn's
    default, as the paper's scripts use it): a label absent from both does not count as 0.
    """
    index = {label: position for position, label in enumerate(labels)}
    for name, values in (("gold", gold), ("predicted", predicted)):
        unknown = sorted(set(values) - set(index))
        if unknown:
            raise ValueError(f"{name} labels {unknown} are not among {list(labels)}")
    scores = classification_scores([index[label] for label in gold], [index[label] for label in predicted], labels)
    return {"macro_f1": scores["macro_f1"] / 100, "accuracy": scores["accuracy"] / 100}


# --- results ------------------------------------------------------------------------------------


@dataclass
class SentiBenchTaskResult:
    """The scores of one dataset over the seeds.

    Attributes:
        task (`str`): Task name.
        group (`str`): The paper's group (basic / multifaceted / fine-grained).
        metric (`str`): `"macro_f1"` or `"micro_f1"`.
        n_examples (`int`): Test examples scored (after `max_examples`).
        scores (`dict[int, float]`): Seed -> score in [0, 1].
        details (`dict[int, dict[str, float]]`): Seed -> further numbers (classification:
            `accuracy`; extraction: `precision`, `recall`, tuple counts and `unparsed_answers`,
            the answers that were neither `None` nor held a well-formed tuple).
        scoring (`str`): Classification: `"first_token"` or `"sum_logprob"`; extraction:
            `"generation"`.
        predictions (`dict[int, list]`): Seed -> one prediction per test example (a label, or a
            sorted list of tuples); not part of `to_dict`.
        generations (`dict[int, list[str]]`): Extraction: seed -> the raw generated texts.
    """

    task: str
    group: str
    metric: str
    n_examples: int
    scores: dict[int, float] = field(default_factory=dict)
    details: dict[int, dict[str, float]] = field(default_factory=dict)
    scoring: str = ""
    predictions: dict[int, list[Any]] = field(default_factory=dict, repr=False)
    generations: dict[int, list[str]] = field(default_factory=dict, repr=False)

    @property
    def mean(self) -> float:
        """Mean score over seeds."""
        return statistics.fmean(self.scores.values())

    @property
    def std(self) -> float:
        """Sample standard deviation over seeds (0 for a single seed)."""
        return statistics.stdev(self.scores.values()) if len(self.scores) > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "metric": self.metric,
            "scoring": self.scoring,
            "n_examples": self.n_examples,
            "mean": self.mean,
            "std": self.std,
            "scores": {str(seed): score for seed, score in self.scores.items()},
            "details": {str(seed): values for seed, values in self.details.items()},
        }


@dataclass
class SentiBenchResults:
    """All datasets' results and the settings that produced them.

    Attributes:
        tasks (`dict[str, SentiBenchTaskResult]`): Task name -> [`SentiBenchTaskResult`], in
            evaluation order.
        settings (`dict[str, Any]`): Seeds, k, max_examples, batch size, max_new_tokens, chat
            template, prompt style, model name.
    """

    tasks: dict[str, SentiBenchTaskResult]
    settings: dict[str, Any]

    @property
    def mean(self) -> float:
        """Mean over datasets of each dataset's mean over seeds."""
        return statistics.fmean(result.mean for result in self.tasks.values())

    @property
    def group_means(self) -> dict[str, float]:
        """The same mean within each of the paper's groups that was evaluated."""
        groups: dict[str, list[float]] = {group: [] for group in _GROUPS}
        for result in self.tasks.values():
            groups.setdefault(result.group, []).append(result.mean)
        return {group: statistics.fmean(values) for group, values in groups.items() if values}

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": "SentiBench",
            "settings": self.settings,
            "mean": self.mean,
            "group_means": self.group_means,
            "tasks": {name: result.to_dict() for name, result in self.tasks.items()},
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> SentiBenchResults:
        """The results `to_dict()` wrote (scores, details and settings; predictions are not part
        of it). The means are recomputed from the scores, not read."""
        tasks = {
            name: SentiBenchTaskResult(
                task=name,
                group=task["group"],
                metric=task["metric"],
                n_examples=task["n_examples"],
                scores={int(seed): score for seed, score in task["scores"].items()},
                details={int(seed): values for seed, values in task["details"].items()},
                scoring=task["scoring"],
            )
            for name, task in record["tasks"].items()
        }
        return cls(tasks=tasks, settings=dict(record["settings"]))

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> SentiBenchResults:
        """The results `to_json(path)` wrote."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def merge(cls, parts: Iterable[SentiBenchResults]) -> SentiBenchResults:
        """One result from runs that scored different datasets under the same settings (e.g. one
        dataset at a time, so that an interrupted evaluation resumes where it stopped).

        Raises:
            ValueError: No parts, settings that differ, or a dataset in more than one part.
        """
        parts = list(parts)
        if not parts:
            raise ValueError("merge needs at least one SentiBenchResults")
        tasks: dict[str, SentiBenchTaskResult] = {}
        for part in parts:
            if part.settings != parts[0].settings:
                keys = part.settings.keys() | parts[0].settings.keys()
                changed = sorted(key for key in keys if part.settings.get(key) != parts[0].settings.get(key))
                raise ValueError(
                    f"cannot merge SentiBench results scored under different settings ({', '.join(changed)})"
                )
            repeated = sorted(tasks.keys() & part.tasks.keys())
            if repeated:
                raise ValueError(f"cannot merge SentiBench results: {', '.join(repeated)} scored more than once")
            tasks.update(part.tasks)
        return cls(tasks=tasks, settings=dict(parts[0].settings))

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write `to_dict()` as indented JSON (parent folders are made); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    def to_markdown(self) -> str:
        """A Markdown table: dataset, metric, mean ± std and each seed, in %, then the means."""
        seeds = list(self.settings.get("seeds", []))
        header = ["dataset", "metric", "mean ± std", *[f"seed {seed}" for seed in seeds]]
        style = self.settings.get("prompt_style")
        caption = (
            f"SentiBench, k={self.settings.get('k')}, seeds {', '.join(map(str, seeds))}, "
            f"test examples per dataset: {self.settings.get('max_examples') or 'all'}"
            + (f", {style} prompts" if style else "")
            + "; scores in %."
        )
        lines = [
            caption,
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|",
        ]
        for name, result in self.tasks.items():
            cells = [name, result.metric, f"{100 * result.mean:.2f} ± {100 * result.std:.2f}"]
            cells += [f"{100 * result.scores[seed]:.2f}" if seed in result.scores else "" for seed in seeds]
            lines.append("| " + " | ".join(cells) + " |")
        for group, value in self.group_means.items():
            lines.append("| " + " | ".join([f"*{group}*", "mean", f"{100 * value:.2f}"] + [""] * len(seeds)) + " |")
        lines.append("| " + " | ".join(["**all**", "mean", f"**{100 * self.mean:.2f}**"] + [""] * len(seeds)) + " |")
        return "\n".join(lines) + "\n"

    def write_predictions(self, path: str | os.PathLike[str]) -> Path:
        """One JSON line per (task, seed, test example) with the prediction (and the raw generation)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as stream:
            for name, result in self.tasks.items():
                for seed, predictions in result.predictions.items():
                    raw = result.generations.get(seed)
                    for index, prediction in enumerate(predictions):
                        record = {"task": name, "seed": seed, "index": index, "prediction": prediction}
                        if raw is not None:
                            record["generation"] = raw[index]
                        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path


# --- the harness --------------------------------------------------------------------------------


def _tasks(tasks: str | Sequence[str] | None) -> list[SentiBenchTask]:
    if tasks is None:
        return list(SENTIBENCH_TASKS.values())
    names = [tasks] if isinstance(tasks, str) else list(tasks)
    if not names:
        raise ValueError("tasks is empty; pass None for all 12 SentiBench datasets")
    resolved = [get_sentibench_task(name) for name in names]
    duplicates = sorted({task.name for task in resolved if sum(other is task for other in resolved) > 1})
    if duplicates:
        raise ValueError(f"tasks lists {', '.join(duplicates)} more than once")
    return resolved


def _positive_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _encode(
    tokenizer: PreTrainedTokenizerBase, prompts: Sequence[SentiBenchPrompt], use_chat_template: bool
) -> list[list[int]]:
    if not use_chat_template:
        return [tokenizer(prompt.text)["input_ids"] for prompt in prompts]
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt.text}], tokenize=False, add_generation_prompt=True
        )
        for prompt in prompts
    ]
    # The rendered template already holds the special tokens it wants.
    return [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]


def _too_long(model: torch.nn.Module, prompt_ids: Sequence[Sequence[int]], extra: int) -> int:
    """How many prompts, plus `extra` answer tokens, exceed the model's `max_position_embeddings`."""
    limit = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if not isinstance(limit, int):
        return 0
    return sum(len(ids) + extra > limit for ids in prompt_ids)


def evaluate_sentibench(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    data_dir: str | os.PathLike[str],
    tasks: str | Sequence[str] | None = None,
    seeds: Sequence[int] = (42, 52, 62),
    k: int = 4,
    max_examples: int | None = None,
    batch_size: int = 8,
    max_new_tokens: int = 64,
    output_dir: str | os.PathLike[str] | None = None,
    *,
    use_chat_template: bool = False,
    prompt_style: PromptStyle = DEFAULT_PROMPT_STYLE,
    show_progress: bool = True,
) -> SentiBenchResults:
    """Evaluate a causal LM on SentiBench with the paper's few-shot protocol.

    See the module docstring for the protocol (per-example demonstrations, prompt layout,
    first-token label scoring with its summed log-probability fallback, answer parsing).

    Args:
        model (`PreTrainedModel`): A `transformers` causal LM (PEFT-wrapped works too). Put in
            eval mode for the run; its training mode is restored afterwards.
        tokenizer (`PreTrainedTokenizerBase`): Its tokenizer; not modified (without a pad token,
            the eos token pads).
        data_dir (`str` or `os.PathLike`): The SentiBench folder, or the shared data folder
            holding `sentibench/`.
        tasks (`str` or `Sequence[str]`, *optional*): Task names or folders of
            `SENTIBENCH_TASKS` (one name as a string is fine); `None` for all 12.
        seeds (`Sequence[int]`, *optional*, defaults to `(42, 52, 62)`): One score per seed; each
            seed draws its own demonstrations.
        k (`int`, *optional*, defaults to 4): Demonstrations per prompt (0 for zero-shot).
        max_examples (`int`, *optional*): Score only the first `max_examples` test rows of each
            dataset (the same rows, with the same demonstrations, for every model); `None` for
            all.
        batch_size (`int`, *optional*, defaults to 8): Prompts per forward pass / `generate` call.
        max_new_tokens (`int`, *optional*, defaults to 64): Generation budget for the extraction
            sets.
        output_dir (`str` or `os.PathLike`, *optional*): When given, `sentibench_results.json`,
            `sentibench_results.md` and `sentibench_predictions.jsonl` are written there.
        use_chat_template (`bool`, *optional*, defaults to `False`): Wrap each prompt as one user
            message with the tokenizer's chat template.
        prompt_style (`str`, *optional*, defaults to `"paper"`): `"paper"`, the instructions and
            `Label:` key of the paper's evaluation scripts (scores compare with the paper's), or
            `"hf_sentiment"`, this library's earlier wording with the `Answer:` key (the style of
            the runs recorded in `docs/distill_runs`). Recorded in `settings`.
        show_progress (`bool`, *optional*, defaults to `True`): A tqdm bar over the batches of
            each (dataset, seed).

    Returns:
        [`SentiBenchResults`]: the scores and the settings that produced them.

    Raises:
        ValueError: Unknown or repeated task, no seeds, bad `k` / `max_examples` /
            `batch_size` / `max_new_tokens`, `k` larger than a train split, a tokenizer
            with neither pad nor eos token, `use_chat_template` without a chat template, or an
            unknown `prompt_style`.
        FileNotFoundError: No SentiBench data under `data_dir`.
        DataFormatError: A data file is malformed.
    """
    check_prompt_style(prompt_style)
    selected = _tasks(tasks)
    seeds = list(seeds)
    if not seeds or any(not isinstance(seed, int) or isinstance(seed, bool) for seed in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of integers, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds repeat: {seeds}")
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    if max_examples is not None:
        _positive_int(max_examples, "max_examples")
    _positive_int(batch_size, "batch_size")
    _positive_int(max_new_tokens, "max_new_tokens")
    if use_chat_template and not getattr(tokenizer, "chat_template", None):
        raise ValueError("use_chat_template=True but the tokenizer has no chat template")
    root = resolve_sentibench_root(data_dir)
    # Without a pad token the eos token pads, in a copy: the caller's tokenizer is not changed.
    tokenizer = with_padding_token(tokenizer)

    results: dict[str, SentiBenchTaskResult] = {}
    was_training = model.training
    model.eval()
    try:
        for task in selected:
            results[task.name] = _evaluate_task(
                model,
                tokenizer,
                task,
                root,
                seeds,
                k=k,
                max_examples=max_examples,
                batch_size=batch_size,
                max_new_tokens=max_new_tokens,
                use_chat_template=use_chat_template,
                prompt_style=prompt_style,
                show_progress=show_progress,
            )
    finally:
        model.train(was_training)

    settings = {
        "seeds": seeds,
        "k": k,
        "max_examples": max_examples,
        "batch_size": batch_size,
        "max_new_tokens": max_new_tokens,
        "use_chat_template": use_chat_template,
        "prompt_style": prompt_style,
        "demonstrations": "k per test example, random.Random(seed).sample over train, in test order",
        "model": str(getattr(getattr(model, "config", None), "_name_or_path", "") or type(model).__name__),
    }
    summary = SentiBenchResults(tasks=results, settings=settings)
    if output_dir is not None:
        directory = Path(output_dir)
        summary.to_json(directory / RESULTS_JSON)
        (directory / RESULTS_MARKDOWN).write_text(summary.to_markdown(), encoding="utf-8")
        summary.write_predictions(directory / PREDICTIONS_JSONL)
    return summary


def _evaluate_task(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    task: SentiBenchTask,
    root: Path,
    seeds: Sequence[int],
    *,
    k: int,
    max_examples: int | None,
    batch_size: int,
    max_new_tokens: int,
    use_chat_template: bool,
    prompt_style: PromptStyle,
    show_progress: bool,
) -> SentiBenchTaskResult:
    train = read_sentibench(root, task.name, "train")
    test = read_sentibench(root, task.name, "test")
    if k > len(train):
        raise ValueError(f"k={k} demonstrations asked for, but the {task.name} train split has {len(train)} rows")
    test = test[:max_examples] if max_examples is not None else test
    result = SentiBenchTaskResult(task=task.name, group=task.group, metric=task.metric, n_examples=len(test))
    form = task.prompt_format(prompt_style)
    label_ids: list[list[int]] = []
    too_long = 0
    if task.kind == "classification":
        # In a chat the answer opens the assistant turn, with no space after a key.
        anchor, prefix = ("", "") if use_chat_template else (form.answer_key, " ")
        label_ids = label_token_ids(tokenizer, task.labels, anchor=anchor, prefix=prefix)
    for seed in seeds:
        prompts = build_sentibench_prompts(task, train, test, k=k, seed=seed, prompt_style=prompt_style)
        prompt_ids = _encode(tokenizer, prompts, use_chat_template)
        desc = f"SentiBench {task.name} seed {seed}"
        if task.kind == "classification":
            too_long += _too_long(model, prompt_ids, max(len(ids) for ids in label_ids))
            scores, result.scoring = score_labels(
                model,
                tokenizer,
                prompt_ids,
                label_ids,
                batch_size=batch_size,
                desc=desc,
                show_progress=show_progress,
            )
            predicted = [task.labels[index] for index in scores.argmax(-1).tolist()]
            metrics = macro_f1([example.label for example in test], predicted, task.labels)
            result.scores[seed] = metrics["macro_f1"]
            result.details[seed] = {"accuracy": metrics["accuracy"]}
            result.predictions[seed] = predicted
            continue
        too_long += _too_long(model, prompt_ids, max_new_tokens)
        generations = generate_answers(
            model,
            tokenizer,
            prompt_ids,
            max_new_tokens=max_new_tokens,
            batch_size=batch_size,
            stop_strings=("\n\n",),  # a blank line ends an answer in the prompt format
            desc=desc,
            show_progress=show_progress,
        )
        parsed = [_parse(text, task.arity, form) for text in generations]
        metrics = micro_f1([example.tuples for example in test], [rows for rows, _ in parsed])
        result.scoring = "generation"
        result.scores[seed] = metrics["f1"]
        result.details[seed] = {key: value for key, value in metrics.items() if key != "f1"}
        result.details[seed]["unparsed_answers"] = sum(not understood for _, understood in parsed)
        result.predictions[seed] = [sorted(map(list, rows)) for rows, _ in parsed]
        result.generations[seed] = generations
    if too_long:
        logger.warning(
            "%s: %d of %d prompts (with the answer) are longer than the model's max_position_embeddings; "
            "they are not truncated",
            task.name,
            too_long,
            len(test) * len(seeds),
        )
    return result
