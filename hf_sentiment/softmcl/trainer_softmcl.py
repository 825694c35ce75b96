"""`SoftMCLTrainer` and its `SoftMCLTrainingArguments`: continued pre-training with a momentum key
encoder and valence-carrying key queues.

What the trainer adds to `transformers.Trainer` (via `LossPartsTrainer`, which also logs
`mlm_loss`, `word_loss` and `sentence_loss`):

* after every optimizer step, the EMA update of the key encoder and the enqueue of the step's keys
  ([`SoftMCLForPreTraining.update_momentum_and_queue`]); under several processes the keys were
  already gathered from all of them in the forward pass, so every process enqueues the same keys
  and the queues stay identical;
* a default [`DataCollatorForSoftMCL`] built from `processing_class` and `mlm_probability`.

Resuming needs nothing extra: the key encoder, the queues and their pointers are parameters and
buffers of the model, so every checkpoint's `model.safetensors` holds them, and `Trainer` restores
the optimizer, scheduler, data order and RNG (hence the MLM masks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from transformers import TrainerCallback, TrainingArguments

from ..data.valence_encoding import DataCollatorForSoftMCL
from ..training import LossPartsTrainer
from .modeling_softmcl import SoftMCLForPreTraining


@dataclass
class SoftMCLTrainingArguments(TrainingArguments):
    """`TrainingArguments` for [`SoftMCLTrainer`].

    Args:
        mlm_probability (`float`, defaults to 0.15): share of tokens masked for MLM by the default
            collator.
    """

    mlm_probability: float = field(default=0.15, metadata={"help": "Share of tokens masked for MLM."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.mlm_probability < 1.0:
            raise ValueError(f"mlm_probability must lie in (0, 1), got {self.mlm_probability}.")


class _MomentumAndQueueCallback(TrainerCallback):
    """Runs the EMA update and the enqueue once per optimizer step (after `optimizer.step()`,
    before any checkpoint of that step is written)."""

    def on_step_end(self, args, state, control, model=None, **kwargs: Any):
        model.update_momentum_and_queue()
        return control


class SoftMCLTrainer(LossPartsTrainer):
    """A `Trainer` for [`SoftMCLForPreTraining`].

    Example:

    ```python
    >>> from hf_sentiment import SoftMCLForPreTraining, SoftMCLTrainer, SoftMCLTrainingArguments
    >>> model = SoftMCLForPreTraining.from_pretrained_encoder(encoder_path)
    >>> args = SoftMCLTrainingArguments("out", max_steps=1000, per_device_train_batch_size=32)
    >>> trainer = SoftMCLTrainer(model=model, args=args, train_dataset=encoded, processing_class=tokenizer)
    >>> trainer.train()
    >>> model.export_encoder("out/encoder", tokenizer=tokenizer)
    ```
    """

    def __init__(
        self,
        model: SoftMCLForPreTraining,
        args: SoftMCLTrainingArguments,
        *pargs: Any,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, SoftMCLForPreTraining):
            raise TypeError(f"SoftMCLTrainer trains a SoftMCLForPreTraining, got {type(model).__name__}.")
        if kwargs.get("data_collator") is None:
            tokenizer = kwargs.get("processing_class")
            if tokenizer is None:
                raise ValueError("SoftMCLTrainer needs `processing_class=tokenizer` or a `data_collator`.")
            kwargs["data_collator"] = DataCollatorForSoftMCL(
                tokenizer, mlm_probability=getattr(args, "mlm_probability", 0.15)
            )
        super().__init__(model, args, *pargs, **kwargs)
        self.add_callback(_MomentumAndQueueCallback())


__all__ = ["SoftMCLTrainer", "SoftMCLTrainingArguments"]
