"""Render an Answer for a terminal: the answer, then the numbered sources."""
from __future__ import annotations

from pathlib import PurePath

from rag.types import Answer, Citation

QUOTE_CHARS = 160


def short_quote(c: Citation, limit: int = QUOTE_CHARS) -> str:
    """The supporting sentence when there is one, else the passage, cut to `limit`."""
    text = (c.quote or c.text).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def where(c: Citation) -> str:
    """Where a source is: "第3页 · 报告.pdf", a heading, or "" (file names only for local files).

    >>> where(Citation(1, "年报", "", "…", "d", "d:0", 0, 1, "第3页", file="/docs/年报.pdf", location="第3页"))
    '第3页 · 年报.pdf'
    """
    place = c.location or c.section
    name = "" if c.url or not c.file else PurePath(c.file).name
    return " · ".join(p for p in (place, name) if p)


def render_text(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.citations:
        lines.append("")
        for c in answer.citations:
            place = where(c)
            lines.append(f"[{c.n}] {c.title}" + (f" — {place}" if place else ""))
            if c.url:
                lines.append(f"    {c.url}")
            lines.append(f"    “{short_quote(c)}”")
    for note in answer.notes:
        lines.append(f"(note: {note})")
    return "\n".join(lines) + "\n"
