"""Keep the code that the model folders must copy identical to its source.

Each model folder (`fckt/`, `lcl/`, `softmcl/`) must load alone as remote code from a saved model
folder, so it cannot import a sibling: a helper two folders need is written in both. Every such copy
carries a marker on the line above its `def` / `class` (the convention of transformers'
`utils/check_copies.py`):

```python
# Copied from hf_sentiment.fckt.modeling_fckt._encoder_without_pooler with FCKT->LCL
def _encoder_without_pooler(config: LCLConfig) -> PreTrainedModel:
    ...
```

The marker names the source (`hf_sentiment.<module>.<function, class, Class.method or
Class.prop.setter>`) and, optionally, replacements applied to the source's text before the
comparison (`with A->B, C->D`, in order). The copy must then equal the source line for line,
re-indented to the copy's indentation; its decorators count as part of it.

Run `python -m hf_sentiment.utils.check_copies` (exit status 1 when a copy differs, with a diff), or
add `--fix_and_overwrite` to rewrite every copy from its source. `tests/test_copies.py` runs it.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import re
import sys
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "hf_sentiment"
MARKER = re.compile(
    rf"^(?P<indent>[ \t]*)# Copied from (?P<source>{PACKAGE}(?:\.\w+)+)(?:\s+with\s+(?P<with>.+?))?\s*$"
)


@dataclass
class CopyMismatch:
    """A `# Copied from` block that does not match its source.

    Args:
        path (`Path`): the file holding the copy.
        line (`int`): the marker's line number (1-based).
        source (`str`): the dotted name the marker points at.
        problem (`str`): what is wrong: a unified diff of the expected source against the copy, or why
            the marker cannot be checked (an unknown source, no definition under the marker, a bad
            `with` clause).
    """

    path: Path
    line: int
    source: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: copy of {self.source} {self.problem}"


@dataclass
class _Block:
    """Lines `start`..`end` (1-based, inclusive) of a file: one definition with its decorators."""

    start: int
    end: int
    indent: str


def _definitions(tree: ast.Module) -> dict[str, ast.AST]:
    """Every function and class of a module by its dotted path inside it (`Class.method`)."""
    found: dict[str, ast.AST] = {}

    def visit(nodes: list[ast.stmt], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[prefix + node.name + _accessor(node)] = node
                if isinstance(node, ast.ClassDef):
                    visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return found


def _accessor(node: ast.AST) -> str:
    """`".setter"` / `".deleter"` for a property's setter or deleter (`@name.setter`), else `""`:
    they share the getter's name, so a copy marker names them `Class.name.setter`."""
    for decorator in getattr(node, "decorator_list", []):
        if isinstance(decorator, ast.Attribute) and decorator.attr in ("setter", "deleter"):
            return "." + decorator.attr
    return ""


def _block(node: ast.AST, lines: list[str]) -> _Block:
    start = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
    first = lines[start - 1]
    return _Block(start, node.end_lineno, first[: len(first) - len(first.lstrip())])


def _text(lines: list[str], block: _Block) -> str:
    return "".join(lines[block.start - 1 : block.end])


def _replacements(clause: str | None) -> list[tuple[str, str]]:
    """`"A->B, C->D"` as `[("A", "B"), ("C", "D")]`; raises `ValueError` on anything else."""
    if not clause:
        return []
    pairs = []
    for part in clause.split(","):
        old, arrow, new = part.strip().partition("->")
        if not arrow or not old:
            raise ValueError(f"cannot read the `with` clause {clause!r}: write `with A->B, C->D`")
        pairs.append((old, new))
    return pairs


