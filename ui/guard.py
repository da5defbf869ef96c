"""Only the documented endpoints (`/ask`, `/chat`) can be called by name.

Gradio names every event handler (`answer`, `reset`, `show_sources`, `lambda`, ...),
and `api_visibility="private"` only hides a name from the API page: `POST
/gradio_api/call/<name>` and `/gradio_api/run/<name>` still run it. This ASGI
middleware answers 404 for any name not in `allowed`, before Gradio sees it. The
page itself calls its handlers through the queue by number in its own session,
which stays as it is: that is what the page does anyway.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from .limits import Receive, Scope, Send, send_json

DOCUMENTED = ("ask", "chat")
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
            if m and m.group(1) not in self.allowed:
                return await send_json(send, 404, f"no endpoint named {m.group(1)[:60]!r}: this server answers "
                                                  f"{', '.join('/' + a for a in sorted(self.allowed))}")
        await self.app(scope, receive, send)
