"""Reciprocal rank fusion: combine rankings without comparing their scores.

score(d) = sum over rankings of weight / (k0 + rank(d)), rank starting at 1.

>>> [(key, round(s, 4)) for key, s in rrf([["a", "b", "c"], ["c", "a"]], k0=60)]
[('a', 0.0325), ('c', 0.0323), ('b', 0.0161)]
"""
from __future__ import annotations

from typing import Hashable, Sequence


def rrf(rankings: Sequence[Sequence[Hashable]], k0: int = 60,
        weights: Sequence[float] | None = None) -> list[tuple[Hashable, float]]:
    weights = weights or [1.0] * len(rankings)
    scores: dict[Hashable, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + w / (k0 + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])
