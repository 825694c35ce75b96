"""SoftMCL-style sentiment-aware pre-training: MLM + word- and sentence-level *soft* momentum
contrastive learning.

Wang, Yu & Zhang, "SoftMCL: Soft Momentum Contrastive Learning for Fine-grained Sentiment-aware
Pre-training", LREC-COLING 2024 (arXiv:2405.01827). No official code exists; where this file
interprets the paper it says so ("our reading").

For each level (words rated by a valence lexicon; sentences with a valence rating):

- queries `z_i`: L2-normalised projections of the online encoder's states on the *masked* input
  (word = mean of its sub-word pieces; sentence = first token);
- keys `k_j`: the same from the momentum (EMA) key encoder on the *unmasked* input, for the whole
  (global) batch, followed by a FIFO queue of earlier keys kept with their valences;
- target `q_ij = s_ij / Σ_k s_ik` with the normalised absolute valence similarity
  `s_ij = 1 − |v_i − v_j|` (valences rescaled to [0, 1]); prediction
  `p_ij = softmax_j(z_i · k_j / τ)`; loss `−(1/N) Σ_i Σ_j q_ij log p_ij`.

Total: `mlm_weight · MLM + word_weight · L_word + sentence_weight · L_sentence`. After every
optimizer step, [`SoftMCLForPreTraining.update_momentum_and_queue`] moves the key encoder
`θ_k ← μ·θ_k + (1 − μ)·θ_q` and enqueues the step's keys ([`SoftMCLTrainer`] calls it).

Self-contained (torch + transformers + its folder) so that a saved folder loads with
`trust_remote_code=True` where hf_sentiment is not installed.

Shapes: `B` batch, `n` sequence length, `W` rated-word slots per sentence, `d` hidden size,
`p` projection size, `V` vocabulary, `Q` queue size.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F
from transformers import AutoModelForMaskedLM, PreTrainedModel
from transformers.utils import ModelOutput
from transformers.utils import logging as transformers_logging

from .configuration_softmcl import SoftMCLConfig
from .soft_contrastive_loss import soft_contrastive_loss

logger = logging.getLogger(__name__)

#: Valence of an empty queue slot, an unrated sentence or a padding word slot (real valences are in [0, 1]).
NO_VALENCE = -1.0
LEVELS = ("word", "sentence")


def pool_words(hidden: torch.Tensor, word_index: torch.Tensor, num_words: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean of each rated word's sub-word pieces.

    Args:
        hidden (`torch.FloatTensor` of shape `(B, n, d)`):
            Token states.
        word_index (`torch.LongTensor` of shape `(B, n)`):
            The rated-word slot (0..W-1) of each token, -1 elsewhere.
        num_words (`int`):
            W.

    Returns:
        `tuple[torch.FloatTensor, torch.FloatTensor]`: `(B, W, d)` word states and `(B, W)` piece
        counts (0 where a slot has no token).
    """
    batch, _, dim = hidden.shape
    in_word = word_index >= 0
    slot = (torch.arange(batch, device=hidden.device)[:, None] * num_words + word_index.clamp_min(0))[in_word]
    sums = hidden.new_zeros(batch * num_words, dim).index_add_(0, slot, hidden[in_word])
    counts = torch.zeros(batch * num_words, device=hidden.device, dtype=hidden.dtype).index_add_(
        0, slot, torch.ones_like(slot, dtype=hidden.dtype)
    )
    words = sums / counts.clamp_min(1.0)[:, None]
    return words.view(batch, num_words, dim), counts.view(batch, num_words)


