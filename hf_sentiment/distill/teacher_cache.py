"""A resumable on-disk cache of teacher answers, so no teacher call is paid for twice.

A distillation corpus is thousands of teacher calls (hours on a local LLM, money on an endpoint).
[`TeacherCache`] keeps every answer in a JSON-lines file, one entry per line, keyed on the
sha256 of (teacher name, call, prompt, settings). [`cached_generate`] and
[`cached_label_distribution`] send only the prompts the cache lacks to the teacher, a chunk at a
time, and append each chunk's answers (flushed and fsync'ed) as soon as it returns. A run that is
killed loses at most the chunk in flight; running the same call again answers the finished part
from the file and continues where the first run stopped.

```python
>>> cache = TeacherCache("runs/teacher/smollm2.jsonl")
>>> answers = cached_generate(teacher, prompts, cache, max_new_tokens=64)
>>> cache.last_report  # CacheReport(prompts=5000, distinct=4990, cached=3200, new=1790, remaining=0)
```

The file is plain JSON lines (`format`, `key`, `teacher`, `call`, `settings`, `prompt`, `answer`),
readable with `datasets.load_dataset("json", ...)`. Opening a cache never changes its file: a
last line cut off mid-write (a killed writer, or a live one seen mid-line) is counted, reported
with a warning and skipped. Only a writer repairs: the first `put` takes an exclusive lock on
`<file>.lock` (one writer at a time; a second is refused while the first runs) and then cuts such a
line off before appending. Any other line that is not a complete entry of this format raises a
[`~hf_sentiment.data.DataFormatError`] naming the file and line, so a wrong path never gets mixed
with, or appended to, some other file; [`repair_cache`] (`hf-sentiment cache repair FILE`) keeps
every valid line of a damaged cache (a line cut in the middle, a NUL tail after a power loss),
saves the original beside it and reports what it dropped.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from ..data.errors import DataFormatError
from ..utils.logging import get_logger
from .teachers import Teacher

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

logger = get_logger(__name__)

FORMAT = "hf_sentiment.teacher_cache/1"
# Every line we write starts with these bytes (`format` is the record's first field), which is how a
# cut-off last line is told from a foreign file's.
_SIGNATURE = json.dumps({"format": FORMAT}, separators=(",", ":"))[:-1].encode("utf-8")
_CALLS = ("generate", "label_distribution")


def _canonical(value: Any, what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} must be JSON-serialisable to key the teacher cache, got {value!r}: {error}") from error


def _is_cut_short(raw: bytes) -> bool:
    """Whether `raw` (a last line without its newline) can be the start of one of our entries."""
    return raw.startswith(_SIGNATURE) or _SIGNATURE.startswith(raw)


def _lock_for_writing(path: Path) -> Any:
    """An exclusive lock on `path`'s `.lock` file, held while the returned file stays open.

    Raises:
        `RuntimeError`: another process holds it (two writers would interleave their lines).
    """
    handle = open(path.with_name(path.name + ".lock"), "a+b")  # noqa: SIM115 - held until close()
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; one writer at a time stays the user's rule
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RuntimeError(f"teacher cache {path}: another process is writing it; run one writer at a time") from None
    return handle


def _end_on_a_line_of_its_own(path: Path) -> None:
    """Before a writer's first append: cut a last line that a killed writer left half-written, or
    end a complete last entry whose newline was lost, so the next entry starts a line."""
    if not path.exists() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return
    start = data.rfind(b"\n") + 1
    last = data[start:]
    try:
        json.loads(last.decode("utf-8"))
        complete = True
    except (UnicodeDecodeError, json.JSONDecodeError):
        complete = False
    with path.open("r+b") as handle:
        if complete:
            handle.seek(0, os.SEEK_END)
            handle.write(b"\n")
        elif _is_cut_short(last):
            handle.truncate(start)
            logger.warning("teacher cache %s: the cut-off last line removed before writing.", path)
        handle.flush()
        os.fsync(handle.fileno())


def cache_key(
    teacher_name: str, prompt: str, settings: Mapping[str, Any] | None = None, *, call: str = "generate"
) -> str:
    """The sha256 (hex) of (format, teacher name, call, prompt, settings) in canonical JSON, so the
    same question to the same teacher with the same settings always finds the same entry."""
    payload = [FORMAT, teacher_name, call, prompt, dict(settings or {})]
    return hashlib.sha256(_canonical(payload, "settings").encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    """One teacher answer: to `prompt`, by `teacher` (its [`Teacher.name`]), from `call`
    (`"generate"`: a string; `"label_distribution"`: `L` floats), with `settings`."""

    teacher: str
    call: str
    prompt: str
    settings: Mapping[str, Any]
    answer: Any

    @property
    def key(self) -> str:
        return cache_key(self.teacher, self.prompt, self.settings, call=self.call)

    def to_json(self) -> str:
        record = {
            "format": FORMAT,
            "key": self.key,
            "teacher": self.teacher,
            "call": self.call,
            "settings": dict(self.settings),
            "prompt": self.prompt,
            "answer": self.answer,
        }
        # Not sort_keys: `format` must come first (see _SIGNATURE).
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass
class CacheReport:
    """Where a cached call stands.

    Attributes:
        prompts (`int`): prompts asked for.
        distinct (`int`): distinct prompts among them (a repeated prompt is asked once).
        cached (`int`): distinct prompts answered from the cache (done by earlier runs).
        new (`int`): distinct prompts the teacher answered in this call.
        remaining (`int`): distinct prompts still unanswered (non-zero after an interruption, or
            from [`cache_report`], which asks the teacher nothing).
    """

    prompts: int = 0
    distinct: int = 0
    cached: int = 0
    new: int = 0
    remaining: int = 0

    def __str__(self) -> str:
        return (
            f"{self.prompts} prompts, {self.distinct} distinct: {self.cached} from the cache, "
            f"{self.new} new teacher calls, {self.remaining} remaining"
        )


def _entry_from_record(path: Path, record: Any, number: int) -> CacheEntry:
    """The entry a parsed line holds, checked field by field.

    Raises:
        `DataFormatError`: naming `path`, the line `number` and the field.
    """

    def fail(field_name: str | None, message: str) -> DataFormatError:
        return DataFormatError(path, number, field_name, f"line {number} {message}")

    if not isinstance(record, dict) or record.get("format") != FORMAT:
        found = record.get("format") if isinstance(record, dict) else type(record).__name__
        raise fail("format", f"is not a teacher cache entry (format {found!r}, expected {FORMAT!r}).")
    for name, kind in (("key", str), ("teacher", str), ("call", str), ("prompt", str), ("settings", dict)):
        if not isinstance(record.get(name), kind):
            raise fail(name, f"has no {kind.__name__} {name!r}.")
    if "answer" not in record:
        raise fail("answer", "has no 'answer'.")
    if record["call"] not in _CALLS:
        raise fail("call", f"has an unknown call {record['call']!r} (expected one of {list(_CALLS)}).")
    # JSON's NaN / Infinity (never written by `put`) would reach the distillation loss as teacher
    # probabilities, and a non-string `generate` answer would become a training target.
    answer = record["answer"]
    if record["call"] == "label_distribution" and not (
        isinstance(answer, list)
        and all(
            isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p) and p >= 0 for p in answer
        )
    ):
        raise fail(
            "answer", f"has label probabilities that are not a list of finite, non-negative numbers: {answer!r}."
        )
    if record["call"] == "generate" and not isinstance(answer, str):
        raise fail("answer", f"has a generated answer that is not a string: {answer!r}.")
    # A lone surrogate (a JSON escape such as "\ud800") or a NaN in the settings would make
    # computing the key fail with a bare UnicodeEncodeError / TypeError.
    for name in ("teacher", "prompt", "settings", "answer"):
        try:
            _canonical(record[name], name).encode("utf-8")
        except (TypeError, UnicodeEncodeError) as error:
            raise fail(name, f"is not valid UTF-8 text or JSON: {error}.") from None
    entry = CacheEntry(record["teacher"], record["call"], record["prompt"], record["settings"], record["answer"])
    if entry.key != record["key"]:
        raise fail("key", "has a key that does not match its teacher, call, prompt and settings (edited by hand?).")
    return entry


class TeacherCache:
    """Teacher answers in a JSON-lines file, loaded on open and appended to as they arrive.

    Args:
        path (`str` or `os.PathLike`): the file (created with its folders when absent).

    Attributes:
        path (`Path`): the file.
        truncated_lines (`int`): cut-off last lines found (and skipped) on open: 0, or 1 after a
            kill; the first write removes it from the file.
        last_report (`CacheReport`, *optional*): the [`CacheReport`] of the last cached call through
            this cache.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.truncated_lines = 0
        self.last_report: CacheReport | None = None
        self._entries: dict[str, CacheEntry] = {}
        self._lock = threading.Lock()
        self._file: Any = None
        self._writer_lock: Any = None
        self._load()

    # -- reading ---------------------------------------------------------------------------

    def _load(self) -> None:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return
        data = self.path.read_bytes()
        lines = data.split(b"\n")
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                # Only a line without its newline can be a write cut short (or one a live writer is
                # still appending), and only if it starts like ours; anything else is a file we did
                # not write, or one that was damaged.
                if number == len(lines) and _is_cut_short(raw):
                    self.truncated_lines = 1
                    logger.warning(
                        "teacher cache %s: a cut-off last line (a write interrupted mid-line, or in progress) "
                        "skipped; its answer will be asked again. %d complete entries read.",
                        self.path,
                        len(self._entries),
                    )
                    break
                raise DataFormatError(
                    self.path,
                    number,
                    None,
                    f"line {number} is not JSON ({error}); not a teacher cache file? If it is one that was "
                    f"damaged, `hf-sentiment cache repair {self.path}` keeps its valid lines",
                ) from error
            entry = _entry_from_record(self.path, record, number)
            self._entries[entry.key] = entry

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(
        self,
        teacher_name: str,
        prompt: str,
        settings: Mapping[str, Any] | None = None,
        *,
        call: str = "generate",
        default: Any = None,
    ) -> Any:
        """The cached answer, or `default`."""
        entry = self._entries.get(cache_key(teacher_name, prompt, settings, call=call))
        return default if entry is None else entry.answer

    def get_by_key(self, key: str, default: Any = None) -> Any:
        """The cached answer stored under `key` (from [`cache_key`]), or `default`."""
        entry = self._entries.get(key)
        return default if entry is None else entry.answer

    def entries(self) -> Iterator[CacheEntry]:
        """Every entry, in the order first written (a rewritten key keeps its place)."""
        return iter(list(self._entries.values()))

    # -- writing ---------------------------------------------------------------------------

    def put(
        self,
        teacher_name: str,
        prompt: str,
        settings: Mapping[str, Any] | None,
        answer: Any,
        *,
        call: str = "generate",
    ) -> None:
        """Store one answer (appended, flushed and fsync'ed before returning)."""
        self.put_many([CacheEntry(teacher_name, call, prompt, dict(settings or {}), answer)])

    def put_many(self, entries: Iterable[CacheEntry]) -> None:
        """Store several answers with one fsync: after this returns they survive a kill."""
        entries = list(entries)
        for entry in entries:
            if entry.call not in _CALLS:
                raise ValueError(f"unknown call {entry.call!r} (expected one of {list(_CALLS)}).")
        payload = "".join(entry.to_json() + "\n" for entry in entries).encode("utf-8")
        if not payload:
            return
        with self._lock:
            if self._file is None or self._file.closed:
                self._writer_lock = _lock_for_writing(self.path)
                _end_on_a_line_of_its_own(self.path)
                self._file = self.path.open("ab")
            self._file.write(payload)
            self._file.flush()
            os.fsync(self._file.fileno())
            for entry in entries:
                self._entries[entry.key] = entry

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
            if self._writer_lock is not None:
                self._writer_lock.close()  # closing the descriptor releases the lock
                self._writer_lock = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TeacherCache({str(self.path)!r}, entries={len(self)})"


