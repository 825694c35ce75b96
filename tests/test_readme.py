"""Every Python block of the README runs as written, in order, and prints what it says it prints.

The blocks run as one script in one namespace (a block uses what the blocks above it made, as a
reader going down the page does), in a fresh folder laid out like a checkout: `../shared` beside
it, `runs/` inside it. The fast test trims the training budgets through `FAST_BUDGET`, a table
of exact README fragments and what replaces them (a fragment the README no longer holds fails the
test, so the table cannot go stale); the slow test runs the README untouched. The distillation
block needs the `distill` extra (the teacher and student GGUF files), so it has a test of its own.
"""

from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = "<<<README block {}>>>"

#: README fragment -> what the fast test runs instead (a few steps instead of epochs).
FAST_BUDGET = {
    '"runs/fckt", num_train_epochs=3,': '"runs/fckt", num_train_epochs=3, max_steps=3,',
    "max_steps=20, per_device_train_batch_size=16": "max_steps=2, per_device_train_batch_size=16",
}
DISTILL_HEADING = "### Distil a teacher LLM"


def python_blocks(text: str) -> list[tuple[str, str]]:
    """The README's Python blocks in order, each with the heading of the section it sits in."""
    blocks, heading = [], ""
    for match in re.finditer(r"^(#{2,3} [^\n]*)$|^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL):
        if match.group(1):
            heading = match.group(1)
        else:
            blocks.append((heading, match.group(2)))
    return blocks


def with_budget(code: str, budget: dict[str, str]) -> str:
    for fragment, replacement in budget.items():
        code = code.replace(fragment, replacement)
    return code


def run_blocks(blocks: list[str], tmp_path: Path, shared_data: Path, timeout: int) -> list[str]:
    """Run `blocks` as one script from `tmp_path/checkout`; returns what each printed on stdout.

    Nothing may warn that a user cannot act on: no Python warning (torch's pin-memory one, say) and
    no special-token realignment by `Trainer`. What stays on stderr is progress bars, the readers'
    counts of what they left out, and transformers' load report where the README itself puts a new
    head on an encoder."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (tmp_path / "shared").symlink_to(shared_data.resolve().parent, target_is_directory=True)
    script = "\n".join(f"print({MARKER.format(i)!r}, flush=True)\n{code}" for i, code in enumerate(blocks))
    (checkout / "readme_blocks.py").write_text(script)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("HF_SENTIMENT_DATA", None)  # the README's relative paths must find the data themselves
    done = subprocess.run(
        [sys.executable, "readme_blocks.py"], cwd=checkout, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-4000:]
    for noise in ("Warning:", "PAD/BOS/EOS", "seem corrupted"):
        assert noise not in done.stderr, done.stderr[done.stderr.index(noise) - 500 :][:1500]
    printed = done.stdout.split("\n")
    outputs, current = [], None
    for line in printed:
        if line.startswith("<<<README block "):
            outputs.append([])
            current = outputs[-1]
        elif current is not None:
            current.append(line)
    assert len(outputs) == len(blocks), done.stdout[-2000:]
    return ["\n".join(lines) for lines in outputs]


def literal_lines(output: str) -> list:
    return [ast.literal_eval(line) for line in output.splitlines() if line.startswith("[")]


ASPECT_KEYS = {"aspect", "start", "end", "polarity", "score", "aspect_score"}


#: The section of each tour block, in order (a README reordered or extended must update the checks).
TOUR = [
    "### Read data into one schema",
    "### Train FCKT with transformers' `Trainer`",
    "### Predict with `pipeline`",
    "### Predict with `pipeline`",
    "### Share on the Hub, load without hf_sentiment",
    "### Share on the Hub, load without hf_sentiment",
    "### Sentiment-aware continued pre-training (SoftMCL-style)",
    "### Fine-grained classification with a label-aware contrastive loss",
    "### Fine-grained classification with a label-aware contrastive loss",
]


def check_outputs(outputs: list[str]) -> None:
    """Each block prints what the README says it prints."""
    read, train, predict, onnx, load, card, softmcl, losses, lcl = outputs
    assert "2 sentences; nothing left out or changed" in read
    assert "{'term': 'fan noise', 'from': 20, 'to': 29, 'polarity': 'negative'}" in read
    assert "{'text': 'Great screen, awful fan noise.', 'span': 'screen', 'label': 'positive', 'ordinal': 0}" in read
    assert re.search(r"γ = -?\d+\.\d+, dev joint F1 \d+\.\d", train)
    one, batched, given = literal_lines(predict)
    assert all(set(aspect) == ASPECT_KEYS for aspect in one)
    assert len(batched) == 2 and all(isinstance(found, list) for found in batched)
    assert [(a["aspect"], a["start"], a["end"]) for a in given] == [("battery life", 4, 16)]
    (from_onnx,) = literal_lines(onnx)
    assert [(a["start"], a["end"], a["polarity"]) for a in from_onnx] == [(a["start"], a["end"], a["polarity"]) for a in one]
    assert load.strip() == "FCKTForTargetedSentiment TargetedSentimentPipeline"
    card_line, files_line = card.strip().splitlines()[-2:]
    assert card_line.startswith("token-classification sentence-transformers/all-MiniLM-L6-v2 [")
    assert "'joint_f1'" in card_line
    files = set(ast.literal_eval(files_line))
    assert {"README.md", "config.json", "model.safetensors", "modeling_fckt.py", "tokenizer.json"} <= files
    assert softmcl.strip().endswith("BertForSequenceClassification")
    assert "sentence valences" in softmcl  # the report of what encode_valence_corpus did
    assert len(losses.split()) == 2 and all(math.isfinite(float(value)) for value in losses.split())
    assert lcl.strip().startswith("tensor(")


def tour_blocks() -> list[str]:
    """The code of every block but the distillation one, checked against `TOUR`."""
    kept = [
        (heading, code)
        for heading, code in python_blocks(README.read_text())
        if not heading.startswith(DISTILL_HEADING)
    ]
    assert [heading for heading, _ in kept] == TOUR
    return [code for _, code in kept]


def test_the_budget_table_matches_the_readme():
    code = "\n".join(code for _, code in python_blocks(README.read_text()))
    for fragment in FAST_BUDGET:
        assert code.count(fragment) == 1, f"the README no longer holds {fragment!r}: update FAST_BUDGET"
    assert len(python_blocks(README.read_text())) == 10


def test_the_readme_blocks_run_in_order(tmp_path, shared_data):
    blocks = [with_budget(code, FAST_BUDGET) for code in tour_blocks()]
    check_outputs(run_blocks(blocks, tmp_path, shared_data, timeout=1200))


@pytest.mark.slow
def test_the_readme_blocks_run_as_written(tmp_path, shared_data):
    check_outputs(run_blocks(tour_blocks(), tmp_path, shared_data, timeout=3 * 3600))


@pytest.mark.slow
def test_the_readme_distillation_block_runs_as_written(tmp_path, shared_data):
    pytest.importorskip("gguf", reason="the distill extra is not installed (pip install 'hf-sentiment[distill]')")
    [code] = [code for heading, code in python_blocks(README.read_text()) if heading.startswith(DISTILL_HEADING)]
    [output] = run_blocks([code], tmp_path, shared_data, timeout=3600)
    assert "sst2" in output and "atsa_rest16" in output
