"""Judging answers: normalization, key facts, evidence chunks, ranks, refusal scores.

Answers are matched after NFKC (full-width folds to half-width), with all
whitespace removed and case folded, so `黄 鑫` matches `黄鑫` and `４０％` matches
`40%`. A key fact is present when any of its variants is a substring.

>>> normalize("作者：赖奇春 黄 鑫 ４０％ GMV")
'作者:赖奇春黄鑫40%gmv'
>>> missing_facts("天猫累计373个品牌成交额破亿元[1]。", (("373",), ("天猫", "Tmall"), ("10月31日",)))
['10月31日']
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Iterable, Sequence

from rag.types import Chunk

_SPACE = re.compile(r"\s+")
_MARKER = re.compile(r"\[\d+\]")
PARTIAL_SHARE = 0.5  # evidence split over chunks: a chunk holding this share of it counts


def normalize(text: str) -> str:
    """NFKC, no whitespace, case-folded: the form answers and facts are compared in."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def evidence_key(text: str) -> str:
    """Letters and digits only, so the raw seed's `关键词: a, b` finds the cleaned `关键词：a、b`.

    >>> evidence_key("7. **政策支持**") == evidence_key("7. 政策支持：")
    True
    """
    return "".join(ch for ch in normalize(text) if unicodedata.category(ch)[0] in "LN")


def missing_facts(answer: str, facts: Sequence[Sequence[str]]) -> list[str]:
    """The key facts (shown by their first variant) that no variant of appears in the answer.

    Citation markers are removed first, so `[1]` never counts as the fact "1".
    """
    text = normalize(_MARKER.sub("", answer))
    return [f[0] for f in facts if not any(normalize(v) in text for v in f)]


def overlaps_evidence(quote: str, evidence: str) -> bool:
    """Is a quoted sentence the evidence, or a part of it (when the evidence spans sentences)?

    >>> overlaps_evidence("天猫“双11”从开启到10月31日24时，累计373个品牌成交额破亿元。", "累计373个品牌 成交额破亿元")
    True
    >>> overlaps_evidence("天猫“双11”从开启到10月31日24时，", "天猫“双11”从开启到10月31日24时，累计373个品牌成交额破亿元")
    True
    >>> overlaps_evidence("超过7000个商家直播间成交额实现同比翻倍。", "超过1万个品牌的成交额实现同比翻倍")
    False
    """
    ev, key = evidence_key(evidence), evidence_key(quote)
    return bool(ev and key) and (ev in key or key in ev)


class EvidenceLocator:
    """Which chunks of an index hold a piece of evidence.

    A chunk holds it when its text contains the whole evidence (compared by
    `evidence_key`). When no chunk does, because the evidence straddles two
    chunks, the chunk holding the longest run of it counts, if that run is at
    least half of the evidence; when none does either
    and the evidence names a chunk's link, the chunks of that link count.

    >>> a = Chunk("d:0", "d", "t", "https://x.cn/1", "s", "京东超1.6万个品牌成交额同比增长超3倍。", 0, 20)
    >>> b = Chunk("d:1", "d", "t", "https://x.cn/1", "s", "天猫累计373个品牌破亿元。", 20, 33)
    >>> loc = EvidenceLocator([a, b])
    >>> sorted(loc.chunk_ids("超1.6万个品牌成交额同比增长超3倍")), sorted(loc.chunk_ids("品牌成交额同比增长超3倍。天猫累计373"))
    (['d:0'], ['d:0'])
    >>> sorted(loc.chunk_ids("链接: https://x.cn/1")), sorted(loc.chunk_ids("拼多多"))
    (['d:0', 'd:1'], [])
    """

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self.chunks = list(chunks)
        self.keys = [evidence_key(c.text) for c in self.chunks]
        self._cache: dict[str, tuple[frozenset[str], str]] = {}

    def chunk_ids(self, evidence: str) -> frozenset[str]:
        return self.locate(evidence)[0]

    def locate(self, evidence: str) -> tuple[frozenset[str], str]:
        """The chunk ids, and how they were found: "text", "split" (straddling), "link", or "" (not found)."""
        if evidence not in self._cache:
            self._cache[evidence] = self._locate(evidence_key(evidence))
        return self._cache[evidence]

    def _locate(self, ev: str) -> tuple[frozenset[str], str]:
        if not ev:
            return frozenset(), ""
        whole = frozenset(c.chunk_id for c, k in zip(self.chunks, self.keys) if ev in k)
        if whole:
            return whole, "text"
        runs = [_longest_common(ev, k) for k in self.keys]
        best = max(runs, default=0)
        if best >= max(2, len(ev) * PARTIAL_SHARE):
            return frozenset(c.chunk_id for c, n in zip(self.chunks, runs) if n == best), "split"
        link = frozenset(c.chunk_id for c in self.chunks if c.url and evidence_key(c.url) in ev)
        return link, "link" if link else ""


def _longest_common(a: str, b: str) -> int:
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def first_rank(ranked_ids: Sequence[str], wanted: Iterable[str]) -> int | None:
    """0-based rank of the first wanted id, or None.

    >>> first_rank(["a", "b", "c"], {"c", "b"}), first_rank(["a"], {"z"})
    (1, None)
    """
    wanted = set(wanted)
    return next((i for i, cid in enumerate(ranked_ids) if cid in wanted), None)


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose evidence is in the top k.

    >>> hit_at([0, 2, None, 4], 3)
    0.5
    """
    return sum(r is not None and r < k for r in ranks) / len(ranks) if ranks else None


def mrr(ranks: Sequence[int | None]) -> float | None:
    """Mean reciprocal rank; a miss counts 0.

    >>> mrr([0, 1, None, 3])
    0.4375
    """
    return sum(1 / (r + 1) for r in ranks if r is not None) / len(ranks) if ranks else None


@dataclass(frozen=True)
class RefusalScores:
    """Refusal as a detector: positives are the questions that must be refused.

    >>> s = RefusalScores.of([(True, True), (True, False), (False, True), (False, False), (False, False)])
    >>> s.tp, s.fp, s.fn, s.tn, s.precision, s.recall
    (1, 1, 1, 2, 0.5, 0.5)
    """

    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def of(cls, pairs: Iterable[tuple[bool, bool]]) -> "RefusalScores":
        """`pairs` are (must_refuse, refused)."""
        pairs = list(pairs)
        return cls(sum(m and r for m, r in pairs), sum(r and not m for m, r in pairs),
                   sum(m and not r for m, r in pairs), sum(not m and not r for m, r in pairs))

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None
