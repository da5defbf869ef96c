"""A cited passage read clause by clause, for binding the figures of an answer (binding.py).

Each clause is a `Place`: the figures it states (each with its measure word and its *head*, the
word naming what it measures), its *window* (the clause and up to three clauses just before it
in its sentence that hold no figure but dates and times: "天猫平台上，共有589个品牌…"), the
*opening* of its sentence (up to the sentence's first figure: the subject of all its clauses,
"…市代表团一行共计120人，其中运动员86人"), and its *topic* (the names in its window, or else
those of the clause before it in its sentence).

The words are the tokenizer's (folded, synonyms mapped, stop words dropped), less NEUTRAL words
(同比, 增长, 超, 达, 约, 累计 …: they say how much, not of what), figures and measure words.
Names are actors (places, organisations, curated names: lexicon.is_name); festivals (双11,
年货节) are settings, not actors.

>>> pm = PassageMap.of("天猫平台上，共有589个品牌成交破亿，其中国货品牌有243个。", [])
>>> [(p.window.text, sorted(p.topic)) for p in pm.places]
[('天猫平台上', ['天猫']), ('天猫平台上,共有589个品牌成交破亿', ['天猫']), ('其中国货品牌有243个', ['天猫'])]
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from rag.text.clauses import Clause, split_clauses
from rag.text.lexicon import is_name
from rag.text.measures import measure_after
from rag.text.numbers import Quantity, extract_quantities
from rag.text.tokenize import Tokenizer
from rag.text.wordlists import fold

NEUTRAL = frozenset(
    "同比 环比 同比增长 增长 增加 增幅 涨幅 提升 提高 上涨 上升 下降 下滑 减少 降低 回落 超 超过 超出 逾 达 达到 高达 "
    "约 近 将近 接近 突破 实现 累计 共 共有 共计 合计 总计 总共 一共 已 已有 已经 另有 保持 高出 至少 多 余 以上 "
    "左右 分别 均 同期 较 比 相比 相较 占 占比 为 是 有 数量 规模 总额 截至 截止 目前 其中 此外 另外 同时 期间 "
    "今年 去年 当天 当日 全年 约为 仅 只 还 再 又 也 都".split())
_FIGURE_WORD = re.compile(r"[0-9.,%]+|[零〇一二两三四五六七八九十百千万亿]+")
SKIP_UNITS = ("date", "time")
_FRAMING = 3  # clauses without figures that may stand before a figure's clause, in its sentence


@dataclass(frozen=True)
class Span:
    """Some text of a passage, as its tokens and its folded characters."""

    words: frozenset[str]
    text: str

    @classmethod
    def of(cls, text: str) -> Span:
        return cls(tokens(text), fold(text))

    def has(self, word: str, partly: bool = True) -> bool:
        """A token or substring of it; with `partly`, a word of 3+ characters also when half its
        character bigrams are there (人口数 / 人口, 订单数 / 订单量: the answer's paraphrase)."""
        if word in self.words or word in self.text:
            return True
        grams = [word[i:i + 2] for i in range(len(word) - 1)]
        return partly and len(word) >= 3 and 2 * sum(g in self.text for g in grams) >= len(grams)


@dataclass(frozen=True)
class Figure:
    """A figure as stated: its measure word and its head, the word naming what it measures."""

    quantity: Quantity
    measure: str
    head: str


@dataclass(frozen=True)
class Place:
    """One clause of a passage: its figures and how it is read."""

    figures: tuple[Figure, ...]
    counts: bool  # it states a figure of its own (not only dates and times)
    window: Span  # the clause and the figure-free clauses before it in its sentence
    own: Span  # the clause alone
    opening: Span  # its sentence up to the first figure: the subject of the whole sentence
    topic: frozenset[str]


@dataclass(frozen=True)
class PassageMap:
    """A passage read clause by clause, for binding figures."""

    places: tuple[Place, ...]
    all: Span
    plain: Span  # the clauses that hold no figure but dates and times: the passage's setting

    @classmethod
    def of(cls, text: str, quantities: Sequence[Quantity]) -> PassageMap:
        """`quantities` are the passage's figures as the checker matches them (read loosely: 三, 百万).
        Which clauses hold a figure of their own (framing, rivals) is read strictly, so that the
        三 of 三星 does not make "三星为12.6GWh" a claim."""
        clauses = split_clauses(text)
        strict = extract_quantities(text)
        stated = [[q for q in strict if c.start <= q.start < c.end] for c in clauses]
        masks = [*quantities, *strict]
        figures = [tuple(Figure(q, measure_after(text, q.end), head_word(text, masks, stated[i] + [q], q, c))
                         for q in quantities if c.start <= q.start < c.end) for i, c in enumerate(clauses)]
        places: list[Place] = []
        topic, opening = frozenset[str](), Span.of("")
        for i, c in enumerate(clauses):
            if i == 0 or c.sentence != clauses[i - 1].sentence:
                topic, opening = frozenset(), Span.of(_opening(text, clauses, stated, i))
            window = Span.of(text[window_start(clauses, stated, i):c.end])
            topic = frozenset(w for w in window.words if actor(w)) or topic
            places.append(Place(figures[i], states_figure(stated[i]), window, Span.of(c.text), opening, topic))
        plain = "，".join(c.text for c, f in zip(clauses, stated) if not states_figure(f))
        return cls(tuple(places), Span.of(text), Span.of(plain))


def stretch(quantities: Sequence[Quantity], q: Quantity, clause: Clause) -> tuple[int, int]:
    """From the figure before `q` in its clause to the figure after it (dates and times aside)."""
    counted = sorted({p.start: p for p in quantities if p.unit not in SKIP_UNITS
                      and clause.start <= p.start < clause.end and p.end <= clause.end}.values(),
                     key=lambda p: p.start)
    before = [p.end for p in counted if p.end <= q.start]
    after = [p.start for p in counted if p.start >= q.end]
    return (before[-1] if before else clause.start), (after[0] if after else clause.end)


def head_word(text: str, masks: Sequence[Quantity], neighbours: Sequence[Quantity], q: Quantity,
              clause: Clause) -> str:
    """The word that names what `q` measures: the last content word before it in its stretch
    ("服饰品牌成交额同比增长92%" -> 成交额), else the first after it ("超1.6万个品牌" -> 品牌); "" if none."""
    a, b = stretch(neighbours, q, clause)
    for part, pick in ((masked(text, masks, a, q.start), -1), (masked(text, masks, q.end, b), 0)):
        words = [w for w in _tokenizer().tokens(part) if content_word(w) and not actor(w)]
        if words:
            return words[pick]
    return ""


def states_figure(figures: Sequence[Quantity]) -> bool:
    return any(q.unit not in SKIP_UNITS for q in figures)


def _opening(text: str, clauses: list[Clause], figures: list, i: int) -> str:
    """The start of the sentence that begins at clause `i`, up to its first figure (not a date or time)."""
    for c, found in zip(clauses[i:], figures[i:]):
        if c.sentence != clauses[i].sentence:
            return text[clauses[i].start:c.start]
        counted = [q for q in found if q.unit not in SKIP_UNITS]
        if counted:
            return text[clauses[i].start:counted[0].start]
    return text[clauses[i].start:]


def window_start(clauses: list[Clause], figures: list, i: int) -> int:
    """Where clause `i`'s window starts: at the earliest of the (at most _FRAMING) clauses just before
    it, in its sentence, that hold no figure but dates and times."""
    j = i
    while (j > 0 and i - j < _FRAMING and clauses[j - 1].sentence == clauses[i].sentence
           and not states_figure(figures[j - 1])):
        j -= 1
    return clauses[j].start


def masked(text: str, quantities: Sequence[Quantity], a: int, b: int) -> str:
    """text[a:b] with its figures and citation markers blanked out (so they give no words)."""
    chars = list(text[a:b])
    for q in quantities:
        for k in range(max(q.start, a), min(q.end, b)):
            chars[k - a] = " "
    return re.sub(r"[\[［【][0-9０-９,，、\s]*[\]］】]", " ", "".join(chars))


def content_word(word: str) -> bool:
    if word in NEUTRAL or len(word) < 2 or _FIGURE_WORD.fullmatch(word) or is_name(word) and not actor(word):
        return False
    return not (word[0] in "十百千万亿" and measure_after(word, 1) == word[1:])  # 万名, 亿元: a figure's tail


def actor(word: str) -> bool:
    """A name that says who or where (京东, 北京, 联合国), not when (双11, 618, 年货节, 春节)."""
    if any(ch.isdigit() for ch in word) or word.endswith("节") or "星期" in word:
        return False
    return is_name(word)


def outermost(words: set[str]) -> set[str]:
    """`words` less those inside another of them: the tokenizer also gives a domain word's parts."""
    return {w for w in words if not any(w != v and w in v for v in words)}


@lru_cache(maxsize=1)
def _tokenizer() -> Tokenizer:
    return Tokenizer()  # jieba itself loads on the first tokens()


def tokens(text: str) -> frozenset[str]:
    return frozenset(_tokenizer().tokens(text))
