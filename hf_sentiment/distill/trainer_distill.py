"""`DistillationTrainer` and its `DistillationTrainingArguments`: sequence-level distillation of a teacher's
answers into a PEFT (LoRA by default) causal-LM student, with an optional label-level KD term.

Rows (see [`prepare_distillation_dataset`]) hold a `prompt` and the teacher's `completion`; the
student learns `completion` given `prompt`, with the cross-entropy on the completion tokens only
(Zhang et al., 2025, distil by fine-tuning on teacher-generated text). Rows of a classification
task may also carry `label_choices` (the task's verbalised labels) and `teacher_label_probs` (the
teacher's distribution over them, e.g. from `Teacher.label_distribution`); then

    L = L_seq + label_kd_weight · T² · KL(softmax(t / T) ‖ softmax(s / T))

where `t` are the teacher's label log-probabilities and `s` the student's next-token logits at the
answer's first position restricted to the first token of each label *in the student's own
tokenizer*, so the term works when teacher and student tokenise differently (the KD term is
[`LabelDistillationLoss`], in `label_distillation_loss.py`).

The student is wrapped with `peft.get_peft_model` unless it already is a `PeftModel` or
`use_peft=False` (full fine-tuning, e.g. as a baseline); the adapter is the trainer's `peft_config`
argument (a `peft.PeftConfig`, as TRL's trainers take it), else the arguments' `peft_config` (LoraConfig
keyword arguments, `--peft_config '{"r": 8}'` on the command line), else [`default_lora_config`]. `trainer.save_model()` writes the adapter
with PEFT's own format (it loads with `peft.AutoPeftModelForCausalLM`); [`export_merged`] writes a
plain checkpoint with the adapter merged into the base weights.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from peft import LoraConfig, PeftConfig, PeftModel, get_peft_model
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainingArguments

from ..causal_lm import first_label_token_ids, padding_token_id
from ..data.errors import ReadReport
from ..training import LossPartsTrainer
from ..utils.logging import get_logger
from .label_distillation_loss import LabelDistillationLoss, label_kd_loss

logger = get_logger(__name__)

IGNORE_INDEX = -100


#: The LoRA settings of [`default_lora_config`]; a `peft_config` dict replaces some of them.
DEFAULT_LORA_KWARGS: dict[str, Any] = {
    "r": 16,
    "lora_alpha": 32,
    "lora_dropout": 0.05,
    "target_modules": "all-linear",
    "task_type": "CAUSAL_LM",
}


def default_lora_config() -> LoraConfig:
    """LoRA on every linear layer, r = 16, α = 32, dropout 0.05."""
    return LoraConfig(**DEFAULT_LORA_KWARGS)


def resolve_peft_config(peft_config: PeftConfig | dict[str, Any] | None) -> PeftConfig:
    """The adapter a `peft_config` value stands for: a `PeftConfig` as it is; a dict as
    `LoraConfig` keyword arguments that replace those of [`default_lora_config`] (so `{"r": 8}`
    changes the rank only); `None` as [`default_lora_config`].

    Raises:
        TypeError: for a value of any other type.
        ValueError: for a dict with a key `LoraConfig` does not take.
    """
    if peft_config is None:
        return default_lora_config()
    if isinstance(peft_config, PeftConfig):
        return peft_config
    if isinstance(peft_config, dict):
        try:
            return LoraConfig(**{**DEFAULT_LORA_KWARGS, **peft_config})
        except TypeError as error:  # an unknown key: a bad value (the command line reports it as such)
            raise ValueError(f"peft_config: {error} (the keys are LoraConfig's arguments).") from error
    raise TypeError(f"peft_config must be a peft.PeftConfig or a dict, got {type(peft_config).__name__}.")


def _json_safe(value: Any) -> Any:
    """`value` with sets as sorted lists and enums as their values, recursively (for `to_dict`)."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_json_safe(item) for item in value)
    if isinstance(value, Enum):
        return value.value
    return value


