"""The citation checker: every figure in an answer must appear in a passage it cites.

    >>> r = check_answer("天猫累计373个品牌破亿元[1]。京东投入50亿元[1]。", {1: "累计373个品牌"})
    >>> r.kept_text, r.dropped
    ('天猫累计373个品牌破亿元[1]。', ('京东投入50亿元[1]。',))

Sentences end at 。！？；!?;, an English full stop or a newline, never inside 21.6亿. Markers that
directly follow the end punctuation ("…品牌。[1]") belong to the sentence before.
A sentence is "supported" (valid markers, and each figure is in a cited passage, in a
clause about what the sentence says it counts: see binding.py), "unsupported" (dropped),
or "neutral" (no figures and no markers, e.g. "综上所述：").
Markers pointing at no given passage are reported and removed from `kept_text`.
Matching is pure: passage text is data, whatever it says.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping

from rag.answer.binding import PassageMap, Unbound, unbound_figures
from rag.text.numbers import Quantity, extract_quantities, same_quantity

# [1] [1,2] [1、2] ［1］ 【1】, with half- or full-width digits.
MARKER = re.compile(r"[\[［【]\s*([0-9０-９]+(?:\s*[,，、]\s*[0-9０-９]+)*)\s*[\]］】]")
# An English "." ends a sentence only after a letter, % or ] and before a space and a
# non-digit (or the end), so 21.6亿, "1. " list items and "Oct. 31" stay whole.
_STOP = r"(?:[。！？；!?;]+|(?<=[A-Za-z%)\]])\.(?=[ \t]+[^0-9\s]|\s*$))"
_END = re.compile(rf"{_STOP}[”’」』）)\"']*(?:[ \t\u3000]*{MARKER.pattern})*|\n+")


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of an answer and the verdict on it."""

    text: str
    start: int
    end: int
    markers: tuple[int, ...]
    quantities: tuple[Quantity, ...]
    unsupported: tuple[Quantity, ...]
    bad_markers: tuple[int, ...]
    status: str  # "supported", "unsupported" or "neutral"
    reason: str = ""  # for unsupported: "no_marker", "bad_marker", "not_in_passage" or "figure_not_bound"
    unbound: tuple[Unbound, ...] = ()  # for "figure_not_bound": each figure and the words not found with it


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a whole answer. `kept_text` is the answer without the dropped sentences."""

    sentences: tuple[SentenceCheck, ...]
    kept_text: str
    dropped: tuple[str, ...]
    ok: bool

    @property
    def bad_markers(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(n for s in self.sentences for n in s.bad_markers))

    def to_dict(self) -> dict[str, Any]:
        checked = [s for s in self.sentences if s.status != "neutral"]
        return {
            "checked_sentences": len(checked),
            "checked_numbers": sum(len(s.quantities) for s in self.sentences),
            "supported": sum(s.status == "supported" for s in self.sentences),
            "dropped": [_dropped(s) for s in self.sentences if s.status == "unsupported"],
            "bad_markers": list(self.bad_markers),
        }


def _dropped(s: SentenceCheck) -> dict[str, Any]:
    out: dict[str, Any] = {"sentence": s.text.strip(), "reason": s.reason,
                           "numbers": [q.surface for q in s.unsupported], "markers": list(s.markers)}
    if s.unbound:
        out["not_bound"] = [{"number": u.figure.surface, "words": list(u.words)} for u in s.unbound]
    return out


def _group_numbers(group: str) -> list[int]:
    return [int(unicodedata.normalize("NFKC", n)) for n in re.split(r"\s*[,，、]\s*", group.strip())]


def cited_markers(text: str) -> list[int]:
    """Marker numbers in order of first appearance.

    >>> cited_markers("甲[2]乙[1,3]丙【2】")
    [2, 1, 3]
    """
    seen: dict[int, None] = {}
    for m in MARKER.finditer(text):
        seen.update(dict.fromkeys(_group_numbers(m[1])))
    return list(seen)


def renumber(text: str, mapping: Mapping[int, int]) -> str:
    """Rewrite every marker group as `[a][b]` through `mapping`; numbers missing
    from `mapping` are removed, and a group left empty disappears.

    >>> renumber("甲[3]乙[1、3]丙[2]", {3: 1, 1: 2})
    '甲[1]乙[2][1]丙'
    """

    def one(m: re.Match[str]) -> str:
        new = dict.fromkeys(mapping[n] for n in _group_numbers(m[1]) if n in mapping)
        return "".join(f"[{n}]" for n in new)

    return MARKER.sub(one, text)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans that tile `text`; trailing markers stay with their sentence.

    >>> t = "甲增长21.6亿。[1]乙！\\n丙"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['甲增长21.6亿。[1]', '乙！', '\\n', '丙']
    """
    spans, start = [], 0
    for m in _END.finditer(text):
        if m[0][0] == "\n":  # a run of newlines is its own (neutral) span
            if m.start() > start:
                spans.append((start, m.start()))
            spans.append((m.start(), m.end()))
        else:
            spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _check_sentence(text: str, start: int, end: int, passages: _Passages) -> SentenceCheck:
    sentence = text[start:end]
    markers = tuple(cited_markers(sentence))
    bad = tuple(n for n in markers if n not in passages.texts)
    valid = [n for n in markers if n in passages.texts]
    quantities = tuple(extract_quantities(sentence))
    pool = [p for n in valid for p in passages.quantities(n)]
    missing = tuple(q for q in quantities if not any(same_quantity(q, p) for p in pool))
    if quantities and not valid:
        reason = "bad_marker" if markers else "no_marker"
        return SentenceCheck(sentence, start, end, markers, quantities, quantities, bad, "unsupported", reason)
    if missing:
        return SentenceCheck(sentence, start, end, markers, quantities, missing, bad, "unsupported", "not_in_passage")
    unbound = unbound_figures(sentence, quantities, [passages.map(n) for n in valid]) if quantities else ()
    if unbound:
        return SentenceCheck(sentence, start, end, markers, quantities, tuple(u.figure for u in unbound), bad,
                             "unsupported", "figure_not_bound", unbound)
    status = "supported" if valid else "neutral"
    return SentenceCheck(sentence, start, end, markers, quantities, (), bad, status)


