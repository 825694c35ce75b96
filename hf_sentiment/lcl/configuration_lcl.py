"""Configuration of label-aware contrastive fine-tuning (Suresh & Ong, EMNLP 2021).

Self-contained (transformers only) so that it travels with a saved model folder.
"""

from __future__ import annotations

import copy
from typing import Any

from transformers import AutoConfig, BertConfig, PreTrainedConfig

CONTRASTIVE_LOSSES = ("none", "supcon", "label_aware")
WEIGHTING_NETWORKS = ("separate", "shared")
VIEWS = ("embedding_dropout", "encoder_dropout")
POOLINGS = ("cls", "mean")


# Copied from hf_sentiment.fckt.configuration_fckt._backbone_config with FCKT->LCL
def _backbone_config(backbone_config: PreTrainedConfig | dict[str, Any] | None) -> PreTrainedConfig:
    """`backbone_config` as a configuration object: a `dict` (it must name its `model_type`) goes
    through `AutoConfig.for_model`, `None` gives a BERT-base configuration."""
    if isinstance(backbone_config, dict):
        backbone_config = dict(backbone_config)
        if "model_type" not in backbone_config:
            raise ValueError("LCLConfig: `backbone_config` given as a dict needs a 'model_type' key.")
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
            raise ValueError(f"LCLConfig: backbone_config.{name} must be a whole number >= 1, got {value!r}.")
    return backbone_config


# Copied from hf_sentiment.fckt.configuration_fckt._check_labels
def _check_labels(config: PreTrainedConfig) -> None:
    """`label2id` must be `id2label` inverted: the data encoder reads one and the metrics the other,
    so a mismatch would score every gold label as wrong instead of failing."""
    inverse = {label: index for index, label in config.id2label.items()}
    if config.label2id != inverse:
        raise ValueError(
            f"{type(config).__name__}: label2id {config.label2id} is not id2label {config.id2label} inverted."
        )