@dataclass
class DistillationTrainingArguments(TrainingArguments):
    """`TrainingArguments` for [`DistillationTrainer`] (also importable as `DistillationConfig`,
    its former name).

    Args:
        peft_config (`dict` or `str`, *optional*): `LoraConfig` keyword arguments for the adapter,
            replacing those of [`default_lora_config`] (its default); on the command line a JSON
            object, `--peft_config '{"r": 8, "lora_alpha": 16}'`, parsed as transformers parses its
            dict arguments (`_VALID_DICT_FIELDS`). Any other adapter (a `peft.PeftConfig`) goes to
            the trainer: `DistillationTrainer(..., peft_config=config)`. A `PeftConfig` given here
            still works, with a `FutureWarning`.
        use_peft (`bool`, *optional*, defaults to `True`): `False` fine-tunes every weight of the student.
        max_length (`int`, *optional*, defaults to 512): prompt + completion tokens; longer rows lose the
            *start* of their prompt (the completion is kept whole), counted in the report.
        label_kd_weight (`float`, *optional*, defaults to 0.0): weight of the label-level KD term (0: off).
        label_kd_temperature (`float`, *optional*, defaults to 1.0): T of the label-level KD term.
        append_eos (`bool`, *optional*, defaults to `True`): end every completion with the EOS token, so the
            student learns to stop.

    > These defaults differ from `TrainingArguments`':
    > - `remove_unused_columns`: `False` instead of `True`. The distillation columns (the label-KD
    >   targets) are not `forward()` arguments and must reach the trainer; `True` drops them, and
    >   with them the label-level KD term.
    """

    _VALID_DICT_FIELDS = TrainingArguments._VALID_DICT_FIELDS + ["peft_config"]

    # Defaults overridden from TrainingArguments (a user's value is kept as given).
    remove_unused_columns: bool = field(
        default=False,
        metadata={
            "help": "Drop dataset columns that are not forward() arguments. False by default here: True drops the "
            "label-KD columns, and with them the label-level KD term."
        },
    )

    peft_config: dict | str | None = field(
        default=None,
        metadata={
            "help": 'LoraConfig keyword arguments as a JSON object, e.g. \'{"r": 8, "lora_alpha": 16}\', replacing '
            "those of the default adapter (r=16, lora_alpha=32, lora_dropout=0.05, all linear layers)."
        },
    )
    use_peft: bool = field(default=True, metadata={"help": "Train a PEFT adapter (False: full fine-tuning)."})
    max_length: int = field(default=512, metadata={"help": "Prompt + completion tokens."})
    label_kd_weight: float = field(default=0.0, metadata={"help": "Weight of the label-level KD term."})
    label_kd_temperature: float = field(default=1.0, metadata={"help": "Temperature of the label-level KD term."})
    append_eos: bool = field(default=True, metadata={"help": "End completions with EOS."})

    def __post_init__(self) -> None:
        super().__post_init__()  # reads a JSON-object string in `peft_config` into a dict
        if isinstance(self.peft_config, PeftConfig):
            warnings.warn(
                "A peft.PeftConfig in DistillationTrainingArguments(peft_config=...) is deprecated: pass it to "
                "DistillationTrainer(..., peft_config=...), or give LoraConfig keyword arguments here as a dict.",
                FutureWarning,
                stacklevel=3,
            )
        elif isinstance(self.peft_config, dict):
            resolve_peft_config(self.peft_config)  # a bad key fails here, not after the teacher has run
        elif self.peft_config is not None:
            raise TypeError(
                "peft_config must be a dict of LoraConfig arguments (a JSON object on the command line), got "
                f"{type(self.peft_config).__name__} {self.peft_config!r}."
            )
        if self.label_kd_weight < 0:
            raise ValueError(f"label_kd_weight must be >= 0, got {self.label_kd_weight}.")
        if self.label_kd_temperature <= 0:
            raise ValueError(f"label_kd_temperature must be > 0, got {self.label_kd_temperature}.")
        if self.remove_unused_columns and self.label_kd_weight > 0:
            logger.warning(
                "remove_unused_columns=True drops the label-KD columns (they are not forward() arguments), so "
                "label_kd_weight=%s has no effect; leave remove_unused_columns at False to keep the KD term.",
                self.label_kd_weight,
            )

    def to_dict(self) -> dict[str, Any]:
        """`TrainingArguments.to_dict`, with `peft_config` in plain JSON types (a deprecated
        `PeftConfig` as its dict), so `to_json_string` and the loggers' hyper-parameters work."""
        d = super().to_dict()
        if isinstance(d.get("peft_config"), PeftConfig):
            d["peft_config"] = d["peft_config"].to_dict()
        if d.get("peft_config") is not None:
            d["peft_config"] = _json_safe(d["peft_config"])
        return d


