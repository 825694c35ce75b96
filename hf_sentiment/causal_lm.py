"""Causal-LM helpers shared by the distillation teachers and trainer (`hf_sentiment.distill`) and
the SentiBench harness (`hf_sentiment.evaluation.sentibench`).

What is here: which token pads a batch, which token ids a verbalised label has after a prompt,
left-padded batches of token ids (or batches padded after a shared prefix, whose key/value cache is
computed once), the logits at the last positions of such a batch, label scoring, and greedy
continuations. Imports run one way: `distill/` and `evaluation/` import this module, and
it imports neither (nor anything else of hf_sentiment).

Our reading of left padding: a causal LM continues from the *last* column of a batch, so prompts of
different lengths are padded on the left (transformers' own `tokenizer.pad(...,
padding_side="left")`), and the position ids are derived from the attention mask, as `generate()`
does, so that a padded row gives the logits of the same prompt alone.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import Cache, DynamicCache, GenerationConfig, PreTrainedModel, PreTrainedTokenizerBase

from .utils.logging import get_logger

__all__ = [
    "can_share_prefix",
    "first_label_token_ids",
    "generate_answers",
    "generate_continuations",
    "label_token_ids",
    "last_logits",
    "left_pad",
    "length_sorted_batches",
    "padding_token_id",
    "prefix_cache",
    "prefix_padded",
    "score_labels",
    "shared_prefix_length",
    "with_padding_token",
]

logger = get_logger(__name__)


# --- tokens ---------------------------------------------------------------------------------------


def padding_token_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The id to pad with: the tokenizer's pad token, else (with a warning) its eos token.

    Decoder-only tokenizers often ship without a pad token; every padded position is masked out,
    so which token fills it does not change a score, only that one exists.

    Raises:
        ValueError: when the tokenizer has neither a pad token nor an eos token.
    """
    if tokenizer.pad_token_id is not None:
        return tokenizer.pad_token_id
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has neither a pad token nor an eos token to pad with; set tokenizer.pad_token")
    logger.warning(
        "the tokenizer has no pad token: padding with its eos token %r (padding is masked out)", tokenizer.eos_token
    )
    return tokenizer.eos_token_id


