"""DistillationTrainer (PEFT student, sequence-level loss, label-level KD), the dataset
preparation, prompt templates and KnowDist prompt building, with tiny real causal LMs."""

from __future__ import annotations

import json
import logging
import textwrap

import numpy as np
import pytest
import torch
from tests.utils import assert_error, run_clean, write
from datasets import Dataset
from huggingface_hub import ModelCard
from peft import AutoPeftModelForCausalLM, LoraConfig, PeftModel, get_peft_model
from tests.utils.tiny_causal_lm import tiny_causal_lm, tiny_tokenizer
from transformers import AutoModelForCausalLM

import hf_sentiment.losses
from hf_sentiment.data import DataFormatError
from hf_sentiment.distill.icldist import FORMATS, ICLTask, answer_icl_prompts, build_icl_prompts
from hf_sentiment.distill.knowdist import KNOWDIST_TEMPLATES, build_knowdist_prompts
from hf_sentiment.distill.label_distillation_loss import LabelDistillationLoss
from hf_sentiment.distill.prompts import PromptTemplate, load_templates, save_templates
from hf_sentiment.distill.trainer_distill import (
    IGNORE_INDEX,
    DataCollatorForDistillation,
    DistillationConfig,
    DistillationTrainer,
    DistillationTrainingArguments,
    label_kd_loss,
    prepare_distillation_dataset,
    resolve_peft_config,
)

ROWS = {
    "prompt": ["Text: great food.\nSentiment:", "Text: awful service.\nSentiment:", "Text: it is fine.\nSentiment:"]
    * 4,
    "completion": [" positive", " negative", " neutral"] * 4,
    "label_choices": [["positive", "negative", "neutral"]] * 12,
    "teacher_label_probs": [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]] * 4,
}


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture
def base_folder(tmp_path, tokenizer):
    """A tiny base model saved to disk, so adapters record a loadable base path."""
    folder = tmp_path / "base"
    tiny_causal_lm(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


# ------------------------------------------------------------------------------ data
def test_prepare_masks_the_prompt_and_appends_eos(tokenizer):
    data, report = prepare_distillation_dataset(Dataset.from_dict(ROWS), tokenizer)
    row = data[0]
    prompt_ids = tokenizer(ROWS["prompt"][0])["input_ids"]
    completion_ids = tokenizer(ROWS["completion"][0], add_special_tokens=False)["input_ids"]
    assert row["input_ids"] == prompt_ids + completion_ids + [tokenizer.eos_token_id]
    assert row["labels"] == [IGNORE_INDEX] * len(prompt_ids) + completion_ids + [tokenizer.eos_token_id]
    assert row["label_position"] == len(prompt_ids) - 1
    assert row["label_token_ids"] == [
        tokenizer(" " + label, add_special_tokens=False)["input_ids"][0] for label in ROWS["label_choices"][0]
    ]
    assert report.total == 0


def test_collator_pads_with_eos_when_the_tokenizer_has_no_pad_token(tokenizer, caplog):
    data, _ = prepare_distillation_dataset(Dataset.from_dict(ROWS), tokenizer)
    no_pad = tiny_tokenizer()
    no_pad.pad_token = None
    with caplog.at_level(logging.WARNING, logger="hf_sentiment.causal_lm"):
        batch = DataCollatorForDistillation(no_pad)([data[0], data[1]])
    assert "no pad token" in caplog.text
    short = 0 if len(data[0]["input_ids"]) < len(data[1]["input_ids"]) else 1
    padded = batch["input_ids"][short, len(data[short]["input_ids"]) :]
    assert padded.numel() > 0 and (padded == no_pad.eos_token_id).all()
    no_pad.eos_token = None
    with pytest.raises(ValueError, match="neither a pad token nor an eos token"):
        DataCollatorForDistillation(no_pad)


def test_prepare_counts_what_it_cuts_or_leaves_out(tokenizer):
    rows = Dataset.from_dict({"prompt": ["a " * 50, "short", "short"], "completion": [" yes", " " + "no " * 40, "  "]})
    data, report = prepare_distillation_dataset(rows, tokenizer, max_length=20)
    assert len(data) == 1 and len(data[0]["input_ids"]) == 20
    assert report.skipped == {
        "prompts cut at the start to fit max_length": 1,
        "rows whose completion alone exceeds max_length": 1,
        "rows with an empty completion": 1,
    }
    with pytest.raises(ValueError, match="no column 'completion'"):
        prepare_distillation_dataset(Dataset.from_dict({"prompt": ["x"]}), tokenizer)
    bad = Dataset.from_dict(
        {"prompt": ["x"], "completion": [" y"], "label_choices": [["a", "b"]], "teacher_label_probs": [[1.0]]}
    )
    with pytest.raises(ValueError, match="row 0: 2 label_choices but 1 teacher_label_probs"):
        prepare_distillation_dataset(bad, tokenizer)


def test_label_kd_loss_matches_a_direct_computation():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 11)
    positions = torch.tensor([3, 1])
    label_ids = torch.tensor([[4, 7, 2], [9, 1, -1]])
    teacher = torch.tensor([[0.7, 0.2, 0.1], [0.4, 0.6, 0.0]])
    temperature = 2.0
    expected = []
    for row in range(2):
        ids = [i for i in label_ids[row].tolist() if i >= 0]
        p = teacher[row, : len(ids)] ** (1 / temperature)
        p = p / p.sum()
        q = torch.softmax(logits[row, positions[row], ids] / temperature, -1)
        expected.append(float((p * (p.log() - q.log())).sum()))
    loss = label_kd_loss(logits, positions, label_ids, teacher, temperature)
    assert loss.item() == pytest.approx(temperature**2 * sum(expected) / 2, rel=1e-5)
    assert label_kd_loss(logits, positions, torch.full((2, 3), -1), teacher, 1.0).item() == 0.0
    # The module form (the one the trainer uses, re-exported from hf_sentiment.losses) is the same
    # number to the bit.
    module = LabelDistillationLoss(temperature=temperature)
    assert torch.equal(module(logits, positions, label_ids, teacher), loss)
    assert module(logits, positions, label_ids, teacher).item() == pytest.approx(
        temperature**2 * sum(expected) / 2, rel=1e-5
    )
    assert hf_sentiment.losses.LabelDistillationLoss is LabelDistillationLoss
    with pytest.raises(ValueError, match="temperature must be > 0"):
        LabelDistillationLoss(temperature=0.0)


