"""Is a figure of an answer bound, in a cited passage, to what the answer says it counts?

"X个品牌同比增长超3倍[2]" is not supported by a passage 2 saying "订单量同比增长超3倍，另有X个品牌成交破亿":
both figures are there, but 3倍 is about 订单量. For every figure that the checker (check.py) found
in a cited passage, this module asks whether some clause of that passage holds it with what it counts.

The answer's side. A figure's *words* are the content words (the tokenizer's, less stop words) of its
stretch of the answer clause, from the figure before it to the figure after it, plus the clauses just
before it in its sentence that hold no figure ("天猫平台上，共有…"): what it counts, and its subject.
Figures, measure words and NEUTRAL words (同比, 增长, 超, 达, 约, 累计 …: they say how much, not of what)
are left out. *Names* of actors (places, organisations, curated names: lexicon.is_name) are taken apart;
festivals (双11, 年货节) are context, dropped like dates.

The passage's side. A *place* is a clause holding the same quantity (numbers.same_quantity) with a
measure word that can count the same thing (measures.same_measure: 3亿元 is not 3亿件). It is read
with the clauses just before it in its sentence that hold no figure but dates and times (at most
three): its *window*. The window's *topic* is the names in it, or else the topic of the clause
before it, across sentences (Chinese drops a subject it has already named).

The rule. A place binds the figure when
  1. no name clashes: one of the answer's names that the passage mentions is in the window or
     its topic, or the topic is empty (no one is named there, so no one is contradicted). One is
     enough: a name is often written in parts or shortened ("京东云言犀", later "云言犀");
  2. the words hold: of the answer's words that the passage uses at all, at least one is in the
     window, and those in the window are at least as many as those found only in *rival* clauses
     (clauses holding another figure: the words belong to another claim). Words the passage never
     uses (paraphrases) and words found only in clauses without figures (the sentence's
     elaboration: "投入30亿元，持续升级…服务") count for neither side.
A figure with no words and no names the passage uses is bound wherever the passage states it.
Dates and times are not bound: they frame a whole sentence ("截至10月31日，…").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from rag.text.clauses import Clause, split_clauses
from rag.text.lexicon import is_name, name_tag
from rag.text.measures import measure_after, same_measure
from rag.text.numbers import Quantity, same_quantity
from rag.text.wordlists import fold

NEUTRAL = frozenset(
    "同比 环比 同比增长 增长 增加 增幅 涨幅 提升 提高 上涨 上升 下降 下滑 减少 降低 回落 超 超过 超出 逾 达 达到 高达 "
    "约 近 将近 接近 突破 实现 累计 共 共有 共计 合计 总计 总共 一共 已 已有 已经 另有 保持 高出 至少 多 余 以上 "
    "左右 分别 均 同期 较 比 相比 相较 占 占比 为 是 有 数量 规模 总额 截至 截止 目前 其中 此外 另外 同时 期间 "
    "今年 去年 当天 当日 全年 约为 仅 只 还 再 又 也 都".split())
_FIGURE_WORD = re.compile(r"[0-9.,%]+|[零〇一二两三四五六七八九十百千万亿]+")
_SKIP_UNITS = ("date", "time")
_FRAMING = 3  # clauses without figures that may stand before a figure's clause, in its sentence


@dataclass(frozen=True)
class Unbound:
    """A figure the cited passages state, but never with these words of the answer (or its measure)."""

    figure: Quantity
    words: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    """One clause of a passage: its figures (with their measure words), and its window's words."""

    figures: tuple[tuple[Quantity, str], ...]
    words: frozenset[str]  # the window's tokens
    text: str  # the window, folded
    own_words: frozenset[str]  # the clause's own tokens and text, for rival clauses
    own_text: str
    topic: frozenset[str]

    def has(self, word: str) -> bool:
        return word in self.words or word in self.text

    def owns(self, word: str) -> bool:
        return word in self.own_words or word in self.own_text

    @property
    def counts(self) -> bool:
        return any(q.unit not in _SKIP_UNITS for q, _ in self.figures)


@dataclass(frozen=True)
class PassageMap:
    """A passage read clause by clause, for binding figures."""

    places: tuple[Place, ...]
    words: frozenset[str]
    text: str

    def has(self, word: str) -> bool:
        return word in self.words or word in self.text

    @classmethod
    def of(cls, text: str, quantities: Sequence[Quantity]) -> PassageMap:
        """`quantities` are the passage's figures (extract_quantities(text, loose=True))."""
        clauses = split_clauses(text)
        figures = [tuple((q, measure_after(text, q.end)) for q in quantities if c.start <= q.start < c.end)
                   for c in clauses]
        places, topic = [], frozenset[str]()
        for i, c in enumerate(clauses):
            window = text[_window_start(clauses, figures, i):c.end]
            words = _tokens(window)
            topic = frozenset(w for w in words if _actor(w)) or topic
            places.append(Place(figures[i], words, fold(window), _tokens(c.text), fold(c.text), topic))
        return cls(tuple(places), _tokens(text), fold(text))


