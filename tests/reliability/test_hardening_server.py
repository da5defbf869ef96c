"""The web server's doors: request size (413), uploads (off), by-name calls (documented endpoints only),
and the optional login. A real Gradio server on 127.0.0.1, raw HTTP and gradio_client."""
from __future__ import annotations

import json
import os
import resource

import pytest

from ui_helpers import corpus_settings, free_port, running  # noqa: I001 - ui before gradio_client

import httpx
from gradio_client import Client

from rag.live import LivePipeline
from rag.pipeline import Pipeline
from ui.auth import parse_auth, warn_if_open
from ui.guard import DOCUMENTED
from ui.limits import MAX_BODY_BYTES
from rag.errors import RagError


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = corpus_settings(tmp_path_factory.mktemp("srv"), hostile=False)
    pipe = Pipeline.open(settings)
    old = os.environ.get("RAG_MAX_UPLOAD_BYTES")
    os.environ["RAG_MAX_UPLOAD_BYTES"] = "1000000"  # the page's upload: 1 MB a file here
    try:
        with running(pipe) as url:
            yield url.rstrip("/")
    finally:
        if old is None:
            os.environ.pop("RAG_MAX_UPLOAD_BYTES", None)
        else:
            os.environ["RAG_MAX_UPLOAD_BYTES"] = old


def _ask_body(question: str) -> bytes:
    return json.dumps({"data": [question, [], 3, "auto"]}, ensure_ascii=False).encode("utf-8")


def test_a_normal_question_is_answered(server):
    r = httpx.post(f"{server}/gradio_api/call/ask", content=_ask_body("京东以旧换新投入了多少钱？"),
                   headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 200 and "event_id" in r.json()


def test_oversized_body_gets_413_with_a_message_and_is_not_read(server):
    big = _ask_body("问" * (3 * MAX_BODY_BYTES))  # ~9 MB of UTF-8
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = httpx.post(f"{server}/gradio_api/call/ask", content=big, headers={"content-type": "application/json"},
                   timeout=30)
    assert r.status_code == 413
    assert "at most" in r.json()["error"]
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50, grown_mb


def test_oversized_chunked_body_is_cut_off(server):
    def chunks():
        for _ in range(40):
            yield b"x" * 100_000

    r = httpx.post(f"{server}/gradio_api/queue/join", content=chunks(), headers={"content-type": "application/json"},
                   timeout=30)
    assert r.status_code == 413 and r.json()["error"]


def test_uploads_over_the_limit_are_refused(server):
    r = httpx.post(f"{server}/gradio_api/upload", files={"files": ("a.txt", b"x" * 2_000_000, "text/plain")},
                   timeout=30)
    assert r.status_code == 413, r.text
    assert "upload" in r.json()["error"]
    small = httpx.post(f"{server}/gradio_api/upload", files={"files": ("a.txt", b"x" * 10, "text/plain")}, timeout=30)
    assert small.status_code == 200, small.text


def test_uploads_can_be_turned_off(monkeypatch):
    from ui.limits import max_upload_bytes

    monkeypatch.delenv("RAG_MAX_UPLOAD_BYTES", raising=False)
    assert max_upload_bytes(5_000) == 5_000
    monkeypatch.setenv("RAG_MAX_UPLOAD_BYTES", "0")
    assert max_upload_bytes(5_000) == 0


def _private_names(pipe_url: str) -> list[str]:
    config = httpx.get(f"{pipe_url}/config", timeout=30).json()
    names = {d.get("api_name") for d in config["dependencies"]}
    return sorted(n for n in names if isinstance(n, str) and n not in DOCUMENTED)


def test_only_documented_endpoints_can_be_called_by_name(server):
    private = _private_names(server)
    assert {"answer", "reset", "show_sources"} <= set(private), private
    for name in private:
        for route in ("call", "run", "api"):
            r = httpx.post(f"{server}/gradio_api/{route}/{name}", json={"data": []}, timeout=30)
            assert r.status_code == 404, (route, name, r.status_code, r.text[:200])
            assert "no endpoint named" in r.json()["error"]
    client = Client(server, verbose=False)
    for name in private:
        with pytest.raises(Exception):
            client.predict(api_name=f"/{name}")
    answer = client.predict("京东以旧换新投入了多少钱？", api_name="/ask")
    assert answer["answer"]


def test_login_is_required_when_auth_is_set(tmp_path):
    from ui.app import create_app, serve

    settings = corpus_settings(tmp_path, hostile=False)
    demo = create_app(Pipeline.open(settings))
    url = serve(demo, "127.0.0.1", free_port(), auth=("ann", "s3cret")).rstrip("/")
    try:
        r = httpx.post(f"{url}/gradio_api/call/ask", content=_ask_body("京东"),
                       headers={"content-type": "application/json"}, timeout=30)
        assert r.status_code in (401, 403), r.status_code
        client = Client(url, auth=("ann", "s3cret"), verbose=False)
        assert client.predict("京东以旧换新投入了多少钱？", api_name="/ask")["answer"]
    finally:
        demo.close()


def test_auth_flag_and_open_network_warning(capsys):
    assert parse_auth("ann:a:b") == ("ann", "a:b") and parse_auth("") is None
    for bad in ("ann", ":pw", "ann:"):
        with pytest.raises(RagError):
            parse_auth(bad)
    assert warn_if_open("127.0.0.1", None) is None
    assert warn_if_open("0.0.0.0", ("a", "b")) is None
    line = warn_if_open("0.0.0.0", None)
    assert line and "--auth" in line and line in capsys.readouterr().err


def _call(server: str, data) -> tuple[int, str]:
    """POST /gradio_api/call/ask, then read its event stream: (status of the POST, the stream text)."""
    r = httpx.post(f"{server}/gradio_api/call/ask", json={"data": data}, timeout=30)
    if r.status_code != 200:
        return r.status_code, r.text
    return 200, httpx.get(f"{server}/gradio_api/call/ask/{r.json()['event_id']}", timeout=30).text


def _error(stream: str):
    for line in stream.splitlines():
        if line.startswith("data: ") and "error" in line:
            return json.loads(line[6:])["error"]
    return None


def test_api_errors_carry_a_message_in_plain_json(server):
    status, stream = _call(server, ["<b>x</b>", [], "<k>", None])
    assert status == 200 and "event: error" in stream
    assert _error(stream) == "k must be a whole number from 1 to 50, not '<k>'"  # not &#x27;&lt;k&gt;&#x27;
    status, stream = _call(server, ["京东以旧换新投入了多少钱？"])  # optional arguments left out
    assert status == 200 and "event: complete" in stream, stream[:300]
    status, body = _call(server, ["q", [], 3, None, "extra"])
    assert status == 422 and "takes 1 to 4 values" in httpx.Response(422, text=body).json()["error"]
    status, body = _call(server, [])
    assert status == 422