def with_padding_token(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """`tokenizer` itself when it has a pad token; otherwise a copy whose pad token is its eos token
    (see [`padding_token_id`]), so that `tokenizer.pad` works while the caller's tokenizer is left
    as it is.

    Raises:
        ValueError: when the tokenizer has neither a pad token nor an eos token.
    """
    pad_id = padding_token_id(tokenizer)
    if tokenizer.pad_token_id is not None:
        return tokenizer
    # A deep copy: a shallow one shares the special-token state, so setting its pad token would
    # set the caller's too.
    padded = copy.deepcopy(tokenizer)
    padded.pad_token = tokenizer.convert_ids_to_tokens(pad_id)
    return padded


def label_token_ids(
    tokenizer: PreTrainedTokenizerBase,
    labels: Sequence[str],
    *,
    anchor: str = "",
    prefix: str = " ",
) -> list[list[int]]:
    """The token ids of each label as the continuation of `anchor` (the prompt's last text).

    `anchor + prefix + label` is encoded and `anchor`'s tokens are removed, so that tokenizers that
    mark word starts (SentencePiece `▁`) give the label's ids as they follow the prompt; when the
    anchor's tokens are not a prefix (a merge across the boundary), `prefix + label` is encoded
    alone, as the SentiBench scripts do. With the default empty anchor, that is simply the ids of
    `prefix + label`.

    Args:
        tokenizer (`PreTrainedTokenizerBase`): the model's tokenizer.
        labels (`Sequence[str]`): L verbalised labels (`"positive"`, ...).
        anchor (`str`, *optional*, defaults to `""`): the text the prompt ends with (`"Answer:"`).
        prefix (`str`, *optional*, defaults to `" "`): what stands between the anchor and the
            label: a space after `"Answer:"`, nothing after a chat template's generation prompt.

    Returns:
        `list[list[int]]`: L lists of token ids, special tokens excluded.

    Raises:
        ValueError: when a label encodes to no token.
    """
    base = tokenizer(anchor, add_special_tokens=False)["input_ids"] if anchor else []
    result = []
    for label in labels:
        full = tokenizer(anchor + prefix + label, add_special_tokens=False)["input_ids"]
        if base and full[: len(base)] == base:
            ids = full[len(base) :]
        else:
            ids = tokenizer(prefix + label, add_special_tokens=False)["input_ids"]
        if not ids:
            raise ValueError(f"label {label!r} encodes to no token")
        result.append(list(ids))
    return result


def first_label_token_ids(
    tokenizer: PreTrainedTokenizerBase,
    labels: Sequence[str],
    *,
    anchor: str = "",
    prefix: str = " ",
) -> list[int]:
    """The first token of each label (see [`label_token_ids`]): the token a model emits first when
    it answers with that label, whose probability stands for the label's.

    Args:
        tokenizer (`PreTrainedTokenizerBase`): the model's tokenizer.
        labels (`Sequence[str]`): L verbalised labels.
        anchor (`str`, *optional*, defaults to `""`): see [`label_token_ids`].
        prefix (`str`, *optional*, defaults to `" "`): see [`label_token_ids`].

    Returns:
        `list[int]`: L distinct token ids.

    Raises:
        ValueError: when two labels share their first token (their first-token probabilities are
            one number, so they cannot be told apart) or a label encodes to no token.
    """
    first: list[int] = []
    owner: dict[int, str] = {}
    for label, ids in zip(labels, label_token_ids(tokenizer, labels, anchor=anchor, prefix=prefix), strict=True):
        token = ids[0]
        if token in owner:
            raise ValueError(
                f"labels {owner[token]!r} and {label!r} share a first token, "
                f"{tokenizer.convert_ids_to_tokens(token)!r}: their first-token probabilities cannot be told apart"
            )
        owner[token] = label
        first.append(token)
    return first


# --- batches and logits ---------------------------------------------------------------------------


def left_pad(
    tokenizer: PreTrainedTokenizerBase,
    sequences: Sequence[Sequence[int]],
    device: torch.device | str | None = None,
) -> dict[str, torch.Tensor]:
    """A left-padded batch of token ids, by the tokenizer's own `pad`.

    Args:
        tokenizer (`PreTrainedTokenizerBase`): a tokenizer with a pad token (see
            [`with_padding_token`]).
        sequences (`Sequence[Sequence[int]]`): B token-id lists, unpadded.
        device (`torch.device` or `str`, *optional*): where the tensors go (left where they are
            made, the CPU, when `None`).

    Returns:
        `dict[str, torch.Tensor]`: `input_ids` and `attention_mask`, both `(B, T)` with T the
        longest sequence, padding (mask 0) on the left.
    """
    batch = tokenizer.pad(
        {"input_ids": [list(sequence) for sequence in sequences]},
        padding=True,
        padding_side="left",
        return_attention_mask=True,
        return_tensors="pt",
    )
    return {key: batch[key].to(device) for key in ("input_ids", "attention_mask")}


def shared_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    """How many leading tokens all `sequences` share, at most the shortest one's length minus one:
    every row keeps a token of its own, whose logits the prompt pass must give."""
    shortest = min(len(sequence) for sequence in sequences)
    length = 0
    while length < shortest - 1 and all(sequence[length] == sequences[0][length] for sequence in sequences):
        length += 1
    return length


def prefix_padded(
    tokenizer: PreTrainedTokenizerBase,
    sequences: Sequence[Sequence[int]],
    prefix_length: int,
    device: torch.device | str | None = None,
) -> dict[str, torch.Tensor]:
    """A batch whose rows share their first `prefix_length` tokens: the prefix, then each row's
    rest left-padded after it (the padding sits between prefix and rest, masked out).

    Since `generate()` derives position ids from the attention mask, each row's own tokens get the
    positions they have in the unpadded prompt, so the prefix's KV cache, computed once (see
    [`prefix_cache`]), serves every row.

    Returns:
        `dict[str, torch.Tensor]`: `input_ids` and `attention_mask`, both `(B, prefix_length + R)`
        with R the longest rest.
    """
    rests = left_pad(tokenizer, [sequence[prefix_length:] for sequence in sequences], device)
    rows = len(sequences)
    prefix = torch.tensor(list(sequences[0][:prefix_length]), dtype=rests["input_ids"].dtype, device=device)
    ones = torch.ones(rows, prefix_length, dtype=rests["attention_mask"].dtype, device=device)
    return {
        "input_ids": torch.cat([prefix.expand(rows, -1), rests["input_ids"]], dim=1),
        "attention_mask": torch.cat([ones, rests["attention_mask"]], dim=1),
    }


def can_share_prefix(model: torch.nn.Module) -> bool:
    """Whether [`prefix_padded`] batches give `model` each prompt's own positions: its forward must
    take `position_ids` (which `generate()` derives from the attention mask) and a cache."""
    parameters = _forward_parameters(model)
    return "position_ids" in parameters and bool({"cache", "past_key_values"} & parameters)


def prefix_cache(model: PreTrainedModel, prefix_ids: Sequence[int], rows: int) -> Cache:
    """The key/value cache of one prompt prefix, computed once and repeated for `rows` rows (the
    cache of a [`prefix_padded`] batch)."""
    cache = DynamicCache(config=model.config)
    ids = torch.tensor([list(prefix_ids)], device=_device(model))
    # Only the cache is wanted: the output layer (for Gemma-3 the largest matrix) runs on one
    # position, not the prefix's every token, where the model allows it.
    keep = {"logits_to_keep": 1} if "logits_to_keep" in _forward_parameters(model) else {}
    with torch.no_grad():
        model(input_ids=ids, use_cache=True, **{_cache_keyword(model): cache}, **keep)
    cache.batch_repeat_interleave(rows)
    return cache


def _cache_keyword(model: torch.nn.Module) -> str:
    """The keyword a model takes its key/value cache by: `cache` since transformers 5.x renamed
    it, `past_key_values` before (now deprecated)."""
    return "cache" if "cache" in _forward_parameters(model) else "past_key_values"


def _device(model: torch.nn.Module) -> torch.device:
    device = getattr(model, "device", None)
    return device if isinstance(device, torch.device) else next(model.parameters()).device


def _forward_parameters(model: torch.nn.Module) -> set[str]:
    """The named parameters of the forward that will run (the base model's, under PEFT)."""
    target = model.get_base_model() if hasattr(model, "get_base_model") else model
    return set(inspect.signature(target.forward).parameters)


def last_logits(
    model: torch.nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor, keep: int = 1
) -> torch.Tensor:
    """The logits at the last `keep` positions of a left-padded batch, from one forward pass.

    Args:
        model (`torch.nn.Module`): a causal LM returning `logits` `(B, T, V)` (PEFT-wrapped works).
        input_ids (`torch.Tensor`): `(B, T)`, left-padded (see [`left_pad`]).
        attention_mask (`torch.Tensor`): `(B, T)`, 0 on the padding.
        keep (`int`, *optional*, defaults to 1): how many of the last positions to return.

    Returns:
        `torch.Tensor`: `(B, keep, V)` in float32; position `-1` predicts the token after each
        prompt.
    """
    inputs: dict[str, Any] = {"input_ids": input_ids, "attention_mask": attention_mask}
    parameters = _forward_parameters(model)
    if "position_ids" in parameters:
        # Left padding would otherwise shift every position; generate() does the same.
        inputs["position_ids"] = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    if "logits_to_keep" in parameters:
        # Full-sequence logits over a 100k+ vocabulary would dominate memory.
        inputs["logits_to_keep"] = keep
    if "use_cache" in parameters:
        inputs["use_cache"] = False
    return model(**inputs).logits[:, -keep:].float()


def length_sorted_batches(sequences: Sequence[Sequence[int]], batch_size: int) -> list[list[int]]:
    """Batches of at most `batch_size` indices into `sequences`, longest sequences first: a batch
    holds similar lengths (little padding, which costs quadratically in attention), and running out
    of memory shows in the first batch, not hours in."""
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def _batches(
    sequences: Sequence[Sequence[int]], batch_size: int, desc: str | None, show_progress: bool
) -> Iterator[list[int]]:
    """[`length_sorted_batches`] under a progress bar."""
    batches = length_sorted_batches(sequences, batch_size)
    yield from tqdm(batches, desc=desc, disable=not show_progress, unit="batch", leave=False)


# --- label scoring --------------------------------------------------------------------------------


@torch.inference_mode()
def score_labels(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    prompt_ids: Sequence[Sequence[int]],
    label_ids: Sequence[Sequence[int]],
    *,
    batch_size: int = 8,
    desc: str | None = None,
    show_progress: bool = False,
) -> tuple[torch.Tensor, str]:
    """Score every label as the continuation of every prompt.

    With distinct first tokens (`method == "first_token"`) a label's score is the next-token
    log-probability of its first token after the prompt: one forward pass per batch of prompts,
    logits kept at the last position only. When two labels share their first token
    (`method == "sum_logprob"`) each label's score is the summed log-probability of all its tokens,
    from one forward pass over every (prompt, label) pair of the batch (a sum, not a mean: the
    label's probability as a continuation).

    Args:
        model (`torch.nn.Module`): a causal LM returning `logits` `(B, T, V)`.
        tokenizer (`PreTrainedTokenizerBase`): its tokenizer, for left padding (without a pad token
            its eos token pads, see [`with_padding_token`]).
        prompt_ids (`Sequence[Sequence[int]]`): N prompts' token ids (special tokens included as
            wanted), unpadded.
        label_ids (`Sequence[Sequence[int]]`): L labels' token ids, e.g. from [`label_token_ids`].
        batch_size (`int`, *optional*, defaults to 8): prompts per forward pass, batched by length
            (see [`length_sorted_batches`]); the scores come back in prompt order.
        desc (`str`, *optional*): the progress bar's label.
        show_progress (`bool`, *optional*, defaults to `False`): a tqdm bar over the batches.

    Returns:
        `tuple[torch.Tensor, str]`: `scores` `(N, L)` float32 on the CPU (argmax = prediction) and
        the method used.

    Raises:
        ValueError: when there is no prompt or label, or one of them has no token.
    """
    if not label_ids or any(not ids for ids in label_ids):
        raise ValueError("every label needs at least one token")
    if not prompt_ids or any(not ids for ids in prompt_ids):
        raise ValueError("score_labels needs at least one prompt, each of at least one token")
    tokenizer = with_padding_token(tokenizer)
    device = _device(model)
    first = [ids[0] for ids in label_ids]
    method = "first_token" if len(set(first)) == len(first) else "sum_logprob"
    first_index = torch.tensor(first)
    longest = max(len(ids) for ids in label_ids)
    lengths = torch.tensor([len(ids) for ids in label_ids])
    n_labels = len(label_ids)
    scores = torch.empty(len(prompt_ids), n_labels)
    for batch in _batches(prompt_ids, batch_size, desc, show_progress):
        if method == "first_token":
            inputs = left_pad(tokenizer, [prompt_ids[i] for i in batch], device)
            logits = last_logits(model, inputs["input_ids"], inputs["attention_mask"], keep=1)
            log_probs = torch.log_softmax(logits[:, -1], dim=-1).cpu()  # (B, V)
            scores[batch] = log_probs[:, first_index].float()
            continue
        pairs = [list(prompt_ids[i]) + list(ids) for i in batch for ids in label_ids]
        inputs = left_pad(tokenizer, pairs, device)
        logits = last_logits(model, inputs["input_ids"], inputs["attention_mask"], keep=longest + 1)
        # Position t predicts token t + 1: the first `longest` kept positions predict the last
        # `longest` tokens, of which each label owns its final len(label) ones.
        log_probs = torch.log_softmax(logits[:, :-1], dim=-1)  # (B * L, longest, V)
        targets = inputs["input_ids"][:, -longest:].unsqueeze(-1)
        token_scores = log_probs.gather(-1, targets).squeeze(-1).cpu()  # (B * L, longest)
        owned = torch.arange(longest) >= (longest - lengths.repeat(len(batch))).unsqueeze(-1)
        summed = torch.where(owned, token_scores, torch.zeros_like(token_scores)).sum(-1)
        scores[batch] = summed.view(len(batch), n_labels).float()
    return scores, method


# --- generation -----------------------------------------------------------------------------------


def generate_continuations(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    inputs: dict[str, torch.Tensor],
    generation_config: GenerationConfig,
    past_key_values: Cache | None = None,
) -> list[str]:
    """`model.generate` on one left-padded batch; the new text of each row.

    Args:
        model (`PreTrainedModel`): a causal LM.
        tokenizer (`PreTrainedTokenizerBase`): its tokenizer (decodes, and finds `stop_strings`).
        inputs (`dict[str, torch.Tensor]`): `input_ids` and `attention_mask` `(B, T)`, left-padded
            (see [`left_pad`]) or padded after a shared prefix (see [`prefix_padded`]), on the
            model's device.
        generation_config (`GenerationConfig`): the decoding settings.
        past_key_values (`Cache`, *optional*): the cache of the batch's first columns (a shared
            prefix's, [`prefix_cache`]); generation starts after them.

    Returns:
        `list[str]`: B continuations (prompt excluded), decoded without special tokens.
    """
    # Stop strings are matched on text, so generate() needs the tokenizer to find them.
    extra = {"tokenizer": tokenizer} if getattr(generation_config, "stop_strings", None) else {}
    if past_key_values is not None:
        extra[_cache_keyword(model)] = past_key_values
    output = model.generate(**inputs, generation_config=generation_config, **extra)
    # With left padding every row's prompt ends at the same column: the rest is the answer.
    return tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)


