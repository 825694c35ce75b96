"""The package's imports run one way.

Every `import` statement in `hf_sentiment/` (module level or inside a function: a lazy import is
still a dependency) is read from the source, resolved to the module it names, and checked against:

- no cycle between modules;
- nothing in `distill/` imports from `evaluation/` (the harness scores students; the students'
  training must not depend on it);
- nothing in `data/` imports a method's `modeling_*` or `pipeline_*` file (readers and encoders
  sit below the models, and may read a config at most).

Imports under `if TYPE_CHECKING:` are left out: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hf_sentiment

PACKAGE_ROOT = Path(hf_sentiment.__file__).resolve().parent


def module_name(path: Path, root: Path = PACKAGE_ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imported_names(tree: ast.Module, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of `known` that the source of `module` imports, resolved as Python would."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if is_type_checking_block(node):
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            for alias in node.names:  # `from pkg import submodule` depends on the submodule itself
                found.add(f"{base}.{alias.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in known and name != module}


def import_graph(root: Path = PACKAGE_ROOT) -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    files = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    known = set(files)
    return {
        module: imported_names(ast.parse(path.read_text(encoding="utf-8")), module, path.name == "__init__.py", known)
        for module, path in files.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or `None`."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def walk(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := walk(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := walk(module)):
            return cycle
    return None


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if module.startswith("hf_sentiment.distill") and target.startswith("hf_sentiment.evaluation"):
                found.append(f"{module} imports {target} (distill/ must not depend on evaluation/)")
            leaf = target.rpartition(".")[2]
            if module.startswith("hf_sentiment.data") and leaf.startswith(("modeling_", "pipeline_")):
                found.append(f"{module} imports {target} (data/ must not depend on a model's modeling file)")
    return found


def test_hf_sentiment_has_no_import_cycle() -> None:
    assert find_cycle(import_graph()) is None, f"import cycle: {' -> '.join(find_cycle(import_graph()))}"


def test_hf_sentiment_imports_respect_the_layers() -> None:
    assert layering_violations(import_graph()) == []


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = root / "hf_sentiment" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for folder in {p.parent for p in (root / "hf_sentiment").rglob("*.py")}:
        (folder / "__init__.py").touch()
    return root / "hf_sentiment"


@pytest.mark.parametrize(
    ("files", "cycle", "violation"),
    [
        pytest.param(
            {"fckt/modeling_fckt.py": "from .pipeline_fckt import decode\n",
             "fckt/pipeline_fckt.py": "def f():\n    from .modeling_fckt import X\n"},
            True, False, id="lazy-cycle",
        ),
        pytest.param(
            {"a.py": "from hf_sentiment import b\n", "b.py": "import hf_sentiment.a\n"},
            True, False, id="absolute-cycle",
        ),
        pytest.param(
            {"distill/teachers.py": "from ..evaluation.sentibench import label_token_ids\n",
             "evaluation/sentibench.py": "x = 1\n"},
            False, True, id="distill-into-evaluation",
        ),
        pytest.param(
            {"data/aspect_encoding.py": "from ..fckt.modeling_fckt import IGNORE_INDEX\n",
             "fckt/modeling_fckt.py": "IGNORE_INDEX = -100\n"},
            False, True, id="data-into-modeling",
        ),
        pytest.param(
            {"data/aspect_encoding.py": "from ..fckt.configuration_fckt import IGNORE_INDEX\n",
             "fckt/configuration_fckt.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
             "    from ..data.aspect_encoding import x\n"},
            False, False, id="clean",
        ),
    ],
)  # fmt: skip
def test_the_checks_catch_what_they_look_for(tmp_path: Path, files: dict[str, str], cycle: bool, violation: bool) -> None:
    graph = import_graph(write_package(tmp_path, files))
    assert (find_cycle(graph) is not None) == cycle
    assert bool(layering_violations(graph)) == violation