def unbound_figures(sentence: str, quantities: Sequence[Quantity], passages: Sequence[PassageMap]
                    ) -> tuple[Unbound, ...]:
    """The figures of `sentence` (its `quantities`) that no place of `passages` binds. A figure found
    in no passage at all is not reported here: that is the checker's "not in passage"."""
    clauses = split_clauses(sentence)
    out = []
    for q in quantities:
        if q.unit in _SKIP_UNITS:
            continue
        i = next((k for k, c in enumerate(clauses) if c.start <= q.start < c.end), None)
        if i is None:
            continue
        words, names = _claim(sentence, clauses, quantities, i, q)
        measure = measure_after(sentence, q.end)
        missing = _best(q, measure, words, names, passages)
        if missing is not None:
            out.append(Unbound(q, missing))
    return tuple(out)


def _best(q: Quantity, measure: str, words: set[str], names: set[str], passages: Sequence[PassageMap]
          ) -> tuple[str, ...] | None:
    """None when some place binds `q`; else the fewest words missing at any place holding it."""
    best: tuple[str, ...] | None = None
    for pm in passages:
        for place in pm.places:
            found = [m for p, m in place.figures if same_quantity(q, p)]
            if not found:
                continue
            if not any(same_measure(measure, m) for m in found):
                missing: tuple[str, ...] = (measure,)
            else:
                missing = _missing(place, pm, words, names)
                if not missing:
                    return None
            if best is None or len(missing) < len(best):
                best = missing
    return best


def _missing(place: Place, pm: PassageMap, words: set[str], names: set[str]) -> tuple[str, ...]:
    """() when `place` binds a figure with these words and names, else the words not found with it."""
    named = [n for n in sorted(names) if pm.has(n)]
    clash = named if place.topic and not any(place.has(n) or n in place.topic for n in named) else []
    held = [w for w in sorted(words) if pm.has(w)]
    inside = [w for w in held if place.has(w)]
    rivals = [p for p in pm.places if p is not place and p.counts]
    rival = [w for w in held if w not in inside and any(p.owns(w) for p in rivals)]
    ok = not held or (inside and len(inside) >= len(rival))
    if ok and not clash:
        return ()
    return tuple(clash) + tuple(w for w in held if w not in inside)


def _claim(sentence: str, clauses: list[Clause], quantities: Sequence[Quantity], i: int, q: Quantity
           ) -> tuple[set[str], set[str]]:
    """The answer's words and names for figure `q` of clause `i` (see the module docstring)."""
    clause = clauses[i]
    counted = [p for p in quantities if p.unit not in _SKIP_UNITS and clause.start <= p.start < clause.end]
    k = counted.index(q)
    a = counted[k - 1].end if k else clause.start
    b = counted[k + 1].start if k + 1 < len(counted) else clause.end
    figures = [[(p, "") for p in quantities if c.start <= p.start < c.end] for c in clauses]
    start = _window_start(clauses, figures, i)
    stretch = _masked(sentence, quantities, start, clause.start) + "，" + _masked(sentence, quantities, a, b)
    whole = _masked(sentence, quantities, start, clause.end)
    names = {w for w in _tokens(whole) if _actor(w)}
    words = {w for w in _tokens(stretch) if _content(w) and w not in names}
    return _outermost(words), names


def _window_start(clauses: list[Clause], figures: list, i: int) -> int:
    """Where clause `i`'s window starts: at the earliest of the (at most _FRAMING) clauses just before
    it, in its sentence, that hold no figure but dates and times."""
    j = i
    while (j > 0 and i - j < _FRAMING and clauses[j - 1].sentence == clauses[i].sentence
           and all(q.unit in _SKIP_UNITS for q, _ in figures[j - 1])):
        j -= 1
    return clauses[j].start


def _masked(text: str, quantities: Sequence[Quantity], a: int, b: int) -> str:
    """text[a:b] with its figures and citation markers blanked out (so they give no words)."""
    chars = list(text[a:b])
    for q in quantities:
        for k in range(max(q.start, a), min(q.end, b)):
            chars[k - a] = " "
    return re.sub(r"[\[［【][0-9０-９,，、\s]*[\]］】]", " ", "".join(chars))


def _content(word: str) -> bool:
    return (word not in NEUTRAL and len(word) >= 2 and not _FIGURE_WORD.fullmatch(word)
            and not (is_name(word) and not _actor(word)))


def _actor(word: str) -> bool:
    """A name that says who or where (京东, 北京, 联合国), not when (双11, 618, 年货节, 春节)."""
    if any(ch.isdigit() for ch in word) or word.endswith("节") or "星期" in word:
        return False
    return is_name(word) or name_tag(word) in ("nrt", "nrfg")


def _outermost(words: set[str]) -> set[str]:
    """`words` less those inside another of them: the tokenizer also gives a domain word's parts."""
    return {w for w in words if not any(w != v and w in v for v in words)}


@lru_cache(maxsize=1)
def _tokenizer():  # noqa: ANN202 - Tokenizer, imported here: jieba loads on first use
    from rag.text.tokenize import Tokenizer

    return Tokenizer()


def _tokens(text: str) -> frozenset[str]:
    return frozenset(_tokenizer().tokens(text))
