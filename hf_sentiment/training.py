"""`LossPartsTrainer`: a `Trainer` that also logs the parts of a model's loss.

Our models return their loss parts as `*_loss` fields of their output (FCKT: `ae_loss`,
`sp_loss`, `cl_loss`; LCL: `ce_loss`, `contrastive_loss`, `weighting_ce_loss`), but a plain
`Trainer` logs only `loss`. Training works the same with either; this subclass only adds the
averaged parts to each training log line.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import Trainer


class LossPartsTrainer(Trainer):
    """A `transformers.Trainer` whose training logs carry the mean of every `*_loss` output field
    over the optimizer steps since the previous log (averaged over processes too).

    Example:

    ```python
    >>> trainer = LossPartsTrainer(model=model, args=args, train_dataset=train, data_collator=collator)
    >>> trainer.train()  # logs e.g. {'loss': 1.9, 'ae_loss': 1.2, 'sp_loss': 0.6, 'cl_loss': 1.1, ...}
    ```
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
                {k: v for k, v in outputs.items() if k.endswith("_loss") and isinstance(v, torch.Tensor)}
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


__all__ = ["LossPartsTrainer"]
