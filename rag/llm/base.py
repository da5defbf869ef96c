"""The generation interface: one method, `stream(messages) -> Iterator[str]`.

A generator turns chat messages into text deltas; joining the deltas gives the
answer. Everything else (prompting, citation checks, refusals) is built on top
and does not care whether the text comes from a local model or a server.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rag.errors import RagError
from rag.types import Message

ROLES = frozenset({"system", "user", "assistant"})


@runtime_checkable
class Generator(Protocol):
    """Anything that streams a chat completion. `name` identifies backend and model
    (e.g. 'transformers:Qwen/Qwen2.5-1.5B-Instruct') for `Answer.mode` and logs."""

    name: str

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Yield the reply as text deltas. Raises a `RagError` (one line) on failure."""
        ...


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling knobs shared by every backend.

    temperature 0 means greedy decoding: a RAG answer should be reproducible and
    stick to the passages, so that is the default.
    """

    max_new_tokens: int = 512
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if self.max_new_tokens <= 0:
            raise RagError(f"max_new_tokens must be positive, got {self.max_new_tokens}")
        if not 0.0 <= self.temperature <= 2.0:
            raise RagError(f"temperature must be between 0 and 2, got {self.temperature}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


def as_chat(messages: Sequence[Message]) -> list[dict[str, str]]:
    """Messages as the `{"role", "content"}` dicts both chat templates and the
    OpenAI protocol expect; rejects roles no template knows."""
    if not messages:
        raise RagError("cannot generate from an empty conversation")
    for m in messages:
        if m.role not in ROLES:
            raise RagError(f"unknown message role '{m.role}': use one of {', '.join(sorted(ROLES))}")
    return [{"role": m.role, "content": m.content} for m in messages]


def one_line(text: object, limit: int = 200) -> str:
    """`str(text)` collapsed to one line of at most `limit` characters, for error messages."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
