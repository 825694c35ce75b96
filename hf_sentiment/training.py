"""`LossPartsTrainer`: the `Trainer` every hf-sentiment trainer builds on.

It adds two things to `transformers.Trainer`, and training works the same without them:

- the parts of a model's loss in each training log line: our models return them as scalar
  output fields (FCKT: `ae_loss`, `sp_loss`, `cl_loss`; LCL: `ce_loss`, `contrastive_loss`,
  `weighting_ce_loss` and the diagnostic `weighting_entropy`), but a plain `Trainer` logs only `loss`;
- `create_model_card` writes hf-sentiment's card for the model kind (`hf_sentiment.model_cards`)
  instead of the generic draft; `Trainer.push_to_hub` calls it, so the pushed folder and the
  local `output_dir` hold the same card.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer

from .model_cards import (
    KINDS,
    CardResult,
    build_model_card,
    model_kind,
    results_from_metrics,
    training_hyperparameters,
)


class LossPartsTrainer(Trainer):
    """A `transformers.Trainer` whose training logs carry the mean of every scalar output field
    besides `loss` (the loss parts, and diagnostics such as LCL's `weighting_entropy`) over the
    optimizer steps since the previous log (averaged over processes too), and whose
    `create_model_card` writes hf-sentiment's card for the model's kind. On CPU it turns memory
    pinning off (it needs an accelerator, and torch warns at every DataLoader without one).

    Example:

    ```python
    >>> trainer = LossPartsTrainer(model=model, args=args, train_dataset=train, data_collator=collator)
    >>> trainer.train()  # logs e.g. {'loss': 1.9, 'ae_loss': 1.2, 'sp_loss': 0.6, 'cl_loss': 1.1, ...}
    ```
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.args.dataloader_pin_memory and self.args.device.type == "cpu":
            # Pinning needs an accelerator; without one torch ignores it and warns at every DataLoader
            # (each evaluation), a warning the user can do nothing useful about.
            self.args.dataloader_pin_memory = False
        self._loss_part_sums: dict[str, torch.Tensor] = {}
        self._loss_part_counts: dict[str, int] = {}

    def compute_loss(
        self,
        model: torch.nn.Module,
        inputs: dict[str, Any],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        if model.training and isinstance(outputs, dict):
            self.record_loss_parts(
                {k: v for k, v in outputs.items() if k != "loss" and isinstance(v, torch.Tensor) and v.dim() == 0}
            )
        return (loss, outputs) if return_outputs else loss

    def record_loss_parts(self, parts: dict[str, torch.Tensor]) -> None:
        """Add one micro-batch's loss parts (scalars) to the running means of the next log line;
        subclasses that compute extra terms in `compute_loss` report them here."""
        for key, value in parts.items():
            self._loss_part_sums[key] = self._loss_part_sums.get(key, 0.0) + value.detach().float()
            self._loss_part_counts[key] = self._loss_part_counts.get(key, 0) + 1

    def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
        if "loss" in logs and self._loss_part_sums:
            for key, total in self._loss_part_sums.items():
                mean = self.accelerator.reduce(total / self._loss_part_counts[key], reduction="mean")
                logs[key] = round(float(mean), 4)
            self._loss_part_sums.clear()
            self._loss_part_counts.clear()
        super().log(logs, *args, **kwargs)

    def create_model_card(
        self,
        language: str | None = None,
        license: str | None = None,
        tags: str | list[str] | None = None,
        model_name: str | None = None,
        *,
        base_model: str | None = None,
        datasets: dict[str, str] | None = None,
        results: Sequence[CardResult] | None = None,
        data_note: str = "",
        **generic: Any,
    ) -> None:
        """Write `README.md` into `args.output_dir`: the template of the model's kind filled with
        this run (training arguments, the method's settings, `base_model`, `datasets` with their
        terms, and `results`; by default the last dev evaluation in `state.log_history`).

        `Trainer.push_to_hub` (and `save_model` with `args.push_to_hub`) call this with no card
        arguments; the ones given to the last explicit call are reused then, so the pushed card is
        the one written locally. A model that is none of hf-sentiment's kinds (e.g. a student
        fine-tuned without PEFT) gets transformers' generic card.
        """
        if not self.is_world_process_zero():
            return
        try:
            kind = model_kind(self.model)
        except ValueError:
            super().create_model_card(language=language, license=license, tags=tags, model_name=model_name, **generic)
            return
        given = {"base_model": base_model, "datasets": datasets, "results": results, "data_note": data_note}
        if any(value not in (None, "") for value in given.values()):
            self._card_arguments = given
        card_arguments = getattr(self, "_card_arguments", given)
        datasets = dict(card_arguments["datasets"] or {})
        results = card_arguments["results"]
        if results is None:
            results = self._last_dev_results(kind, next(iter(datasets), "validation set"))
        card = build_model_card(
            kind, model_name=model_name or Path(self.args.output_dir).name, base_model=card_arguments["base_model"],
            datasets=datasets, hyperparameters=training_hyperparameters(self.args, self.model), results=list(results),
            repo_id=self.args.hub_model_id, data_note=card_arguments["data_note"],
            **({"license": license} if license else {}),
        )  # fmt: skip
        card.save(Path(self.args.output_dir) / "README.md")

    def _last_dev_results(self, kind: str, dataset_name: str) -> list[CardResult]:
        """The numeric metrics of the last evaluation in the logs (not its loss or timings)."""
        bookkeeping = {"loss", "runtime", "samples_per_second", "steps_per_second"}
        for entry in reversed(self.state.log_history):
            names = {
                key.removeprefix("eval_"): (key.removeprefix("eval_"), None)
                for key, value in entry.items()
                if key.startswith("eval_") and key.removeprefix("eval_") not in bookkeeping and isinstance(value, (int, float))
            }  # fmt: skip
            if names:
                return results_from_metrics(
                    entry, names, task_type=KINDS[kind]["pipeline_tag"], dataset_name=dataset_name,
                    dataset_split="validation", prefix="eval_",
                )  # fmt: skip
        return []


__all__ = ["LossPartsTrainer"]
