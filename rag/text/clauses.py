"""Clauses: the stretches of a text between commas and stops, with offsets and their sentence.

A clause ends at ，；：。！？ (or , ; : ! ?), an ellipsis or a newline. A comma, colon or full stop
between digits is part of a number (1,000 / 10:30 / 21.6亿), and the list comma 、 never ends a
clause: "AI学习机、3D打印机成交额增长超10倍" is one claim about both things. Sentences end at
。！？；!?, a newline or a full stop before a blank, so `Clause.sentence` tells which clauses share one.

>>> [(c.text, c.sentence) for c in split_clauses("天猫平台上，共有589个品牌破亿、增长21.6%。其中1,000个是国货")]
[('天猫平台上', 0), ('共有589个品牌破亿、增长21.6%', 0), ('其中1,000个是国货', 1)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_BREAK = re.compile(r"[，；：。！？;!?…\n\uff0c]+|(?<![0-9])[,:.]|[,:.](?![0-9])")
_SENTENCE_END = set("。！？；;!?\n")


@dataclass(frozen=True)
class Clause:
    text: str
    start: int
    end: int
    sentence: int  # index of the sentence it belongs to, counted from 0


def split_clauses(text: str) -> list[Clause]:
    """The non-empty clauses of `text`, in order (surrounding blanks trimmed)."""
    out: list[Clause] = []
    pos, sentence = 0, 0
    for m in _BREAK.finditer(text):
        _add(out, text, pos, m.start(), sentence)
        if any(ch in _SENTENCE_END for ch in m[0]) or m[0] == "." and text[m.end():m.end() + 1] in ("", " ", "\n"):
            sentence += 1
        pos = m.end()
    _add(out, text, pos, len(text), sentence)
    return out


def _add(out: list[Clause], text: str, start: int, end: int, sentence: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Clause(text[start:end], start, end, sentence))