@torch.inference_mode()
def generate_answers(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompt_ids: Sequence[Sequence[int]],
    *,
    max_new_tokens: int = 64,
    batch_size: int = 8,
    stop_strings: Sequence[str] = ("\n\n",),
    desc: str | None = None,
    show_progress: bool = False,
) -> list[str]:
    """Greedy continuations of token-id prompts, in batches, decoded without special tokens.

    Generation stops at one of `stop_strings` (by default a blank line, the end of an answer in a
    few-shot prompt), at the model's end-of-sequence token, or after `max_new_tokens`. It is pure
    greedy search: sampling settings and penalties in the model's own `generation_config` are not
    used.

    Args:
        model (`PreTrainedModel`): a causal LM.
        tokenizer (`PreTrainedTokenizerBase`): its tokenizer (without a pad token its eos token
            pads, see [`with_padding_token`]).
        prompt_ids (`Sequence[Sequence[int]]`): N prompts' token ids, unpadded.
        max_new_tokens (`int`, *optional*, defaults to 64): the answer budget.
        batch_size (`int`, *optional*, defaults to 8): prompts per `generate` call, batched by
            length (see [`length_sorted_batches`]).
        stop_strings (`Sequence[str]`, *optional*, defaults to `("\\n\\n",)`): texts that end an
            answer (empty: none).
        desc (`str`, *optional*): the progress bar's label.
        show_progress (`bool`, *optional*, defaults to `False`): a tqdm bar over the batches.

    Returns:
        `list[str]`: one continuation (prompt excluded) per prompt, in prompt order.
    """
    tokenizer = with_padding_token(tokenizer)
    eos = model.generation_config.eos_token_id if model.generation_config is not None else None
    config = GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=False,
        num_beams=1,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=eos if eos is not None else tokenizer.eos_token_id,
        stop_strings=list(stop_strings) or None,
    )
    device = _device(model)
    answers: list[str] = [""] * len(prompt_ids)
    for batch in _batches(prompt_ids, batch_size, desc, show_progress):
        inputs = left_pad(tokenizer, [prompt_ids[i] for i in batch], device)
        for index, answer in zip(batch, generate_continuations(model, tokenizer, inputs, config), strict=True):
            answers[index] = answer
    return answers
