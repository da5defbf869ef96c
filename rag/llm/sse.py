"""Read a streamed chat completion: Server-Sent Events carrying OpenAI chunks.

    data: {"choices":[{"delta":{"role":"assistant"}}]}
    data: {"choices":[{"delta":{"content":"天宫"}}]}
    : keep-alive comments and event:/id:/retry: fields are skipped
    data: {"choices":[{"delta":{},"finish_reason":"stop"}]}
    data: [DONE]

yields '天宫'. Anything else on a line (HTML, plain text, a data line that is not
JSON, a chunk without `choices`) means the server does not speak this protocol,
and is reported as one line rather than passed on as answer text.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from rag.errors import BackendError
from rag.llm.base import one_line

_SKIPPED_FIELDS = (b"event:", b"id:", b"retry:")


class StreamEndedError(Exception):
    """The connection closed before `[DONE]` or a finish reason: the answer may be cut."""


def _garbage(base_url: str, what: str) -> BackendError:
    return BackendError(f"the server at {base_url} sent a malformed stream ({what}); "
                        "is it an OpenAI-compatible chat-completions endpoint?")


def _delta_text(chunk: Any, base_url: str) -> tuple[str, bool]:
    """(text, finished) of one chunk. An empty `choices` list is allowed: servers send one
    with usage statistics at the end."""
    if not isinstance(chunk, dict):
        raise _garbage(base_url, f"a data line is {type(chunk).__name__}, not an object")
    if "error" in chunk:
        err = chunk["error"]
        message = err.get("message", err) if isinstance(err, dict) else err
        raise BackendError(f"the server at {base_url} reported an error mid-answer: {one_line(message, 160)}")
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        raise _garbage(base_url, "a chunk has no 'choices'")
    if not choices:
        return "", False
    choice = choices[0]
    delta = choice.get("delta") if isinstance(choice, dict) else None
    if delta is None and isinstance(choice, dict):
        delta = {}  # a final chunk may carry only finish_reason
    if not isinstance(delta, dict):
        raise _garbage(base_url, "a choice has no 'delta' object")
    content = delta.get("content")
    if content is not None and not isinstance(content, str):
        raise _garbage(base_url, "a delta's content is not text")
    return content or "", choice.get("finish_reason") is not None


def read_events(stream: BinaryIO, base_url: str) -> Iterator[str]:
    """Text deltas from an SSE byte stream, until `data: [DONE]` or the end of the stream."""
    seen_data = finished = False
    for raw in iter(stream.readline, b""):
        line = raw.rstrip(b"\r\n")
        if not line or line.startswith(b":") or line.startswith(_SKIPPED_FIELDS):
            continue
        if not line.startswith(b"data:"):
            shown = one_line(line[:60].decode("utf-8", "replace"), 60)
            raise _garbage(base_url, f"unexpected line {shown!r}")
        payload = line[5:].strip()
        if payload == b"[DONE]":
            return
        try:
            chunk = json.loads(payload.decode("utf-8"))
        except ValueError:
            shown = one_line(payload[:60].decode("utf-8", "replace"), 60)
            raise _garbage(base_url, f"a data line is not JSON: {shown!r}") from None
        seen_data = True
        text, done = _delta_text(chunk, base_url)
        finished = finished or done
        if text:
            yield text
    if not finished:
        # A finish_reason without [DONE] is complete (some servers omit [DONE]); nothing at all,
        # or text that stops mid-way, means the connection was cut.
        what = "before sending anything" if not seen_data else "in the middle of the answer"
        raise StreamEndedError(f"the server at {base_url} closed the stream {what}")
