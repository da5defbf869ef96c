"""Limits of the web server, read from the environment, and the middleware that holds requests to them.

    RAG_MAX_BODY_BYTES    largest request body (default 1,000,000): a larger one gets 413 at once,
                          before it is read, so a 120 MB POST cannot grow the server
    RAG_MAX_UPLOAD_BYTES  largest file upload (default: the `upload_max_mb` setting, for the page's
                          knowledge-base upload; 0 refuses every upload)
    RAG_CONCURRENCY, RAG_QUEUE_SIZE: see ui/app.py

A bad value (`RAG_CONCURRENCY=abc`) is a one-line RagError at start, never a traceback.
"""
from __future__ import annotations

import json
import os
from typing import Any, Awaitable, Callable, Mapping

from rag.errors import RagError

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

MAX_BODY_BYTES = 1_000_000
MAX_UPLOAD_BYTES = 0


def env_int(name: str, default: int, minimum: int, env: Mapping[str, str] | None = None) -> int:
    """An integer setting from the environment, or a one-line error naming it."""
    env = os.environ if env is None else env
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RagError(f"{name}={raw[:40]!r} is not a whole number: set it to {minimum} or more, "
                       f"or unset it (default {default})") from None
    if value < minimum:
        raise RagError(f"{name}={value} is too small: set it to {minimum} or more (default {default})")
    return value


def max_body_bytes() -> int:
    return env_int("RAG_MAX_BODY_BYTES", MAX_BODY_BYTES, 1024)


def max_upload_bytes(default: int = MAX_UPLOAD_BYTES) -> int:
    """The largest file the upload route takes: RAG_MAX_UPLOAD_BYTES, else `default` (the page's
    knowledge-base upload passes the `upload_max_mb` setting)."""
    return env_int("RAG_MAX_UPLOAD_BYTES", default, 0)


async def send_json(send: Send, status: int, message: str) -> None:
    """A JSON error (not HTML-escaped: it is data, not markup)."""
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a body over `max_body` bytes (the upload route: `max_upload`).

    A declared Content-Length is checked before anything is read; a chunked body is
    counted as it arrives and cut off at the limit."""

    def __init__(self, app: Callable, max_body: int = MAX_BODY_BYTES, max_upload: int = MAX_UPLOAD_BYTES) -> None:
        self.app, self.max_body, self.max_upload = app, max_body, max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "").rstrip("/")
        # Gradio's upload route (/upload, /gradio_api/upload); not a handler that happens to be named upload.
        upload = path == "/upload" or path.endswith("/gradio_api/upload")
        limit = self.max_upload if upload else self.max_body
        # An upload's form fields and boundaries take some bytes beyond the file itself.
        allowed = limit + 16_384 if upload and limit else (limit if not upload else 0)
        what = "an upload" if upload else "a request body"
        message = (f"uploads are turned off on this server (RAG_MAX_UPLOAD_BYTES=0)" if upload and not limit else
                   f"{what} may be at most {limit:,} bytes (RAG_MAX_{'UPLOAD' if upload else 'BODY'}_BYTES)")
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > allowed
            except ValueError:
                return await send_json(send, 400, "bad Content-Length header")
            if too_big:
                return await send_json(send, 413, message)
        seen, over, answered = 0, False, False

        async def counted() -> dict:
            nonlocal seen, over
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > allowed:
                    over = True
                    raise _TooLarge
            return msg

        async def watched(msg: dict) -> None:
            # Once the body ran over, whatever the app answers (a 400 for a body it could not read) becomes our 413.
            nonlocal answered
            if not over:
                return await send(msg)
            if not answered:
                answered = True
                await send_json(send, 413, message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            pass
        if over and not answered:
            await send_json(send, 413, message)