#: The former name of [`DistillationTrainingArguments`] (the same class).
DistillationConfig = DistillationTrainingArguments


def prepare_distillation_dataset(
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase,
    *,
    max_length: int = 512,
    append_eos: bool = True,
) -> tuple[Dataset, ReadReport]:
    """Tokenise `prompt` / `completion` rows for [`DistillationTrainer`].

    Args:
        dataset (`datasets.Dataset`): rows with `prompt` and `completion` (strings) and,
            optionally, `label_choices` (`list[str]`) with `teacher_label_probs` (`list[float]`,
            same length, summing to 1).
        tokenizer (`PreTrainedTokenizerBase`): the *student's* tokenizer.
        max_length (`int`, *optional*, defaults to 512): prompt + completion tokens (see
            [`DistillationTrainingArguments`]).
        append_eos (`bool`, *optional*, defaults to `True`): end every completion with the EOS
            token.

    Returns:
        `tuple[datasets.Dataset, ReadReport]`: Rows with `input_ids`, `attention_mask`, `labels` (-100 on the prompt), and for label-KD
        rows `label_token_ids` (the first student token of `" " + label`), `label_position` (the
        index whose logits predict the answer's first token) and `teacher_label_probs`; and a
        report counting truncated prompts and rows left out (empty completion, completion longer
        than `max_length`).
    """
    for column in ("prompt", "completion"):
        if column not in dataset.column_names:
            raise ValueError(f"prepare_distillation_dataset: no column {column!r} (columns: {dataset.column_names}).")
    has_kd = "label_choices" in dataset.column_names
    if has_kd and "teacher_label_probs" not in dataset.column_names:
        raise ValueError("prepare_distillation_dataset: 'label_choices' needs a 'teacher_label_probs' column.")
    report = ReadReport()
    rows: dict[str, list[Any]] = {"input_ids": [], "attention_mask": [], "labels": []}
    if has_kd:
        rows.update({"label_token_ids": [], "label_position": [], "teacher_label_probs": []})
    for index, row in enumerate(dataset):
        if not row["completion"].strip():
            report.add("rows with an empty completion")
            continue
        prompt_ids = tokenizer(row["prompt"], add_special_tokens=True)["input_ids"]
        completion_ids = tokenizer(row["completion"], add_special_tokens=False)["input_ids"]
        if append_eos and tokenizer.eos_token_id is not None:
            completion_ids = completion_ids + [tokenizer.eos_token_id]
        if len(completion_ids) >= max_length:
            report.add("rows whose completion alone exceeds max_length")
            continue
        room = max_length - len(completion_ids)
        if len(prompt_ids) > room:
            report.add("prompts cut at the start to fit max_length")
            prompt_ids = prompt_ids[len(prompt_ids) - room :]
        rows["input_ids"].append(prompt_ids + completion_ids)
        rows["attention_mask"].append([1] * (len(prompt_ids) + len(completion_ids)))
        rows["labels"].append([IGNORE_INDEX] * len(prompt_ids) + completion_ids)
        if has_kd:
            choices, probs = row["label_choices"] or [], row["teacher_label_probs"] or []
            if len(choices) != len(probs):
                raise ValueError(
                    f"prepare_distillation_dataset: row {index}: {len(choices)} label_choices but "
                    f"{len(probs)} teacher_label_probs."
                )
            # The first student token of `" " + label`, as the answer follows the prompt.
            try:
                first_tokens = first_label_token_ids(tokenizer, [c.strip() for c in choices])
            except ValueError as error:
                raise ValueError(
                    f"prepare_distillation_dataset: row {index}: {error} in the student's tokenizer, so their "
                    "label-level KD targets would collide; rename a label."
                ) from error
            rows["label_token_ids"].append(first_tokens)
            rows["label_position"].append(len(prompt_ids) - 1)
            rows["teacher_label_probs"].append([float(p) for p in probs])
    report.log(logger, "distillation dataset")
    return Dataset.from_dict(rows), report