# --------------------------------------------------------------------------- trainer
def make_trainer(tmp_path, tokenizer, model, **kwargs):
    data, _ = prepare_distillation_dataset(Dataset.from_dict(ROWS), tokenizer)
    args = DistillationTrainingArguments(
        str(tmp_path / "out"), max_steps=6, per_device_train_batch_size=4, learning_rate=5e-3, logging_steps=2,
        report_to="none", disable_tqdm=True, use_cpu=True, save_strategy="no", seed=0, **kwargs,
    )  # fmt: skip
    return DistillationTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer), data


def test_sequence_loss_is_the_completion_cross_entropy(tmp_path, tokenizer):
    trainer, data = make_trainer(tmp_path, tokenizer, tiny_causal_lm(tokenizer))
    batch = DataCollatorForDistillation(tokenizer)([data[i] for i in range(3)])
    model = trainer.model.eval()
    with torch.no_grad():
        loss = trainer.compute_loss(model, dict(batch))
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    shifted, targets = logits[:, :-1], batch["labels"][:, 1:]
    keep = targets != IGNORE_INDEX
    expected = torch.nn.functional.cross_entropy(shifted[keep], targets[keep])
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)


def test_lora_student_trains_only_the_adapter_and_round_trips(tmp_path, tokenizer, base_folder):
    student = AutoModelForCausalLM.from_pretrained(base_folder)
    base_before = {k: v.clone() for k, v in student.state_dict().items()}
    trainer, data = make_trainer(tmp_path, tokenizer, student, label_kd_weight=0.5)
    assert isinstance(trainer.model, PeftModel)
    trainer.train()
    logged = [entry for entry in trainer.state.log_history if "sequence_loss" in entry]
    assert logged and all("label_kd_loss" in entry for entry in logged)
    base_after = trainer.model.get_base_model().state_dict()
    lora = [name for name in base_after if "lora_" in name]
    assert lora
    for name, value in base_before.items():
        key = name if name in base_after else _peft_name(name, base_after)
        torch.testing.assert_close(base_after[key], value, msg=name)

    trainer.save_model()
    assert (tmp_path / "out" / "adapter_config.json").exists()
    assert (tmp_path / "out" / "adapter_model.safetensors").exists()
    batch = DataCollatorForDistillation(tokenizer)([data[i] for i in range(3)])
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    trained = trainer.model.eval()
    with torch.no_grad():
        expected = trained(**inputs).logits
        reloaded = AutoPeftModelForCausalLM.from_pretrained(tmp_path / "out").eval()
        torch.testing.assert_close(reloaded(**inputs).logits, expected, atol=1e-5, rtol=1e-5)
        trainer.export_merged(tmp_path / "merged")
        merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged").eval()
        torch.testing.assert_close(merged(**inputs).logits, expected, atol=1e-4, rtol=1e-4)
    assert not (tmp_path / "merged" / "adapter_config.json").exists()


