"""The API's arguments, read leniently: history in the formats clients send, k and mode checked.

Every failure is a RagError with a one-line message that says what is expected.
"""
from __future__ import annotations

from typing import Any, Sequence

from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.settings import MAX_K
from rag.types import Message

MAX_HISTORY_MESSAGES = 20
MAX_HISTORY_CHARS = 4000


def _text(content: Any) -> str:
    """A message's text: a string, or Gradio's [{"type": "text", "text": ...}, ...]."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, (list, tuple)):
        return " ".join(_text(c) for c in content if isinstance(c, (str, dict)))
    return ""


def parse_history(history: Any) -> list[Message]:
    """Accept OpenAI/Gradio messages ([{"role", "content"}, ...]) or [user, assistant] pairs.

    >>> parse_history([["京东呢？", "超1.6万个[1]"], {"role": "user", "content": "那抖音呢？"}])
    [Message(role='user', content='京东呢？'), Message(role='assistant', content='超1.6万个[1]'), Message(role='user', content='那抖音呢？')]
    """
    if not history:
        return []
    if not isinstance(history, (list, tuple)):
        raise RagError("history must be a list of {\"role\": ..., \"content\": ...} messages or [user, assistant] pairs")
    out: list[Message] = []
    for item in history:
        if isinstance(item, dict) and item.get("role") in ("user", "assistant"):
            if not (item.get("metadata") or {}).get("title"):  # Gradio "thought" bubbles are not the dialogue
                out.append(Message(item["role"], _text(item.get("content"))))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            for role, content in zip(("user", "assistant"), item):
                if content is not None:
                    out.append(Message(role, _text(content)))
        else:
            raise RagError(f"cannot read history item {str(item)[:80]!r}: use {{\"role\": \"user\", \"content\": \"...\"}}")
    return [Message(m.role, m.content[:MAX_HISTORY_CHARS]) for m in out[-MAX_HISTORY_MESSAGES:] if m.content.strip()]


def parse_k(k: Any) -> int | None:
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, (int, float, str)):  # True is 1 to Python, but not a k
        raise RagError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise RagError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}") from None
    if not 1 <= value <= MAX_K or (isinstance(k, float) and value != k):
        raise RagError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
    return value


def parse_mode(mode: Any, available: Sequence[str]) -> str | None:
    if mode in (None, "", "auto"):
        return None
    if mode not in available:
        raise RagError(f"retrieval mode {mode!r} is not available here: use one of auto, {', '.join(available)}")
    return str(mode)


def available_modes(pipeline: Pipeline) -> list[str]:
    return ["lexical"] if pipeline.embedder is None else ["lexical", "dense", "hybrid"]
