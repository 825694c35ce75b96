"""Configuration of FCKT (Chen et al., IJCAI 2025) for targeted sentiment analysis.

This file is self-contained (it imports only transformers) so that a saved model folder carries it
as remote code.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from transformers import AutoConfig, BertConfig, PreTrainedConfig

DEFAULT_POLARITIES = ("positive", "negative", "neutral")
#: What the polarity classifier reads besides the span (`FCKTConfig.polarity_context`).
POLARITY_CONTEXTS = ("none", "attention")

#: Padding of `aspect_spans` / `aspect_labels` (the `CrossEntropyLoss` convention). Here, not in the
#: modeling file, so that the data encoder and the pipeline read it without importing the model.
IGNORE_INDEX = -100
#: [CLS] / <s>: the boundary target of a sentence without aspects.
NULL_POSITION = 0

#: The `targeted-sentiment` pipeline a saved folder carries (`pipeline_fckt.py` beside the model),
#: as `transformers.pipeline` reads it from `config.custom_pipelines`.
TARGETED_SENTIMENT_PIPELINE = {
    "targeted-sentiment": {"impl": "pipeline_fckt.TargetedSentimentPipeline", "pt": ["AutoModel"], "type": "text"}
}


def _registered_here(task: str) -> bool:
    from transformers.pipelines import PIPELINE_REGISTRY

    return task in PIPELINE_REGISTRY.get_supported_tasks()


def _backbone_config(backbone_config: PreTrainedConfig | dict[str, Any] | None) -> PreTrainedConfig:
    """`backbone_config` as a configuration object: a `dict` (it must name its `model_type`) goes
    through `AutoConfig.for_model`, `None` gives a BERT-base configuration."""
    if isinstance(backbone_config, dict):
        backbone_config = dict(backbone_config)
        if "model_type" not in backbone_config:
            raise ValueError("FCKTConfig: `backbone_config` given as a dict needs a 'model_type' key.")
        backbone_config = AutoConfig.for_model(**backbone_config)
    elif backbone_config is None:
        backbone_config = BertConfig()
    else:  # ours to change (`initializer_range`'s setter writes to it), never the caller's object
        backbone_config = copy.deepcopy(backbone_config)
    # A size of 0 or below builds an encoder that returns nothing useful (0 layers) or fails deep in
    # torch ("negative dimension"): name the field here instead.
    for name in ("num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "vocab_size"):
        value = getattr(backbone_config, name, None)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"FCKTConfig: backbone_config.{name} must be a whole number >= 1, got {value!r}.")
    return backbone_config


def _check_labels(config: PreTrainedConfig) -> None:
    """`label2id` must be `id2label` inverted: the data encoder reads one and the metrics the other,
    so a mismatch would score every gold label as wrong instead of failing."""
    inverse = {label: index for index, label in config.id2label.items()}
    if config.label2id != inverse:
        raise ValueError(
            f"{type(config).__name__}: label2id {config.label2id} is not id2label {config.id2label} inverted."
        )


class FCKTConfig(PreTrainedConfig):
    r"""Configuration of [`FCKTForTargetedSentiment`].

    Every hyper-parameter that defines the objective or the decoding lives here, so it travels with
    the checkpoint. Names follow the paper's symbols where it has them.

    Args:
        backbone_config (`PreTrainedConfig` or `dict`, *optional*):
            Configuration of the encoder (any `AutoModel` encoder: BERT, RoBERTa, DeBERTa, MPNet,
            XLM-R, ...). A `dict` must carry its `model_type`. Defaults to a BERT-base config.
        id2label (`dict[int, str]`, *optional*):
            The polarity classes. Defaults to `positive`, `negative`, `neutral`.
        contrastive_temperature (`float`, defaults to 0.07):
            τ of the token-level InfoNCE over aspect boundary tokens.
        contrastive_weight (`float`, defaults to 0.1):
            λ in `L = L_ae + L_sp + λ·L_cl`. `0` disables the contrastive term.
        gold_span_ratio (`float`, defaults to 0.7):
            ξ of the alternating strategy: the probability that an aspect's sentiment loss uses its
            gold boundaries; otherwise it uses the expectation over the predicted boundary
            distribution. `1.0` is the extract-then-classify baseline (Hu et al., 2019).
        expectation_max_width (`int`, defaults to 3):
            h: the expectation runs over the n·h candidate spans of at most `h` tokens (cost
            O(n·h²·d): linear in the sequence length n, no `n × n` tensor).
        max_span_length (`int`, defaults to 12):
            Longest span (in tokens) that decoding may return.
        n_best (`int`, defaults to 10):
            Number of top start and top end positions that decoding pairs up, for a text of up to
            `n_best_words` words; a longer text gets proportionally more (see `n_best_words`).
        n_best_words (`int`, defaults to 128):
            The number of words (start candidates) `n_best` serves. A text of `w` words gets
            `max(n_best, ceil(n_best · w / n_best_words))` candidates, so that a long review read in
            one window keeps as many aspects per word as a sentence does (a fixed 10 kept about a
            quarter of them on a 400-word review). The default leaves every sentence of the
            SemEval-14 sets (at most 78 words) at `n_best`.
        span_threshold (`float`, defaults to 0.0):
            γ: a span is kept when `start_logit + end_logit` exceeds the same sum at the null
            ([CLS]) position by at least γ. Scoring against the null position makes γ independent of
            the arbitrary offset of the softmax logits.
        sentiment_hidden_size (`int`, *optional*):
            Width of the polarity classifier's hidden layer. Defaults to the encoder's hidden size.
        polarity_context (`str`, defaults to `"none"`):
            What the polarity classifier reads besides the span's own pooled tokens. `"none"` is the
            paper's classifier. `"attention"` adds a context vector: attention over the whole
            sentence with the pooled span as the query and a learned bias per token-to-span distance,
            concatenated to the span vector, so that "cheap" can speak for "keyboard" in "the battery
            is excellent but the keyboard feels cheap" (our addition, not in the paper).
        polarity_context_max_distance (`int`, defaults to 8):
            With `polarity_context="attention"`: the distance bias has one value per token distance
            to the span up to this many tokens, and one shared by every token farther away.
        classifier_dropout (`float`, defaults to 0.1):
            Dropout on the encoder features that feed the boundary heads and the span pooling,
            and before the polarity classifier's output layer.
        custom_pipelines (`dict`, *optional*):
            The pipelines a saved folder names for `transformers.pipeline` (`pipeline_fckt.py` is
            saved beside the model). Defaults to the `targeted-sentiment` task; `{}` ships none.
    """

    model_type = "fckt"
    sub_configs = {"backbone_config": AutoConfig}
    # Fields of FCKTOutput that Trainer must not collect as predictions: the loss parts are
    # scalars and the boundary logits are only needed inside `forward`.
    keys_to_ignore_at_inference = [
        "ae_loss",
        "sp_loss",
        "cl_loss",
        "start_logits",
        "end_logits",
    ]

    def __init__(
        self,
        backbone_config: PreTrainedConfig | dict[str, Any] | None = None,
        contrastive_temperature: float = 0.07,
        contrastive_weight: float = 0.1,
        gold_span_ratio: float = 0.7,
        expectation_max_width: int = 3,
        max_span_length: int = 12,
        n_best: int = 10,
        n_best_words: int = 128,
        span_threshold: float = 0.0,
        sentiment_hidden_size: int | None = None,
        polarity_context: str = "none",
        polarity_context_max_distance: int = 8,
        classifier_dropout: float = 0.1,
        custom_pipelines: dict[str, dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        backbone_config = _backbone_config(backbone_config)
        if "id2label" not in kwargs and "num_labels" not in kwargs:
            kwargs["id2label"] = dict(enumerate(DEFAULT_POLARITIES))
        if not 0.0 <= gold_span_ratio <= 1.0:
            raise ValueError(f"FCKTConfig: gold_span_ratio (ξ) must lie in [0, 1], got {gold_span_ratio}.")
        if contrastive_temperature <= 0:
            raise ValueError(f"FCKTConfig: contrastive_temperature (τ) must be > 0, got {contrastive_temperature}.")
        # NaN fails every comparison, so a NaN γ would keep no span at all and report nothing.
        if not math.isfinite(span_threshold):
            raise ValueError(f"FCKTConfig: span_threshold (γ) must be a finite number, got {span_threshold}.")
        if not 0.0 <= classifier_dropout < 1.0:
            raise ValueError(f"FCKTConfig: classifier_dropout must lie in [0, 1), got {classifier_dropout}.")
        if polarity_context not in POLARITY_CONTEXTS:
            raise ValueError(f"FCKTConfig: polarity_context must be one of {POLARITY_CONTEXTS}, got {polarity_context!r}.")
        for name, value in (
            ("polarity_context_max_distance", polarity_context_max_distance),
            ("expectation_max_width", expectation_max_width),
            ("max_span_length", max_span_length),
            ("n_best", n_best),
            ("n_best_words", n_best_words),
        ):
            if value < 1:
                raise ValueError(f"FCKTConfig: {name} must be >= 1, got {value}.")

        self.backbone_config = backbone_config
        self.contrastive_temperature = contrastive_temperature
        self.contrastive_weight = contrastive_weight
        self.gold_span_ratio = gold_span_ratio
        self.expectation_max_width = expectation_max_width
        self.max_span_length = max_span_length
        self.n_best = n_best
        self.n_best_words = n_best_words
        self.span_threshold = span_threshold
        self.sentiment_hidden_size = sentiment_hidden_size
        self.polarity_context = polarity_context
        self.polarity_context_max_distance = polarity_context_max_distance
        self.classifier_dropout = classifier_dropout
        # The encoder's padding id, so that Trainer's special-token alignment has nothing to change.
        kwargs.setdefault("pad_token_id", getattr(backbone_config, "pad_token_id", None))
        super().__init__(**kwargs)
        self.custom_pipelines = TARGETED_SENTIMENT_PIPELINE if custom_pipelines is None else custom_pipelines
        if not self.label2id:
            # transformers v5 no longer derives it; the data encoder and the metrics need it.
            self.label2id = {label: index for index, label in self.id2label.items()}
        _check_labels(self)

    @property
    def hidden_size(self) -> int:
        return self.backbone_config.hidden_size

    @property
    def initializer_range(self) -> float:
        """The backbone's `initializer_range` (0.02 where it has none): `PreTrainedModel._init_weights`
        reads it here to initialise the heads on the encoder's scale."""
        return getattr(self.backbone_config, "initializer_range", 0.02)

    @initializer_range.setter
    def initializer_range(self, value: float) -> None:
        # transformers sets it from keyword arguments (`FCKTConfig(initializer_range=...)`,
        # `from_pretrained(..., initializer_range=...)`): it is the backbone's, so it goes there.
        self.backbone_config.initializer_range = value

    @property
    def custom_pipelines(self) -> dict[str, dict[str, Any]]:
        """The pipelines the saved folder carries, less any task this process has registered.

        `transformers.pipeline` prefers a config's custom pipelines to its registry and then
        demands `trust_remote_code`; where hf_sentiment is imported, its own registered class
        serves the task instead. The full mapping is what `to_dict` saves.
        """
        return {task: spec for task, spec in self._custom_pipelines.items() if not _registered_here(task)}

    @custom_pipelines.setter
    def custom_pipelines(self, value: dict[str, dict[str, Any]]) -> None:
        self._custom_pipelines = dict(value)

    def to_dict(self) -> dict[str, Any]:
        output = super().to_dict()
        output["custom_pipelines"] = output.pop("_custom_pipelines", {})
        return output


__all__ = ["IGNORE_INDEX", "NULL_POSITION", "POLARITY_CONTEXTS", "FCKTConfig"]
