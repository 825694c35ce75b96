"""FCKT: fine-grained cross-task knowledge transfer for targeted sentiment analysis.

Chen et al., "FCKT: Fine-Grained Cross-Task Knowledge Transfer with Semantic Contrastive Learning for
Targeted Sentiment Analysis", IJCAI 2025 (arXiv:2505.21040).

One encoder, two heads:

* aspect extraction (AE): start / end logits over the tokens; a softmax over the sequence, with the
  null ([CLS], position 0) target for sentences without aspects;
* sentiment prediction (SP): self-attentive pooling over a span's tokens (with
  `polarity_context="attention"`, plus a context vector: attention over the sentence with the span
  as the query), then an MLP over the polarities.

Training adds a token-level InfoNCE over aspect boundaries (L_cl) and routes the sentiment loss
through the *predicted* boundary distribution for a share 1 − ξ of the aspects, so sentiment
gradients reach the boundary heads. Inference decodes every aspect of a sentence (top-n starts and
ends, NMS) and classifies each one.

This file is self-contained (torch + transformers + its own configuration) so that a saved folder
loads with `trust_remote_code=True` where hf_sentiment is not installed.

Shapes: `B` batch, `n` sequence length, `d` hidden size, `A` gold aspects per sentence (padded),
`C` polarities, `h` = `config.expectation_max_width`, `k` = `config.n_best`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoModel, PreTrainedModel
from transformers.dynamic_module_utils import custom_object_save
from transformers.utils import ModelOutput

from .boundary_contrastive_loss import BoundaryContrastiveLoss
from .configuration_fckt import IGNORE_INDEX, NULL_POSITION, FCKTConfig


@dataclass
class FCKTOutput(ModelOutput):
    """Output of [`FCKTForTargetedSentiment`].

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*): `ae_loss + sp_loss + λ·cl_loss`, when
            `aspect_spans` and `aspect_labels` are given.
        ae_loss, sp_loss, cl_loss (`torch.FloatTensor` of shape `()`, *optional*): the three parts.
        start_logits, end_logits (`torch.FloatTensor` of shape `(B, n)`): boundary logits; padding
            positions hold the dtype's minimum.
        aspect_polarity_logits (`torch.FloatTensor` of shape `(B, A, C)`, *optional*): polarity
            logits of the spans given in `aspect_spans` (gold-span mode), always on the gold span.
        predicted_spans (`torch.LongTensor` of shape `(B, k, 2)`, *optional*): decoded (start, end)
            token indices, inclusive, best first; `-1` pads. Only in eval mode.
        predicted_span_scores (`torch.FloatTensor` of shape `(B, k)`, *optional*): each span's
            `start_logit + end_logit` minus the same sum at the null position (log-odds-like).
        predicted_polarities (`torch.LongTensor` of shape `(B, k)`, *optional*): polarity id per
            decoded span, `-1` pads.
        predicted_polarity_scores (`torch.FloatTensor` of shape `(B, k)`, *optional*): the
            probability of that polarity.
        hidden_states, attentions: from the encoder, when asked for.
    """

    loss: torch.FloatTensor | None = None
    ae_loss: torch.FloatTensor | None = None
    sp_loss: torch.FloatTensor | None = None
    cl_loss: torch.FloatTensor | None = None
    start_logits: torch.FloatTensor | None = None
    end_logits: torch.FloatTensor | None = None
    aspect_polarity_logits: torch.FloatTensor | None = None
    predicted_spans: torch.LongTensor | None = None
    predicted_span_scores: torch.FloatTensor | None = None
    predicted_polarities: torch.LongTensor | None = None
    predicted_polarity_scores: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


class FCKTPreTrainedModel(PreTrainedModel):
    config_class = FCKTConfig
    base_model_prefix = "encoder"
    main_input_name = "input_ids"
    supports_gradient_checkpointing = True
    # No `_init_weights` here: `PreTrainedModel`'s own gives the heads' `nn.Linear` layers
    # N(0, `config.initializer_range`), the backbone's value, and zero biases; the encoder, a
    # `PreTrainedModel` too, initialises itself.
    # No `get_input_embeddings` / `set_input_embeddings` either: `PreTrainedModel`'s own reach the
    # encoder's through `base_model_prefix` (`resize_token_embeddings` and PEFT use them).

    def save_pretrained(self, save_directory: str | os.PathLike, *args: Any, **kwargs: Any) -> None:
        """`PreTrainedModel.save_pretrained`, plus the `targeted-sentiment` pipeline's code beside the
        model's (the config's `custom_pipelines` points at it), so that
        `pipeline(model=folder, trust_remote_code=True)` works where hf_sentiment is not installed.
        Trainer checkpoints go through here too. (transformers' scan of relative imports also finds
        the import below and copies the file with the model's code; the explicit copy does not
        depend on that scan.)"""
        super().save_pretrained(save_directory, *args, **kwargs)
        if self._auto_class is not None:
            # Imported here, not at the top: the pipeline pulls in `transformers.pipelines`, which the
            # model alone does not need. The import runs one way (the pipeline reads only the
            # configuration and `alignment.py`, never this module).
            from .pipeline_fckt import TargetedSentimentPipeline

            custom_object_save(TargetedSentimentPipeline, save_directory)


class FCKTForTargetedSentiment(FCKTPreTrainedModel):
    """Encoder + boundary heads + span polarity classifier, trained with `L_ae + L_sp + λ·L_cl`.

    Example:

    ```python
    >>> from hf_sentiment import FCKTForTargetedSentiment
    >>> model = FCKTForTargetedSentiment.from_pretrained_encoder("path/to/encoder", contrastive_weight=0.1)
    ```
    """

    def __init__(self, config: FCKTConfig) -> None:
        super().__init__(config)
        hidden = config.hidden_size
        sentiment_hidden = config.sentiment_hidden_size or hidden
        self.encoder = _encoder_without_pooler(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.start_head = nn.Linear(hidden, 1)
        self.end_head = nn.Linear(hidden, 1)
        self.span_attention = nn.Linear(hidden, 1)
        span_features = hidden
        if config.polarity_context == "attention":
            self.context_query = nn.Linear(hidden, hidden)
            self.context_key = nn.Linear(hidden, hidden)
            # One bias per distance 0..max_distance, and one for everything farther.
            self.context_distance_bias = nn.Embedding(config.polarity_context_max_distance + 2, 1)
            span_features = 2 * hidden
        self.sentiment_head = nn.Sequential(
            nn.Linear(span_features, sentiment_hidden),
            nn.ReLU(),
            nn.Dropout(config.classifier_dropout),
            nn.Linear(sentiment_hidden, config.num_labels),
        )
        self.post_init()

    @classmethod
    def from_pretrained_encoder(cls, encoder_name_or_path: str, **config_kwargs) -> FCKTForTargetedSentiment:
        """Build FCKT around a pretrained encoder (a folder or Hub id); the heads start fresh.

        `config_kwargs` go to [`FCKTConfig`] (e.g. `id2label`, `contrastive_weight`).
        """
        encoder = AutoModel.from_pretrained(encoder_name_or_path)
        config = FCKTConfig(backbone_config=encoder.config.to_dict(), **config_kwargs)
        model = cls(config)
        missing, unexpected = model.encoder.load_state_dict(encoder.state_dict(), strict=False)
        # Only a pooler that FCKT never uses may be left over.
        unexpected = [key for key in unexpected if not key.startswith("pooler.")]
        if missing or unexpected:
            raise ValueError(
                f"Encoder weights from {encoder_name_or_path!r} do not fit the FCKT encoder: "
                f"missing {missing}, unexpected {unexpected}."
            )
        return model

    # ------------------------------------------------------------------ spans

    def pool_spans(
        self,
        hidden: torch.Tensor,
        starts: torch.Tensor,
        ends: torch.Tensor,
        max_width: int,
    ) -> torch.Tensor:
        """Self-attentive pooling of spans.

        Args:
            hidden (`torch.FloatTensor` of shape `(B, n, d)`):
                Token representations.
            starts, ends (`torch.LongTensor` of shape `(B, S)`):
                Inclusive token indices with `0 <= end - start < max_width` (rows outside that
                range are pooled over a clamped window; mask them afterwards).
            max_width (`int`):
                The widest span in `starts` / `ends`.

        Returns:
            `torch.FloatTensor` of shape `(B, S, d)`. Time and memory are O(S · max_width · d): no
            `n × n` tensor is built. For the expectation, S = n·h and max_width = h: O(n·h²·d),
            linear in n.
        """
        batch, seq_len, dim = hidden.shape
        offsets = torch.arange(max_width, device=hidden.device)
        positions = starts.unsqueeze(-1) + offsets  # (B, S, W)
        inside = positions <= ends.unsqueeze(-1)
        inside[..., 0] = True  # a span always holds its first token, so the softmax is defined
        positions = positions.clamp(0, seq_len - 1)
        flat = positions.reshape(batch, -1)
        scores = self.span_attention(hidden).squeeze(-1).gather(1, flat).view_as(positions)
        weights = _mask_padding(scores, inside).softmax(-1)
        tokens = hidden.gather(1, flat.unsqueeze(-1).expand(-1, -1, dim)).view(*positions.shape, dim)
        return torch.einsum("bsw,bswd->bsd", weights, tokens)

    def span_context(
        self,
        hidden: torch.Tensor,
        pooled: torch.Tensor,
        starts: torch.Tensor,
        ends: torch.Tensor,
        attention_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        """Context vectors of spans (`polarity_context="attention"`): attention over every attended
        token of the sentence, queried by the pooled span, with a learned bias per token-to-span
        distance (0 inside the span), so that the words near an aspect can outweigh the sentence's
        overall tone.

        Args:
            hidden (`torch.FloatTensor` of shape `(B, n, d)`): token representations.
            pooled (`torch.FloatTensor` of shape `(B, S, d)`): the spans' pooled vectors (`pool_spans`).
            starts, ends (`torch.LongTensor` of shape `(B, S)`, or `(S,)` for the same spans in every
                row): inclusive token indices.
            attention_mask (`torch.Tensor` of shape `(B, n)`, *optional*): padding is not attended;
                `None` attends every position.

        Returns:
            `torch.FloatTensor` of shape `(B, S, d)`. Cost O(S · n · d): for the expectation's
            S = n·h candidates, O(n²·h·d), small beside the encoder at sentence lengths.
        """
        seq_len, dim = hidden.shape[1], hidden.shape[2]
        keys = self.context_key(hidden)  # (B, n, d)
        # q(p)·k = (W_q p + b_q)·k = p·(W_qᵀ k) + b_q·k: projecting the n keys once costs less than
        # projecting the S queries (the expectation has S = n·h of them).
        query = self.context_query
        scores = pooled @ (keys @ query.weight).transpose(1, 2) + (keys @ query.bias).unsqueeze(1)  # (B, S, n)
        positions = torch.arange(seq_len, device=hidden.device)
        before = (starts.unsqueeze(-1) - positions).clamp(min=0)
        after = (positions - ends.unsqueeze(-1)).clamp(min=0)
        distance = (before + after).clamp(max=self.config.polarity_context_max_distance + 1)
        scores = scores / dim**0.5 + self.context_distance_bias(distance).squeeze(-1)
        if attention_mask is not None:
            scores = _mask_padding(scores, attention_mask.bool().unsqueeze(1))
        return scores.softmax(-1) @ hidden

    def span_polarity_logits(
        self,
        hidden: torch.Tensor,
        starts: torch.Tensor,
        ends: torch.Tensor,
        max_width: int,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Polarity logits `(B, S, C)` of the spans `starts`, `ends` `(B, S)` (as for `pool_spans`;
        `(S,)` for the same spans in every row): the classifier over the pooled span, and its
        context vector where the config asks for one."""
        batch = hidden.shape[0]
        features = self.pool_spans(hidden, starts.expand(batch, -1), ends.expand(batch, -1), max_width)
        if self.config.polarity_context == "attention":
            context = self.span_context(hidden, features, starts, ends, attention_mask)
            features = torch.cat([features, context], dim=-1)
        return self.sentiment_head(features)

    def classify_spans(
        self, hidden: torch.Tensor, spans: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Polarity logits `(B, S, C)` for inclusive token spans `(B, S, 2)`; `-1` / `-100` rows give
        meaningless logits that callers mask. `attention_mask` `(B, n)` keeps padding out of the
        context (`polarity_context="attention"`)."""
        starts = spans[..., 0].clamp(min=0)
        ends = torch.maximum(spans[..., 1], starts)
        max_width = int((ends - starts).max().item()) + 1 if spans.numel() else 1
        return self.span_polarity_logits(hidden, starts, ends, max_width, attention_mask)

    def expected_polarity_logits(
        self,
        hidden: torch.Tensor,
        start_log_probs: torch.Tensor,
        end_log_probs: torch.Tensor,
        token_mask: torch.Tensor,
        aspect_spans: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Polarity logits of each gold aspect, in expectation over the predicted boundaries.

        Candidates are the spans `(i, i + w)` with `w < h` (O(n·h)). Each aspect weighs the
        candidates that overlap its gold span by `π ∝ p_start[i] · p_end[i + w]`, and gets
        `Σ π · classifier(pool(i, i + w))`. Restricting to overlapping candidates is our reading for
        multi-aspect sentences: the paper trains on single-aspect copies of a sentence, where the
        whole-sentence expectation would mix the polarities of the other aspects.

        Args:
            hidden (`torch.FloatTensor` of shape `(B, n, d)`):
                Token representations.
            start_log_probs, end_log_probs (`torch.FloatTensor` of shape `(B, n)`):
                Log-probabilities of the boundaries.
            token_mask (`torch.BoolTensor` of shape `(B, n)`):
                The positions a span may use.
            aspect_spans (`torch.LongTensor` of shape `(B, A, 2)`):
                Gold spans, `-100` pads.
            attention_mask (`torch.Tensor` of shape `(B, n)`, *optional*):
                Padding, kept out of the spans' context (`polarity_context="attention"`).

        Returns:
            `torch.FloatTensor` of shape `(B, A, C)`.
        """
        seq_len = hidden.shape[1]
        width = min(self.config.expectation_max_width, seq_len)
        device = hidden.device
        starts = torch.arange(seq_len, device=device).repeat_interleave(width)  # (n·h,)
        ends = starts + torch.arange(width, device=device).repeat(seq_len)
        in_range = ends < seq_len
        ends = ends.clamp(max=seq_len - 1)

        valid = in_range & token_mask[:, starts] & token_mask[:, ends]  # (B, n·h)
        log_weight = start_log_probs[:, starts] + end_log_probs[:, ends]  # (B, n·h)
        gold_starts = aspect_spans[..., 0:1]  # (B, A, 1)
        gold_ends = aspect_spans[..., 1:2]
        overlaps = (starts <= gold_ends) & (ends >= gold_starts)  # (B, A, n·h)
        allowed = overlaps & valid.unsqueeze(1)
        # An aspect whose overlap set is empty (cannot happen for gold spans inside the text) falls
        # back to all valid candidates instead of producing NaN.
        allowed = torch.where(allowed.any(-1, keepdim=True), allowed, valid.unsqueeze(1))
        if self.config.polarity_context == "attention":
            # With the context a candidate also attends over the sentence: classify only the K
            # candidates some real aspect of the row weighs (the rest get weight 0), not all n·h.
            # (The paper's classifier keeps the full set, so that recorded runs reproduce exactly.)
            real = aspect_spans[..., 0] >= 0  # (B, A)
            used = (allowed & real.unsqueeze(-1)).any(1)  # (B, n·h)
            kept = max(int(used.sum(-1).max()), 1)
            picked = used.float().argsort(dim=-1, descending=True, stable=True)[:, :kept]  # (B, K)
            logits = self.span_polarity_logits(hidden, starts[picked], ends[picked], width, attention_mask)
            allowed = allowed.gather(2, picked.unsqueeze(1).expand(-1, allowed.shape[1], -1))  # (B, A, K)
            log_weight = log_weight.gather(1, picked)
        else:
            logits = self.span_polarity_logits(hidden, starts, ends, width, attention_mask)  # (B, n·h, C)
        pi = _mask_padding(log_weight.unsqueeze(1), allowed).softmax(-1)  # (B, A, K)
        return torch.einsum("bak,bkc->bac", pi, logits)

    # ----------------------------------------------------------------- losses

    def boundary_loss(
        self,
        start_log_probs: torch.Tensor,
        end_log_probs: torch.Tensor,
        aspect_spans: torch.Tensor,
    ) -> torch.Tensor:
        """L_ae: mean negative log-likelihood of every gold start and end (multi-hot targets: a
        sentence with several aspects contributes one term per aspect, as the paper's single-aspect
        copies would); a sentence without aspects targets the null position."""
        present = aspect_spans[..., 0] >= 0  # (B, A)
        starts = aspect_spans[..., 0].clamp(min=0)
        ends = aspect_spans[..., 1].clamp(min=0)
        aspect_nll = -(start_log_probs.gather(1, starts) + end_log_probs.gather(1, ends))  # (B, A)
        null_nll = -(start_log_probs[:, NULL_POSITION] + end_log_probs[:, NULL_POSITION])  # (B,)
        empty = ~present.any(-1)
        total = (aspect_nll * present).sum() + (null_nll * empty).sum()
        count = present.sum() + empty.sum()
        return 0.5 * total / count

    def contrastive_loss(
        self, hidden: torch.Tensor, token_mask: torch.Tensor, aspect_spans: torch.Tensor
    ) -> torch.Tensor:
        """L_cl: token-level InfoNCE on aspect boundaries at the configured τ (see
        [`BoundaryContrastiveLoss`] for the formula); `hidden` `(B, n, d)`, `token_mask` `(B, n)`,
        `aspect_spans` `(B, A, 2)`, returns `()`."""
        # Built per call so that the configured τ is the one in force.
        return BoundaryContrastiveLoss(self.config.contrastive_temperature)(hidden, token_mask, aspect_spans)

    # ----------------------------------------------------------------- decode

    @torch.no_grad()
    def decode(
        self,
        start_logits: torch.Tensor,
        end_logits: torch.Tensor,
        start_mask: torch.Tensor,
        end_mask: torch.Tensor,
        span_threshold: float | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """All aspects of each sentence, batched (the SpanABSA heuristic).

        Pairs each row's top-`k` starts with its top-`k` ends, `k = max(n_best, ceil(n_best · w /
        n_best_words))` for a row of `w` start candidates (a long text gets more), keeps pairs with
        `start <= end`, length `<= max_span_length` and a score (`start + end logit`, minus the
        same sum at the null position) `>= γ`, ranks them by `start + end logit − length`, and
        applies greedy non-maximum suppression (a span overlapping a kept one is dropped).

        Args:
            start_logits, end_logits (`torch.FloatTensor` of shape `(B, n)`):
                Boundary logits.
            start_mask, end_mask (`torch.BoolTensor` of shape `(B, n)`):
                The positions a span may start / end at (e.g. the first / last sub-token of a word).
            span_threshold (`float`, *optional*): γ; defaults to `config.span_threshold`.

        Returns:
            `tuple[torch.LongTensor, torch.FloatTensor]`: spans `(B, k, 2)` (inclusive token
            indices, best first, `-1` pads) and their scores `(B, k)` (`-inf` pads).
        """
        config = self.config
        if span_threshold is None:
            span_threshold = config.span_threshold
        batch, seq_len = start_logits.shape
        # Each row's own k, from its own length: a short row batched with a long one decodes as it
        # would alone (candidates past its k are ruled out below).
        words = start_mask.sum(-1)
        row_k = torch.maximum(
            torch.full_like(words, config.n_best), torch.ceil(words * config.n_best / config.n_best_words).long()
        ).clamp(max=seq_len)
        k = int(row_k.max()) if batch else min(config.n_best, seq_len)
        neg_inf = torch.finfo(start_logits.dtype).min
        top_start, start_idx = start_logits.masked_fill(~start_mask, neg_inf).topk(k, dim=-1)
        top_end, end_idx = end_logits.masked_fill(~end_mask, neg_inf).topk(k, dim=-1)
        in_row_k = torch.arange(k, device=start_logits.device).unsqueeze(0) < row_k.unsqueeze(1)  # (B, k)
        null = start_logits[:, NULL_POSITION] + end_logits[:, NULL_POSITION]

        cand_start = start_idx.unsqueeze(2).expand(-1, -1, k).reshape(batch, -1)  # (B, k·k)
        cand_end = end_idx.unsqueeze(1).expand(-1, k, -1).reshape(batch, -1)
        score = (top_start.unsqueeze(2) + top_end.unsqueeze(1)).reshape(batch, -1) - null.unsqueeze(1)
        length = cand_end - cand_start + 1
        ok = (
            (length >= 1)
            & (length <= config.max_span_length)
            & start_mask.gather(1, cand_start)
            & end_mask.gather(1, cand_end)
            & (score >= span_threshold)
            & (in_row_k.unsqueeze(2) & in_row_k.unsqueeze(1)).reshape(batch, -1)
        )
        rank = (score - length).masked_fill(~ok, float("-inf"))
        rank, order = rank.sort(dim=-1, descending=True)
        cand_start, cand_end, score = (
            cand_start.gather(1, order),
            cand_end.gather(1, order),
            score.gather(1, order),
        )
        alive = torch.isfinite(rank)

        kept = torch.zeros_like(alive)
        rows = torch.arange(batch, device=start_logits.device)
        while alive.any():
            # Candidates are sorted, so the first alive one of a row is its best remaining span.
            has = alive.any(-1)
            best = alive.to(torch.int8).argmax(-1)
            kept[rows[has], best[has]] = True
            best_start = cand_start[rows, best].unsqueeze(1)
            best_end = cand_end[rows, best].unsqueeze(1)
            overlap = (cand_start <= best_end) & (cand_end >= best_start)
            alive &= ~(overlap & has.unsqueeze(1))

        # Move kept candidates to the front, in rank order, and cut to k.
        slot = torch.where(kept, torch.arange(kept.shape[1], device=kept.device), kept.shape[1])
        slot, pick = slot.sort(dim=-1)
        pick, valid = pick[:, :k], slot[:, :k] < kept.shape[1]
        spans = torch.stack([cand_start.gather(1, pick), cand_end.gather(1, pick)], dim=-1)
        spans = spans.masked_fill(~valid.unsqueeze(-1), -1)
        scores = score.gather(1, pick).masked_fill(~valid, float("-inf"))
        return spans, scores

    def predict_aspects(
        self,
        hidden: torch.Tensor,
        start_logits: torch.Tensor,
        end_logits: torch.Tensor,
        start_mask: torch.Tensor,
        end_mask: torch.Tensor,
        span_threshold: float | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Decode the aspects (`decode`) and classify each one's polarity.

        Args:
            hidden (`torch.FloatTensor` of shape `(B, n, d)`): the encoder's last hidden states.
            start_logits, end_logits, start_mask, end_mask, span_threshold: as for `decode`.
            attention_mask (`torch.Tensor` of shape `(B, n)`, *optional*): padding, kept out of
                the spans' context (`polarity_context="attention"`).

        Returns:
            `tuple`: spans `(B, k, 2)` and their scores `(B, k)` (as `decode` gives them), polarity
            ids `(B, k)` (`-1` where no span) and their probabilities `(B, k)` (`0` where no span).
        """
        spans, span_scores = self.decode(start_logits, end_logits, start_mask, end_mask, span_threshold)
        polarity_scores, polarities = self.classify_spans(hidden, spans, attention_mask).softmax(-1).max(-1)
        missing = spans[..., 0] < 0
        return spans, span_scores, polarities.masked_fill(missing, -1), polarity_scores.masked_fill(missing, 0.0)

    # ---------------------------------------------------------------- forward

    def encode(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
    ) -> tuple[Any, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The encoder and the boundary heads: the part of `forward` that holds no data-dependent
        branch, so that it exports as one graph (`hf_sentiment.fckt.export_onnx`).

        Args:
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds (`torch.Tensor`):
                as for `forward`; `attention_mask` is required.

        Returns:
            `tuple`: the encoder's output, its last hidden states `(B, n, d)`, the same after
            dropout (the features the heads read; equal in eval mode), and the start and end logits
            `(B, n)` (padding positions hold the dtype's minimum).
        """
        encoder_inputs = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "inputs_embeds": inputs_embeds,
            "output_hidden_states": output_hidden_states,
            "output_attentions": output_attentions,
            "return_dict": True,
        }
        # Not every encoder takes these (DistilBERT, MPNet): pass them only when given.
        if token_type_ids is not None:
            encoder_inputs["token_type_ids"] = token_type_ids
        if position_ids is not None:
            encoder_inputs["position_ids"] = position_ids
        encoded = self.encoder(**encoder_inputs)
        hidden = encoded.last_hidden_state  # (B, n, d)
        features = self.dropout(hidden)
        attended = attention_mask.bool()
        start_logits = _mask_padding(self.start_head(features).squeeze(-1), attended)
        end_logits = _mask_padding(self.end_head(features).squeeze(-1), attended)
        return encoded, hidden, features, start_logits, end_logits

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        aspect_spans: torch.LongTensor | None = None,
        aspect_labels: torch.LongTensor | None = None,
        start_candidate_mask: torch.Tensor | None = None,
        end_candidate_mask: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
    ) -> FCKTOutput | tuple:
        r"""
        Args:
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds (`torch.Tensor`, *optional*):
                `(B, n)` (`inputs_embeds`: `(B, n, d)`).
                As for the encoder.
            aspect_spans (`torch.LongTensor` of shape `(B, A, 2)`, *optional*): inclusive token
                (start, end) of each gold aspect, `-100` pads. With `aspect_labels`, the loss is
                computed; alone, the output holds their polarity logits (gold-span mode).
            aspect_labels (`torch.LongTensor` of shape `(B, A)`, *optional*): polarity ids, `-100`
                pads.
            start_candidate_mask, end_candidate_mask (`torch.BoolTensor` of shape `(B, n)`,
                *optional*): where decoded spans may start / end (first / last sub-token of a word).
                Default: every attended token but the first and the last (the special tokens).
        """
        if attention_mask is None:
            reference = input_ids if input_ids is not None else inputs_embeds[..., 0]
            attention_mask = torch.ones_like(reference, dtype=torch.long)
        encoded, hidden, features, start_logits, end_logits = self.encode(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds, output_hidden_states,
            output_attentions,
        )  # fmt: skip
        output = self.outputs_from_encoding(
            features, start_logits, end_logits, attention_mask, aspect_spans, aspect_labels, start_candidate_mask,
            end_candidate_mask, hidden=hidden,
        )  # fmt: skip
        output.hidden_states, output.attentions = encoded.hidden_states, encoded.attentions
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        return output if return_dict else output.to_tuple()

    def outputs_from_encoding(
        self,
        features: torch.Tensor,
        start_logits: torch.Tensor,
        end_logits: torch.Tensor,
        attention_mask: torch.Tensor,
        aspect_spans: torch.LongTensor | None = None,
        aspect_labels: torch.LongTensor | None = None,
        start_candidate_mask: torch.Tensor | None = None,
        end_candidate_mask: torch.Tensor | None = None,
        hidden: torch.Tensor | None = None,
    ) -> FCKTOutput:
        """Everything `forward` does after `encode`: the losses in training, the decoded aspects
        and their polarities in eval mode. The ONNX Runtime path of the pipeline calls it with the
        exported graph's outputs, so both paths decode with this one piece of code.

        Args:
            features (`torch.FloatTensor` of shape `(B, n, d)`): the encoder's last hidden states
                after dropout, as `encode` returns them.
            start_logits, end_logits (`torch.FloatTensor` of shape `(B, n)`): from `encode`.
            attention_mask (`torch.Tensor` of shape `(B, n)`): right-padded.
            aspect_spans, aspect_labels, start_candidate_mask, end_candidate_mask: as for `forward`.
            hidden (`torch.FloatTensor` of shape `(B, n, d)`, *optional*): the hidden states before
                dropout, which the contrastive loss reads; defaults to `features`.
        """
        hidden = features if hidden is None else hidden
        attended = attention_mask.bool()
        if not attended[:, NULL_POSITION].all():
            raise ValueError(
                "FCKT needs right-padded inputs: position 0 holds the null ([CLS]) score. "
                "Set tokenizer.padding_side = 'right'."
            )
        span_tokens = _inner_tokens(attended)
        if start_candidate_mask is None:
            start_candidate_mask = span_tokens
        if end_candidate_mask is None:
            end_candidate_mask = span_tokens

        loss = ae_loss = sp_loss = cl_loss = aspect_logits = None
        if aspect_spans is not None:
            aspect_logits = self.classify_spans(features, aspect_spans, attended)  # (B, A, C)
        if aspect_spans is not None and aspect_labels is not None:
            start_log_probs = start_logits.log_softmax(-1)
            end_log_probs = end_logits.log_softmax(-1)
            ae_loss = self.boundary_loss(start_log_probs, end_log_probs, aspect_spans)

            sp_logits = aspect_logits
            xi = self.config.gold_span_ratio
            if self.training and xi < 1.0:
                expected = self.expected_polarity_logits(
                    features, start_log_probs, end_log_probs, span_tokens, aspect_spans, attended
                )
                use_gold = torch.rand(aspect_labels.shape, device=aspect_labels.device) < xi
                sp_logits = torch.where(use_gold.unsqueeze(-1), aspect_logits, expected)
            labelled = aspect_labels != IGNORE_INDEX
            if labelled.any():
                sp_loss = F.cross_entropy(sp_logits[labelled], aspect_labels[labelled])
            else:
                sp_loss = sp_logits.sum() * 0.0

            loss = ae_loss + sp_loss
            if self.config.contrastive_weight > 0:
                cl_loss = self.contrastive_loss(hidden, span_tokens, aspect_spans)
                loss = loss + self.config.contrastive_weight * cl_loss

        predicted_spans = span_scores = polarities = polarity_scores = None
        if not self.training:
            predicted_spans, span_scores, polarities, polarity_scores = self.predict_aspects(
                features, start_logits, end_logits, start_candidate_mask, end_candidate_mask,
                attention_mask=attended,
            )

        return FCKTOutput(
            loss=loss,
            ae_loss=ae_loss,
            sp_loss=sp_loss,
            cl_loss=cl_loss,
            start_logits=start_logits,
            end_logits=end_logits,
            aspect_polarity_logits=aspect_logits,
            predicted_spans=predicted_spans,
            predicted_span_scores=span_scores,
            predicted_polarities=polarities,
            predicted_polarity_scores=polarity_scores,
        )


def _mask_padding(values: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """`values` with the positions where `keep` is false set to the lowest value of *their own*
    dtype (under autocast the heads return half precision while the features stay float32)."""
    return values.masked_fill(~keep, torch.finfo(values.dtype).min)


def _inner_tokens(attended: torch.Tensor) -> torch.Tensor:
    """Attended positions minus the first and the last one (the encoder's special tokens)."""
    mask = attended.clone()
    mask[:, NULL_POSITION] = False
    last = attended.long().sum(-1) - 1
    mask[torch.arange(mask.shape[0], device=mask.device), last.clamp(min=0)] = False
    return mask


def _encoder_without_pooler(config: FCKTConfig) -> PreTrainedModel:
    """The encoder for `config.backbone_config`, without the pooler FCKT never uses where the
    encoder class has one (BERT-like classes take `add_pooling_layer`; others do not)."""
    try:
        return AutoModel.from_config(config.backbone_config, add_pooling_layer=False)
    except TypeError:
        return AutoModel.from_config(config.backbone_config)


__all__ = ["FCKTForTargetedSentiment", "FCKTOutput", "FCKTPreTrainedModel"]
