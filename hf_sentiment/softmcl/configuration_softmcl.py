"""Configuration of SoftMCL-style sentiment-aware pre-training (Wang, Yu & Zhang, LREC-COLING 2024).

Self-contained (transformers only) so that it travels with a saved model folder.
"""

from __future__ import annotations

import copy
from typing import Any

from transformers import AutoConfig, BertConfig, PreTrainedConfig


# Copied from hf_sentiment.fckt.configuration_fckt._backbone_config with FCKT->SoftMCL
def _backbone_config(backbone_config: PreTrainedConfig | dict[str, Any] | None) -> PreTrainedConfig:
    """`backbone_config` as a configuration object: a `dict` (it must name its `model_type`) goes
    through `AutoConfig.for_model`, `None` gives a BERT-base configuration."""
    if isinstance(backbone_config, dict):
        backbone_config = dict(backbone_config)
        if "model_type" not in backbone_config:
            raise ValueError("SoftMCLConfig: `backbone_config` given as a dict needs a 'model_type' key.")
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
            raise ValueError(f"SoftMCLConfig: backbone_config.{name} must be a whole number >= 1, got {value!r}.")
    return backbone_config


class SoftMCLConfig(PreTrainedConfig):
    r"""Configuration of [`SoftMCLForPreTraining`].

    The authors' code is not public and the paper leaves μ, the queue sizes, the temperatures and
    the loss weights unstated; the defaults below start from MoCo's usual values (μ = 0.999,
    τ = 0.07). See `docs/softmcl.md` for what is our reading ("SoftMCL-style").

    Args:
        backbone_config (`PreTrainedConfig` or `dict`, *optional*): the encoder's configuration;
            its type must have an `AutoModelForMaskedLM` class (BERT, RoBERTa, DeBERTa, ...). A
            `dict` needs `model_type`. Defaults to BERT-base.
        mlm_weight (`float`, defaults to 1.0): weight of the masked-language-modelling loss.
        word_weight (`float`, defaults to 1.0): weight of the word-level soft contrastive loss
            (0 turns it off).
        sentence_weight (`float`, defaults to 1.0): weight of the sentence-level soft contrastive
            loss (0 turns it off).
        word_temperature (`float`, defaults to 0.07): τ of the word-level representation similarity.
        sentence_temperature (`float`, defaults to 0.07): τ of the sentence-level representation
            similarity.
        momentum (`float`, defaults to 0.999): μ of the key encoder's update
            `θ_k ← μ·θ_k + (1 − μ)·θ_q`.
        word_queue_size (`int`, defaults to 4096): keys (with their valences) kept for the word
            level; 0 disables the queue (batch keys only).
        sentence_queue_size (`int`, defaults to 1024): the same for the sentence level.
        projection_dim (`int`, defaults to 128): size of the word and sentence projections.
        gather_keys (`bool`, defaults to `True`): under several processes, compare each query
            with the keys of the whole global batch (gathered; keys carry no gradient), so the
            loss equals a one-process run at the same global batch, and enqueue those keys.
        soft_target_temperature (`float`, *optional*): sharpness of the soft target at both levels.
            `None` (default) keeps the linear reading `q_ij ∝ 1 − |v_i − v_j|`; a value t > 0 uses the
            exponential reading `q_ij ∝ exp(−|v_i − v_j| / t)` (smaller t: more mass on keys of close
            valence). Over Warriner word valences the linear target is nearly uniform (KL to uniform
            about 0.01 nats); t = 0.035 makes it as informative as a 3-class label (log 3 nats), as
            measured and chosen by `benchmarks/softmcl_target.py` (see `docs/softmcl.md`).
    """

    model_type = "softmcl"
    sub_configs = {"backbone_config": AutoConfig}
    keys_to_ignore_at_inference = ["mlm_loss", "word_loss", "sentence_loss"]

    def __init__(
        self,
        backbone_config: PreTrainedConfig | dict[str, Any] | None = None,
        mlm_weight: float = 1.0,
        word_weight: float = 1.0,
        sentence_weight: float = 1.0,
        word_temperature: float = 0.07,
        sentence_temperature: float = 0.07,
        momentum: float = 0.999,
        word_queue_size: int = 4096,
        sentence_queue_size: int = 1024,
        projection_dim: int = 128,
        gather_keys: bool = True,
        # Added after the others, so it comes last: positional arguments keep their meaning.
        soft_target_temperature: float | None = None,
        **kwargs: Any,
    ) -> None:
        backbone_config = _backbone_config(backbone_config)
        for name, value in (
            ("mlm_weight", mlm_weight),
            ("word_weight", word_weight),
            ("sentence_weight", sentence_weight),
        ):
            if value < 0:
                raise ValueError(f"SoftMCLConfig: {name} must be >= 0, got {value}.")
        for name, value in (
            ("word_temperature", word_temperature),
            ("sentence_temperature", sentence_temperature),
        ):
            if value <= 0:
                raise ValueError(f"SoftMCLConfig: {name} must be > 0, got {value}.")
        # `not > 0` also refuses NaN.
        if soft_target_temperature is not None and (
            isinstance(soft_target_temperature, bool) or not soft_target_temperature > 0
        ):
            raise ValueError(
                "SoftMCLConfig: soft_target_temperature must be > 0 (or None for the linear target "
                f"1 − |v_i − v_j|), got {soft_target_temperature!r}."
            )
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SoftMCLConfig: momentum (μ) must lie in [0, 1], got {momentum}.")
        for name, value in (
            ("word_queue_size", word_queue_size),
            ("sentence_queue_size", sentence_queue_size),
        ):
            if value < 0:
                raise ValueError(f"SoftMCLConfig: {name} must be >= 0, got {value}.")
        self.backbone_config = backbone_config
        self.mlm_weight = mlm_weight
        self.word_weight = word_weight
        self.sentence_weight = sentence_weight
        self.word_temperature = word_temperature
        self.sentence_temperature = sentence_temperature
        self.soft_target_temperature = soft_target_temperature
        self.momentum = momentum
        self.word_queue_size = word_queue_size
        self.sentence_queue_size = sentence_queue_size
        self.projection_dim = projection_dim
        self.gather_keys = gather_keys
        # The encoder's padding id, so that Trainer's special-token alignment has nothing to change.
        kwargs.setdefault("pad_token_id", getattr(backbone_config, "pad_token_id", None))
        super().__init__(**kwargs)

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

    # Copied from hf_sentiment.fckt.configuration_fckt.FCKTConfig.initializer_range.setter with FCKT->SoftMCL
    @initializer_range.setter
    def initializer_range(self, value: float) -> None:
        # transformers sets it from keyword arguments (`SoftMCLConfig(initializer_range=...)`,
        # `from_pretrained(..., initializer_range=...)`): it is the backbone's, so it goes there.
        self.backbone_config.initializer_range = value

    @property
    def uses_key_encoder(self) -> bool:
        return self.word_weight > 0 or self.sentence_weight > 0


__all__ = ["SoftMCLConfig"]