class _Sources:
    """Source files of `hf_sentiment` under `root`, parsed once each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._parsed: dict[Path, tuple[list[str], dict[str, ast.AST]]] = {}

    def parse(self, path: Path) -> tuple[list[str], dict[str, ast.AST]]:
        if path not in self._parsed:
            text = path.read_text(encoding="utf-8")
            self._parsed[path] = (text.splitlines(keepends=True), _definitions(ast.parse(text, filename=str(path))))
        return self._parsed[path]

    def find(self, dotted: str) -> str:
        """The text of `dotted` (`hf_sentiment.pkg.module.Name[.method]`), dedented to column 0;
        raises `LookupError` when there is no such definition."""
        parts = dotted.split(".")
        # The longest prefix that is a module file; the rest names the definition inside it.
        for split in range(len(parts) - 1, 0, -1):
            path = self.root.joinpath(*parts[:split]).with_suffix(".py")
            if path.is_file():
                lines, definitions = self.parse(path)
                node = definitions.get(".".join(parts[split:]))
                if node is None:
                    raise LookupError(f"{path.relative_to(self.root)} defines no {'.'.join(parts[split:])}")
                return textwrap.dedent(_text(lines, _block(node, lines)))
        raise LookupError(f"no module file for {dotted}")


def _copies(path: Path, sources: _Sources) -> list[tuple[int, str, str | None, _Block | None]]:
    """`(marker line, source name, with clause, the block under the marker or None)` per marker."""
    lines, definitions = sources.parse(path)
    starts = {}
    for node in definitions.values():
        block = _block(node, lines)
        starts[block.start] = block
    # Real comments only: a marker quoted in a docstring (as in this module's) is no marker.
    comments = {
        token.start[0]
        for token in tokenize.generate_tokens(iter(lines).__next__)
        if token.type == tokenize.COMMENT
    }
    found = []
    for number, line in enumerate(lines, start=1):
        match = MARKER.match(line) if number in comments else None
        if match is None:
            continue
        following = number + 1  # the definition must follow at once (blank lines allowed)
        while following <= len(lines) and not lines[following - 1].strip():
            following += 1
        block = starts.get(following)
        if block is not None and block.indent != match["indent"]:
            block = None
        found.append((number, match["source"], match["with"], block))
    return found


def _expected(source_text: str, replacements: list[tuple[str, str]], indent: str) -> str:
    for old, new in replacements:
        source_text = source_text.replace(old, new)
    return textwrap.indent(source_text, indent, lambda line: bool(line.strip()))


def check_copies(root: str | Path | None = None, fix: bool = False) -> list[CopyMismatch]:
    """Compare every `# Copied from` block under `root`'s `hf_sentiment/` with its source.

    Args:
        root (`str` or `Path`, *optional*):
            The folder that holds the `hf_sentiment` package; defaults to this installation's.
        fix (`bool`, *optional*, defaults to `False`):
            Rewrite each differing copy from its source (markers that cannot be checked stay
            reported).

    Returns:
        `list[CopyMismatch]`: the copies that differ (before fixing) and the markers that cannot be
        checked; empty when every copy matches.
    """
    root = Path(__file__).resolve().parents[2] if root is None else Path(root)
    sources = _Sources(root)
    problems: list[CopyMismatch] = []
    for path in sorted((root / PACKAGE).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        edits: list[tuple[_Block, str]] = []
        for line, source, clause, block in _copies(path, sources):
            shown = path.relative_to(root)
            if block is None:
                problems.append(CopyMismatch(shown, line, source, "has no def / class right under its marker"))
                continue
            try:
                expected = _expected(sources.find(source), _replacements(clause), block.indent)
            except (LookupError, ValueError) as error:
                problems.append(CopyMismatch(shown, line, source, f"cannot be checked: {error}"))
                continue
            lines, _ = sources.parse(path)
            actual = _text(lines, block)
            if actual != expected:
                diff = difflib.unified_diff(
                    expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                    f"{source} (expected)", f"{shown}:{block.start}", n=1,
                )  # fmt: skip
                problems.append(CopyMismatch(shown, line, source, "differs:\n" + "".join(diff)))
                edits.append((block, expected))
        if fix and edits:
            lines, _ = sources.parse(path)
            # From the bottom up, so that earlier line numbers stay valid.
            for block, expected in sorted(edits, key=lambda edit: -edit[0].start):
                lines[block.start - 1 : block.end] = expected.splitlines(keepends=True)
            path.write_text("".join(lines), encoding="utf-8")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None, help="folder holding the hf_sentiment package")
    parser.add_argument("--fix_and_overwrite", action="store_true", help="rewrite differing copies from their source")
    args = parser.parse_args(argv)
    problems = check_copies(args.root, fix=args.fix_and_overwrite)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems and args.fix_and_overwrite:
        print(f"{len(problems)} copies rewritten or reported; run again to check.", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
