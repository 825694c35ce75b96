"""One docstring markup across the package: transformers' Markdown style.

Code in single backticks, `Args:` / `Returns:` / `Raises:` sections, examples in ``` fences. The reST
forms this test refuses are the ones the package used before it settled on Markdown.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import hf_sentiment

PACKAGE = Path(hf_sentiment.__file__).resolve().parent

#: reST markup, each with a reason a reader of the Markdown-rendered docs would trip on it.
REST_FORMS = {
    r"(?<!`)``(?!`)": "double backticks (reST literal): use single backticks",
    r":(param|type|returns?|rtype|raises)\b[^:]*:": "reST field list: use an Args: / Returns: / Raises: section",
    r":(class|func|meth|attr|mod|obj):`": "Sphinx role: name the object in single backticks",
    r"^\s*\.\. \w[\w-]*::": "reST directive: use a ``` fence or plain text",
}


def docstrings(path: Path) -> list[tuple[int, str]]:
    """(line, docstring) of the module, and of every class and function in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in [tree, *ast.walk(tree)]:
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            text = ast.get_docstring(node, clean=False)
            if text:
                found.append((node.body[0].lineno, text))
    return found


def rest_markup(text: str) -> list[str]:
    return [reason for pattern, reason in REST_FORMS.items() if re.search(pattern, text, flags=re.MULTILINE)]


def test_every_docstring_uses_the_markdown_style() -> None:
    offences = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {reason}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, text in docstrings(path)
        for reason in rest_markup(text)
    ]
    assert offences == []


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Returns ``None`` when empty.", True),
        (":param x: the input", True),
        ("See :class:`FCKTConfig`.", True),
        (".. code-block:: python", True),
        ("Returns `None` when empty.\n\n```python\n>>> f(1)\n```", False),
        ("Args:\n    x (`int`, *optional*, defaults to `3`): the input.", False),
    ],
)
def test_the_check_tells_rest_from_markdown(text: str, flagged: bool) -> None:
    assert bool(rest_markup(text)) == flagged
