"""KnowDist (stage 1): a sentiment-knowledge corpus from unlabelled texts, written by the teacher.

Each text is put to the teacher from several perspectives (Zhang et al., 2025: polarity with its
reason, aspects and opinions, emotion, intensity, ...), each a [`PromptTemplate`] that users can
edit or replace (`load_templates`). The teacher answers the few-shot form of each prompt; the
student is then trained on the bare instruction and the teacher's answer
([`DistillationTrainer`]). The worked examples below are our own sentences.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from datasets import Dataset

from ..utils.logging import get_logger
from .prompts import PromptTemplate

logger = get_logger(__name__)

KNOWDIST_TEMPLATES: tuple[PromptTemplate, ...] = (
    PromptTemplate(
        "polarity_reason",
        "Text: {text}\nIs the sentiment of this text positive, negative or neutral? Say which and why.\nAnswer:",
        (
            {"text": "The soup was cold and the waiter ignored us.", "answer": "Negative, because the food was served cold and the service was poor."},
            {"text": "I finally finished the marathon and I feel amazing!", "answer": "Positive, because the writer is proud and happy about an achievement."},
        ),
    ),
    PromptTemplate(
        "aspects_opinions",
        "Text: {text}\nList each aspect the text evaluates with its opinion words and polarity.\nAnswer:",
        (
            {"text": "Battery life is superb but the screen is too dim.", "answer": "battery life: superb (positive); screen: too dim (negative)"},
            {"text": "Friendly staff, tiny portions.", "answer": "staff: friendly (positive); portions: tiny (negative)"},
        ),
    ),
    PromptTemplate(
        "emotion",
        "Text: {text}\nWhich emotion does the writer express (e.g. joy, anger, sadness, fear, surprise, none)? Explain briefly.\nAnswer:",
        (
            {"text": "They cancelled my flight again without telling me.", "answer": "Anger: the writer was let down twice and not informed."},
            {"text": "We got the puppy today!", "answer": "Joy: the writer is excited about a happy event."},
        ),
    ),
    PromptTemplate(
        "intensity",
        "Text: {text}\nHow strong is the sentiment, from 1 (very weak) to 5 (very strong)? Explain briefly.\nAnswer:",
        (
            {"text": "It was okay, I guess.", "answer": "1: a mild, hedged judgement."},
            {"text": "Absolutely the worst hotel I have ever stayed in.", "answer": "5: an extreme, superlative complaint."},
        ),
    ),
    PromptTemplate(
        "implicit",
        "Text: {text}\nDoes the text express sentiment indirectly, through irony, sarcasm or implied facts? Explain.\nAnswer:",
        (
            {"text": "Great, another Monday meeting that could have been an email.", "answer": "Yes: 'great' is sarcastic; the writer is annoyed by pointless meetings."},
            {"text": "The package arrived two weeks late.", "answer": "Yes: a plain fact that implies dissatisfaction with the delivery."},
        ),
    ),
)  # fmt: skip


def build_knowdist_prompts(
    texts: Sequence[str] | Dataset,
    templates: Sequence[PromptTemplate] = KNOWDIST_TEMPLATES,
    *,
    text_column: str = "text",
    perspectives_per_text: int | None = None,
    seed: int = 0,
) -> Dataset:
    """One row per (text, perspective): `text_id`, `perspective`, `teacher_prompt` (few-shot) and
    `prompt` (the student's bare instruction).

    Args:
        texts (`Sequence[str]` or `datasets.Dataset`): unlabelled texts (a list, or a `Dataset` with
            `text_column`). Empty and whitespace-only texts are an error (they would teach the
            student to talk about nothing).
        templates (`Sequence[PromptTemplate]`, *optional*, defaults to `KNOWDIST_TEMPLATES`): the
            perspectives.
        text_column (`str`, *optional*, defaults to `"text"`): the column of a `Dataset` to read.
        perspectives_per_text (`int`, *optional*): ask only this many perspectives per text, drawn
            with `seed` (all when `None`), to spread a teacher budget over more texts.
        seed (`int`, *optional*, defaults to 0): the seed of that draw.
    """
    if isinstance(texts, Dataset):
        if text_column not in texts.column_names:
            raise ValueError(f"build_knowdist_prompts: no column {text_column!r} (columns: {texts.column_names}).")
        texts = texts[text_column]
    if not templates:
        raise ValueError("build_knowdist_prompts: no templates.")
    if perspectives_per_text is not None and not 1 <= perspectives_per_text <= len(templates):
        raise ValueError(f"perspectives_per_text must lie in [1, {len(templates)}], got {perspectives_per_text}.")
    for template in templates:
        if template.fields != {"text"}:
            raise ValueError(
                f"KnowDist template {template.name!r} must have exactly one slot, {{text}}; has {sorted(template.fields)}."
            )
    rng = random.Random(seed)
    rows: dict[str, list] = {"text_id": [], "perspective": [], "teacher_prompt": [], "prompt": []}
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"build_knowdist_prompts: text {index} is empty or not a string: {text!r}.")
        chosen = templates if perspectives_per_text is None else rng.sample(list(templates), perspectives_per_text)
        for template in chosen:
            rows["text_id"].append(index)
            rows["perspective"].append(template.name)
            rows["teacher_prompt"].append(template.teacher_prompt(text=text))
            rows["prompt"].append(template.student_prompt(text=text))
    return Dataset.from_dict(rows)


def answer_knowdist_prompts(prompts: Dataset, generate: Callable[[list[str]], list[str]]) -> Dataset:
    """The teacher's answers to [`build_knowdist_prompts`] rows as distillation rows.

    Args:
        prompts (`datasets.Dataset`): rows with `teacher_prompt` and `prompt`.
        generate (`Callable[[list[str]], list[str]]`): `prompts -> answers`, e.g.
            `CachedTeacher(teacher, cache).generate`.

    Returns:
        `datasets.Dataset`: `prompt` (the student's bare instruction), `completion` (`" " + answer`, cut at the first
        blank line: a base LM runs on into a new worked example), `perspective`, `text_id`. Empty
        answers stay, as empty completions, for `prepare_distillation_dataset` to count.
    """
    answers = generate(list(prompts["teacher_prompt"]))
    completions = [" " + answer.strip().split("\n\n")[0].strip() for answer in answers]
    empty = sum(not c.strip() for c in completions)
    if empty:
        logger.warning("KnowDist: the teacher gave %d empty answers out of %d.", empty, len(completions))
    return Dataset.from_dict(
        {
            "prompt": prompts["prompt"],
            "completion": completions,
            "perspective": prompts["perspective"],
            "text_id": prompts["text_id"],
        }
    )


__all__ = ["KNOWDIST_TEMPLATES", "answer_knowdist_prompts", "build_knowdist_prompts"]