@dataclass
class RepairReport:
    """What [`repair_cache`] did.

    Attributes:
        path (`Path`): the repaired cache.
        kept (`int`): the valid entries kept, in their order.
        dropped (`dict[int, str]`): line number -> why it was dropped.
        backup (`Path`, *optional*): the original file, kept beside it (`None` when nothing was
            dropped and the file was left as it was).
    """

    path: Path
    kept: int = 0
    dropped: dict[int, str] = field(default_factory=dict)
    backup: Path | None = None


def repair_cache(path: str | os.PathLike) -> RepairReport:
    """Keep every valid entry of a damaged teacher cache file and drop the rest.

    A line cut in the middle of the file, a NUL tail after a power loss or a line edited into
    something else makes [`TeacherCache`] refuse the whole file (mixing a foreign file into a cache
    must not pass silently). Once the user has seen that the file is theirs, this keeps each line
    that is a complete entry, moves the original to `<file>.damaged` (`.damaged.1`, ... when
    taken) and writes the kept lines in its place. It takes the writer's lock, so it does not run
    beside a live writer.

    Args:
        path (`str` or `os.PathLike`): the cache file.

    Returns:
        [`RepairReport`]: the count kept and each dropped line with its reason.

    Raises:
        `FileNotFoundError`: no such file.
        `RuntimeError`: another process is writing the cache.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"teacher cache {path}: no such file")
    report = RepairReport(path)
    lock = _lock_for_writing(path)
    try:
        kept = []
        for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                _entry_from_record(path, json.loads(raw.decode("utf-8")), number)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                report.dropped[number] = "NUL bytes" if not raw.strip(b"\x00") else f"not JSON ({error})"
                continue
            except DataFormatError as error:
                report.dropped[number] = error.message
                continue
            kept.append(raw + b"\n")
        report.kept = len(kept)
        if not report.dropped:
            return report
        backup = path.with_name(path.name + ".damaged")
        suffix = 0
        while backup.exists():
            suffix += 1
            backup = path.with_name(f"{path.name}.damaged.{suffix}")
        repaired = path.with_name(path.name + ".repairing")
        with repaired.open("wb") as handle:
            handle.writelines(kept)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(path, backup)  # the original stays whole under its new name
        os.replace(repaired, path)
        report.backup = backup
        reasons = Counter(reason.split(" (")[0] for reason in report.dropped.values())
        logger.warning("teacher cache %s: kept %d entries, dropped %d lines (%s); the original is %s",
                       path, report.kept, len(report.dropped), dict(reasons), backup)  # fmt: skip
    finally:
        lock.close()
    return report


# ----------------------------------------------------------------------------------------------
# Cached calls
# ----------------------------------------------------------------------------------------------


def _plan(
    teacher_name: str, call: str, settings: Mapping[str, Any], prompts: Sequence[str], cache: TeacherCache
) -> tuple[list[str], dict[str, str], CacheReport]:
    """Keys of `prompts`, the distinct uncached ones (key -> prompt, in prompt order), and counts."""
    keys = [cache_key(teacher_name, prompt, settings, call=call) for prompt in prompts]
    distinct = dict(zip(keys, prompts, strict=True))
    todo = {key: prompt for key, prompt in distinct.items() if key not in cache}
    report = CacheReport(
        prompts=len(prompts), distinct=len(distinct), cached=len(distinct) - len(todo), remaining=len(todo)
    )
    return keys, todo, report


def _cached_call(
    teacher: Teacher,
    call: str,
    settings: Mapping[str, Any],
    prompts: Sequence[str],
    cache: TeacherCache,
    ask: Callable[[list[str]], list[Any]],
    *,
    chunk_size: int | None,
    progress: bool,
) -> list[Any]:
    name = teacher.name
    settings = dict(settings)
    keys, todo, report = _plan(name, call, settings, prompts, cache)
    cache.last_report = report
    size = chunk_size or teacher.chunk_size
    if size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {size}.")
    pending = list(todo.items())
    try:
        with tqdm(
            total=report.distinct, initial=report.cached, desc=f"teacher {call}", unit="prompt", disable=not progress
        ) as bar:
            for start in range(0, len(pending), size):
                chunk = pending[start : start + size]
                answers = ask([prompt for _, prompt in chunk])
                if len(answers) != len(chunk):
                    raise RuntimeError(f"teacher {name!r} returned {len(answers)} answers for {len(chunk)} prompts.")
                cache.put_many(
                    CacheEntry(name, call, prompt, settings, answer)
                    for (_, prompt), answer in zip(chunk, answers, strict=True)
                )
                report.new += len(chunk)
                report.remaining -= len(chunk)
                bar.update(len(chunk))
    finally:
        if report.remaining:
            logger.warning("teacher cache %s: stopped with %s; run the same call again to resume.", cache.path, report)
        else:
            logger.info("teacher cache %s: %s.", cache.path, report)
    return [cache.get_by_key(key) for key in keys]


def cached_generate(
    teacher: Teacher,
    prompts: Sequence[str],
    cache: TeacherCache,
    *,
    chunk_size: int | None = None,
    progress: bool = True,
    **generation_kwargs: Any,
) -> list[str]:
    """`teacher.generate(prompts, **generation_kwargs)`, asking the teacher only what `cache` lacks.

    Distinct uncached prompts go to the teacher `chunk_size` at a time (the teacher's
    [`Teacher.chunk_size`] by default) and each chunk's answers are written to the cache as soon as
    it returns. The counts land in `cache.last_report` and the log.

    Args:
        teacher ([`Teacher`]): any teacher.
        prompts (`Sequence[str]`): N prompts (repeats are asked once).
        cache ([`TeacherCache`]): where answers are kept.
        chunk_size (`int`, *optional*): prompts per teacher call, i.e. the most answers an
            interruption loses (the teacher's [`Teacher.chunk_size`] when `None`).
        progress (`bool`, *optional*, defaults to `True`): show a progress bar over distinct
            prompts, starting at those already cached.
        generation_kwargs (`dict[str, Any]`, *optional*): passed to `teacher.generate`; with the
            teacher's defaults filled in ([`Teacher.generation_settings`]) they are part of the key,
            so other settings mean other answers.

    Returns:
        `list[str]`: N answers, in prompt order.
    """
    settings = teacher.generation_settings(**generation_kwargs)
    _canonical(settings, "generation settings")

    def ask(chunk: list[str]) -> list[str]:
        return list(teacher.generate(chunk, progress=False, **generation_kwargs))

    return _cached_call(
        teacher, "generate", settings, list(prompts), cache, ask, chunk_size=chunk_size, progress=progress
    )


def cached_label_distribution(
    teacher: Teacher,
    prompts: Sequence[str],
    labels: Sequence[str],
    cache: TeacherCache,
    *,
    chunk_size: int | None = None,
    progress: bool = True,
    **kwargs: Any,
) -> np.ndarray:
    """`teacher.label_distribution(prompts, labels, **kwargs)` through `cache` (see
    [`cached_generate`]); the labels, in order, are part of the key.

    Returns:
        `np.ndarray`: `(N, L)` float64 probabilities.
    """
    labels = list(labels)
    settings = teacher.label_distribution_settings(labels, **kwargs)
    _canonical(settings, "label distribution settings")

    def ask(chunk: list[str]) -> list[list[float]]:
        rows = np.asarray(teacher.label_distribution(chunk, labels, progress=False, **kwargs), dtype=np.float64)
        if rows.shape != (len(chunk), len(labels)):
            raise RuntimeError(
                f"teacher {teacher.name!r} returned label probabilities of shape {rows.shape}, "
                f"expected {(len(chunk), len(labels))}."
            )
        return rows.tolist()

    answers = _cached_call(
        teacher, "label_distribution", settings, list(prompts), cache, ask, chunk_size=chunk_size, progress=progress
    )
    return np.asarray(answers, dtype=np.float64).reshape(len(answers), len(labels))


def cache_report(
    teacher: Teacher, prompts: Sequence[str], cache: TeacherCache, **generation_kwargs: Any
) -> CacheReport:
    """How far [`cached_generate`] with these arguments has come, without asking the teacher:
    `cached` answers are on disk, `remaining` would be asked next."""
    settings = teacher.generation_settings(**generation_kwargs)
    return _plan(teacher.name, "generate", settings, list(prompts), cache)[2]


class CachedTeacher(Teacher):
    """A [`Teacher`] whose calls go through a [`TeacherCache`]: hand its `generate` and
    `label_distribution` to code that takes plain callables (e.g. ICLDist's `answer_icl_prompts`).

    Args:
        teacher ([`Teacher`]): the teacher that answers what the cache lacks.
        cache ([`TeacherCache`]): where answers are kept.
        chunk_size (`int`, *optional*): see [`cached_generate`] (the teacher's own when `None`).
    """

    def __init__(self, teacher: Teacher, cache: TeacherCache, *, chunk_size: int | None = None) -> None:
        self.teacher = teacher
        self.cache = cache
        self.max_new_tokens = teacher.max_new_tokens
        self._chunk_size = chunk_size

    @property
    def name(self) -> str:
        return self.teacher.name

    @property
    def chunk_size(self) -> int:
        return self._chunk_size or self.teacher.chunk_size

    def generation_settings(self, **kwargs: Any) -> dict[str, Any]:
        return self.teacher.generation_settings(**kwargs)

    def label_distribution_settings(self, labels: Sequence[str], **kwargs: Any) -> dict[str, Any]:
        return self.teacher.label_distribution_settings(labels, **kwargs)

    def generate(self, prompts: Sequence[str], *, progress: bool = True, **generation_kwargs: Any) -> list[str]:
        return cached_generate(
            self.teacher, prompts, self.cache, chunk_size=self.chunk_size, progress=progress, **generation_kwargs
        )

    def label_distribution(
        self, prompts: Sequence[str], labels: Sequence[str], *, progress: bool = True, **kwargs: Any
    ) -> np.ndarray:
        return cached_label_distribution(
            self.teacher, prompts, labels, self.cache, chunk_size=self.chunk_size, progress=progress, **kwargs
        )
