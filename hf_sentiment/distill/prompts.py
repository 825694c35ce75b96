"""Editable prompt templates for the teacher and the student.

A [`PromptTemplate`] is an instruction with `{field}` slots and, optionally, a few worked
examples. The *teacher* sees the examples first (a base LM such as Gemma-3-270M needs few-shot
prompting to answer in the intended form); the *student* is trained on the bare instruction, so
it learns to answer without them. Templates load from and save to JSON, so users edit the wording
without touching code:

```json
[{"name": "polarity", "instruction": "Text: {text}\\nWhat is the sentiment and why?\\nAnswer:",
  "examples": [{"text": "Great food.", "answer": "positive, because the food is praised."}]}]
```
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..data.errors import DataFormatError
from ..data.validation import read_text


def instruction_slots(instruction: str) -> set[str]:
    """The `{field}` slots of `instruction`; `ValueError` if it is not a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(instruction) if name}


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt: an `instruction` with `{field}` slots and worked `examples` (mappings that fill
    the same slots plus an `"answer"`).

    Example:

    ```python
    >>> template = PromptTemplate("emotion", "Text: {text}\\nEmotion:", [{"text": "I won!", "answer": "joy"}])
    >>> print(template.student_prompt(text="It rained all day."))
    Text: It rained all day.
    Emotion:
    >>> print(template.teacher_prompt(text="It rained all day."))
    Text: I won!
    Emotion: joy
    <BLANKLINE>
    Text: It rained all day.
    Emotion:
    ```
    """

    name: str
    instruction: str
    examples: Sequence[Mapping[str, str]] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        slots = self.fields
        if not slots:
            raise ValueError(f"template {self.name!r}: the instruction has no {{field}} slot for the input.")
        for index, example in enumerate(self.examples):
            missing = (slots | {"answer"}) - set(example)
            if missing:
                raise ValueError(f"template {self.name!r}: example {index} lacks {sorted(missing)}.")

    @property
    def fields(self) -> set[str]:
        """The `{field}` slots of the instruction."""
        return instruction_slots(self.instruction)

    def student_prompt(self, **values: str) -> str:
        """The instruction filled with `values` (what the student is trained and asked on)."""
        missing = self.fields - set(values)
        if missing:
            raise KeyError(f"template {self.name!r} needs {sorted(missing)}, got {sorted(values)}.")
        return self.instruction.format(**values)

    def teacher_prompt(self, **values: str) -> str:
        """The worked examples (each instruction + its answer), then the filled instruction."""
        shots = [self.instruction.format(**example) + " " + example["answer"] for example in self.examples]
        return "\n\n".join([*shots, self.student_prompt(**values)])


def save_templates(templates: Iterable[PromptTemplate], path: str | Path) -> None:
    """Write `templates` as a JSON list (the format [`load_templates`] reads)."""
    data = [{**asdict(t), "examples": [dict(e) for e in t.examples]} for t in templates]
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_templates(path: str | Path) -> list[PromptTemplate]:
    """Read templates from a JSON list of `{"name", "instruction", "examples"?}` objects."""
    text = read_text(path, line_rows=False)  # the readers' checks: a file, UTF-8, BOM dropped
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataFormatError(path, None, None, f"malformed JSON at line {error.lineno}: {error.msg}") from None
    # It would otherwise escape as a bare library traceback.
    except RecursionError:
        raise DataFormatError(path, None, None, "malformed JSON: nested too deeply") from None
    if not isinstance(items, list):
        raise DataFormatError(path, None, None, "expected a JSON list of templates")
    templates = []
    for row, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise DataFormatError(path, row, None, f"expected an object, got {type(item).__name__}")
        for key in ("name", "instruction"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise DataFormatError(path, row, key, "missing or empty")
        # `"examples": 5` would be a bare TypeError, and a list holding a non-object would fail only
        # when a teacher prompt is built.
        examples = item.get("examples", [])
        if not isinstance(examples, list) or not all(isinstance(example, dict) for example in examples):
            raise DataFormatError(path, row, "examples", "expected a list of objects")
        # An instruction without a slot, or with an unclosed brace, is the instruction's fault, not
        # the examples'.
        try:
            slots = instruction_slots(item["instruction"])
        except ValueError as error:
            raise DataFormatError(path, row, "instruction", f"not a format string: {error}") from None
        if not slots:
            raise DataFormatError(path, row, "instruction", "has no {field} slot for the input")
        try:
            templates.append(PromptTemplate(item["name"], item["instruction"], tuple(item.get("examples", ()))))
        except ValueError as error:
            raise DataFormatError(path, row, "examples", str(error)) from None
    names = [t.name for t in templates]
    if len(set(names)) != len(names):
        raise DataFormatError(path, None, "name", f"duplicate template names in {names}")
    return templates


__all__ = ["PromptTemplate", "load_templates", "save_templates"]