def gather_across_processes(values: torch.Tensor) -> torch.Tensor:
    """Concatenate `values` (`(N_r, ...)`, N_r may differ per process) from every process, in rank
    order; the identity without `torch.distributed`. No gradient flows through the result."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return values
    world = dist.get_world_size()
    size = torch.tensor([values.shape[0]], device=values.device)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    largest = int(max(s.item() for s in sizes))
    padded = values.new_zeros((largest, *values.shape[1:]))
    padded[: values.shape[0]] = values
    gathered = [torch.zeros_like(padded) for _ in range(world)]
    dist.all_gather(gathered, padded.contiguous())
    return torch.cat([chunk[: int(s.item())] for chunk, s in zip(gathered, sizes)])


@dataclass
class SoftMCLOutput(ModelOutput):
    """Output of [`SoftMCLForPreTraining`].

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*): the weighted total, when any part
            could be computed.
        mlm_loss, word_loss, sentence_loss (`torch.FloatTensor` of shape `()`, *optional*): its parts.
        logits (`torch.FloatTensor` of shape `(B, n, V)`, *optional*): the MLM head's scores at
            every position, without `labels`.
        masked_logits (`torch.FloatTensor` of shape `(M, V)`, *optional*): its scores at the M
            masked positions (row-major), with `labels`.
        hidden_states, attentions: from the online encoder, when asked for.
    """

    loss: torch.FloatTensor | None = None
    mlm_loss: torch.FloatTensor | None = None
    word_loss: torch.FloatTensor | None = None
    sentence_loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    masked_logits: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


class SoftMCLPreTrainedModel(PreTrainedModel):
    config_class = SoftMCLConfig
    base_model_prefix = "softmcl"
    main_input_name = "input_ids"
    # No `_init_weights` here: `PreTrainedModel`'s own gives the heads' `nn.Linear` layers
    # N(0, `config.initializer_range`), the backbone's value, and zero biases; the encoder, a
    # `PreTrainedModel` too, initialises itself.


class SoftMCLForPreTraining(SoftMCLPreTrainedModel):
    """An encoder with its MLM head, word and sentence projections, a momentum key encoder and
    two valence-carrying key queues.

    The backbone is the backbone type's own `AutoModelForMaskedLM` (`self.mlm`), so its MLM head
    is tied to the input embeddings; [`export_encoder`] saves exactly that model, which loads with
    any `AutoModel*` class of the backbone's type.

    Example:

    ```python
    >>> from hf_sentiment import SoftMCLForPreTraining
    >>> model = SoftMCLForPreTraining.from_pretrained_encoder("path/to/encoder", word_queue_size=4096)
    >>> # ... train with SoftMCLTrainer, then:
    >>> model.export_encoder("my-sentiment-encoder", tokenizer=tokenizer)
    ```
    """

    def __init__(self, config: SoftMCLConfig) -> None:
        super().__init__(config)
        self.mlm = AutoModelForMaskedLM.from_config(config.backbone_config)
        hidden, projection = config.hidden_size, config.projection_dim
        if config.word_weight > 0:
            self.word_projection = _projection(hidden, projection)
        if config.sentence_weight > 0:
            self.sentence_projection = _projection(hidden, projection)
        for level in LEVELS:
            # A level that is switched off keeps no queue.
            size = getattr(config, f"{level}_queue_size") if getattr(config, f"{level}_weight") > 0 else 0
            self.register_buffer(f"{level}_queue", torch.zeros(size, projection))
            self.register_buffer(f"{level}_queue_valence", torch.full((size,), NO_VALENCE))
            self.register_buffer(f"{level}_queue_pointer", torch.zeros((), dtype=torch.long))
        if config.uses_key_encoder:
            # A structural copy of the online encoder (and projections), so that parameters pair
            # up one to one for the EMA; it never receives gradients.
            self.key_encoder = copy.deepcopy(self.mlm.base_model)
            for level in LEVELS:
                if hasattr(self, f"{level}_projection"):
                    setattr(
                        self,
                        f"key_{level}_projection",
                        copy.deepcopy(getattr(self, f"{level}_projection")),
                    )
        self.mlm_head  # fail at construction, not at the first forward, for an unsupported backbone
        self.post_init()
        self.copy_online_to_key_encoder()
        # Keys of the current optimizer step, waiting for `update_momentum_and_queue`.
        self._pending_keys: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {level: [] for level in LEVELS}

    # ----------------------------------------------------------------------------------- set-up
    @classmethod
    def from_pretrained_encoder(
        cls, encoder_name_or_path: str | Path, output_loading_info: bool = False, **config_kwargs
    ) -> SoftMCLForPreTraining | tuple[SoftMCLForPreTraining, dict]:
        """Start from a pretrained encoder (folder or Hub id). Its MLM head is used when the
        checkpoint has one (a `...ForMaskedLM` folder, such as the one [`export_encoder`] writes,
        or an MLM head warmed up on a frozen encoder, see [`freeze_encoder`]); otherwise the head
        is trained fresh (logged). `config_kwargs` go to [`SoftMCLConfig`].

        With `output_loading_info=True`, returns `(model, info)` as `from_pretrained` does:
        transformers' loading report of the `...ForMaskedLM` model plus `missing_head_keys`, the
        MLM head tensors the checkpoint lacked (empty when its head was loaded)."""
        # transformers' load report lists every head tensor as MISSING (and calls the checkpoint
        # "corrupted"); the one warning below says what it means here.
        verbosity = transformers_logging.get_verbosity()
        transformers_logging.set_verbosity_error()
        try:
            mlm, info = AutoModelForMaskedLM.from_pretrained(encoder_name_or_path, output_loading_info=True)
        finally:
            transformers_logging.set_verbosity(verbosity)
        head_missing = [key for key in info["missing_keys"] if not key.startswith(mlm.base_model_prefix + ".")]
        if head_missing:
            logger.warning(
                "%s has no complete MLM head (%d tensors missing, e.g. %s): it is trained fresh.",
                encoder_name_or_path, len(head_missing), head_missing[0],
            )  # fmt: skip
        model = cls(SoftMCLConfig(backbone_config=mlm.config.to_dict(), **config_kwargs))
        model.mlm.load_state_dict(mlm.state_dict())
        model.copy_online_to_key_encoder()
        if output_loading_info:
            return model, {**info, "missing_head_keys": head_missing}
        return model

    def freeze_encoder(self) -> list[str]:
        """Keep the online encoder as it is: no gradient reaches `self.mlm.base_model`, its
        embeddings included, and so neither the MLM decoder's weight, which is tied to them. Only
        the heads train: the MLM head's own layers (for BERT its transform and output bias) and
        the projections of the contrastive levels that are on.

        With `word_weight=0, sentence_weight=0` this warms up an MLM head on a frozen encoder
        (`hf-sentiment train softmcl --freeze_encoder`), so that runs which then train the whole
        model start from the same, trained head instead of each spending its budget on a fresh
        one (`docs/softmcl.md`, "A fair MLM control"). Dropout still acts in training mode.
        Freezing is not saved with the model: call it again before resuming a run.

        Returns:
            `list[str]`: the names of the parameters left trainable.
        """
        self.mlm.base_model.requires_grad_(False)
        return [name for name, parameter in self.named_parameters() if parameter.requires_grad]

    @property
    def mlm_head(self) -> nn.Module:
        """The backbone's MLM head: the one child of its `...ForMaskedLM` model besides the
        encoder (`cls` for BERT, `lm_head` for RoBERTa, ...); maps `(..., d)` to `(..., V)`."""
        heads = [module for name, module in self.mlm.named_children() if name != self.mlm.base_model_prefix]
        if len(heads) != 1:
            raise TypeError(
                f"{type(self.mlm).__name__}: cannot tell its MLM head apart ({len(heads)} candidate modules)."
            )
        return heads[0]

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        # transformers re-creates every loaded float tensor as a trainable Parameter, which would
        # hand the key encoder to the optimizer (and to DDP as never-used parameters).
        model = super().from_pretrained(*args, **kwargs)
        for _, key in model._momentum_pairs():
            key.requires_grad_(False)
        return model

    def get_input_embeddings(self) -> nn.Module:
        return self.mlm.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.mlm.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module | None:
        return self.mlm.get_output_embeddings()

    def _momentum_pairs(self) -> list[tuple[nn.Module, nn.Module]]:
        pairs = [(self.mlm.base_model, self.key_encoder)] if hasattr(self, "key_encoder") else []
        for level in LEVELS:
            if hasattr(self, f"key_{level}_projection"):
                pairs.append(
                    (
                        getattr(self, f"{level}_projection"),
                        getattr(self, f"key_{level}_projection"),
                    )
                )
        return pairs

    @torch.no_grad()
    def copy_online_to_key_encoder(self) -> None:
        """Set the key encoder (and key projections) equal to the online ones, frozen."""
        for online, key in self._momentum_pairs():
            key.load_state_dict(online.state_dict())
            key.requires_grad_(False)

    # ------------------------------------------------------------------------- momentum, queue
    @torch.no_grad()
    def update_momentum_and_queue(self) -> None:
        """Call once after every optimizer step: `θ_k ← μ·θ_k + (1 − μ)·θ_q`, then enqueue the
        keys of the step's forward passes (all processes' keys when they were gathered)."""
        mu = self.config.momentum
        for online, key in self._momentum_pairs():
            key_params = list(key.parameters())
            online_params = [p.detach() for p in online.parameters()]
            torch._foreach_mul_(key_params, mu)
            torch._foreach_add_(key_params, online_params, alpha=1.0 - mu)
        for level in LEVELS:
            pending = self._pending_keys[level]
            if pending:
                keys = torch.cat([k for k, _ in pending])
                valences = torch.cat([v for _, v in pending])
                self.enqueue(level, keys, valences)
            pending.clear()

    @torch.no_grad()
    def enqueue(self, level: str, keys: torch.Tensor, valences: torch.Tensor) -> None:
        """Write `keys` `(N, p)` and `valences` `(N,)` into `level`'s FIFO ring buffer (oldest
        first out; with N > Q only the last Q stay)."""
        queue = getattr(self, f"{level}_queue")
        size = queue.shape[0]
        if size == 0 or keys.shape[0] == 0:
            return
        count = keys.shape[0]
        # As if the keys went in one by one: the first `count - size` would be overwritten.
        skipped = max(0, count - size)
        pointer = getattr(self, f"{level}_queue_pointer")
        slots = (pointer + skipped + torch.arange(count - skipped, device=queue.device)) % size
        queue[slots] = keys[skipped:].to(queue.dtype)
        getattr(self, f"{level}_queue_valence")[slots] = valences[skipped:].to(queue.dtype)
        pointer.copy_((pointer + count) % size)

    def queued(self, level: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The filled part of `level`'s queue: keys `(Q', p)` and valences `(Q',)`."""
        valence = getattr(self, f"{level}_queue_valence")
        filled = valence >= 0
        return getattr(self, f"{level}_queue")[filled], valence[filled]

    # --------------------------------------------------------------------------------- forward
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        labels: torch.LongTensor | None = None,
        word_index: torch.LongTensor | None = None,
        word_valence: torch.FloatTensor | None = None,
        sentence_valence: torch.FloatTensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
    ) -> SoftMCLOutput | tuple:
        r"""
        Args:
            input_ids, attention_mask, token_type_ids (`torch.LongTensor` of shape `(B, n)`): the
                (MLM-masked) input.
            labels (`torch.LongTensor` of shape `(B, n)`, *optional*): MLM targets, -100 where a
                token was not masked. The key encoder reads the unmasked input, rebuilt from
                `input_ids` and `labels`.
            word_index (`torch.LongTensor` of shape `(B, n)`, *optional*): the rated-word slot of
                each token, -1 elsewhere.
            word_valence (`torch.FloatTensor` of shape `(B, W)`, *optional*): each slot's valence in
                [0, 1], -1 for padding.
            sentence_valence (`torch.FloatTensor` of shape `(B,)`, *optional*): the sentence valence
                in [0, 1], -1 if unrated.
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        outputs = self.mlm.base_model(
            **inputs, output_hidden_states=output_hidden_states, output_attentions=output_attentions, return_dict=True
        )
        hidden = outputs.last_hidden_state

        parts: dict[str, torch.Tensor] = {}
        logits = masked_logits = None
        if labels is not None:
            # Scoring only the masked positions spares a (B·n, V) matrix, most of the step's memory.
            masked = labels != -100
            masked_logits = self.mlm_head(hidden[masked])
            if self.config.mlm_weight > 0:
                # An all-unmasked batch has no MLM term; keep the graph connected for DDP.
                parts["mlm"] = (
                    F.cross_entropy(masked_logits, labels[masked]) if masked.any() else masked_logits.sum() * 0.0
                )
        else:
            logits = self.mlm_head(hidden)
        wants_words = word_index is not None and word_valence is not None and self.config.word_weight > 0
        wants_sentences = sentence_valence is not None and self.config.sentence_weight > 0
        if wants_words or wants_sentences:
            key_ids = input_ids if labels is None else torch.where(labels != -100, labels, input_ids)
            with torch.no_grad():
                key_hidden = self.key_encoder(**{**inputs, "input_ids": key_ids}, return_dict=True).last_hidden_state
            if wants_words:
                parts["word"] = self._level_loss("word", hidden, key_hidden, word_index, word_valence)
            if wants_sentences:
                parts["sentence"] = self._level_loss("sentence", hidden, key_hidden, attention_mask, sentence_valence)

        loss = None
        if parts:
            loss = sum(getattr(self.config, f"{name}_weight") * value for name, value in parts.items())
        output = SoftMCLOutput(
            loss=loss,
            mlm_loss=parts.get("mlm"),
            word_loss=parts.get("word"),
            sentence_loss=parts.get("sentence"),
            logits=logits,
            masked_logits=masked_logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if return_dict else output.to_tuple()

    def _level_loss(
        self,
        level: str,
        hidden: torch.Tensor,
        key_hidden: torch.Tensor,
        index_or_mask: torch.Tensor,
        valence: torch.Tensor,
    ) -> torch.Tensor:
        """Soft contrastive loss of one level (`index_or_mask`: the word index `(B, n)` for words,
        the attention mask for sentences); queues the step's keys when training."""
        if level == "word":
            num_words = valence.shape[1]
            query_states, counts = pool_words(hidden, index_or_mask, num_words)
            key_states, _ = pool_words(key_hidden, index_or_mask, num_words)
            rated = (valence >= 0) & (counts > 0)
        else:
            # The first attended position is [CLS] whichever side the batch is padded on.
            rows, first = torch.arange(hidden.shape[0], device=hidden.device), index_or_mask.long().argmax(-1)
            query_states, key_states = hidden[rows, first], key_hidden[rows, first]
            rated = valence >= 0
        projection = getattr(self, f"{level}_projection")
        queries = F.normalize(projection(query_states[rated]), dim=-1)
        query_valence = valence[rated].float()  # valences stay fp32 under autocast
        with torch.no_grad():
            keys = F.normalize(getattr(self, f"key_{level}_projection")(key_states[rated]), dim=-1)
            key_valence = query_valence
            if self.config.gather_keys:
                keys, key_valence = (
                    gather_across_processes(keys),
                    gather_across_processes(key_valence),
                )
            if self.training:
                self._pending_keys[level].append((keys, key_valence))
            queued_keys, queued_valence = self.queued(level)
        all_keys = torch.cat([keys, queued_keys.to(keys.dtype)])
        all_valence = torch.cat([key_valence, queued_valence.to(key_valence.dtype)])
        loss = soft_contrastive_loss(
            queries,
            query_valence,
            all_keys,
            all_valence,
            getattr(self.config, f"{level}_temperature"),
            target_temperature=self.config.soft_target_temperature,
        )
        # A batch without rated items leaves the projection unused, which DDP rejects.
        return loss + 0.0 * sum(p.sum() for p in projection.parameters())

    # ---------------------------------------------------------------------------------- export
    def export_encoder(self, save_directory: str | Path, tokenizer=None, **save_kwargs) -> Path:
        """Save the pre-trained encoder as a standard checkpoint of the backbone's own type (its
        `...ForMaskedLM` class, head included), plus `tokenizer` when given, so it loads with
        `AutoModel`, `AutoModelForMaskedLM`, `AutoModelForSequenceClassification`, FCKT, ... and
        needs no hf_sentiment. Returns the folder."""
        save_directory = Path(save_directory)
        self.mlm.save_pretrained(save_directory, **save_kwargs)
        if tokenizer is not None:
            tokenizer.save_pretrained(save_directory)
        return save_directory

    def queue_memory_bytes(self) -> int:
        """Bytes held by both queues and their valences."""
        return sum(getattr(self, f"{level}_{name}").nbytes for level in LEVELS for name in ("queue", "queue_valence"))


def _projection(hidden: int, projection: int) -> nn.Sequential:
    """MoCo-v2-style two-layer projection head `d → d → p`."""
    return nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, projection))


__all__ = [
    "NO_VALENCE",
    "SoftMCLForPreTraining",
    "SoftMCLOutput",
    "SoftMCLPreTrainedModel",
    "gather_across_processes",
    "pool_words",
    "soft_contrastive_loss",
]
