"""ICLDist (stage 2): in-context examples from train splits, answered by the teacher.

Each prompt mixes one task's instruction (drawn from several phrasings), k demonstrations drawn
from that task's *train* split with their gold answers, and a query from the same train split, in
one of several surface formats; with the label verbalisers' case varied, the student learns to
follow the prompt rather than one fixed wording (Zhang et al., 2025: format and task
diversification). Several tasks are mixed in one corpus. The teacher then answers every query:
classification queries by the argmax of its distribution over the verbalised labels (kept as
`teacher_label_probs` for the label-level KD term), extraction queries by greedy generation.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datasets import Dataset

from ..data.sentibench import DEFAULT_PROMPT_STYLE, PromptStyle, check_prompt_style

#: Surface formats: (input prefix, answer prefix).
FORMATS: tuple[tuple[str, str], ...] = (
    ("Text", "Answer"),
    ("Input", "Output"),
    ("Sentence", "Label"),
    ("Review", "Response"),
)


@dataclass(frozen=True)
class ICLTask:
    """One task's material for in-context prompts.

    Args:
        name (`str`): the task's name.
        examples (`Sequence[tuple[str, str]]`): `(input text, gold answer)` pairs from the task's
            *train* split.
        labels (`Sequence[str]`, *optional*): the verbalised labels of a classification task;
            `None` for an extraction task (answers are free text in the format its instructions
            describe).
        instructions (`Sequence[str]`): phrasings of the task; `{labels}` is replaced by the label
            list (`negative, positive`) and `{quoted_labels}` by the same list with each label in
            single quotes (`'negative', 'positive'`: the paper writes `[{quoted_labels}]`).
    """

    name: str
    examples: Sequence[tuple[str, str]]
    instructions: Sequence[str]
    labels: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if not self.instructions:
            raise ValueError(f"ICLTask {self.name!r}: no instructions.")
        if len(self.examples) < 2:
            raise ValueError(f"ICLTask {self.name!r}: needs at least 2 train examples, has {len(self.examples)}.")
        if self.labels is not None:
            unknown = {answer for _, answer in self.examples} - set(self.labels)
            if unknown:
                raise ValueError(f"ICLTask {self.name!r}: answers {sorted(unknown)[:5]} are not among its labels.")

    @property
    def is_classification(self) -> bool:
        return self.labels is not None


def build_icl_prompts(
    tasks: Sequence[ICLTask], *, k: int = 4, per_task: int = 100, seed: int = 0, vary_case: bool = True
) -> Dataset:
    """`per_task` in-context prompts for every task, shuffled together.

    Returns:
        `datasets.Dataset`: Rows with `task`, `prompt` (ending with the answer prefix, e.g. `"...\\nAnswer:"`),
        `label_choices` (the verbalised labels as written in this prompt; empty for extraction)
        and `gold` (the query's gold answer, for analysis only; the student learns the teacher's).
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}.")
    rng = random.Random(seed)
    rows: list[dict] = []
    for task in tasks:
        if len(task.examples) < k + 1:
            raise ValueError(f"ICLTask {task.name!r}: {len(task.examples)} train examples, fewer than k + 1 = {k + 1}.")
        for _ in range(per_task):
            chosen = rng.sample(range(len(task.examples)), k + 1)
            demos, query = [task.examples[i] for i in chosen[:k]], task.examples[chosen[k]]
            source, answer = FORMATS[rng.randrange(len(FORMATS))]
            verbalise = _case_variant(rng) if vary_case and task.is_classification else str
            labels = [verbalise(label) for label in task.labels] if task.is_classification else []
            mapped = dict(zip(task.labels, labels)) if task.is_classification else {}
            instruction = rng.choice(list(task.instructions)).format(
                labels=", ".join(labels), quoted_labels=", ".join(f"'{label}'" for label in labels)
            )
            blocks = [instruction]
            blocks += [f"{source}: {text}\n{answer}: {mapped.get(gold, gold)}" for text, gold in demos]
            blocks.append(f"{source}: {query[0]}\n{answer}:")
            rows.append(
                {
                    "task": task.name,
                    "prompt": "\n\n".join(blocks),
                    "label_choices": labels,
                    "gold": mapped.get(query[1], query[1]),
                }
            )
    rng.shuffle(rows)
    return (
        Dataset.from_list(rows)
        if rows
        else Dataset.from_dict({"task": [], "prompt": [], "label_choices": [], "gold": []})
    )


def _case_variant(rng: random.Random) -> Callable[[str], str]:
    return rng.choice([str, str.lower, str.capitalize, str.upper])


