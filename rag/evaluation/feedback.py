"""Readers' thumbs up/down on answers, kept in a JSON-lines file beside the index; `rag feedback` prints them.

One line per rating: {"time", "rating": "up"|"down", "question", "answer", "comment", "sources"}.
Appending a line never rewrites what is there, so nothing stored is lost. A comment written
after its rating is its own line, {"time", "comment_of": <the rating's id>, "comment"}, and
`read_feedback` merges it into the rating's row.
"""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
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
    row = {"id": uuid.uuid4().hex[:12], "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rating": rating, "question": question[:MAX_COMMENT],
           "answer": answer[:4 * MAX_COMMENT], "comment": (comment or "").strip()[:MAX_COMMENT],
           "sources": list(sources or [])}
    _append(path, row)
    return row


def add_comment(path: Path, rating_id: str, comment: str) -> None:
    """A comment on the rating `rating_id`, shown in its row by `read_feedback`."""
    if comment.strip():
        _append(path, {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "comment_of": rating_id,
                       "comment": comment.strip()[:MAX_COMMENT]})


def _append(path: Path, row: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_feedback(path: Path) -> Iterator[dict[str, Any]]:
    """Every readable rating, its later comments merged in; a damaged line (a write cut short) is skipped."""
    if not path.is_file():
        return
    rows: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if not isinstance(row, dict):
            continue
        rated = by_id.get(str(row.get("comment_of"))) if "comment_of" in row else None
        if rated is not None:
            rated["comment"] = "；".join(c for c in (rated.get("comment"), row.get("comment")) if c)
        elif "comment_of" not in row:
            rows.append(row)
            if row.get("id"):
                by_id[str(row["id"])] = row
    yield from rows


def format_row(row: dict[str, Any]) -> str:
    mark = "👍" if row.get("rating") == "up" else "👎"
    comment = f"\n    意见：{row['comment']}" if row.get("comment") else ""
    return f"{row.get('time', '')} {mark} {row.get('question', '')}\n    答：{row.get('answer', '')[:200]}{comment}"
