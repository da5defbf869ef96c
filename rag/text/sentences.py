"""Chinese-aware sentence splitting with character offsets.

A sentence ends after 。！？；… (or ! ? ;), together with any closing quotes and
brackets that follow (``。”`` stays with its sentence), at a newline, or after an
ASCII full stop that ends an English sentence. ``21.6亿`` is never split: a full
stop between digits is a decimal point. Overlong runs without punctuation are cut
at a comma, or else at a fixed length outside any number.

>>> [s.text for s in split_sentences("他说：“好。”我们走吧！价格21.6亿元。")]
['他说：“好。”', '我们走吧！', '价格21.6亿元。']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SENTENCE = 240

_END_RE = re.compile(
    r"(?:[。！？!?；;]+|…+|\.{3,}|(?<![0-9A-Z])\.(?=\s|$))[”’」』）)\]】\"'》]*|\n+"
)
_SOFT_RE = re.compile(r"[，,、：:]")
_NUMBERISH = re.compile(r"[0-9０-９.．%％,]")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str, offset: int = 0, max_len: int = MAX_SENTENCE) -> list[Sentence]:
    """Split `text`; offsets are shifted by `offset` (the text's position in its document)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _END_RE.finditer(text):
        spans.append((pos, m.end()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    out: list[Sentence] = []
    for a, b in spans:
        for s, e in _cut_long(text, a, b, max_len):
            s, e = _trim(text, s, e)
            if e > s:
                out.append(Sentence(text[s:e], s + offset, e + offset))
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _cut_long(text: str, a: int, b: int, max_len: int) -> list[tuple[int, int]]:
    """Cut an overlong span, preferring soft punctuation, never inside a number."""
    pieces = []
    while b - a > max_len:
        window = text[a:a + max_len]
        soft = [m.end() for m in _SOFT_RE.finditer(window) if m.end() > max_len // 3]
        cut = a + (soft[-1] if soft else max_len)
        while cut > a + 1 and _NUMBERISH.match(text[cut - 1]) and _NUMBERISH.match(text[cut]):
            cut -= 1
        if cut <= a + 1:  # a number longer than the window: cut anyway
            cut = a + max_len
        pieces.append((a, cut))
        a = cut
    pieces.append((a, b))
    return pieces
