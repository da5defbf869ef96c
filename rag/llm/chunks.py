"""The text of one streamed chat-completion chunk, checked.

The `openai` client decodes the event stream and builds each chunk without
validating it, so a server that does not speak the protocol yields odd objects:

    {"choices": [{"delta": {"content": "天宫"}}]}        -> ('天宫', False)
    {"choices": [{"delta": {}, "finish_reason": "stop"}]} -> ('', True)
    {"choices": []}                                       -> ('', False)  (usage statistics at the end)
    {"id": "x"} / ["a", "list"] / {"choices": [{"delta": "oops"}]} -> BackendError (malformed stream)

A malformed stream is reported as one line rather than passed on as answer text.
"""
from __future__ import annotations

from typing import Any

from rag.errors import BackendError


def malformed(base_url: str, what: str) -> BackendError:
    return BackendError(f"the server at {base_url} sent a malformed stream ({what}); "
                        "is it an OpenAI-compatible chat-completions endpoint?")


def _field(obj: Any, name: str) -> Any:
    """`obj[name]` of a dict or `obj.name` of a client model; None when absent."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def delta_text(chunk: Any, base_url: str) -> tuple[str, bool]:
    """(text, finished) of one chunk, a dict or the client's ChatCompletionChunk."""
    if isinstance(chunk, (list, str, int, float, bool)) or chunk is None:
        raise malformed(base_url, f"a data line is {type(chunk).__name__}, not an object")
    choices = _field(chunk, "choices")
    if not isinstance(choices, list):
        raise malformed(base_url, "a chunk has no 'choices'")
    if not choices:
        return "", False
    choice = choices[0]
    delta = _field(choice, "delta")
    if delta is None:
        delta = {}  # a final chunk may carry only finish_reason
    if isinstance(delta, (str, list, int, float)):
        raise malformed(base_url, "a choice has no 'delta' object")
    content = _field(delta, "content")
    if content is not None and not isinstance(content, str):
        raise malformed(base_url, "a delta's content is not text")
    return content or "", _field(choice, "finish_reason") is not None
