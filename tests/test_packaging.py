"""What the distribution ships beside the code: the licence it declares, the typing marker, and only
the dependencies the code imports."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def read_setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def test_license_file_matches_the_declared_licence():
    metadata = read_setup_cfg()["metadata"]
    assert metadata["license"] == "Apache-2.0"
    assert metadata["license_files"].strip() == "LICENSE"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_py_typed_ships_with_the_package():
    assert (ROOT / "hf_sentiment" / "py.typed").is_file()
    assert "py.typed" in read_setup_cfg()["options.package_data"]["hf_sentiment"]


def test_every_declared_dependency_is_imported_somewhere():
    """A dependency nobody imports (as `evaluate` was) costs every user an install for nothing."""
    requirements = read_setup_cfg()["options"]["install_requires"].split()
    names = {re.split(r"[<>=!~\[]", line)[0] for line in requirements if line and line[0].isalpha()}
    import_names = {"scikit-learn": "sklearn"}
    # Needed though never imported by name: transformers' Trainer refuses to run without it.
    names -= {"accelerate"}
    sources = "\n".join(path.read_text() for path in (ROOT / "hf_sentiment").rglob("*.py"))
    for name in sorted(names):
        module = import_names.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(from|import) {module}\b", sources, re.M), f"{name} is declared but never imported"
