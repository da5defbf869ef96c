"""A reader's rating of one answer in the chat, stored with what was asked and what was cited."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.evaluation.feedback import add_feedback

from .chat import Turn


def record_rating(path: Path, rating: str, turn: Turn) -> dict[str, Any]:
    """Append the rating at once; returns the row (its `id` is what a later comment refers to)."""
    answer = turn.answer.answer if turn.answer else turn.shown
    sources = [c.url for c in turn.answer.citations] if turn.answer else []
    return add_feedback(path, rating, turn.question, answer, "", sources)