class LCLConfig(PreTrainedConfig):
    r"""Configuration of [`LCLForSequenceClassification`].

    Args:
        backbone_config (`PreTrainedConfig` or `dict`, *optional*): the encoder's configuration
            (any `AutoModel` encoder); a `dict` needs `model_type`. Defaults to BERT-base.
        id2label (`dict[int, str]`, *optional*): the classes.
        contrastive_loss (`str`, defaults to `"label_aware"`): `"label_aware"` (LCL), `"supcon"`
            (SupCon, no weighting network) or `"none"` (cross-entropy only).
        ce_weight (`float`, defaults to 0.5): λ in `λ·CE + (1 − λ)·contrastive`.
        contrastive_temperature (`float`, defaults to 0.3): τ of the contrastive loss (the authors' value).
        weighting_network (`str`, defaults to `"separate"`): `"separate"`: a second encoder with
            its own classifier, as in the paper; `"shared"`: a light linear head on the main
            encoder's pooled output (no second encoder). With `"shared"` the head's own
            cross-entropy also trains the main encoder (it reads the same pooled vector), so the
            encoder sees cross-entropy from two heads: λ + `weighting_ce_weight` in all.
        weighting_ce_weight (`float`, defaults to 0.5): weight of the weighting network's own
            cross-entropy.
        weighting_gradient (`bool`, defaults to `True`): whether the contrastive loss's gradient
            reaches the weighting network (the authors' code does not detach it). The loss can
            then fall by changing the weights rather than the embeddings (the true-class weight
            `w_i[y_i]` multiplies every positive term and enters the denominator); only the
            network's own cross-entropy ties the weights to the labels. With `"shared"` that
            gradient reaches the main encoder as well; `False` keeps it out.
        include_weighting_network (`bool`, defaults to `True`): whether the model holds the
            weighting network; `strip_weighting_network()` sets it to `False` for a lean
            inference checkpoint.
        second_view (`str`, defaults to `"embedding_dropout"`): where the second view of each
            example comes from when the batch brings no augmented input: `"embedding_dropout"`:
            a second dropout mask on the pooled representation (no extra encoder pass; a weak
            view: at `view_dropout` 0.1 an example and its view keep a cosine of about 0.95, so
            the self-positive is easy and the other same-class examples carry the signal);
            `"encoder_dropout"`: a second encoder pass with new dropout (SimCSE-style, twice the
            cost). An `augmented_input_ids` batch column (token-level augmentation) always wins.
        view_dropout (`float`, defaults to 0.1): dropout of the `"embedding_dropout"` view.
        pooling (`str`, defaults to `"cls"`): `"cls"` (first token) or `"mean"` (masked mean).
        classifier_dropout (`float`, defaults to 0.1): dropout before the classifiers.
    """

    model_type = "lcl"
    sub_configs = {"backbone_config": AutoConfig}
    keys_to_ignore_at_inference = ["ce_loss", "contrastive_loss", "weighting_ce_loss"]

    def __init__(
        self,
        backbone_config: PreTrainedConfig | dict[str, Any] | None = None,
        contrastive_loss: str = "label_aware",
        ce_weight: float = 0.5,
        contrastive_temperature: float = 0.3,
        weighting_network: str = "separate",
        weighting_ce_weight: float = 0.5,
        weighting_gradient: bool = True,
        include_weighting_network: bool = True,
        second_view: str = "embedding_dropout",
        view_dropout: float = 0.1,
        pooling: str = "cls",
        classifier_dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        backbone_config = _backbone_config(backbone_config)
        for name, value, allowed in (
            ("contrastive_loss", contrastive_loss, CONTRASTIVE_LOSSES),
            ("weighting_network", weighting_network, WEIGHTING_NETWORKS),
            ("second_view", second_view, VIEWS),
            ("pooling", pooling, POOLINGS),
        ):
            if value not in allowed:
                raise ValueError(f"LCLConfig: {name} must be one of {allowed}, got {value!r}.")
        if not 0.0 <= ce_weight <= 1.0:
            raise ValueError(f"LCLConfig: ce_weight (λ) must lie in [0, 1], got {ce_weight}.")
        if contrastive_temperature <= 0:
            raise ValueError(f"LCLConfig: contrastive_temperature must be > 0, got {contrastive_temperature}.")
        if weighting_ce_weight < 0:
            raise ValueError(f"LCLConfig: weighting_ce_weight must be >= 0, got {weighting_ce_weight}.")
        if not 0.0 <= view_dropout < 1.0:
            raise ValueError(f"LCLConfig: view_dropout must lie in [0, 1), got {view_dropout}.")
        self.backbone_config = backbone_config
        self.contrastive_loss = contrastive_loss
        self.ce_weight = ce_weight
        self.contrastive_temperature = contrastive_temperature
        self.weighting_network = weighting_network
        self.weighting_ce_weight = weighting_ce_weight
        self.weighting_gradient = weighting_gradient
        self.include_weighting_network = include_weighting_network
        self.second_view = second_view
        self.view_dropout = view_dropout
        self.pooling = pooling
        self.classifier_dropout = classifier_dropout
        # The encoder's padding id, so that Trainer's special-token alignment has nothing to change.
        kwargs.setdefault("pad_token_id", getattr(backbone_config, "pad_token_id", None))
        super().__init__(**kwargs)
        if not self.label2id:
            # transformers v5 no longer derives it.
            self.label2id = {label: index for index, label in self.id2label.items()}
        _check_labels(self)

    # Copied from hf_sentiment.fckt.configuration_fckt.FCKTConfig.hidden_size
    @property
    def hidden_size(self) -> int:
        return self.backbone_config.hidden_size

    # Copied from hf_sentiment.fckt.configuration_fckt.FCKTConfig.initializer_range
    @property
    def initializer_range(self) -> float:
        """The backbone's `initializer_range` (0.02 where it has none): `PreTrainedModel._init_weights`
        reads it here to initialise the heads on the encoder's scale."""
        return getattr(self.backbone_config, "initializer_range", 0.02)

    # Copied from hf_sentiment.fckt.configuration_fckt.FCKTConfig.initializer_range.setter with FCKT->LCL
    @initializer_range.setter
    def initializer_range(self, value: float) -> None:
        # transformers sets it from keyword arguments (`LCLConfig(initializer_range=...)`,
        # `from_pretrained(..., initializer_range=...)`): it is the backbone's, so it goes there.
        self.backbone_config.initializer_range = value

    @property
    def uses_weighting_network(self) -> bool:
        return self.contrastive_loss == "label_aware" and self.include_weighting_network


__all__ = ["LCLConfig"]
