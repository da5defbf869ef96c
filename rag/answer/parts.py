"""Questions in several parts: "甲平台和乙平台分别有多少个商家…", "A、B各有多少…".

Each part is asked on its own (the other part's name removed), so each gets the sentence
that answers it and its own citation; the answers are joined, one line a part.

>>> split_parts("甲平台和乙平台分别有多少个商家成交额破千万元？")
[('甲平台', '甲平台有多少个商家成交额破千万元？'), ('乙平台', '乙平台有多少个商家成交额破千万元？')]
>>> split_parts("甲平台、乙平台的订单量各增长了多少？")[1]
('乙平台', '乙平台的订单量增长了多少？')
>>> split_parts("甲平台有多少个商家成交额破千万元？") is None
True
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Sequence

from rag.answer.check import renumber
from rag.types import Citation, Draft

_PARTS = re.compile(r"^(?P<a>[^，,。？?的]{1,12}?)(?:和|与|及|、)(?P<b>[^，,。？?和与及、的]{1,12}?)"
                    r"(?P<mid>的[^，,。？?]{1,8}?)?(?:分别|各自|各)(?P<rest>.+)$")
_LEAD = re.compile(r"^\*\*(.+?)\*\*：")


def split_parts(question: str) -> list[tuple[str, str]] | None:
    """(name, question about it alone) for each part, or None for a one-part question."""
    m = _PARTS.match(question.strip())
    if not m:
        return None
    rest = (m["mid"] or "") + m["rest"]
    return [(m["a"], m["a"] + rest), (m["b"], m["b"] + rest)]


def answer_parts(parts: Sequence[tuple[str, str]], answer: Callable[[str], Draft]) -> Draft | None:
    """Each part answered by `answer`, joined with citations renumbered; None when every part is refused."""
    drafts = [(name, answer(q)) for name, q in parts]
    if all(d.refused for _, d in drafts):
        return None
    citations: list[Citation] = []
    by_chunk: dict[str, int] = {}
    shown: set[str] = set()
    lines: list[str] = []
    for name, d in drafts:
        if d.refused:
            lines.append(f"{name}：资料中没有找到。")
            continue
        mapping = {}
        for c in d.citations:
            if c.chunk_id not in by_chunk:
                by_chunk[c.chunk_id] = len(by_chunk) + 1
                citations.append(replace(c, n=by_chunk[c.chunk_id]))
            mapping[c.n] = by_chunk[c.chunk_id]
        text = renumber(d.text, mapping)
        lead = _LEAD.match(text)
        short = lead[1] if lead else str(d.check.get("short_answer") or "")
        quotes = {c.quote for c in d.citations}
        if short and quotes <= shown:  # the quote is already above: the figure and its marker suffice
            marks = "".join(f"[{mapping[c.n]}]" for c in d.citations)
            lines.append(f"{name}：**{short}**{marks}。")
        else:
            body = text[lead.end():] if lead else text
            lines.append(f"{name}：" + (f"**{short}**，" if short else "") + body)
        shown |= quotes
    return Draft("\n".join(lines), False, tuple(citations), {"parts": [q for _, q in parts]})
