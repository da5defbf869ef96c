"""Readers' thumbs up/down on answers, kept in a JSON-lines file beside the index; `rag feedback` prints them.

One line per rating: {"time", "rating": "up"|"down", "question", "answer", "comment", "sources"}.
Appending a line never rewrites what is there, so nothing stored is lost.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from rag.errors import RagError

FILE = "feedback.jsonl"
MAX_COMMENT = 2000
_lock = threading.Lock()


def feedback_path(index_dir: str | Path) -> Path:
    """$RAG_HOME/feedback.jsonl when RAG_HOME is set, else feedback.jsonl in the index folder."""
    home = os.environ.get("RAG_HOME")
    return Path(home) / FILE if home else Path(index_dir) / FILE


def add_feedback(path: Path, rating: str, question: str, answer: str, comment: str = "",
                 sources: list[str] | None = None) -> dict[str, Any]:
    if rating not in ("up", "down"):
        raise RagError(f"rating must be 'up' or 'down', not {rating!r}")
    row = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rating": rating, "question": question[:MAX_COMMENT],
           "answer": answer[:4 * MAX_COMMENT], "comment": (comment or "").strip()[:MAX_COMMENT],
           "sources": list(sources or [])}
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return row


def read_feedback(path: Path) -> Iterator[dict[str, Any]]:
    """Every readable row; a damaged line (a write cut short) is skipped."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            yield row


def format_row(row: dict[str, Any]) -> str:
    mark = "👍" if row.get("rating") == "up" else "👎"
    comment = f"\n    意见：{row['comment']}" if row.get("comment") else ""
    return f"{row.get('time', '')} {mark} {row.get('question', '')}\n    答：{row.get('answer', '')[:200]}{comment}"
