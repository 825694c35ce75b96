"""A method's hyper-parameters, read from its config class: the one list that the command line's
options and the model card's table both come from.

A config's `__init__` names each hyper-parameter with its type and default, and the class docstring's
`Args:` section says what it means. Reading them here means that a new config argument shows up in
`hf-sentiment train METHOD --help` and in every card without a second (or third) list to update.

Our reading of "hyper-parameter": an `__init__` argument whose type is a scalar the command line can
carry (`bool`, `int`, `float`, `str`, or one of those or `None`), except the few in
`NOT_HYPERPARAMETERS`, which describe the model's structure rather than its objective or decoding.

Example:

```python
>>> from hf_sentiment import FCKTConfig
>>> from hf_sentiment.model_cards.hyperparameters import config_hyperparameters
>>> [(h.name, h.default) for h in config_hyperparameters(FCKTConfig)][:2]
[('contrastive_temperature', 0.07), ('contrastive_weight', 0.1)]
```
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

#: `__init__` arguments that are not hyper-parameters: the encoder's own config, what a saved
#: folder ships (`custom_pipelines`), and LCL's flag that `strip_weighting_network()` flips for a
#: lean inference checkpoint (training with it off would drop the weighting network LCL needs).
NOT_HYPERPARAMETERS = frozenset({"backbone_config", "custom_pipelines", "include_weighting_network"})

SCALAR_TYPES = (bool, int, float, str)

# An `Args:` entry: `name (`type`, defaults to x): text`; the text may also start on the next line.
_ENTRY = re.compile(r"^(?P<name>\w+) \((?P<kind>.*?)\):\s*(?P<text>.*)$")


@dataclass(frozen=True)
class Hyperparameter:
    """One hyper-parameter of a config class.

    Args:
        name (`str`): the `__init__` argument (and config attribute) name.
        type (`type`): `bool`, `int`, `float` or `str`.
        optional (`bool`): whether `None` is a valid value too (e.g. FCKT's `sentiment_hidden_size`).
        default (`Any`): the `__init__` default.
        help (`str`): the docstring's `Args:` text for it, on one line (empty if it has none).
    """

    name: str
    type: type
    optional: bool
    default: Any
    help: str


def docstring_arguments(docstring: str | None) -> dict[str, str]:
    """The `Args:` section of a Google / transformers-style docstring as `{name: text}`.

    Each entry is `name (type): text`, and lines indented deeper than the entry continue it; the
    section ends at the first line indented no deeper than `Args:` itself. The text is joined into
    one line.
    """
    lines = inspect.cleandoc(docstring or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Args:"), None)
    if start is None:
        return {}
    section_indent = _indent(lines[start])
    entries: dict[str, list[str]] = {}
    entry_indent: int | None = None
    current: list[str] | None = None
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        indent = _indent(line)
        if indent <= section_indent:
            break
        if entry_indent is None:
            entry_indent = indent
        match = _ENTRY.match(line.strip()) if indent == entry_indent else None
        if match:
            current = entries.setdefault(match["name"], [])
            current.append(match["text"])
        elif current is not None and indent > entry_indent:
            current.append(line.strip())
    return {name: " ".join(" ".join(parts).split()) for name, parts in entries.items()}


def config_hyperparameters(config_class: type) -> tuple[Hyperparameter, ...]:
    """The hyper-parameters of `config_class` in `__init__` order (see the module docstring)."""
    hints = typing.get_type_hints(config_class.__init__)
    documented = docstring_arguments(config_class.__doc__)
    found = []
    for name, parameter in inspect.signature(config_class.__init__).parameters.items():
        if name == "self" or name in NOT_HYPERPARAMETERS:
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        scalar, optional = _scalar(hints.get(name))
        if scalar is None:  # a nested config or a dict: nothing a flag or a card row can carry
            continue
        found.append(Hyperparameter(name, scalar, optional, parameter.default, documented.get(name, "")))
    return tuple(found)


def hyperparameter_values(config: Any) -> dict[str, Any]:
    """`{name: value}` of the hyper-parameters of `config` (an instance), as a card records them."""
    return {h.name: getattr(config, h.name) for h in config_hyperparameters(type(config)) if hasattr(config, h.name)}


def _scalar(hint: Any) -> tuple[type | None, bool]:
    """`(scalar type, whether None is allowed)`, or `(None, False)` when `hint` is no scalar."""
    if hint in SCALAR_TYPES:
        return hint, False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        others = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(others) == 1 and others[0] in SCALAR_TYPES:
            return others[0], True
    return None, False


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


__all__ = [
    "NOT_HYPERPARAMETERS",
    "Hyperparameter",
    "config_hyperparameters",
    "docstring_arguments",
    "hyperparameter_values",
]
