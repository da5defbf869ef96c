"""A real HTTP server on 127.0.0.1 speaking OpenAI chat completions, for the tests.

A test gives the server a plan: one behaviour per request (the last one repeats);
`scripted(choose)` picks the behaviour from the request itself, so one server can
answer a rewrite request and an answer request differently. Every request is
recorded in `server.requests` (path, headers, JSON body).
"""
from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.llm.breaker import DOWN

Behaviour = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    server: FakeServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.body = json.loads(body)
        self.server.requests.append({"path": self.path, "headers": _titled(self.headers), "json": self.body})
        plan = self.server.plan
        (plan.pop(0) if len(plan) > 1 else plan[0])(self)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def send(self, status: int, content_type: str, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def event(self, data: object) -> None:
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        self.wfile.write(f"data: {text}\n\n".encode())
        self.wfile.flush()


def _titled(headers: object) -> dict[str, str]:
    """Header names as 'Content-Type' whatever case the client sent (HTTP ignores case)."""
    return {"-".join(p.capitalize() for p in k.split("-")): v for k, v in headers.items()}  # type: ignore[attr-defined]


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.plan: list[Behaviour] = []
        self.requests: list[dict] = []
        self.release = threading.Event()  # wakes sleeping behaviours at teardown
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}/v1"


def chunk(content: str | None = None, finish: str | None = None) -> dict:
    delta = {"content": content} if content is not None else {"role": "assistant"}
    return {"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta,
                                                                        "finish_reason": finish}]}


def sse(pieces: list[str], *, finish: bool = True, done: bool = True,
        gate: threading.Event | None = None) -> Behaviour:
    def behave(h: Handler) -> None:
        h.send(200, "text/event-stream; charset=utf-8", b": keep-alive\n\n")
        h.event(chunk())
        for i, piece in enumerate(pieces):
            h.event(chunk(piece))
            if i == 0 and gate is not None:
                gate.wait(5)  # the client must see piece 1 before the server sends more
        if finish:
            h.event(chunk("", "stop"))
        if done:
            h.event("[DONE]")
    return behave


def reply_json(text: str) -> Behaviour:
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}
    return lambda h: h.send(200, "application/json", json.dumps(body, ensure_ascii=False).encode())


def status(code: int, body: str, content_type: str = "application/json") -> Behaviour:
    return lambda h: h.send(code, content_type, body.encode())


def raw_stream(body: str) -> Behaviour:
    return lambda h: h.send(200, "text/event-stream", body.encode())


def sleep_then(seconds: float, then: Behaviour) -> Behaviour:
    def behave(h: Handler) -> None:
        h.server.release.wait(seconds)
        then(h)
    return behave


@pytest.fixture
def server() -> Iterator[FakeServer]:
    srv = FakeServer()
    DOWN.clear(srv.base_url)  # a port reused from a test of a server that was down
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def scripted(choose: Callable[[dict], Behaviour]) -> Behaviour:
    """A behaviour chosen per request: `choose(request_json)` returns the behaviour to run."""
    return lambda h: choose(h.body)(h)


def closed_port_url() -> str:
    """A base URL where nothing listens: the port is bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
