"""Follow-up questions: turn "那抖音呢？" into a query that carries the conversation.

The deterministic rule (used when no LLM rewrites the question): a short question,
or one that points back ("那…呢", "他", "这个"), is searched together with the
previous user question and the previous answer; the current question is repeated
so its words weigh more than the history's.

>>> retrieval_query("那抖音呢？", [Message("user", "京东有多少品牌成交额增长超3倍？"), Message("assistant", "超1.6万个品牌[1]")])
'那抖音呢？ 那抖音呢？ 京东有多少品牌成交额增长超3倍？ 超1.6万个品牌'
"""
from __future__ import annotations

import re
from typing import Sequence

from .types import Message

_POINTING = re.compile(r"^(那|那么|还有|另外|其中|再|也)|呢[？?]?$|[他她它其该此]|这个|那个|这些|那些|这家|这位|上述|前者|后者|同期|然后")
_MARKERS = re.compile(r"\[\d+\]")


def is_followup(question: str, history: Sequence[Message]) -> bool:
    if not any(m.role == "user" for m in history):
        return False
    q = question.strip()
    return len(q) <= 12 or bool(_POINTING.search(q))


def context_text(history: Sequence[Message]) -> str:
    """The previous user question and the previous answer's text (markers and sources removed)."""
    last_user = next((m.content for m in reversed(history) if m.role == "user"), "")
    last_answer = next((m.content for m in reversed(history) if m.role == "assistant"), "")
    last_answer = _MARKERS.sub("", last_answer.split("\n\n")[0])[:300]
    return f"{last_user} {last_answer}".strip()


def retrieval_query(question: str, history: Sequence[Message]) -> str:
    if not is_followup(question, history):
        return question
    return f"{question} {question} {context_text(history)}"
