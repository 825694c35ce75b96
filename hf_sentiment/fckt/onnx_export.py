"""Export an FCKT model to ONNX: the graph is `FCKTForTargetedSentiment.encode` (the encoder and
the boundary heads), with dynamic batch and sequence axes; decoding stays in Python.

The exported folder is the model's own folder (weights, config, code, tokenizer) plus
`model.onnx`. Its graph takes the tokenizer's `input_ids`, `attention_mask` (and
`token_type_ids` where the tokenizer makes them) and returns `hidden_states` `(B, n, d)`,
`start_logits` and `end_logits` `(B, n)`. `pipeline("targeted-sentiment", model=folder,
onnx=True)` runs that graph with ONNX Runtime and hands its outputs to
`FCKTForTargetedSentiment.outputs_from_encoding`, the code the PyTorch path decodes with, so both
paths return the same spans (the span polarity classifier, a few small layers, runs in PyTorch).

Needs the `onnx` extra: `pip install "hf-sentiment[onnx]"` (onnx, onnxscript, onnxruntime).

Example:

```python
from hf_sentiment.fckt import export_onnx
export_onnx(model, tokenizer, "runs/fckt-onnx")
classifier = pipeline("targeted-sentiment", model="runs/fckt-onnx", onnx=True)
```
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from .modeling_fckt import FCKTForTargetedSentiment

#: The graph's file name inside the exported folder (what `onnx=True` looks for).
ONNX_FILE = "model.onnx"
ONNX_OUTPUTS = ("hidden_states", "start_logits", "end_logits")


class _EncodeGraph(nn.Module):
    """`encode` with tensor inputs and tensor outputs, as the exporter traces it."""

    def __init__(self, model: FCKTForTargetedSentiment) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        _, hidden, _, start_logits, end_logits = self.model.encode(input_ids, attention_mask, token_type_ids)
        return hidden, start_logits, end_logits


def export_onnx(
    model: FCKTForTargetedSentiment,
    tokenizer: PreTrainedTokenizerBase,
    output_dir: str | os.PathLike[str],
    *,
    opset_version: int = 18,
) -> Path:
    """Write `model`'s folder and its ONNX graph (`ONNX_FILE`) into `output_dir`.

    Args:
        model (`FCKTForTargetedSentiment`): the model (its encode graph is exported in eval mode).
        tokenizer (`PreTrainedTokenizerBase`): its tokenizer; decides the graph's inputs.
        output_dir (`str` or `os.PathLike`): the folder to write.
        opset_version (`int`, *optional*, defaults to 18): the ONNX opset.

    Returns:
        `Path`: the `model.onnx` file.
    """
    try:
        import onnxscript  # noqa: F401  (torch.onnx.export's exporter needs it)
    except ImportError as error:
        raise ImportError('export_onnx needs the onnx extra: pip install "hf-sentiment[onnx]"') from error
    output = Path(output_dir)
    model = model.eval()
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    sample = tokenizer(["A short one.", "A somewhat longer sentence to export with."], padding=True, return_tensors="pt")
    names = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in sample]
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    path = output / ONNX_FILE
    with warnings.catch_warnings(), torch.no_grad():
        # The axes share one batch and one sequence dimension on purpose; the exporter says so once per input.
        warnings.filterwarnings("ignore", message=".*will not be used, since it shares the same shape constraints.*")
        # torch's exporter calls a pytree API it has itself deprecated; nothing for a user to change.
        warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\)` is deprecated.*")
        torch.onnx.export(
            _EncodeGraph(model).eval(),
            tuple(sample[name] for name in names),
            str(path),
            input_names=names,
            output_names=list(ONNX_OUTPUTS),
            dynamic_shapes={name: {0: batch, 1: sequence} for name in names},
            opset_version=opset_version,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    return path


__all__ = ["ONNX_FILE", "ONNX_OUTPUTS", "export_onnx"]
