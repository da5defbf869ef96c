"""What kind of answer does a question ask for, and where in a sentence are answers of that kind?

    多少/几 -> quantity (rag.text.numbers) · 何时/哪年/什么时候 -> time · 谁 -> person ·
    哪里/哪个国家 -> place · 哪家公司/哪所 -> org

Spans come from the number parser (figures, dates, times; a figure keeps its measure word:
"42平方公里") and from jieba's part-of-speech tags (nr person, ns place, nt org, t time).

>>> expected_type("青石湖的面积约为多少平方公里？")
'quantity'
>>> expected_type("周明远哪一年出生？")
'time'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.text.numbers import extract_quantities

QUANTITY, TIME, PERSON, PLACE, ORG = "quantity", "time", "person", "place", "org"
TYPES = (QUANTITY, TIME, PERSON, PLACE, ORG)
# Checked in this order: "几月" is a time, "哪个国家的公司" a place.
_ASKS = (
    (TIME, re.compile(r"何时|何年|哪年|哪一年|几几年|什么时候|哪天|哪一天|几月|几号|几日|哪个月|什么时间|哪个时间|"
                      r"哪个朝代|什么朝代|哪个年代|日期|出生于?何|when", re.I)),
    (QUANTITY, re.compile(r"多少|(?<!哪)几(?!乎)|多大|多高|多长|多远|多重|多深|多宽|多久|多厚|百分之几|比例|how (many|much)", re.I)),
    (PERSON, re.compile(r"谁|哪位|哪个人|什么人|何人|哪一位|who", re.I)),
    (PLACE, re.compile(r"哪里|哪儿|何处|何地|哪个国家|哪国|哪个城市|哪座城市|哪个省|哪个地区|什么地方|在哪|哪个州|哪个县|"
                       r"哪个市|where", re.I)),
    (ORG, re.compile(r"哪家|哪个公司|什么公司|哪个机构|哪所|哪个组织|哪个团队|哪支|哪个俱乐部|哪个大学|什么机构|哪个部门")),
)
_TAG_TYPE = {"nr": PERSON, "nrfg": PERSON, "nrt": PERSON, "ns": PLACE, "nt": ORG, "t": TIME}
# A figure's measure word belongs to the answer: 42平方公里, 3000只, 七天.
_MEASURE = re.compile(r"(?:多|余|来|几)?(?:平方公里|平方米|公里|千米|公顷|亩|万|亿|千|百|"
                      r"[个家台次人名位件款项种站元块年月日天周岁辆部只条张份场所座户单笔套批倍吨米克秒层级类期届轮集首枚章卷页度%％])*")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    text: str


def expected_type(question: str) -> str:
    for kind, rx in _ASKS:
        if rx.search(question):
            return kind
    return ""


@lru_cache(maxsize=4096)
def typed_spans(text: str) -> tuple[Span, ...]:
    """Every figure, date, person, place and organisation in `text`, in order."""
    spans: list[Span] = []
    taken: set[int] = set()
    for q in extract_quantities(text, loose=True):
        if len(q.surface) < 2 and not q.surface.isdigit():
            continue  # a lone 亿 or 万 is a magnitude, not a figure
        end = q.end
        if q.unit not in ("date", "time"):
            m = _MEASURE.match(text, end)
            end = m.end() if m else end
        kind = TIME if q.unit in ("date", "time") or text[q.end:end].startswith(("年", "月", "日")) else QUANTITY
        spans.append(Span(q.start, end, kind, text[q.start:end]))
        taken.update(range(q.start, end))
    pos = 0
    for word, flag in _tag(text):
        start, pos = pos, pos + len(word)
        kind = _TAG_TYPE.get(flag)
        if kind and len(word) >= 2 and not taken & set(range(start, pos)):
            spans.append(Span(start, pos, kind, word))
    return tuple(sorted(spans, key=lambda s: s.start))


def _tag(text: str) -> list[tuple[str, str]]:
    """(word, tag) for every word of `text`, in order: the tokenizer's segmenter (rjieba) and
    jieba's dictionary tags, both already loaded for retrieval, instead of jieba.posseg."""
    from rag.text.lexicon import name_tag
    from rag.text.tokenize import segment

    return [(w, name_tag(w) or "") for w in segment(text)]
