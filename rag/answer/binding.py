"""Is a figure of an answer bound, in a cited passage, to what the answer says it counts?

"X个品牌同比增长超3倍[2]" is not supported by a passage 2 saying "订单量同比增长超3倍，另有X个品牌成交破亿":
both figures are there, but 3倍 is about 订单量. For every figure (not dates and times: they frame
whole sentences) that the checker (check.py) found in a cited passage, this module asks whether
some clause of that passage states it with what it counts.

The answer's side, a `Claim`. Its *words* are the content words (see passage_map.py) of the
figure's stretch of its clause (from the figure before it to the figure after it) and of the
clauses without figures just before it in its sentence ("天猫平台上，共有…"); its *names* the actors
named in those clauses; its *head* the word naming what it measures (the last content word before
it, "服饰品牌订单量增长92%" -> 订单量; else the first after it, "243个品牌" -> 品牌).

The passage's side: each *place* (passage_map.Place) that states the same quantity
(numbers.same_quantity) with a measure word that can count the same thing (measures.same_measure:
3亿元 is not 3亿件). Each of the claim's words the passage uses is *inside* (in the place's window),
in a *rival* clause (one stating another figure: the word belongs to another claim), or neither (a
clause without figures, the passage's setting; or the opening of the place's sentence, the subject
of all its clauses). A word found whole beats one found in part (总收入 / 外部客户收入).

A place binds the figure when
  1. no name clashes: the place's topic is empty (no one is named there, so no one is
     contradicted), or holds one of the claim's names that the passage uses, or its window does.
     One is enough: a name is often shortened ("京东云言犀", later "云言犀");
  2. the words hold: at least one is inside, unless all of them are setting words; and those
     inside are at least as many as the rival ones. Words the passage never uses (paraphrases:
     "服务了" for "支持了") count for neither side;
  3. the head is not misplaced: the claim's head is a rival word while the place's own head is
     a word the claim does not use ("订单量…92%" against "成交额同比增长92%，订单量同比增长90%").
A figure with no words and no names the passage uses is bound wherever the passage states it.

    >>> from rag.text.numbers import extract_quantities as ex
    >>> p = "京东订单量同比增长超3倍，另有589个品牌成交破亿。"
    >>> s = "589个品牌同比增长超3倍[1]。"
    >>> [(u.figure.surface, u.words) for u in unbound_figures(s, ex(s), [PassageMap.of(p, ex(p, loose=True))])]
    [('3倍', ('品牌',))]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rag.answer.passage_map import (
    SKIP_UNITS, Figure, PassageMap, Place, actor, content_word, head_word, masked, outermost, stretch, tokens,
    window_start,
)
from rag.text.clauses import Clause, split_clauses
from rag.text.measures import measure_after, same_measure
from rag.text.numbers import Quantity, same_quantity


@dataclass(frozen=True)
class Unbound:
    """A figure the cited passages state, but never with these words of the answer (or its measure)."""

    figure: Quantity
    words: tuple[str, ...]


@dataclass(frozen=True)
class Claim:
    """What an answer says a figure counts: its words, names and head (see the module docstring)."""

    words: frozenset[str]
    names: frozenset[str]
    head: str

    def mentions(self, word: str) -> bool:
        return any(word in w or w in word for w in self.words | self.names)


def unbound_figures(sentence: str, quantities: Sequence[Quantity], passages: Sequence[PassageMap]
                    ) -> tuple[Unbound, ...]:
    """The figures of `sentence` (its `quantities`) that no place of `passages` binds. A figure found
    in no passage at all is not reported here: that is the checker's "not in passage"."""
    clauses = split_clauses(sentence)
    out = []
    for q in quantities:
        if q.unit in SKIP_UNITS:
            continue
        i = next((k for k, c in enumerate(clauses) if c.start <= q.start < c.end), None)
        if i is None:
            continue
        claim = _claim(sentence, clauses, quantities, i, q)
        missing = _best(claim, q, measure_after(sentence, q.end), passages)
        if missing is not None:
            out.append(Unbound(q, missing))
    return tuple(out)


def _best(claim: Claim, q: Quantity, measure: str, passages: Sequence[PassageMap]
          ) -> tuple[str, ...] | None:
    """None when some place binds `q`; else the fewest words missing at any place holding it."""
    best: tuple[str, ...] | None = None
    for pm in passages:
        for place in pm.places:
            found = [f for f in place.figures if same_quantity(q, f.quantity)]
            if not found:
                continue
            if not any(same_measure(measure, f.measure) for f in found):
                missing: tuple[str, ...] = (measure,)
            else:
                missing = _missing(claim, found, place, pm)
                if not missing:
                    return None
            if best is None or len(missing) < len(best):
                best = missing
    return best


def _missing(claim: Claim, found: list[Figure], place: Place, pm: PassageMap) -> tuple[str, ...]:
    """() when `place` binds the claim, else the claim's words not found with the figure there."""
    named = [n for n in sorted(claim.names) if pm.all.has(n, partly=False)]
    clash = named if place.topic and not any(place.window.has(n) or n in place.topic for n in named) else []
    held = [w for w in sorted(claim.words) if pm.all.has(w)]
    sides = {w: _side(w, place, pm) for w in held}
    inside = [w for w in held if sides[w] == "inside"]
    rival = [w for w in held if sides[w] == "rival"]
    claimed = [w for w in held if not pm.plain.has(w)]
    # The head of the claim belongs to another figure's clause, and this one measures something else.
    misheaded = sides.get(claim.head) == "rival" and all(f.head and not claim.mentions(f.head) for f in found)
    if (inside or not claimed) and len(inside) >= len(rival) and not clash and not misheaded:
        return ()
    return tuple(clash) + tuple(w for w in held if w not in inside)


def _side(word: str, place: Place, pm: PassageMap) -> str:
    """"inside" the place's window, in a "rival" clause (another figure's), or "neither"
    (the passage's setting or the sentence's opening). A word found whole beats one found in part:
    总收入 is not inside "外部客户收入539亿元" when another clause says "总收入778亿元"."""
    rivals = [p for p in pm.places if p is not place and p.counts]
    for partly in (False, True):
        if place.window.has(word, partly):
            return "inside"
        if pm.plain.has(word, partly) or place.opening.has(word, partly):
            return "neither"
        if any(p.own.has(word, partly) for p in rivals):
            return "rival"
    return "neither"


def _claim(sentence: str, clauses: list[Clause], quantities: Sequence[Quantity], i: int, q: Quantity) -> Claim:
    """The answer's words, names and head for figure `q` of clause `i` (see the module docstring)."""
    clause = clauses[i]
    a, b = stretch(quantities, q, clause)
    figures = [[p for p in quantities if c.start <= p.start < c.end] for c in clauses]
    start = window_start(clauses, figures, i)
    own = masked(sentence, quantities, start, clause.start) + "，" + masked(sentence, quantities, a, b)
    whole = masked(sentence, quantities, start, clause.end)
    names = frozenset(w for w in tokens(whole) if actor(w))
    words = frozenset(w for w in tokens(own) if content_word(w) and w not in names)
    return Claim(outermost(words), names, head_word(sentence, quantities, quantities, q, clause))


