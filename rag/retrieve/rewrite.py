"""Follow-ups rewritten by the LLM into standalone questions, for retrieval and the prompt.

    history: 用户：京东平台AI学习机的成交额增长了多少？ / 助手：…增长均超10倍。
    question: 那图书呢？  ->  model (prompts/rewrite_zh.txt): 京东平台图书的成交额增长了多少？

Only a question the deterministic rule takes for a follow-up (`followup.is_followup`:
short, or pointing back with 那/它/这个/…呢) is sent to the model, so a conversation
costs one short extra generation per follow-up, not per turn. The model's reply is
used only when it stands on the conversation: most of its characters must occur in
the question or the earlier turns (a small model's garbage, or an answer instead of
a question, does not); otherwise, or when the backend fails, the rule's rewrite
(`followup.resolve`) is used and the reason is kept for the answer's notes.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

from rag.errors import RagError
from rag.retrieve.followup import is_followup
from rag.llm.base import Generator
from rag.prompts import fill, neutralize, recent_history
from rag.types import FollowUp, Message

Rule = Callable[[str, Sequence[Message]], FollowUp]
GROUNDED_SHARE = 0.7  # of the rewrite's letters, digits and CJK characters, found in the conversation
_CACHE_SIZE = 32


def grounded(rewrite: str, sources: str, share: float = GROUNDED_SHARE) -> bool:
    """True when at least `share` of the rewrite's letters, digits and CJK characters occur in `sources`.

    >>> grounded("京东平台图书的成交额增长了多少？", "京东平台AI学习机的成交额增长了多少？ 那图书呢？")
    True
    >>> grounded("乌鲁木齐的天气很好", "京东平台AI学习机的成交额增长了多少？ 那图书呢？")
    False
    """
    chars = [ch for ch in _fold(rewrite) if ch.isalnum()]
    if not chars:
        return False
    seen = set(_fold(sources))
    return sum(ch in seen for ch in chars) >= share * len(chars)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


class Rewriter:
    """`rewriter(question, history) -> FollowUp`, remembered for the last few conversations, so
    the pipeline (for retrieval) and the answerer (for the prompt) share one model call."""

    def __init__(self, generator: Generator, rule: Rule) -> None:
        self.generator, self.rule = generator, rule
        self._cache: OrderedDict[tuple[str, tuple[Message, ...]], FollowUp] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, question: str, history: Sequence[Message]) -> FollowUp:
        key = (question, tuple(history))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        result = self._rewrite(question, history)
        if result.error:
            return result  # not remembered: the server may be back for the next try
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def _rewrite(self, question: str, history: Sequence[Message]) -> FollowUp:
        if not is_followup(question, history):
            return FollowUp(question, question)
        rule = self.rule(question, history)
        try:
            reply = self._ask_model(question, history)
        except RagError as exc:
            return replace(rule, by="rule", reason="the backend failed", error=str(exc))
        text = clean_rewrite(reply, question)
        sources = " ".join([question, *(m.content for m in history)])
        if text == question.strip():
            return replace(rule, by="rule", reason="the model left the follow-up as it was")
        if not grounded(text, sources):
            return replace(rule, by="rule", reason="the model's rewrite was not about this conversation")
        return FollowUp(text, text, rule.context, by="llm")

    def _ask_model(self, question: str, history: Sequence[Message]) -> str:
        """The model's first line, read only as far as needed: a rewrite is one short line."""
        limit = 3 * len(question) + 120
        stream = self.generator.stream(build_rewrite_messages(question, history))
        text = ""
        try:
            for piece in stream:
                text += piece
                if "\n" in text.lstrip() or len(text) > limit:
                    break
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # stops a local model's generation thread, closes the HTTP response
        return text


def build_rewrite_messages(question: str, history: Sequence[Message], *,
                           history_chars: int = 2000) -> list[Message]:
    """Messages asking a model to turn a follow-up into a standalone question."""
    labels = {"user": "用户", "assistant": "助手"}
    turns = recent_history(history, history_chars)
    conversation = "\n".join(f"{labels[m.role]}：{m.content}" for m in turns) or "（无）"
    text = fill("rewrite_zh.txt", conversation=conversation, question=neutralize(question.strip()))
    return [Message("user", text)]


def clean_rewrite(text: str, fallback: str) -> str:
    """The rewritten question from a model's reply, or `fallback` when the reply is unusable.

    clean_rewrite('独立问题：“天宫一号何时发射？”', 'x') -> '天宫一号何时发射？'
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return fallback
    line = re.sub(r"^(独立问题|改写后的问题|standalone question)\s*[:：]\s*", "", lines[0], flags=re.I)
    line = line.strip().strip("\"'“”‘’「」")
    # A rewrite many times longer than the question is an answer, not a question.
    if not line or len(line) > 3 * len(fallback) + 100:
        return fallback
    return line
