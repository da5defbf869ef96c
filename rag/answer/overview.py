"""Overview questions ("有哪些新趋势", "主要讲了什么", "概括一下") get a short list of key points.

A question is an overview when what it asks for is an abstract category (趋势 特点 变化 措施
影响 原因…) or a summary. A list question whose head noun is concrete ("哪些品牌成交破亿",
"还有哪些轻小件卖爆了") asks for a set of names that one sentence gives: it is a fact question.
So is one that counts ("哪两方面") or asks where ("在哪些方面进步": 方面 there is the scope
of the verb, the answer is a few nouns).

>>> overview_topic("双十一消费有哪些新趋势？")
'双十一消费 ？'
>>> overview_topic("这篇文章主要讲了什么？")
'这篇文章 ？'
>>> overview_topic("哪些品牌成交额破亿？") is None
True

The points are sentences of the retrieved passages, each quoted verbatim (or its first
clauses, cut at a clause boundary) with its own citation: relevant to the question's topic
words, preferring sentences that state a point (list items, section leads, sentences with the
category word), spread over the passages, and unlike each other.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from rag.answer.candidates import Candidate
from rag.text.sentences import Sentence, split_sentences
from rag.types import Chunk, Draft

# Abstract categories a question may ask a list of. Concrete heads (品牌 品类 国家 企业…) are not here.
CATEGORY = ("趋势|特点|特征|特色|变化|亮点|看点|措施|举措|做法|手段|方法|方面|问题|原因|意义|影响|作用|"
            "好处|优势|挑战|困难|风险|内容|要点|观点|看法|经验|启示|建议|对策|成果|成效|表现|方向|机遇")
_CAT = rf"(?<!副)(?:{CATEGORY})"  # 副作用 (side effects) is a concrete list
_VERB = r"(?:有|存在|出现|呈现|具有|带来|产生|采取|采用|包括|包含|发生|面临|提出|推出|体现|表现|涉及)?了?"
# "有哪些新趋势", "带来了哪几个方面的影响": 哪些/哪几 (not a count, not after 在) and the category as head.
# A modifier with 的 ("哪些风格的影响") makes 哪些 ask for its noun (风格), a concrete set.
_LIST = re.compile(rf"(?<!在){_VERB}(?:哪些|哪几(?:个|点|项|条|种|大)?)[^，,。？?！!的\s]{{0,4}}?"
                   rf"{_CAT}(?=[^\u4e00-\u9fff]|$|的|值得|需要|可以|是|呢|吗|啊)")
# "新趋势有哪些", "主要特点是什么", "双十一的主要亮点？"
_HEAD_FIRST = re.compile(rf"(?:主要的?)?{_CAT}(?:主要)?(?:有|包括|包含|体现在|表现在)"
                         rf"(?:哪些|哪几(?:个|点|方面)?)|主要的?{_CAT}(?:是什么|是哪些|有什么|包括什么|(?=[？?]|$))")
_SUMMARY = re.compile(r"(?:请|帮我)?(?:简要|简单)?(?:概括|总结|归纳|概述)(?:一下)?|梗概|大意|主旨|中心思想|(?:主要)?要点"
                      r"|主要(?:讲|说|写|报道|介绍|谈|描述|涉及)(?:了|的是)?(?:些)?(?:什么|哪些|啥)(?:内容|事情?)?"
                      r"|(?<=文章|报道|本文|全文|新闻|材料|资料|该文|此文)(?:讲|说|写|报道|介绍)了(?:些)?(?:什么|哪些|啥)"
                      r"|主要内容(?:是什么|有哪些)?")
_EN = re.compile(r"\bwhat (?:are|were) (?:the |some )?(?:main|key|major|most important|new|latest|chief|principal)\b"
                 r"|\bsummari[sz]e\b|\bsummary of\b|\boverview of\b|\b(?:key|main) (?:points|takeaways|ideas)\b"
                 r"|\bwhat (?:is|was) (?:this|the) (?:article|text|report|passage|document|story) (?:mainly )?about\b",
                 re.I)
_CATEGORY_WORD = re.compile(CATEGORY + r"|\b(?:trends?|points?|features?|characteristics|changes?|highlights?"
                            r"|measures?|aspects?|issues?|reasons?|effects?|impacts?|ideas?|takeaways?|developments?"
                            r"|themes?)\b", re.I)
# Words that say nothing of the topic once the category is gone ("跨境电商的情况", "相关内容").
_VAGUE = re.compile(r"情况|状况|概况|相关|一下")

MAX_POINTS, MIN_POINTS = 4, 2
MAX_POINT_CHARS = 90
MIN_POINT_CHARS = 8
MAX_INTRO_CHARS = 60
# Bonuses for sentences that state a point; a point must score this share of the best one.
LIST_ITEM, LEAD, HAS_CATEGORY = 0.12, 0.08, 0.06
RELATIVE = 0.6
SIMILARITY_PENALTY = 0.5
NEAR_DUPLICATE = 0.7  # this share of the shorter point's words in the other: the same point reworded
SAME_PASSAGE = 0.1  # points spread over the passages when they can
_ENUMERATOR = re.compile(r"^\s*(?:\d{1,2}[.、)．]|[（(]\d{1,2}[)）]|[（(]?[一二三四五六七八九十]{1,3}[、)）]|[-*•·])\s*")
_LABEL = re.compile(r"^[^，,。；;：:]{2,14}[：:](?=\S)")
_STATEMENT_END = re.compile(r"[。！？!?；;…”\".]$")
_CLAUSE_END = re.compile(r"[，；：;]")
# "多种原因", "数个特征", "以下几个方面", "三大趋势": more than one point is announced.
_NUMERALS = "一两三四五六七八九十"
_COUNT = re.compile(r"([两三四五六七八九十])(?:个|大|种|项|点|条|方面)")
UNNUMBERED = 3
_PLURAL = re.compile(r"多种|多个|数个|几个|几种|几大|多方面|多重|一系列|以下|如下|下列|[两二三四五六七八九十][个大种项点条]|[两二三四五六七八九十]方面")


@dataclass(frozen=True)
class Overview:
    """What an overview question asks: the topic (the question without its overview words)
    and the category of points ("趋势"; "" for a summary)."""

    topic: str
    category: str


def read_overview(question: str) -> Overview | None:
    """The question's topic and category, or None for other questions.

    >>> read_overview("以旧换新带来了哪些影响？")
    Overview(topic='以旧换新 ？', category='影响')
    """
    for pattern in (_SUMMARY, _HEAD_FIRST, _LIST, _EN):
        m = pattern.search(question)
        if m:
            rest = question[:m.start()] + " " + question[m.end():]
            category = _CATEGORY_WORD.search(m[0]) if pattern is not _SUMMARY else None
            return Overview(_VAGUE.sub(" ", _CATEGORY_WORD.sub(" ", rest)).strip(), category[0] if category else "")
    return None


def overview_topic(question: str) -> str | None:
    found = read_overview(question)
    return found.topic if found else None


def is_overview(question: str) -> bool:
    return read_overview(question) is not None


def is_intro(text: str, category: str = "") -> bool:
    """A sentence that announces the points after it: "有多种原因导致了本次事故。",
    "浮龙具有数个独有特征。", "…包括以下几个方面：".

    >>> is_intro("随后的调查发现有多种原因导致了本次事故。", "原因"), is_intro("原因尚不清楚。", "原因")
    (True, False)
    """
    t = text.strip()
    if not _PLURAL.search(t):
        return False
    return t.endswith(("：", ":")) or (bool(category) and category in t and len(t) <= MAX_INTRO_CHARS)


@dataclass(frozen=True)
class Point:
    """A candidate sentence with how much it reads as a key point."""

    cand: Candidate
    value: float


def choose_points(cands: Sequence[Candidate], tokens: Callable[[str], list[str]],
                  opening: frozenset[str] = frozenset(), first: Candidate | None = None,
                  max_points: int = MAX_POINTS) -> list[Candidate]:
    """Up to `max_points` candidates, `first` (the sentence that best answers the question)
    first, then by how well they state a point; spread over the passages, unlike each other,
    quoted as short points. `opening`: the chunks that open a section (their first sentence leads it)."""
    pool = [Point(c, point_value(c, opening)) for c in cands if not c.missing_names and not _heading(c)]
    if not pool:
        return []
    best = max(p.value for p in pool)
    pool = [p for p in pool if p.value >= RELATIVE * best]
    chosen: list[Point] = []
    if first is not None and not first.missing_names and not _heading(first):
        chosen.append(Point(first, best))
    words = {id(p): set(tokens(p.cand.sentence.text)) for p in pool + chosen}
    while pool and len(chosen) < max_points:
        def adjusted(p: Point) -> float:
            similar = max((_jaccard(words[id(p)], words[id(x)]) for x in chosen), default=0)
            shared = any(p.cand.chunk.chunk_id == x.cand.chunk.chunk_id for x in chosen)
            return p.value - SIMILARITY_PENALTY * similar - SAME_PASSAGE * shared
        pick = max(pool, key=adjusted)
        pool.remove(pick)
        if any(_same_place(pick.cand, x.cand) or _contained(words[id(pick)], words[id(x)]) > NEAR_DUPLICATE
               for x in chosen):
            continue
        chosen.append(pick)
    return [replace(p.cand, sentence=short_point(p.cand.sentence)) for p in chosen]


def items_after(intro: Candidate, chunks_of_doc: Sequence[Chunk], max_points: int = MAX_POINTS) -> list[Candidate]:
    """The points an intro sentence announces: the numbered list items after it ("1. …", "（二）…"),
    else the sentences that follow it in its paragraph, as many as it says ("三个原因") or
    `UNNUMBERED` (where an unnumbered list ends is a guess)."""
    after: list[tuple[Candidate, bool]] = []  # (sentence, whether a new paragraph starts with it)
    seen: set[int] = set()
    for chunk in sorted(chunks_of_doc or [intro.chunk], key=lambda c: c.start):
        if chunk.end <= intro.sentence.end or chunk.doc_id != intro.chunk.doc_id:
            continue
        if chunk.section != intro.chunk.section or len(after) >= 3 * max_points:
            break
        sents = split_sentences(chunk.text, offset=chunk.start)
        for j, s in enumerate(sents):
            if s.start >= intro.sentence.end and s.start not in seen:
                seen.add(s.start)
                gap = chunk.text[(sents[j - 1].end if j else chunk.start) - chunk.start:s.start - chunk.start]
                after.append((replace(intro, chunk=chunk, sentence=s, position=j, missing_names=()), "\n" in gap))
    if after and _ENUMERATOR.match(after[0][0].sentence.text):
        items = [c for c, _ in after if _ENUMERATOR.match(c.sentence.text)][:max_points]
    else:
        said = _COUNT.search(intro.sentence.text)
        items = []
        for c, new_paragraph in after[:min(max_points, _NUMERALS.index(said[1]) + 1 if said else UNNUMBERED)]:
            if new_paragraph and items:
                break
            items.append(c)
    points: list[Candidate] = []
    for c in items:
        if _heading(c):
            break
        points.append(replace(c, sentence=short_point(c.sentence)))
    return points


def point_value(c: Candidate, opening: frozenset[str] = frozenset()) -> float:
    text = c.sentence.text
    value = c.score
    if _ENUMERATOR.match(text) or _LABEL.match(text):
        value += LIST_ITEM
    if c.position == 0 and c.chunk.chunk_id in opening:
        value += LEAD
    if _CATEGORY_WORD.search(text):
        value += HAS_CATEGORY
    return value


def short_point(s: Sentence, limit: int = MAX_POINT_CHARS) -> Sentence:
    """The sentence without a leading enumerator ("2. "), cut after its last clause that ends
    within `limit` characters; always a verbatim piece of it, so the quote's offsets stay exact.

    >>> short_point(Sentence("2. 消费者越来越重视个性化，平台推出定制化优惠。", 10, 35), limit=15)
    Sentence(text='消费者越来越重视个性化', start=13, end=24)
    """
    m = _ENUMERATOR.match(s.text)
    skip = m.end() if m and m.end() < len(s.text) else 0
    text = s.text[skip:]
    if len(text) > limit:
        cuts = [m.start() for m in _CLAUSE_END.finditer(text, 0, limit + 1)
                if m.start() >= MIN_POINT_CHARS and _balanced(text[:m.start()])]
        if cuts:
            text = text[:cuts[-1]]
    start = s.start + skip
    return Sentence(text, start, start + len(text))


def numbered(draft: Draft, english: bool = False) -> Draft:
    """A draft of one-point-per-citation made a numbered list: "主要有以下几点：\\n1. …[1]\\n2. …[2]"."""
    lines = [f"{c.n}. {c.quote}{'' if _STATEMENT_END.search(c.quote) else '…'}[{c.n}]" for c in draft.citations]
    return replace(draft, text=("The main points:\n" if english else "主要有以下几点：\n") + "\n".join(lines))


def opening_chunks(chunks: Sequence[Chunk]) -> frozenset[str]:
    """Chunks (of one document, in order) that open a section: the first one of each section title."""
    seen: set[str] = set()
    out: set[str] = set()
    for c in sorted(chunks, key=lambda c: c.start):
        if c.section not in seen:
            seen.add(c.section)
            out.add(c.chunk_id)
    return frozenset(out)


def _heading(c: Candidate) -> bool:
    """A bare title line, heading or field ("标题：…", "关键词：…"), or the line that
    introduces a list ("…包括以下几个方面："): no point to quote."""
    text = _ENUMERATOR.sub("", c.sentence.text).strip()
    if len(text) < MIN_POINT_CHARS or text.endswith(("：", ":")):
        return True
    bare = _LABEL.sub("", text).strip(" …")
    for title in (c.chunk.title, c.chunk.section):
        if title and (bare in title or (title in bare and len(bare) <= len(title) + MIN_POINT_CHARS)):
            return True
    return not _STATEMENT_END.search(text) and (bool(_LABEL.match(text)) or len(text) < 30)


def _same_place(a: Candidate, b: Candidate) -> bool:
    """The same text, maybe seen through two overlapping passages."""
    return a.chunk.doc_id == b.chunk.doc_id and a.sentence.start < b.sentence.end and b.sentence.start < a.sentence.end


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _contained(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _balanced(text: str) -> bool:
    return all(text.count(a) == text.count(b) for a, b in ("“”", "（）", "《》"))