@dataclass
class DataCollatorForDistillation:
    """Right-pads `input_ids` (pad token), `attention_mask` (0) and `labels` (-100); pads the
    label-KD columns (`label_token_ids` with -1, `teacher_label_probs` with 0) when present.

    `pad_token_id` defaults to the tokenizer's pad token, else (with a warning) its eos token, as
    the tokenizer has them when the collator is built.
    """

    tokenizer: PreTrainedTokenizerBase
    pad_to_multiple_of: int | None = None
    pad_token_id: int | None = None

    def __post_init__(self) -> None:
        if self.pad_token_id is None:
            self.pad_token_id = padding_token_id(self.tokenizer)

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        length = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        batch = {
            "input_ids": torch.full((len(features), length), self.pad_token_id, dtype=torch.long),
            "attention_mask": torch.zeros((len(features), length), dtype=torch.long),
            "labels": torch.full((len(features), length), IGNORE_INDEX, dtype=torch.long),
        }
        for row, feature in enumerate(features):
            n = len(feature["input_ids"])
            batch["input_ids"][row, :n] = torch.as_tensor(feature["input_ids"])
            batch["attention_mask"][row, :n] = 1
            batch["labels"][row, :n] = torch.as_tensor(feature["labels"])
        if "label_token_ids" in features[0]:
            width = max(1, max(len(f["label_token_ids"]) for f in features))
            batch["label_token_ids"] = torch.full((len(features), width), -1, dtype=torch.long)
            batch["teacher_label_probs"] = torch.zeros((len(features), width))
            batch["label_position"] = torch.tensor([f["label_position"] for f in features])
            for row, feature in enumerate(features):
                k = len(feature["label_token_ids"])
                if k:
                    batch["label_token_ids"][row, :k] = torch.as_tensor(feature["label_token_ids"])
                    batch["teacher_label_probs"][row, :k] = torch.as_tensor(feature["teacher_label_probs"])
        return batch


