"""Render an Answer for a terminal: the answer, then the numbered sources."""
from __future__ import annotations

from rag.types import Answer, Citation

QUOTE_CHARS = 160


def short_quote(c: Citation, limit: int = QUOTE_CHARS) -> str:
    """The supporting sentence when there is one, else the passage, cut to `limit`."""
    text = (c.quote or c.text).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_text(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.citations:
        lines.append("")
        for c in answer.citations:
            where = f" — {c.section}" if c.section else ""
            lines.append(f"[{c.n}] {c.title}{where}")
            if c.url:
                lines.append(f"    {c.url}")
            lines.append(f"    “{short_quote(c)}”")
    for note in answer.notes:
        lines.append(f"(note: {note})")
    return "\n".join(lines) + "\n"