class _Passages:
    """The cited passages, each read once and only when a sentence needs it."""

    def __init__(self, texts: Mapping[int, str]) -> None:
        self.texts = texts
        self._quantities: dict[int, list[Quantity]] = {}
        self._maps: dict[int, PassageMap] = {}

    def quantities(self, n: int) -> list[Quantity]:
        # Passages are read loosely: an extra candidate there can only help a claim
        # that states that very figure, never make one up.
        if n not in self._quantities:
            self._quantities[n] = extract_quantities(self.texts[n], loose=True)
        return self._quantities[n]

    def map(self, n: int) -> PassageMap:
        if n not in self._maps:
            self._maps[n] = PassageMap.of(self.texts[n], self.quantities(n))
        return self._maps[n]


def _drop_markers(sentence: str, bad: tuple[int, ...]) -> str:
    if not bad:
        return sentence
    keep = {n: n for n in cited_markers(sentence) if n not in bad}
    return renumber(sentence, keep)


def check_answer(text: str, passages: Mapping[int, str]) -> CheckResult:
    """Check each sentence of `text` against the passages its `[n]` markers cite.
    `passages` maps a marker number to the cited passage text."""
    found = _Passages(passages)
    checks = tuple(_check_sentence(text, a, b, found) for a, b in split_sentences(text))
    kept = "".join(_drop_markers(s.text, s.bad_markers) for s in checks if s.status != "unsupported")
    kept = re.sub(r"\n{3,}", "\n\n", kept).strip()
    dropped = tuple(s.text.strip() for s in checks if s.status == "unsupported")
    ok = not dropped and not any(s.bad_markers for s in checks)
    return CheckResult(checks, kept, dropped, ok)
