"""The `targeted-sentiment` pipeline: every aspect of a sentence with its polarity.

```python
>>> from transformers import pipeline
>>> import hf_sentiment  # registers the task
>>> classifier = pipeline("targeted-sentiment", model="path/to/fckt-model")
>>> classifier("The battery life is great but the screen is dim.")
[{'aspect': 'battery life', 'start': 4, 'end': 16, 'polarity': 'positive', 'score': 0.97, 'aspect_score': 0.99},
 {'aspect': 'screen', 'start': 34, 'end': 40, 'polarity': 'negative', 'score': 0.95, 'aspect_score': 0.98}]
>>> classifier("The battery life is great.", aspects=[(4, 16)])  # gold-span mode: polarity only
[{'aspect': 'battery life', 'start': 4, 'end': 16, 'polarity': 'positive', 'score': 0.97}]
```

Long inputs are split into overlapping windows of `max_length` tokens (`stride` tokens shared by
neighbours); spans found in several windows are merged by non-maximum suppression on characters.
Self-contained (torch + transformers + its folder): every saved FCKT folder carries this file and
names it in `config.custom_pipelines`, so where hf_sentiment is not installed
`pipeline(model=folder, trust_remote_code=True)` builds this pipeline from the folder's copy.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from transformers.pipelines.base import ChunkPipeline

from .alignment import (
    boundary_candidate_masks,
    char_span_to_token_span,
    end_of_grapheme,
    is_blank,
    sentence_spans,
    word_char_spans,
)
from .configuration_fckt import IGNORE_INDEX


class TargetedSentimentPipeline(ChunkPipeline):
    """Extract aspects and their polarities with an FCKT model (see the module docstring).

    Call arguments:
        inputs (`str` or `list[str]`): the texts (a list runs longest first in length-sorted
            batches and is answered in its own order).
        aspects (`list[tuple[int, int]]` or `list[dict]`, *optional*): character spans
            (`(start, end)` or `{"start": ..., "end": ...}`) whose polarity to predict instead of
            extracting aspects (one sentence at a time).
        max_length (`int`, *optional*): tokens per window; defaults to the model's limit (at most 512).
        stride (`int`, *optional*, defaults to 32): tokens shared by consecutive windows.
        int8 (`bool` or `str`, *optional*, defaults to `False`, at construction): run all the
            encoder's linear layers (`True` or `"all"`) or its feed-forward layers only (`"ffn"`)
            in int8 on CPU (`quantize_encoder_int8`): faster, slightly different scores.
        onnx (`bool` or `str`, *optional*, defaults to `False`, at construction): run the encoder
            and boundary heads with ONNX Runtime from the folder's `model.onnx`
            (`hf_sentiment.fckt.export_onnx` writes it), or from the `.onnx` file given; decoding
            runs the same Python code as without it. Needs `onnxruntime`.
        split_sentences (`bool`, *optional*, defaults to `True`): cut a text into sentences (after
            `.`, `!` or `?` and white space) and decode each on its own, as the model was trained;
            `False` reads the text whole. Spans given with `aspects` are always scored in the whole text.

    Returns:
        Per text, a list of `{"aspect", "start", "end", "polarity", "score"}` sorted by `start`
        (`score`: the polarity's probability); extracted aspects also carry `aspect_score`, the
        sigmoid of the span's score against the null span.
    """

    def __init__(self, *args: Any, int8: bool | str = False, onnx: bool | str = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model.eval()  # decoding runs in eval mode only
        if int8 and onnx:
            raise ValueError("targeted-sentiment: choose int8 or onnx, not both (quantise the ONNX graph instead).")
        if int8:
            self.model = quantize_encoder_int8(self.model, "all" if int8 is True else int8)
        self.onnx_session = _onnx_session(self.model, onnx) if onnx else None

    def __call__(self, inputs: str | list[str], **kwargs: Any) -> list[dict[str, Any]] | list[list[dict[str, Any]]]:
        """Aspects of one text (a list of dicts) or of each text of a list (a list of lists, in the
        order of the texts)."""
        if not isinstance(inputs, list):
            return super().__call__(inputs, **kwargs)
        if not inputs:
            return []  # transformers' Pipeline.__call__ fails on an empty batch with an IndexError
        # Batches of texts of similar length pad less (length-sorted batches ran 1.8x the forward
        # of batches in input order on Laptop-14): run the texts longest first, then put the
        # results back in the order they came.
        order = sorted(range(len(inputs)), key=lambda i: -len(inputs[i]) if isinstance(inputs[i], str) else 0)
        results = super().__call__([inputs[i] for i in order], **kwargs)
        in_order: list[Any] = [None] * len(inputs)
        for position, index in enumerate(order):
            in_order[index] = results[position]
        return in_order

    def _sanitize_parameters(
        self,
        aspects: Sequence[Any] | None = None,
        max_length: int | None = None,
        stride: int | None = None,
        split_sentences: bool | None = None,
        **kwargs,
    ) -> tuple[dict, dict, dict]:
        preprocess: dict[str, Any] = {}
        if aspects is not None:
            preprocess["aspects"] = [_as_char_span(aspect) for aspect in aspects]
        if max_length is not None:
            preprocess["max_length"] = max_length
        if stride is not None:
            preprocess["stride"] = stride
        if split_sentences is not None:
            preprocess["split_sentences"] = split_sentences
        return preprocess, {}, {}

    def _model_max_length(self) -> int:
        limits = [
            512,
            getattr(self.model.config.backbone_config, "max_position_embeddings", 512),
        ]
        if self.tokenizer.model_max_length and self.tokenizer.model_max_length < 10**6:
            limits.append(self.tokenizer.model_max_length)
        return min(limits)

    def preprocess(
        self,
        inputs: str,
        aspects: list[tuple[int, int]] | None = None,
        max_length: int | None = None,
        stride: int = 32,
        split_sentences: bool = True,
    ) -> Iterator[dict[str, Any]]:
        if not isinstance(inputs, str):
            raise TypeError(f"targeted-sentiment takes a string or a list of strings, got {type(inputs).__name__}.")
        if is_blank(inputs):  # invisible characters only (e.g. U+200B) are as empty as ""
            raise ValueError("targeted-sentiment: the input text is empty.")
        max_length = max_length or self._model_max_length()
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 0:
            raise ValueError(f"targeted-sentiment: stride must be a whole number >= 0, got {stride!r}.")
        if stride >= max_length - 2:
            raise ValueError(
                f"targeted-sentiment: stride ({stride}) must be smaller than max_length - 2 ({max_length - 2})."
            )
        for start, end in aspects or []:
            if not 0 <= start < end <= len(inputs):
                raise ValueError(
                    f"targeted-sentiment: aspect span ({start}, {end}) is not inside the text of length {len(inputs)}."
                )
            if is_blank(inputs[start:end]):  # no token covers it, so no window can hold it
                raise ValueError(
                    f"targeted-sentiment: aspect span ({start}, {end}) holds no word: {inputs[start:end]!r}."
                )
        # Sentence by sentence: the model learned to score spans within a sentence, and a 400-word
        # review read as one window kept 53% of the aspects its sentences give one by one (69%).
        # Given spans are scored in the whole text's windows.
        pieces = sentence_spans(inputs) if split_sentences and aspects is None else [(0, len(inputs))]
        for number, (begin, finish) in enumerate(pieces):
            last_piece = number == len(pieces) - 1
            yield from self._windows(inputs, begin, finish, aspects, max_length, stride, last_piece)

    def _windows(
        self,
        text: str,
        begin: int,
        finish: int,
        aspects: list[tuple[int, int]] | None,
        max_length: int,
        stride: int,
        last_piece: bool,
    ) -> Iterator[dict[str, Any]]:
        """The model inputs of `text[begin:finish]`, one per window, offsets counted in `text`."""
        encoded = self.tokenizer(
            text[begin:finish],
            truncation=True,
            max_length=max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        windows = len(encoded["input_ids"])
        words = word_char_spans((encoded.word_ids(w), encoded["offset_mapping"][w]) for w in range(windows))
        for window in range(windows):
            starts, ends = boundary_candidate_masks(encoded.word_ids(window), encoded["offset_mapping"][window], words)
            # Special tokens keep their empty (0, 0); the rest move to the text's own positions.
            offsets = [(a + begin, b + begin) if b > a else (a, b) for a, b in encoded["offset_mapping"][window]]
            item: dict[str, Any] = {
                key: torch.tensor([encoded[key][window]])
                for key in ("input_ids", "attention_mask", "token_type_ids")
                if key in encoded
            }
            item["start_candidate_mask"] = torch.tensor([starts])
            item["end_candidate_mask"] = torch.tensor([ends])
            item["offset_mapping"] = torch.tensor([offsets])
            item["text"] = text
            if aspects is not None:
                found = [(i, char_span_to_token_span(offsets, s, e)) for i, (s, e) in enumerate(aspects)]
                item["aspect_token_spans"] = [list(span) for _, span in found if span is not None]
                item["aspect_ids"] = [i for i, span in found if span is not None]
                item["char_spans"] = aspects
            item["is_last"] = last_piece and window == windows - 1
            yield item

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        passthrough = {
            key: model_inputs.pop(key)
            for key in ("is_last", "text", "offset_mapping", "aspect_ids", "char_spans")
            if key in model_inputs
        }
        gold = model_inputs.pop("aspect_token_spans", None)
        if gold is not None:
            # Unbatched, a value is the window's own list; batched, a list of those lists.
            per_window = gold if isinstance(passthrough["text"], list) else [gold]
            most = max((len(spans) for spans in per_window), default=0)
            spans = torch.full((len(per_window), max(most, 1), 2), IGNORE_INDEX, dtype=torch.long)
            for row, window_spans in enumerate(per_window):
                if window_spans:
                    spans[row, : len(window_spans)] = torch.tensor(window_spans)
            model_inputs["aspect_spans"] = spans.to(self.device)
        output = self.model(**model_inputs) if self.onnx_session is None else self._onnx_forward(model_inputs)
        result = {
            "predicted_spans": output.predicted_spans,
            "predicted_span_scores": output.predicted_span_scores,
            "predicted_polarities": output.predicted_polarities,
            "predicted_polarity_scores": output.predicted_polarity_scores,
            **passthrough,
        }
        if gold is not None:
            result["aspect_probabilities"] = output.aspect_polarity_logits.softmax(-1)
        return result

    def _onnx_forward(self, model_inputs: dict[str, Any]) -> Any:
        """The model's output with `encode` run by ONNX Runtime and the rest by `outputs_from_encoding`."""
        feeds = {
            graph_input.name: model_inputs[graph_input.name].cpu().numpy().astype("int64")
            for graph_input in self.onnx_session.get_inputs()
        }
        hidden, start_logits, end_logits = (
            torch.from_numpy(array).to(self.device) for array in self.onnx_session.run(None, feeds)
        )
        decoding = {
            key: model_inputs[key]
            for key in ("aspect_spans", "start_candidate_mask", "end_candidate_mask")
            if key in model_inputs
        }
        return self.model.outputs_from_encoding(
            hidden, start_logits, end_logits, model_inputs["attention_mask"], **decoding
        )

    def postprocess(self, all_outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        text = all_outputs[0]["text"]
        id2label = self.model.config.id2label
        if "char_spans" in all_outputs[0]:
            return _polarities_of_given_spans(all_outputs, text, id2label)

        candidates = []
        for window in all_outputs:
            offsets = window["offset_mapping"][0].tolist()
            for (start, end), span_score, polarity, polarity_score in zip(
                window["predicted_spans"][0].tolist(),
                window["predicted_span_scores"][0].tolist(),
                window["predicted_polarities"][0].tolist(),
                window["predicted_polarity_scores"][0].tolist(),
            ):
                if start < 0:
                    continue
                candidates.append(
                    (
                        span_score,
                        offsets[start][0],
                        end_of_grapheme(text, offsets[end][1]),
                        polarity,
                        polarity_score,
                    )
                )
        # Windows overlap: keep the best-scored span of every overlapping group.
        kept: list[tuple] = []
        for candidate in sorted(candidates, key=lambda c: -c[0]):
            if all(candidate[2] <= other[1] or candidate[1] >= other[2] for other in kept):
                kept.append(candidate)
        return [
            {
                "aspect": text[start:end],
                "start": start,
                "end": end,
                "polarity": id2label[polarity],
                "score": polarity_score,
                "aspect_score": float(torch.sigmoid(torch.tensor(span_score))),
            }
            for span_score, start, end, polarity, polarity_score in sorted(kept, key=lambda c: c[1])
        ]


def _polarities_of_given_spans(
    all_outputs: list[dict[str, Any]], text: str, id2label: dict[int, str]
) -> list[dict[str, Any]]:
    char_spans = all_outputs[0]["char_spans"]
    results: list[dict[str, Any] | None] = [None] * len(char_spans)
    for window in all_outputs:
        probabilities = window["aspect_probabilities"][0]
        for row, aspect_id in enumerate(window["aspect_ids"]):
            if results[aspect_id] is None:
                score, polarity = probabilities[row].max(-1)
                start, end = char_spans[aspect_id]
                results[aspect_id] = {
                    "aspect": text[start:end],
                    "start": start,
                    "end": end,
                    "polarity": id2label[int(polarity)],
                    "score": float(score),
                }
    missing = [char_spans[i] for i, result in enumerate(results) if result is None]
    if missing:
        raise ValueError(
            f"targeted-sentiment: aspect spans {missing} do not fit in one window; raise max_length or stride."
        )
    return results


#: What `quantize_encoder_int8` quantises: every linear layer (the default), or the feed-forward pairs only.
INT8_LAYERS = ("all", "ffn")


class Int8Linear(torch.nn.Module):
    """A `torch.nn.Linear` run as an int8 matrix product on CPU: `y ≈ (s_x · s_w) ⊙ (q(x) @ q(W)ᵀ) + b`.

    The weight `W` (out_features, in_features) is rounded once to int8 with one scale per output
    channel, `s_w = max_j |W_oj| / 127`. Each input row (one token) gets its own scale at call
    time, `s_x = max_j |x_j| / 127`, so a token's rounding never depends on the other tokens of the
    batch or on padding (a scale per batch tensor, as `torch.ao`'s dynamic quantisation uses,
    does: on one model it cost 1.42 joint-F1 points where this costs 0.57, `docs/benchmarks.md`).
    The int8 × int8 → int32 product is `torch._int_mm`.

    Args:
        linear (`torch.nn.Linear`): the float layer; its weight and bias are copied.

    Shapes: input `(*, in_features)`, output `(*, out_features)` in the input's dtype (computed in
    float32 around the int8 product). Inference only.
    """

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        weight_int8, weight_scale = _int8_rows(linear.weight.detach())
        # Stored (in, out), the layout `_int_mm`'s second operand is read in.
        self.register_buffer("weight_int8", weight_int8.t().contiguous())
        self.register_buffer("weight_scale", weight_scale.squeeze(1))
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float().clone())

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and hidden.requires_grad:
            # Rounding has no useful gradient: a backward pass would be silently wrong.
            raise RuntimeError("Int8Linear is for inference: call it under torch.no_grad() / inference_mode().")
        rows, scale = _int8_rows(hidden.reshape(-1, self.in_features))
        out = torch._int_mm(rows, self.weight_int8).float() * (scale * self.weight_scale)
        if self.bias is not None:
            out = out + self.bias
        return out.to(hidden.dtype).reshape(*hidden.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _int8_rows(matrix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`matrix` `(R, K)` rounded to int8 row by row, symmetrically: the int8 matrix `(R, K)` and
    each row's scale `(R, 1)` (float32, `max |row| / 127`), so that `int8 * scale ≈ matrix`."""
    matrix = matrix.float()
    scale = (matrix.abs().amax(dim=1, keepdim=True) / 127.0).clamp(min=torch.finfo(torch.float32).tiny)
    return torch.round(matrix / scale).to(torch.int8), scale


def quantize_encoder_int8(model: Any, layers: str = "all") -> Any:
    """`model` with linear layers of its encoder replaced by `Int8Linear` (int8 weights with a
    scale per output channel, activations rounded to int8 per token at call time), on CPU. The
    boundary and polarity heads stay in float. In place; returns the model.

    `layers="all"` (what `int8=True` means) quantises every linear layer; `"ffn"` only each
    layer's feed-forward pair (`intermediate.dense`, `output.dense`), leaving attention in float.
    Measured on seven trained Laptop-14 and Restaurant-14 models (`benchmarks/fckt_int8.py`,
    `docs/benchmarks.md`): "all" ran 1.7-2.5x fp32 and moved test joint F1 by -0.57 to +0.35;
    "ffn" is slower and no closer to fp32.

    Quantised weights are not a transformers checkpoint, so this runs at load time (the pipeline's
    `int8=True`, `hf-sentiment predict --int8`) rather than being saved.
    """
    if layers not in INT8_LAYERS:
        raise ValueError(f"targeted-sentiment: int8 takes layers in {INT8_LAYERS}, got {layers!r}.")
    if model.device.type != "cpu":
        raise ValueError(f"targeted-sentiment: int8 runs on CPU, the model is on {model.device}.")

    def feed_forward(name: str) -> bool:
        return name.endswith("intermediate.dense") or (name.endswith("output.dense") and "attention" not in name)

    chosen = [
        name
        for name, module in model.encoder.named_modules()
        if isinstance(module, torch.nn.Linear) and (layers == "all" or feed_forward(name))
    ]
    for name in chosen:
        parent_name, _, child = name.rpartition(".")
        parent = model.encoder.get_submodule(parent_name)
        setattr(parent, child, Int8Linear(getattr(parent, child)))
    return model


def _onnx_session(model: Any, onnx: bool | str) -> Any:
    """An ONNX Runtime session on `onnx` (a `.onnx` file), or on the model folder's `model.onnx` for `True`."""
    import os

    try:
        import onnxruntime
    except ImportError as error:
        raise ImportError('targeted-sentiment: onnx=... needs onnxruntime (pip install "hf-sentiment[onnx]").') from error
    path = os.path.join(model.name_or_path, "model.onnx") if onnx is True else os.fspath(onnx)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"targeted-sentiment: no ONNX graph at {path}; write one with hf_sentiment.fckt.export_onnx "
            "(or `hf-sentiment export onnx`)."
        )
    options = onnxruntime.SessionOptions()
    # As many threads as PyTorch would use (OMP_NUM_THREADS / torch.set_num_threads), not one per core.
    options.intra_op_num_threads = torch.get_num_threads()
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _as_char_span(aspect: Any) -> tuple[int, int]:
    if isinstance(aspect, dict) and "start" in aspect and "end" in aspect:
        start, end = aspect["start"], aspect["end"]
    elif isinstance(aspect, (tuple, list)) and len(aspect) == 2:
        start, end = aspect
    else:
        raise ValueError(
            f"targeted-sentiment: an aspect must be (start, end) or {{'start': ..., 'end': ...}}, got {aspect!r}."
        )
    # int() would read True as 1 and cut 4.7 to 4: a span the caller did not mean.
    for offset in (start, end):
        if isinstance(offset, bool) or not isinstance(offset, numbers.Integral):  # NumPy integers are Integral
            raise ValueError(
                f"targeted-sentiment: aspect offsets must be whole numbers (character positions), got {aspect!r}."
            )
    return int(start), int(end)


__all__ = ["INT8_LAYERS", "Int8Linear", "TargetedSentimentPipeline", "quantize_encoder_int8"]
