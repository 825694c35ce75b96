"""`hf-sentiment serve`: an HTTP endpoint for a saved FCKT or classifier folder (FastAPI + uvicorn).

    POST /predict   {"texts": ["...", ...]}  (or {"text": "..."})  ->  {"predictions": [...]}
    GET  /health    ->  {"status": "ok", "model": ..., "kind": ...}

A prediction is what `hf-sentiment predict` writes for a text (FCKT: `{"aspects": [...]}`;
classifier: `{"label", "score"}`). Requests that arrive together are predicted together: a single
worker takes the texts of every waiting request, up to `--batch_size` texts or `--max_wait_ms`
after the first, runs one pipeline call over them (length-sorted batches) and answers each
request with its own results, so concurrent clients share forward passes instead of contending
for the cores.

Bad requests get a JSON error and the HTTP status that says why: 415 for a content type other
than `application/json`, 413 for a body over `--max_request_bytes`, 400 for malformed JSON, 422
for JSON of the wrong shape (naming the field). An empty `texts` list is answered with an empty
`predictions` list. Needs the `serve` extra: `pip install "hf-sentiment[serve]"`.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations (`Request`) at
# run time, and they name classes imported inside `create_app`.
import argparse
import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from .common import CLIError, add_batch_size, check_at_least, model_folder, require_kind

DESCRIPTION = """\
Serve a saved FCKT or classifier folder over HTTP (needs hf-sentiment[serve]).

  POST /predict  {"texts": [...]} or {"text": "..."}  ->  {"predictions": [...]}, as `predict` writes them
  GET  /health   ->  {"status": "ok", "model": ..., "kind": ...}

Concurrent requests are batched together (--batch_size texts, --max_wait_ms after the first).

Example:
  hf-sentiment serve --model runs/fckt --port 8000
  curl -s localhost:8000/predict -H 'content-type: application/json' -d '{"text": "Great screen, awful keyboard."}'
"""


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of `hf-sentiment serve` beside `--model` (the parser comes from `hf_sentiment.cli.COMMANDS`)."""
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    add_batch_size(parser, 32, "texts")
    parser.add_argument(
        "--max_wait_ms", type=float, default=5.0, help="how long the first waiting request waits for others (5)"
    )
    parser.add_argument(
        "--max_request_bytes", type=int, default=512 * 1024, help="the largest request body accepted (512 KiB)"
    )
    parser.add_argument("--onnx", action="store_true", help="FCKT: run the folder's model.onnx with ONNX Runtime")
    parser.add_argument(
        "--int8", nargs="?", const="all", default=None, choices=("all", "ffn"), help="FCKT: the encoder in int8 on CPU"
    )


def run(args: argparse.Namespace) -> int:
    check_at_least(args, batch_size=1, max_request_bytes=1)
    try:
        import uvicorn
    except ImportError:
        raise CLIError('serve needs the serve extra: pip install "hf-sentiment[serve]"') from None
    app = create_app(args.model, batch_size=args.batch_size, max_wait_ms=args.max_wait_ms,
                     max_request_bytes=args.max_request_bytes, onnx=args.onnx, int8=args.int8)  # fmt: skip
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


