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

from rag.text.numbers import extract_quantities, vague_quantities

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
_MEASURE = re.compile(r"(?:多|余|来|几)?[万亿千百]*(?:多|余)?(?:平方公里|平方千米|平方米|立方米|公里|千米|公顷|公分|公尺|"
                      r"公斤|公吨|厘米|毫米|英尺|英里|英寸|海里|千克|小时|分钟|周年|美元|港元|欧元|英镑|日元|人民币|人次|"
                      r"[个家台次人名位件款项种站元块年月日天周岁辆部只条张份场所座户单笔套批倍吨米克秒层级类期届轮集首枚章卷页度"
                      r"册本篇间头匹棵株颗架艘支队声%％]|"
                      r"(?<=\d) ?(?:km²|km2|km|m²|cm|mm|kg|GHz|MHz|Hz|kW|MW|GB|MB|TB|mph|ft|m|g)(?![A-Za-z]))?(?:以上|多)?")
# "第3名", "第二届": an ordinal keeps its 第.
_ORDINAL = "第"
# Names the segmenter cuts in pieces: "台湾"+"台北市", "保罗"+"·"+"塞里诺", "张小"+"明".
_RANGE = ("至", "到", "-", "－", "—", "～", "~", "至于")
# A time word answers "when" only when it names one: "春秋", "二十世纪", "正午" yes; "当时", "目前" no.
_DATED = re.compile(r"[0-9一二三四五六七八九十百千零〇]|世纪|朝|代|季|春|夏|秋|冬|午|晨|晚|夜|节")
_JOINERS = ("·", "•", "・", "-")
_NOT_NAME_TAIL = set("的了是在和与及等为由于被把将对从向也都又还就说称曾已和而之所其该此这那年月日后前时中内外上下人")


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
        if spans and q.start < spans[-1].end:
            continue  # "1750.33km²": the ² is the unit's
        if len(q.surface) < 2 and not q.surface.isdigit():
            continue  # a lone 亿 or 万 is a magnitude, not a figure
        end = q.end
        if q.unit not in ("date", "time"):
            m = _MEASURE.match(text, end)
            end = m.end() if m else end
        kind = TIME if q.unit in ("date", "time") or text[q.end:end].startswith(("年", "月", "日")) else QUANTITY
        start = q.start - 1 if kind == QUANTITY and q.start > 0 and text[q.start - 1] == _ORDINAL else q.start
        spans.append(Span(start, end, kind, text[start:end]))
        taken.update(range(start, end))
    for start, end, surface in vague_quantities(text):  # "近半数", "上百家": amounts said in words
        if not taken & set(range(start, end)):
            spans.append(Span(start, end, QUANTITY, surface))
            taken.update(range(start, end))
    spans.sort(key=lambda s: s.start)
    return tuple(sorted(_ranges(text, spans) + _names(text, taken), key=lambda s: s.start))


def _ranges(text: str, spans: list[Span]) -> list[Span]:
    """"900米至1,900米", "1921年－1925年": two figures of one kind joined by a range word are one answer."""
    out: list[Span] = []
    for s in spans:
        last = out[-1] if out else None
        if last and last.kind == s.kind and text[last.end:s.start] in _RANGE:
            out[-1] = Span(last.start, s.end, s.kind, text[last.start:s.end])
        else:
            out.append(s)
    return out


def _names(text: str, taken: set[int]) -> list[Span]:
    """Person, place, organisation and time words, adjacent pieces of one name merged."""
    words = _tag(text)
    out: list[Span] = []
    pos = 0
    for i, (word, flag) in enumerate(words):
        start, pos = pos, pos + len(word)
        kind = _TAG_TYPE.get(flag)
        if not kind or len(word) < 2 or taken & set(range(start, pos)) or (kind == TIME and not _DATED.search(word)):
            continue
        last = out[-1] if out else None
        if last and last.kind == kind and kind != TIME and (
                last.end == start or (text[last.end:start] in _JOINERS and kind == PERSON)):
            out[-1] = Span(last.start, pos, kind, text[last.start:pos])
        else:
            out.append(Span(start, pos, kind, word))
        nxt = words[i + 1][0] if i + 1 < len(words) else ""
        # "张小"+"明": a two-character surname-and-name piece with a lone character after it.
        if kind == PERSON and len(word) == 2 and len(nxt) == 1 and "\u4e00" <= nxt <= "\u9fff" \
                and nxt not in _NOT_NAME_TAIL and not _tag_of(nxt):
            cur = out[-1]
            out[-1] = Span(cur.start, cur.end + 1, kind, text[cur.start:cur.end + 1])
    return out


def _tag_of(word: str) -> str:
    from rag.text.lexicon import name_tag

    return name_tag(word) or ""


def _tag(text: str) -> list[tuple[str, str]]:
    """(word, tag) for every word of `text`, in order: the tokenizer's segmenter (rjieba) and
    jieba's dictionary tags, both already loaded for retrieval, instead of jieba.posseg."""
    from rag.text.lexicon import name_tag
    from rag.text.tokenize import segment

    return [(w, name_tag(w) or "") for w in segment(text)]
