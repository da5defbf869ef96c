"""The conversation and the settings as the browser keeps them (gr.BrowserState: localStorage), and back.

Turns are stored as plain JSON (the question, the answer object `/ask` returns), so
a reload, or a restarted server, shows the same conversation and follow-ups still
see it. Anything unreadable in storage is dropped, never an error.
"""
from __future__ import annotations

from typing import Any, Sequence

from rag.types import Answer, Citation

from .chat import Turn
from .render import answer_markdown, error_markdown

MAX_SAVED_TURNS = 50
ANSWER_FIELDS = ("question", "answer", "refused", "citations", "mode", "timings_ms", "check", "notes")


def answer_from_dict(d: dict[str, Any]) -> Answer:
    citations = tuple(Citation(**c) for c in d.get("citations", []))
    return Answer(str(d["question"]), str(d["answer"]), bool(d["refused"]), citations, dict(d.get("mode") or {}),
                  dict(d.get("timings_ms") or {}), dict(d.get("check") or {}), tuple(d.get("notes") or ()))


def turns_to_json(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    return [{"question": t.question, "answer": t.answer.to_dict() if t.answer else None,
             "error": None if t.answer else t.shown} for t in turns[-MAX_SAVED_TURNS:]]


def turns_from_json(saved: Any) -> list[Turn]:
    out: list[Turn] = []
    for item in saved if isinstance(saved, list) else []:
        try:
            if item.get("answer"):
                a = answer_from_dict(item["answer"])
                out.append(Turn(str(item["question"]), answer_markdown(a.answer, a.citations, a.notes), a))
            else:
                out.append(Turn(str(item["question"]), str(item.get("error") or error_markdown("（未保存）"))))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # written by another version of the page: skip it rather than fail the page
    return out


def settings_from_json(saved: Any, max_k: int, modes: Sequence[str], backends: Sequence[str],
                       default: dict[str, Any]) -> dict[str, Any]:
    """The saved k, mode and answerer where they are still valid here; the defaults otherwise."""
    saved = saved if isinstance(saved, dict) else {}
    k = saved.get("k")
    ok_k = isinstance(k, (int, float)) and not isinstance(k, bool) and 1 <= k <= max_k
    return {"k": int(k) if ok_k else default["k"],
            "mode": saved.get("mode") if saved.get("mode") in ("auto", *modes) else default["mode"],
            "backend": saved.get("backend") if saved.get("backend") in backends else default["backend"]}