def _peft_name(name: str, state: dict) -> str:
    """The name a base weight has inside a PEFT-wrapped model (`x.weight` -> `x.base_layer.weight`)."""
    module, _, leaf = name.rpartition(".")
    candidate = f"{module}.base_layer.{leaf}"
    assert candidate in state, name
    return candidate


def test_full_fine_tuning_when_peft_is_off(tmp_path, tokenizer):
    trainer, _ = make_trainer(tmp_path, tokenizer, tiny_causal_lm(tokenizer), use_peft=False)
    assert not isinstance(trainer.model, PeftModel)
    before = trainer.model.model.embed_tokens.weight.clone()
    trainer.train()
    assert not torch.equal(before, trainer.model.model.embed_tokens.weight)
    # Not an hf-sentiment kind (no adapter): the card is transformers' generic one, not an error.
    trainer.create_model_card()
    assert "hf-sentiment" not in (ModelCard.load(tmp_path / "out" / "README.md").data.tags or [])


def test_label_kd_pulls_the_student_towards_the_teacher(tmp_path, tokenizer):
    """Training with only the KD term (the completion is never seen) moves the student's label
    distribution towards the teacher's."""
    rows = {key: values[:1] * 8 for key, values in ROWS.items()}
    data, _ = prepare_distillation_dataset(Dataset.from_dict(rows), tokenizer)
    student = tiny_causal_lm(tokenizer)
    args = DistillationTrainingArguments(
        str(tmp_path / "kd"), max_steps=15, per_device_train_batch_size=8, learning_rate=2e-2, label_kd_weight=1.0,
        report_to="none", disable_tqdm=True, use_cpu=True, save_strategy="no", seed=0, use_peft=False,
    )  # fmt: skip
    trainer = DistillationTrainer(model=student, args=args, train_dataset=data, processing_class=tokenizer)
    batch = DataCollatorForDistillation(tokenizer)([data[0]])

    def kd() -> float:
        with torch.no_grad():
            logits = trainer.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        return label_kd_loss(
            logits, batch["label_position"], batch["label_token_ids"], batch["teacher_label_probs"], 1.0
        ).item()

    before = kd()
    trainer.train()
    assert kd() < before / 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label_kd_weight": -1}, "label_kd_weight"),
        ({"label_kd_temperature": 0}, "label_kd_temperature"),
        ({"peft_config": 3}, "peft_config"),
        ({"peft_config": {"rank": 8}}, "peft_config.*rank"),
        ({"peft_config": "r=8"}, "peft_config"),
    ],
)
def test_config_rejects_bad_values(tmp_path, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        DistillationTrainingArguments(str(tmp_path), report_to="none", **kwargs)


def test_config_reads_a_lora_dict_over_the_default_adapter(tmp_path):
    args = DistillationTrainingArguments(
        str(tmp_path), report_to="none", peft_config={"r": 4, "target_modules": ["q_proj"]}
    )
    assert args.peft_config == {"r": 4, "target_modules": ["q_proj"]} and args.remove_unused_columns is False
    lora = resolve_peft_config(args.peft_config)
    assert (lora.r, lora.lora_alpha, lora.target_modules, lora.task_type) == (4, 32, {"q_proj"}, "CAUSAL_LM")
    assert resolve_peft_config(None).r == 16


def test_old_name_is_the_same_class(tmp_path):
    import hf_sentiment

    assert DistillationConfig is DistillationTrainingArguments
    assert (
        hf_sentiment.DistillationConfig is hf_sentiment.DistillationTrainingArguments is DistillationTrainingArguments
    )
    assert (
        hf_sentiment.__all__.count("DistillationConfig")
        == hf_sentiment.__all__.count("DistillationTrainingArguments")
        == 1
    )
    assert isinstance(DistillationConfig(str(tmp_path), report_to="none"), DistillationTrainingArguments)


def test_arguments_with_a_peft_config_serialise_to_json(tmp_path):
    """`to_json_string` is what `--report_to tensorboard` (and every saved trainer state) calls."""
    args = DistillationTrainingArguments(str(tmp_path), report_to="none", peft_config={"r": 8, "lora_alpha": 16})
    assert json.loads(args.to_json_string())["peft_config"] == {"r": 8, "lora_alpha": 16}
    assert args.to_sanitized_dict()["peft_config"] == str({"r": 8, "lora_alpha": 16})
    # The former way, a PeftConfig in the arguments, still works, with a FutureWarning.
    with pytest.warns(FutureWarning, match="DistillationTrainer"):
        old = DistillationTrainingArguments(
            str(tmp_path), report_to="none", peft_config=LoraConfig(r=4, target_modules=["q_proj", "v_proj"])
        )
    saved = json.loads(old.to_json_string())["peft_config"]
    assert saved["r"] == 4 and saved["target_modules"] == ["q_proj", "v_proj"]


def test_a_users_remove_unused_columns_is_kept(tmp_path, caplog):
    assert DistillationTrainingArguments(str(tmp_path), report_to="none").remove_unused_columns is False
    assert DistillationTrainingArguments(
        str(tmp_path), report_to="none", remove_unused_columns=True
    ).remove_unused_columns
    with caplog.at_level(logging.WARNING, logger="hf_sentiment.distill.trainer_distill"):
        DistillationTrainingArguments(str(tmp_path), report_to="none", remove_unused_columns=True, label_kd_weight=0.5)
    assert "label_kd_weight=0.5 has no effect" in caplog.text


def test_command_line_peft_config_sets_the_lora_rank_used(tmp_path, tokenizer):
    """`hf-sentiment train distill --peft_config '{"r": 8}'`: parsed by the command's own parser,
    the JSON object is the LoRA rank of the adapter the trainer trains (the other settings stay
    the default adapter's)."""
    from hf_sentiment.cli.common import parse_training_arguments, training_parser
    from hf_sentiment.cli.train_distill import DistillArguments

    parser = training_parser((DistillArguments, DistillationTrainingArguments))
    assert "--peft_config" in parser.format_help()
    _, args = parse_training_arguments(
        parser,
        ["--stage", "knowdist", "--student", "s", "--output_dir", str(tmp_path / "out"), "--report_to", "none",
         "--use_cpu", "True", "--peft_config", '{"r": 8}'],
    )  # fmt: skip
    assert args.peft_config == {"r": 8}
    data, _ = prepare_distillation_dataset(Dataset.from_dict(ROWS), tokenizer)
    trainer = DistillationTrainer(
        model=tiny_causal_lm(tokenizer), args=args, train_dataset=data, processing_class=tokenizer
    )
    adapter = trainer.model.peft_config["default"]
    assert (adapter.r, adapter.lora_alpha) == (8, 32)
    ranks = {
        module.lora_A["default"].weight.shape[0] for module in trainer.model.modules() if hasattr(module, "lora_A")
    }
    assert ranks == {8}
    with pytest.raises(ValueError, match="unexpected keyword argument 'rank'"):  # a usage error, not a crash
        parse_training_arguments(
            parser,
            [
                "--stage",
                "knowdist",
                "--student",
                "s",
                "--output_dir",
                str(tmp_path / "x"),
                "--peft_config",
                '{"rank": 8}',
            ],
        )


def test_trainer_takes_the_peft_config_as_trl_does(tmp_path, tokenizer):
    data, _ = prepare_distillation_dataset(Dataset.from_dict(ROWS), tokenizer)
    lora = LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj"], task_type="CAUSAL_LM")

    def trainer(model, given, **arguments):
        args = DistillationTrainingArguments(str(tmp_path / "out"), report_to="none", use_cpu=True, **arguments)
        return DistillationTrainer(
            model=model, args=args, train_dataset=data, processing_class=tokenizer, peft_config=given
        )

    adapter = trainer(tiny_causal_lm(tokenizer), lora).model.peft_config["default"]
    assert (adapter.r, adapter.target_modules) == (2, {"q_proj"})
    with pytest.raises(ValueError, match="given twice"):
        trainer(tiny_causal_lm(tokenizer), lora, peft_config={"r": 4})
    with pytest.raises(ValueError, match="use_peft=False"):
        trainer(tiny_causal_lm(tokenizer), lora, use_peft=False)
    with pytest.raises(ValueError, match="already is a PeftModel"):
        trainer(get_peft_model(tiny_causal_lm(tokenizer), LoraConfig(r=2, target_modules=["q_proj"])), lora)


# ---------------------------------------------------------------------- prompts, KnowDist
def test_template_prompts_and_json_round_trip(tmp_path):
    template = PromptTemplate("emotion", "Text: {text}\nEmotion:", ({"text": "I won!", "answer": "joy"},))
    assert template.student_prompt(text="Rain.") == "Text: Rain.\nEmotion:"
    assert template.teacher_prompt(text="Rain.") == "Text: I won!\nEmotion: joy\n\nText: Rain.\nEmotion:"
    with pytest.raises(KeyError, match="needs"):
        template.student_prompt(sentence="x")
    save_templates(KNOWDIST_TEMPLATES, tmp_path / "t.json")
    assert load_templates(tmp_path / "t.json") == [
        PromptTemplate(t.name, t.instruction, tuple(dict(e) for e in t.examples)) for t in KNOWDIST_TEMPLATES
    ]


@pytest.mark.parametrize(
    ("content", "row", "field", "fragment"),
    [
        ('[{"name": "a", "instruction": "x {text}"}, {"name": "b"}]', 2, "instruction", "missing"),
        ('[{"name": "a", "instruction": "x {text}", "examples": [{"text": "t"}]}]', 1, "examples", "lacks"),
        (
            '[{"name": "a", "instruction": "x {text}"}, {"name": "a", "instruction": "y {text}"}]',
            None,
            "name",
            "duplicate",
        ),
        ('[{"name": "a", "instruction": "x {text}"', None, None, "malformed JSON"),
        ('{"name": "a"}', None, None, "JSON list"),
    ],
)
def test_bad_template_files(tmp_path, content, row, field, fragment):
    path = write(tmp_path, "t.json", content)
    with pytest.raises(DataFormatError) as error:
        load_templates(path)
    assert_error(error, path, row, field, fragment)


def test_knowdist_prompts_cover_every_perspective(tmp_path):
    rows = build_knowdist_prompts(["Great food.", "Slow service."])
    assert len(rows) == 2 * len(KNOWDIST_TEMPLATES)
    assert set(rows["perspective"]) == {t.name for t in KNOWDIST_TEMPLATES}
    first = rows[0]
    assert first["prompt"].startswith("Text: Great food.") and first["teacher_prompt"].endswith(first["prompt"])
    assert first["teacher_prompt"].count("Text:") == 1 + len(KNOWDIST_TEMPLATES[0].examples)
    sampled = build_knowdist_prompts(
        Dataset.from_dict({"text": ["a b", "c d", "e f"]}), perspectives_per_text=2, seed=1
    )
    assert len(sampled) == 6
    assert (
        sampled["perspective"]
        == build_knowdist_prompts(["a b", "c d", "e f"], perspectives_per_text=2, seed=1)["perspective"]
    )
    with pytest.raises(ValueError, match="text 1 is empty"):
        build_knowdist_prompts(["fine", "   "])
    with pytest.raises(ValueError, match="perspectives_per_text"):
        build_knowdist_prompts(["fine"], perspectives_per_text=0)


# ---------------------------------------------------------------------------------- ICLDist
SENTIMENT = ICLTask(
    "sst2",
    [(f"text number {i} is {'good' if i % 2 else 'bad'}", "positive" if i % 2 else "negative") for i in range(12)],
    ["Classify the sentiment as one of: {labels}.", "Which label fits the text? Options: {labels}."],
    labels=["positive", "negative"],
)
ASPECTS = ICLTask(
    "atsa",
    [(f"the dish {i} was tasty", f"(dish {i}, positive)") for i in range(8)],
    ["List (aspect, polarity) pairs."],
)


def test_icl_prompts_hold_k_train_demonstrations_and_a_train_query():
    rows = build_icl_prompts([SENTIMENT, ASPECTS], k=3, per_task=5, seed=3)
    assert len(rows) == 10 and sorted(set(rows["task"])) == ["atsa", "sst2"]
    for row in rows:
        blocks = row["prompt"].split("\n\n")
        assert len(blocks) == 1 + 3 + 1
        source, answer = blocks[-1].split(":")[0], blocks[-1].rsplit("\n", 1)[1]
        assert (source, answer.rstrip(":")) in FORMATS
        texts = [block.split("\n")[0].split(": ", 1)[1] for block in blocks[1:]]
        pool = SENTIMENT.examples if row["task"] == "sst2" else ASPECTS.examples
        assert all(text in {t for t, _ in pool} for text in texts) and len(set(texts)) == 4
        if row["task"] == "sst2":
            assert sorted(label.lower() for label in row["label_choices"]) == ["negative", "positive"]
            assert row["gold"] in row["label_choices"]
        else:
            assert row["label_choices"] == []
    assert (
        build_icl_prompts([SENTIMENT], k=3, per_task=5, seed=3)["prompt"]
        == build_icl_prompts([SENTIMENT], k=3, per_task=5, seed=3)["prompt"]
    )
    with pytest.raises(ValueError, match="fewer than k"):
        build_icl_prompts([ASPECTS], k=8)
    with pytest.raises(ValueError, match="not among its labels"):
        ICLTask("bad", [("a", "pos"), ("b", "neg")], ["x"], labels=["positive", "negative"])


def test_icl_answers_take_the_teachers_label_argmax_and_first_generated_line():
    # Lower-case labels: the tiny BPE splits capitalised ones into a shared bare first token.
    rows = build_icl_prompts([SENTIMENT, ASPECTS], k=2, per_task=3, seed=0, vary_case=False)
    calls = []

    def label_distribution(prompts: list[str], labels: list[str]) -> np.ndarray:
        calls.append(labels)
        return np.tile(np.linspace(0.1, 0.9, len(labels)) / np.linspace(0.1, 0.9, len(labels)).sum(), (len(prompts), 1))

    answered = answer_icl_prompts(
        rows, lambda prompts: ["(dish 1, positive)\nText: more"] * len(prompts), label_distribution
    )
    for row in answered:
        if row["label_choices"]:
            assert row["completion"] == " " + row["label_choices"][-1]
            assert sum(row["teacher_label_probs"]) == pytest.approx(1.0)
        else:
            assert row["completion"] == " (dish 1, positive)" and row["teacher_label_probs"] == []
    prepared, _ = prepare_distillation_dataset(answered, tiny_tokenizer())
    assert len(prepared) == len(rows)


# ---------------------------------------------------------------------------- example script
@pytest.fixture
def run_distill():
    """The training script's module: `hf-sentiment train distill` (its `main(argv)` returns the metrics)."""
    from hf_sentiment.cli import train_distill

    return train_distill


def test_example_runs_both_stages_and_evaluates(run_distill, tmp_path, tokenizer, shared_data):
    teacher, student = tmp_path / "teacher", tmp_path / "student"
    for folder, seed in ((teacher, 1), (student, 2)):
        tiny_causal_lm(tokenizer, seed=seed).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    common = ["--teacher", str(teacher), "--cache", str(tmp_path / "cache.jsonl"), "--data_dir", str(shared_data),
              "--teacher_max_new_tokens", "8", "--max_steps", "2", "--per_device_train_batch_size", "2",
              "--report_to", "none", "--disable_tqdm", "True", "--use_cpu", "True", "--max_length", "256",
              "--vary_label_case", "False"]  # the tiny BPE splits capitalised labels into a bare "Ġ" first  # fmt: skip
    first = run_distill.main(["--stage", "knowdist", "--student", str(student), "--num_texts", "2",
                              "--peft_config", '{"r": 4, "lora_alpha": 8}',
                              "--output_dir", str(tmp_path / "k"), *common])  # fmt: skip
    adapter_config = json.loads((tmp_path / "k" / "adapter_config.json").read_text())
    assert (adapter_config["r"], adapter_config["lora_alpha"]) == (4, 8)
    assert first["rows"] + sum(first["left_out_or_cut"].values()) >= 2 * len(KNOWDIST_TEMPLATES)
    second = run_distill.main(["--stage", "icldist", "--student", str(tmp_path / "k" / "merged"), "--tasks", "sst2,atsa_rest16",
                               "--per_task", "2", "--k", "1", "--eval_tasks", "sst2", "--eval_max_examples", "2",
                               "--eval_seeds", "42", "--output_dir", str(tmp_path / "i"), *common])  # fmt: skip
    assert 0.0 <= second["sentibench_mean"] <= 1.0
    adapter = AutoPeftModelForCausalLM.from_pretrained(tmp_path / "i")
    assert isinstance(adapter, PeftModel)
    assert (tmp_path / "i" / "sentibench_results.json").exists()
    card = ModelCard.load(tmp_path / "i" / "README.md")
    assert [(r.dataset_name, r.metric_value) for r in card.data.eval_results] == [
        ("sentibench/sst2", second["sentibench_mean"])
    ]
    cached = (tmp_path / "cache.jsonl").read_text().count("\n")
    # A rerun of stage 2 asks the teacher nothing new: every answer is cached.
    run_distill.main(["--stage", "icldist", "--student", str(tmp_path / "k" / "merged"), "--tasks", "sst2,atsa_rest16",
                      "--per_task", "2", "--k", "1", "--output_dir", str(tmp_path / "i2"), *common])  # fmt: skip
    assert (tmp_path / "cache.jsonl").read_text().count("\n") == cached
    with pytest.raises(SystemExit, match="exactly one of --teacher"):
        run_distill.main(["--stage", "icldist", "--student", str(student), "--output_dir", str(tmp_path / "x")])
    with pytest.raises(SystemExit, match="--stage"):
        run_distill.main(
            [
                "--stage",
                "third",
                "--student",
                str(student),
                "--teacher",
                str(teacher),
                "--output_dir",
                str(tmp_path / "x"),
            ]
        )


def test_label_kd_is_divided_by_the_accumulation_steps_like_the_summed_sequence_loss(tmp_path, tokenizer):
    trainer, data = make_trainer(
        tmp_path,
        tokenizer,
        tiny_causal_lm(tokenizer),
        use_peft=False,
        label_kd_weight=0.5,
        gradient_accumulation_steps=2,
    )
    assert trainer.model_accepts_loss_kwargs
    batch = DataCollatorForDistillation(tokenizer)([data[i] for i in range(3)])
    trainer.current_gradient_accumulation_steps = 2
    items = int((batch["labels"][:, 1:] != IGNORE_INDEX).sum()) * 2  # as if a second micro-batch had as many
    model = trainer.model.eval()
    with torch.no_grad():
        loss = trainer.compute_loss(model, dict(batch), num_items_in_batch=items)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    shifted, targets = logits[:, :-1], batch["labels"][:, 1:]
    keep = targets != IGNORE_INDEX
    summed = torch.nn.functional.cross_entropy(shifted[keep], targets[keep], reduction="sum")
    kd = label_kd_loss(logits, batch["label_position"], batch["label_token_ids"], batch["teacher_label_probs"], 1.0)
    torch.testing.assert_close(loss, summed / items + 0.5 * kd / 2, rtol=1e-5, atol=1e-6)


def test_labels_sharing_a_first_student_token_are_refused(tokenizer):
    rows = Dataset.from_dict({"prompt": ["x"], "completion": [" Negative"], "label_choices": [["Negative", "Positive"]],
                              "teacher_label_probs": [[0.5, 0.5]]})  # fmt: skip
    with pytest.raises(ValueError, match="share a first token"):
        prepare_distillation_dataset(rows, tokenizer)


def test_student_adapter_and_merged_export_load_without_hf_sentiment(
    tmp_path, tokenizer, base_folder, python_without_hf_sentiment
):
    """The distilled student as shared: its adapter (with the card) and its merged export load in a
    fresh environment that has transformers, torch and peft but not hf_sentiment, and give the
    logits of the trained student."""
    trainer, data = make_trainer(tmp_path, tokenizer, AutoModelForCausalLM.from_pretrained(base_folder))
    trainer.train()
    trainer.save_model()
    trainer.create_model_card(base_model="HuggingFaceTB/SmolLM2-135M-Instruct", datasets={"sentibench": "research use"})
    trainer.export_merged(tmp_path / "merged")
    assert "distillation" in ModelCard.load(tmp_path / "out" / "README.md").data.tags
    batch = DataCollatorForDistillation(tokenizer)([data[i] for i in range(3)])
    with torch.no_grad():
        expected = trainer.model.eval()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    np.save(tmp_path / "input_ids.npy", batch["input_ids"].numpy())
    np.save(tmp_path / "attention_mask.npy", batch["attention_mask"].numpy())

    script = textwrap.dedent(
        f"""
        import importlib.util, numpy as np, torch
        from peft import AutoPeftModelForCausalLM
        from transformers import AutoModelForCausalLM
        assert importlib.util.find_spec("hf_sentiment") is None, "hf_sentiment must not be importable here"
        inputs = {{k: torch.from_numpy(np.load({str(tmp_path)!r} + f"/{{k}}.npy")) for k in ("input_ids", "attention_mask")}}
        with torch.no_grad():
            adapter = AutoPeftModelForCausalLM.from_pretrained({str(tmp_path / "out")!r}).eval()
            merged = AutoModelForCausalLM.from_pretrained({str(tmp_path / "merged")!r}).eval()
            np.save({str(tmp_path / "adapter.npy")!r}, adapter(**inputs).logits.numpy())
            np.save({str(tmp_path / "merged.npy")!r}, merged(**inputs).logits.numpy())
        """
    )
    run_clean(python_without_hf_sentiment, script, tmp_path)
    np.testing.assert_allclose(np.load(tmp_path / "adapter.npy"), expected.numpy(), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(np.load(tmp_path / "merged.npy"), expected.numpy(), atol=1e-4, rtol=1e-4)
