"""Label-aware contrastive fine-tuning for sequence classification.

Suresh & Ong, "Not All Negatives are Equal: Label-Aware Contrastive Loss for Fine-grained Text
Classification", EMNLP 2021 (arXiv:2109.05427).

Training loss: `λ·CE + (1 − λ)·LCL (+ weighting_ce_weight · CE of the weighting network)`, where
LCL weighs each negative by how likely the weighting network finds its class for the anchor. At
inference only the encoder and the main classifier run; the output is a plain
`SequenceClassifierOutput`-style `logits`.

Self-contained (torch + transformers + its folder) so that a saved folder loads with
`trust_remote_code=True` where hf_sentiment is not installed.

Shapes: `B` batch, `n` sequence length, `d` hidden size, `C` classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoModel, PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_lcl import LCLConfig
from .label_aware_contrastive_loss import LabelAwareContrastiveLoss


@dataclass
class LCLOutput(ModelOutput):
    """Output of [`LCLForSequenceClassification`].

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*): the total training loss, when
            `labels` are given.
        ce_loss, contrastive_loss, weighting_ce_loss (`torch.FloatTensor` of shape `()`,
            *optional*): its parts (the last two only in training mode, when used).
        logits (`torch.FloatTensor` of shape `(B, C)`): the main classifier's scores.
        hidden_states, attentions: from the encoder, when asked for.
        weighting_entropy (`torch.FloatTensor` of shape `()`, *optional*): the mean entropy (nats)
            of the weighting network's class weights over both views' rows, detached: 0 when they
            are one-hot, log C when uniform (training mode, LCL only; `LossPartsTrainer` logs it).
    """

    loss: torch.FloatTensor | None = None
    ce_loss: torch.FloatTensor | None = None
    contrastive_loss: torch.FloatTensor | None = None
    weighting_ce_loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    # Last, so that `to_tuple()` keeps the positions it had before this field.
    weighting_entropy: torch.FloatTensor | None = None


class LCLPreTrainedModel(PreTrainedModel):
    config_class = LCLConfig
    base_model_prefix = "encoder"
    main_input_name = "input_ids"
    supports_gradient_checkpointing = True
    # No `_init_weights` here: `PreTrainedModel`'s own gives the heads' `nn.Linear` layers
    # N(0, `config.initializer_range`), the backbone's value, and zero biases; the encoder, a
    # `PreTrainedModel` too, initialises itself.
    # No `get_input_embeddings` / `set_input_embeddings` either: `PreTrainedModel`'s own reach the
    # encoder's through `base_model_prefix` (`resize_token_embeddings` and PEFT use them).


class LCLForSequenceClassification(LCLPreTrainedModel):
    """Encoder + classifier trained with cross-entropy and a (label-aware) contrastive loss.

    Example:

    ```python
    >>> from hf_sentiment import LCLForSequenceClassification
    >>> model = LCLForSequenceClassification.from_pretrained_encoder(
    ...     "path/to/encoder", id2label={0: "anger", 1: "joy"}, weighting_network="shared")
    ```
    """

    def __init__(self, config: LCLConfig) -> None:
        super().__init__(config)
        self.encoder = _encoder_without_pooler(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        if config.uses_weighting_network:
            if config.weighting_network == "separate":
                self.weighting_encoder = _encoder_without_pooler(config)
            self.weighting_classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    @classmethod
    def from_pretrained_encoder(cls, encoder_name_or_path: str, **config_kwargs) -> LCLForSequenceClassification:
        """Start from a pretrained encoder (folder or Hub id); a separate weighting network starts
        from the same weights, as in the paper. `config_kwargs` go to [`LCLConfig`]."""
        encoder = AutoModel.from_pretrained(encoder_name_or_path)
        model = cls(LCLConfig(backbone_config=encoder.config.to_dict(), **config_kwargs))
        state = {k: v for k, v in encoder.state_dict().items() if not k.startswith("pooler.")}
        model.encoder.load_state_dict(state)
        if hasattr(model, "weighting_encoder"):
            model.weighting_encoder.load_state_dict(state)
        return model

    def strip_weighting_network(self) -> LCLForSequenceClassification:
        """Drop the weighting network (training-only) so a saved checkpoint holds just the
        encoder and the classifier; returns `self`."""
        for name in ("weighting_encoder", "weighting_classifier"):
            if hasattr(self, name):
                delattr(self, name)
        self.config.include_weighting_network = False
        return self

    def pool(
        self, encoder: nn.Module, inputs: dict[str, torch.Tensor | None], **kwargs
    ) -> tuple[torch.Tensor, ModelOutput]:
        """Pooled representation `(B, d)` of `inputs` by `encoder` (first token or masked mean)."""
        outputs = encoder(
            **{k: v for k, v in inputs.items() if v is not None},
            return_dict=True,
            **kwargs,
        )
        hidden = outputs.last_hidden_state
        if self.config.pooling == "cls":
            return hidden[:, 0], outputs
        mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0), outputs

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        labels: torch.LongTensor | None = None,
        augmented_input_ids: torch.LongTensor | None = None,
        augmented_attention_mask: torch.Tensor | None = None,
        augmented_token_type_ids: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
    ) -> LCLOutput | tuple:
        r"""
        Args:
            input_ids, attention_mask, token_type_ids (`torch.LongTensor` of shape `(B, n)`):
                The input.
            labels (`torch.LongTensor` of shape `(B,)`, *optional*): class ids; single-label only.
            augmented_input_ids, augmented_attention_mask, augmented_token_type_ids (`(B, n')`,
                *optional*): a token-level augmented second view (see
                `hf_sentiment.data.augmentation`); without them the second view comes from dropout
                (`config.second_view`).
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        inputs = _encoder_inputs(input_ids, attention_mask, token_type_ids)
        pooled, outputs = self.pool(
            self.encoder,
            inputs,
            output_hidden_states=output_hidden_states,
            output_attentions=output_attentions,
        )
        logits = self.classifier(self.dropout(pooled))

        loss = ce_loss = contrastive_loss = weighting_ce_loss = weighting_entropy = None
        if labels is not None:
            if labels.dim() != 1:
                raise ValueError(
                    f"LCLForSequenceClassification takes one class id per example (labels of shape (B,)), got "
                    f"{tuple(labels.shape)}: multi-label rows must be filtered out first (e.g. GoEmotions' single-label subset)."
                )
            ce_loss = F.cross_entropy(logits, labels)
            loss = ce_loss
            if self.training and self.config.contrastive_loss != "none":
                augmented = _encoder_inputs(augmented_input_ids, augmented_attention_mask, augmented_token_type_ids)
                second = self._second_view(pooled, inputs, augmented)
                views = torch.cat([pooled, second])
                both_labels = torch.cat([labels, labels])
                class_weights = None
                if self.config.contrastive_loss == "label_aware":
                    weighting_logits = self._weighting_logits(pooled, second, inputs, augmented)
                    weighting_ce_loss = F.cross_entropy(weighting_logits[: labels.shape[0]], labels)
                    class_weights = weighting_logits.softmax(-1)
                    weighting_entropy = -(class_weights * weighting_logits.log_softmax(-1)).sum(-1).mean().detach()
                    if not self.config.weighting_gradient:
                        class_weights = class_weights.detach()
                # Built per call so that the configured τ is the one in force.
                loss_fn = LabelAwareContrastiveLoss(self.config.contrastive_temperature)
                contrastive_loss = loss_fn(views, both_labels, class_weights)
                lam = self.config.ce_weight
                loss = lam * ce_loss + (1 - lam) * contrastive_loss
                if weighting_ce_loss is not None:
                    loss = loss + self.config.weighting_ce_weight * weighting_ce_loss

        output = LCLOutput(
            loss=loss,
            ce_loss=ce_loss,
            contrastive_loss=contrastive_loss,
            weighting_ce_loss=weighting_ce_loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            weighting_entropy=weighting_entropy,
        )
        return output if return_dict else output.to_tuple()

    def _second_view(
        self,
        pooled: torch.Tensor,
        inputs: dict[str, torch.Tensor | None],
        augmented: dict[str, torch.Tensor | None],
    ) -> torch.Tensor:
        """`(B, d)`: the second view of every example."""
        if augmented["input_ids"] is not None:
            return self.pool(self.encoder, augmented)[0]
        if self.config.second_view == "encoder_dropout":
            return self.pool(self.encoder, inputs)[0]
        return F.dropout(pooled, p=self.config.view_dropout, training=True)

    def _weighting_logits(
        self,
        pooled: torch.Tensor,
        second_view: torch.Tensor,
        inputs: dict[str, torch.Tensor | None],
        augmented: dict[str, torch.Tensor | None],
    ) -> torch.Tensor:
        """`(2B, C)`: the weighting network's logits for both views (a dropout view shares its
        example's weights; an augmented input gets its own)."""
        if not self.config.include_weighting_network:
            raise ValueError("This model's weighting network was stripped; it can no longer train with LCL.")
        # With neither its own CE nor the contrastive gradient, the weighting network never trains:
        # no autograd graph is kept for it (a separate network's backward is skipped).
        trains = self.config.weighting_gradient or self.config.weighting_ce_weight > 0
        with torch.set_grad_enabled(torch.is_grad_enabled() and trains):
            if self.config.weighting_network == "shared":
                first = self.weighting_classifier(pooled)
                second = self.weighting_classifier(second_view) if augmented["input_ids"] is not None else first
            else:
                first = self.weighting_classifier(self.pool(self.weighting_encoder, inputs)[0])
                second = (
                    self.weighting_classifier(self.pool(self.weighting_encoder, augmented)[0])
                    if augmented["input_ids"] is not None
                    else first
                )
        return torch.cat([first, second])


def _encoder_inputs(
    input_ids: torch.LongTensor | None, attention_mask: torch.Tensor | None, token_type_ids: torch.LongTensor | None
) -> dict[str, torch.Tensor | None]:
    """The encoder's keyword inputs; a missing attention mask attends to every token (the
    transformers default), and mean pooling needs one."""
    if attention_mask is None and input_ids is not None:
        attention_mask = torch.ones_like(input_ids)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


# Copied from hf_sentiment.fckt.modeling_fckt._encoder_without_pooler with FCKT->LCL
def _encoder_without_pooler(config: LCLConfig) -> PreTrainedModel:
    """The encoder for `config.backbone_config`, without the pooler LCL never uses where the
    encoder class has one (BERT-like classes take `add_pooling_layer`; others do not)."""
    try:
        return AutoModel.from_config(config.backbone_config, add_pooling_layer=False)
    except TypeError:
        return AutoModel.from_config(config.backbone_config)


__all__ = ["LCLForSequenceClassification", "LCLOutput", "LCLPreTrainedModel"]