class MicroBatcher:
    """Runs `predict` on the texts of every request waiting together, in one worker thread.

    Args:
        predict (`Callable[[list[str]], list[dict]]`): texts to one result per text, in order.
        batch_size (`int`): the most texts one call takes (a larger request runs alone).
        max_wait (`float`): seconds the first waiting request waits for others.
    """

    def __init__(self, predict: Callable[[list[str]], list[dict[str, Any]]], batch_size: int, max_wait: float) -> None:
        self.predict, self.batch_size, self.max_wait = predict, batch_size, max_wait
        self.queue: asyncio.Queue[tuple[list[str], asyncio.Future]] = asyncio.Queue()
        # One thread: the pipeline uses every core for one call; two calls would only contend.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hf-sentiment-predict")

    async def submit(self, texts: list[str]) -> list[dict[str, Any]]:
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((texts, future))
        return await future

    async def serve_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            waiting = [await self.queue.get()]
            count, deadline = len(waiting[0][0]), loop.time() + self.max_wait
            while count < self.batch_size and (left := deadline - loop.time()) > 0:
                try:
                    waiting.append(await asyncio.wait_for(self.queue.get(), left))
                except asyncio.TimeoutError:  # not the built-in TimeoutError before Python 3.11
                    break
                count += len(waiting[-1][0])
            # A request whose client gave up (its future cancelled) is not predicted.
            waiting = [(request, future) for request, future in waiting if not future.done()]
            texts = [text for request, _ in waiting for text in request]
            try:
                results = await loop.run_in_executor(self.executor, self.predict, texts) if texts else []
            except Exception as error:  # noqa: BLE001  (answer every waiting request rather than leave it hanging)
                results, failure = None, error
            start = 0
            for request, future in waiting:
                if future.done():  # cancelled while the batch ran
                    pass
                elif results is None:
                    future.set_exception(failure)
                else:
                    future.set_result(results[start : start + len(request)])
                start += len(request)


def parse_request(body: bytes) -> list[str]:
    """The texts of a request body (already checked for size and content type).

    Raises:
        RequestError: status 400 for malformed JSON, 422 for JSON of the wrong shape.
    """
    from ..data.validation import lone_surrogate

    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RequestError(400, f"the body is not valid JSON ({error})") from None
    if not isinstance(payload, dict) or ("texts" in payload) == ("text" in payload):
        raise RequestError(422, 'expected a JSON object with "texts" (a list of strings) or "text" (a string)')
    texts = payload["texts"] if "texts" in payload else [payload["text"]]
    field = "texts" if "texts" in payload else "text"
    if not isinstance(texts, list):
        raise RequestError(422, f'"{field}" must be a list of strings')
    for index, text in enumerate(texts):
        where = f"{field}[{index}]" if field == "texts" else field
        if not isinstance(text, str) or not text.strip():
            raise RequestError(422, f'"{where}" must be a non-empty string')
        lone = lone_surrogate(text)
        if lone is not None:
            raise RequestError(422, f'"{where}" holds a lone surrogate (U+{ord(lone):04X}), which is not Unicode text')
    return texts


class RequestError(ValueError):
    """A request the server refuses, with the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def create_app(
    model: str,
    *,
    batch_size: int = 32,
    max_wait_ms: float = 5.0,
    max_request_bytes: int = 512 * 1024,
    onnx: bool = False,
    int8: str | None = None,
) -> Any:
    """The FastAPI application serving the folder (or Hub id) `model` (see the module docstring)."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from .predict import load_predictor

    folder = model_folder(model)
    require_kind(folder, ("fckt", "classifier"), "serve", hint="Train one with `hf-sentiment train fckt` or `lcl`.")
    batcher = MicroBatcher(load_predictor(folder, batch_size, int8, onnx), batch_size, max_wait_ms / 1000)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = asyncio.create_task(batcher.serve_forever())
        yield
        worker.cancel()
        batcher.executor.shutdown(wait=False)

    app = FastAPI(title="hf-sentiment", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "model": str(folder.path), "kind": folder.kind}

    @app.post("/predict")
    async def predict(request: Request) -> JSONResponse:
        try:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise RequestError(415, f"send application/json, not {content_type or 'no content type'}")
            declared = int(request.headers.get("content-length") or 0)
            if declared > max_request_bytes:
                raise RequestError(413, f"the body is {declared} bytes; at most {max_request_bytes} are accepted")
            body = b""
            async for chunk in request.stream():  # counted as it comes: a missing length cannot sneak past
                body += chunk
                if len(body) > max_request_bytes:
                    raise RequestError(413, f"the body is over {max_request_bytes} bytes")
            texts = parse_request(body)
        except RequestError as error:
            return JSONResponse({"error": str(error)}, status_code=error.status)
        predictions = await batcher.submit(texts) if texts else []
        return JSONResponse({"predictions": predictions})

    return app


__all__ = ["MicroBatcher", "RequestError", "add_options", "create_app", "parse_request", "run"]
