"""Only the documented endpoints (`/ask`, `/chat`) can be called by name.

Gradio names every event handler (`answer`, `reset`, `show_sources`, `lambda`, ...),
and `api_visibility="private"` only hides a name from the API page: `POST
/gradio_api/call/<name>` and `/gradio_api/run/<name>` still run it. This ASGI
middleware answers 404 for any name not in `allowed`, before Gradio sees it. The
page itself calls its handlers through the queue by number in its own session,
which stays as it is: that is what the page does anyway.

A by-name call to a documented endpoint may leave out its trailing optional
arguments (`{"data": ["问题"]}`): they are filled with null, the endpoint's default,
instead of Gradio failing with an error whose message is null.
"""
from __future__ import annotations

import json
import re
from typing import Callable, Iterable

from .limits import Receive, Scope, Send, send_json

DOCUMENTED = ("ask", "chat")
ARITY = {"ask": 4, "chat": 4}  # question/message, history, k, mode: see ui/api.py
_BY_NAME = re.compile(r"/gradio_api/(?:call|run|api)/([^/]+)")


class NamedEndpoints:
    """ASGI middleware: refuse by-name calls to anything but `allowed` endpoints."""

    def __init__(self, app: Callable, allowed: Iterable[str] = DOCUMENTED) -> None:
        self.app, self.allowed = app, frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]
            m = _BY_NAME.match(path)
            # `run/predict` names no handler: the page posts cancels there by number (fn_index), as it does to the queue.
            if m and m.group(1) not in self.allowed and m.group(1) != "predict":
                return await send_json(send, 404, f"no endpoint named {m.group(1)[:60]!r}: this server answers "
                                                  f"{', '.join('/' + a for a in sorted(self.allowed))}")
            if m and scope.get("method") == "POST" and m.group(1) in ARITY:
                return await self._padded(m.group(1), scope, receive, send)
        await self.app(scope, receive, send)

    async def _padded(self, name: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the (size-limited) body, fill in left-out optional arguments, or refuse extra ones."""
        chunks, more = [], True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":
                return
            chunks.append(msg.get("body", b""))
            more = msg.get("more_body", False)
        body = b"".join(chunks)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            payload = None  # Gradio answers a body it cannot read itself
        if isinstance(payload, dict) and isinstance(payload.get("data"), list):
            data, n = payload["data"], ARITY[name]
            if not data or len(data) > n:
                return await send_json(send, 422, f"/{name} takes 1 to {n} values in \"data\", got {len(data)}")
            payload["data"] = data + [None] * (n - len(data))
            body = json.dumps(payload, ensure_ascii=True).encode("ascii")  # keeps "\ud800" escapes as sent
        headers = [(k, v) for k, v in scope.get("headers", []) if k != b"content-length"]
        scope = {**scope, "headers": headers + [(b"content-length", str(len(body)).encode())]}
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