class DistillationTrainer(LossPartsTrainer):
    """A `Trainer` that distils teacher answers into a PEFT student.

    Args:
        model (`PreTrainedModel` or `PeftModel`): the student; wrapped with `peft.get_peft_model`
            unless it already is a `PeftModel` or `args.use_peft` is `False`.
        args ([`DistillationTrainingArguments`]): the training arguments.
        peft_config (`peft.PeftConfig` or `dict`, *optional*): the adapter, as TRL's trainers take
            it; defaults to `args.peft_config`, else [`default_lora_config`] (a dict: see
            [`resolve_peft_config`]). Giving both is an error, and so is giving one with a student
            that already is a `PeftModel` or with `use_peft=False`.
        *pargs, **kwargs: the other arguments of `transformers.Trainer`; without a `data_collator`,
            `processing_class` (the student's tokenizer) is needed.

    Example:

    ```python
    >>> from peft import LoraConfig
    >>> from hf_sentiment.distill import DistillationTrainer, DistillationTrainingArguments, prepare_distillation_dataset
    >>> train, report = prepare_distillation_dataset(rows, tokenizer, max_length=512)
    >>> args = DistillationTrainingArguments("runs/student", num_train_epochs=1, label_kd_weight=0.5)
    >>> trainer = DistillationTrainer(model=student, args=args, train_dataset=train, processing_class=tokenizer,
    ...                               peft_config=LoraConfig(r=8, target_modules="all-linear", task_type="CAUSAL_LM"))
    >>> trainer.train()
    >>> trainer.save_model()                    # the LoRA adapter, PEFT's format
    >>> trainer.export_merged("runs/student-merged")
    ```
    """

    def __init__(
        self,
        model: PreTrainedModel | PeftModel,
        args: DistillationTrainingArguments,
        *pargs: Any,
        peft_config: PeftConfig | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(args, DistillationTrainingArguments):
            raise TypeError(f"DistillationTrainer takes DistillationTrainingArguments, got {type(args).__name__}.")
        if peft_config is not None and args.peft_config is not None:
            raise ValueError(
                "peft_config is given twice, to DistillationTrainer and in its arguments; give it in one place."
            )
        peft_config = peft_config if peft_config is not None else args.peft_config
        if peft_config is not None and not args.use_peft:
            raise ValueError("peft_config is given but use_peft=False (full fine-tuning); drop one of them.")
        if peft_config is not None and isinstance(model, PeftModel):
            raise ValueError(
                "The student already is a PeftModel and a peft_config is given too: merge its adapter first "
                "(merge_and_unload()) or leave peft_config out to train the adapter it has."
            )
        if args.use_peft and not isinstance(model, PeftModel):
            with warnings.catch_warnings():
                # PEFT reads transformers' deprecated `is_gradient_checkpointing`; nothing for a user to change.
                warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing. is deprecated.*")
                model = get_peft_model(model, resolve_peft_config(peft_config))
        if kwargs.get("data_collator") is None:
            tokenizer = kwargs.get("processing_class")
            if tokenizer is None:
                raise ValueError("DistillationTrainer needs `processing_class=tokenizer` or a `data_collator`.")
            kwargs["data_collator"] = DataCollatorForDistillation(tokenizer)
        super().__init__(model, args, *pargs, **kwargs)
        self.label_kd_loss = LabelDistillationLoss(temperature=args.label_kd_temperature)

    def compute_loss(
        self,
        model: torch.nn.Module,
        inputs: dict[str, Any],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        kd_inputs = {
            name: inputs.pop(name, None) for name in ("label_token_ids", "label_position", "teacher_label_probs")
        }
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        # With `num_items_in_batch`, Trainer returns the token-summed loss over the whole
        # accumulated batch and no longer divides by the accumulation steps; a per-micro-batch
        # mean added to it must take that division itself.
        accumulated = self.model_accepts_loss_kwargs and num_items_in_batch is not None
        steps = getattr(self, "current_gradient_accumulation_steps", self.args.gradient_accumulation_steps)
        scale = 1.0 / steps if accumulated else 1.0
        parts = {"sequence_loss": loss.detach() / scale}
        if self.args.label_kd_weight > 0 and kd_inputs["label_token_ids"] is not None:
            kd = self.label_kd_loss(
                outputs.logits,
                kd_inputs["label_position"],
                kd_inputs["label_token_ids"],
                kd_inputs["teacher_label_probs"],
            )
            loss = loss + self.args.label_kd_weight * scale * kd
            parts["label_kd_loss"] = kd.detach()
        if model.training:
            self.record_loss_parts(parts)
        return (loss, outputs) if return_outputs else loss

    def export_merged(self, save_directory: str | Path) -> Path:
        """Save the student with its adapter merged into the base weights (a plain
        `AutoModelForCausalLM` checkpoint) and the tokenizer, from the main process only; the
        trainer's model is left as is."""
        save_directory = Path(save_directory)
        if not self.is_world_process_zero():
            return save_directory
        model = self.accelerator.unwrap_model(self.model)
        merged = copy.deepcopy(model).merge_and_unload() if isinstance(model, PeftModel) else model
        merged.save_pretrained(save_directory)
        if self.processing_class is not None:
            self.processing_class.save_pretrained(save_directory)
        return save_directory


__all__ = [
    "DataCollatorForDistillation",
    "DistillationConfig",
    "DistillationTrainer",
    "DistillationTrainingArguments",
    "default_lora_config",
    "label_kd_loss",  # kept importable here; it lives in label_distillation_loss.py
    "prepare_distillation_dataset",
    "resolve_peft_config",
]
