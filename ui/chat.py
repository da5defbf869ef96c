"""One chat turn in the page: stream the answer into the chat, then show its sources.

The conversation is kept as `Turn`s (the raw question and the final `Answer`), so
follow-ups are retrieved with the real earlier text, not with the escaped
markdown the chat shows. Nothing here imports Gradio.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterator, Sequence

from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.types import Answer, Message

from .render import CURSOR, answer_markdown, clean, error_markdown, sources_html, user_markdown

log = logging.getLogger("rag")
MAX_TURNS_IN_HISTORY = 6
INTERNAL_ERROR = "回答时出现内部错误，请重试；如果一再出现，请查看服务器日志。"
STOPPED = "（已停止）"
_PENDING = "*正在检索…*"
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")

ChatValue = list[dict]
Update = tuple[ChatValue, str, list["Turn"]]  # (the chat's messages, the sources panel, the turns)


@dataclass(frozen=True)
class Turn:
    question: str
    shown: str  # the assistant message as the chat shows it (escaped markdown)
    answer: Answer | None = None  # None when answering failed


def history(turns: Sequence[Turn]) -> list[Message]:
    """The dialogue the pipeline sees: the last turns that got an answer to a real question."""
    out: list[Message] = []
    for t in turns[-MAX_TURNS_IN_HISTORY:]:
        if t.answer is not None and clean(t.question).strip():
            out += [Message("user", t.question), Message("assistant", t.answer.answer)]
    return out


def chat_value(turns: Sequence[Turn], limit: int) -> ChatValue:
    value: ChatValue = []
    for t in turns:
        shown_q = user_markdown(t.question, limit) if clean(t.question).strip() else "*（空消息）*"
        value += [{"role": "user", "content": shown_q}, {"role": "assistant", "content": t.shown}]
    return value


def respond(pipeline: Pipeline, message: str, turns: Sequence[Turn], k: int | None = None,
            mode: str | None = None) -> Iterator[Update]:
    """Yield the page's state after each streamed piece; the last update holds the finished turn."""
    message = message if isinstance(message, str) else ""
    limit = pipeline.settings.max_question_chars
    turns = list(turns)
    text, final = "", None
    yield chat_value(turns + [Turn(message, answer_markdown("", pending=True))], limit), sources_html(pending=True), turns
    try:
        for piece in pipeline.stream(message, history(turns), k, mode):
            if isinstance(piece, Answer):
                final = piece
            else:
                text += piece
                pending = Turn(message, answer_markdown(text, pending=True))
                yield chat_value(turns + [pending], limit), sources_html(pending=True), turns
    except RagError as exc:
        turn = Turn(message, error_markdown(str(exc)))
    except Exception:  # noqa: BLE001 - the page must show a message, never a stack trace
        log.exception("answering %r failed", message[:200])
        turn = Turn(message, error_markdown(INTERNAL_ERROR))
    else:
        if final is None:
            turn = Turn(message, error_markdown(INTERNAL_ERROR))
        else:
            turn = Turn(message, answer_markdown(final.answer, final.citations, final.notes), final)
    done = turns + [turn]
    yield chat_value(done, limit), sources_html(turn.answer), done


def turn_sources(turns: Sequence[Turn], message_index: int) -> str | None:
    """The sources panel for the chat message at `message_index` (two messages per turn)."""
    i = message_index // 2
    if 0 <= i < len(turns):
        return sources_html(turns[i].answer)
    return None


def _text(content: object) -> str:
    """A chat message's text, whether Gradio gives a string or a list of text parts."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else [content]
    return "".join(p.get("text", "") for p in parts if isinstance(p, dict))


def stopped_turns(chat: ChatValue | None, turns: Sequence[Turn]) -> list[Turn] | None:
    """The turns with the answer that was streaming when the reader pressed stop, kept and marked
    （已停止）; None when nothing was in progress. The stopped text is not an answer, so it is not
    part of the history follow-ups see.

    >>> chat = [{"role": "user", "content": "天宫\\[1\\]？"}, {"role": "assistant", "content": "于2011" + CURSOR}]
    >>> stopped_turns(chat, [])[0]
    Turn(question='天宫[1]？', shown='于2011\\n\\n*（已停止）*', answer=None)
    """
    chat = list(chat or [])
    if len(chat) < 2 * len(turns) + 2 or not isinstance(chat[-1], dict) or chat[-1].get("role") != "assistant":
        return None
    shown = _text(chat[-1].get("content")).removesuffix(CURSOR).strip()
    if shown == _PENDING:
        shown = ""
    question = _ESCAPED.sub(r"\1", _text(chat[-2].get("content") if isinstance(chat[-2], dict) else ""))
    return [*turns, Turn(question, (shown + "\n\n" if shown else "") + f"*{STOPPED}*")]