def answer_icl_prompts(
    prompts: Dataset,
    generate: Callable[[list[str]], list[str]],
    label_distribution: Callable[[list[str], list[str]], np.ndarray],
) -> Dataset:
    """The teacher's answers as distillation rows.

    Args:
        prompts (`datasets.Dataset`): rows from [`build_icl_prompts`].
        generate (`Callable[[list[str]], list[str]]`): `prompts -> answers` (e.g. a teacher's
            cached generation), for extraction rows.
        label_distribution (`Callable[[list[str], list[str]], np.ndarray]`):
            `(prompts, labels) -> (N, L) probabilities`, for classification rows (called once per
            distinct label list).

    Returns:
        `datasets.Dataset`: `prompt`, `completion` (`" " + answer`), `task`, `label_choices`, `teacher_label_probs`
        (empty lists for extraction rows).
    """
    completions: list[str | None] = [None] * len(prompts)
    probabilities: list[list[float]] = [[] for _ in range(len(prompts))]
    by_labels: dict[tuple[str, ...], list[int]] = {}
    extraction: list[int] = []
    for index, labels in enumerate(prompts["label_choices"]):
        (by_labels.setdefault(tuple(labels), []) if labels else extraction).append(index)
    for labels, indices in by_labels.items():
        probs = np.asarray(label_distribution([prompts[i]["prompt"] for i in indices], list(labels)))
        if probs.shape != (len(indices), len(labels)):
            raise ValueError(
                f"label_distribution returned shape {probs.shape}, expected {(len(indices), len(labels))}."
            )
        for row, index in enumerate(indices):
            completions[index] = " " + labels[int(probs[row].argmax())]
            probabilities[index] = probs[row].tolist()
    if extraction:
        answers = generate([prompts[i]["prompt"] for i in extraction])
        for index, answer in zip(extraction, answers):
            # A base LM runs on into a new demonstration; the answer is its first line.
            completions[index] = " " + answer.strip().split("\n")[0].strip()
    return Dataset.from_dict(
        {
            "prompt": prompts["prompt"],
            "completion": completions,
            "task": prompts["task"],
            "label_choices": prompts["label_choices"],
            "teacher_label_probs": probabilities,
        }
    )


def sentibench_icl_tasks(
    root: str | Path,
    tasks: Sequence[str] | None = None,
    *,
    max_examples: int | None = None,
    prompt_style: PromptStyle = DEFAULT_PROMPT_STYLE,
) -> list[ICLTask]:
    """[`ICLTask`]s from the *train* splits of SentiBench datasets (all 12 by default).

    Classification tasks get their SentiBench instruction in `prompt_style` (with the label list
    made variable) and two generic phrasings; extraction tasks their instruction and one
    rephrasing; answers are written as the harness writes demonstrations in that style, so the
    student learns the format it is tested on. `max_examples` keeps the first N train examples of
    each task.

    Args:
        root (`str` or `Path`): the SentiBench folder, or the shared data folder holding it.
        tasks (`Sequence[str]`, *optional*): task names (all 12 when `None`).
        max_examples (`int`, *optional*): keep the first N train examples of each task.
        prompt_style (`str`, *optional*, defaults to `"paper"`): `"paper"`, the paper's
            instructions and Python-list answers, or `"hf_sentiment"`, our earlier wording and
            `("a", "b")` answers. P-Stance keeps its target in the text (`... (target: X)`) in both;
            the paper's instruction, which quotes the test example's target, names "the target given
            with the text" instead (ICLDist mixes queries of several targets).

    Returns:
        `list[ICLTask]`: one per task, in the order asked.
    """
    from ..data.sentibench import SENTIBENCH_TASKS, TARGET_SLOT, read_sentibench, render_answer

    check_prompt_style(prompt_style)
    paper = prompt_style == "paper"
    result = []
    for name in tasks or list(SENTIBENCH_TASKS):
        task = SENTIBENCH_TASKS[name]
        instruction = task.prompt_format(prompt_style).instruction
        train = read_sentibench(root, name, "train")[:max_examples]
        examples = [
            (
                f"{example.sentence} (target: {example.target})" if example.target else example.sentence,
                # The P-Stance label alone: ICLDist's classification answers are the bare labels.
                render_answer(task, example, prompt_style) if task.kind == "extraction" else example.label,
            )
            for example in train
        ]
        if task.kind == "classification":
            if paper:
                # The paper lists the labels as a Python list, "['negative', 'positive']".
                own = re.sub(r"\[[^\]]*\]", "[{quoted_labels}]", instruction, count=1)
                own = own.replace(f'"{TARGET_SLOT}"', "the target given with the text")
            else:
                own = instruction.replace(", ".join(task.labels), "{labels}")
            instructions = [
                own,
                "Read the text and answer with one of: {labels}.",
                "Label the text. Possible labels: {labels}. Give only the label.",
            ]
            result.append(ICLTask(name, examples, instructions, labels=list(task.labels)))
        else:
            if paper:
                written = [task.fields[index] for index in task.prompt_format("paper").tuple_order or range(task.arity)]
                other = f"Find every item in the text and write a python list of ({', '.join(written)}) tuples."
            else:
                other = f"Find every item in the text and write {task.answer_format}."
            instructions = [instruction, other]
            result.append(ICLTask(name, examples, [i.replace("{", "{{").replace("}", "}}") for i in instructions]))
    return result


__all__ = ["FORMATS", "ICLTask", "answer_icl_prompts", "build_icl_prompts", "sentibench_icl_tasks"]
