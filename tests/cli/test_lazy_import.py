"""`hf-sentiment --help` answers without importing torch or transformers, and the lazy import it
uses finishes into exactly what `import hf_sentiment` gives."""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
from pathlib import Path

import hf_sentiment
import hf_sentiment_cli

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def test_the_console_script_is_the_light_entry_point():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["options.entry_points"]["console_scripts"].split() == ["hf-sentiment", "=", "hf_sentiment_cli:main"]
    assert config["options"]["py_modules"].strip() == "hf_sentiment_cli"


def test_help_and_usage_errors_import_neither_torch_nor_transformers():
    code = """
import contextlib, io, json, os, sys
import hf_sentiment_cli
with contextlib.redirect_stdout(io.StringIO()) as help_text, contextlib.redirect_stderr(io.StringIO()):
    statuses = [hf_sentiment_cli.main(argv) for argv in (["--help"], ["predict", "--help"], ["predict", "--model", "/no/such"])]
heavy = sorted(name for name in ("torch", "transformers", "datasets") if name in sys.modules)
print(json.dumps({"statuses": statuses, "heavy": heavy, "env": "HF_SENTIMENT_LAZY_IMPORT" in os.environ,
                  "help": help_text.getvalue()[:40]}))
"""
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["statuses"] == [0, 0, 2]
    assert result["heavy"] == []
    assert result["env"] is False  # nothing the command starts inherits the lazy import
    assert result["help"].startswith("usage: hf-sentiment")


def test_the_lazy_import_finishes_into_the_eager_one():
    code = """
import json, sys
import hf_sentiment
light = "torch" not in sys.modules
from hf_sentiment import FCKTConfig  # a public name finishes the import: models and pipelines registered
from transformers import AutoConfig
from transformers.pipelines import PIPELINE_REGISTRY
print(json.dumps({"light": light, "all": hf_sentiment.__all__, "fckt": type(AutoConfig.for_model("fckt")).__name__,
                  "task": "targeted-sentiment" in PIPELINE_REGISTRY.get_supported_tasks()}))
"""
    done = run_python(code, HF_SENTIMENT_LAZY_IMPORT="1")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["light"] is True
    assert result["all"] == hf_sentiment.__all__
    assert result["fckt"] == "FCKTConfig"
    assert result["task"] is True


def test_the_entry_point_names_the_package_variable():
    source = Path(hf_sentiment_cli.__file__).read_text()
    assert f'"{hf_sentiment.LAZY_IMPORT_ENV}"' in source
