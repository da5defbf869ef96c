"""`--min-answer 0.8` and friends: the levels CI holds the line at.

>>> s = {"answer": 0.85, "refusal_recall": 0.5}
>>> [c.message for c in check(s, {"answer": 0.8, "refusal_recall": 0.6}, "lexical") if not c.passed]
['lexical: refusal recall 0.500 is below --min-refusal 0.600']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

# metric field of ModeSummary -> (flag, words)
THRESHOLDS = {
    "answer": ("--min-answer", "answer accuracy"),
    "refusal_recall": ("--min-refusal", "refusal recall"),
    "multiturn": ("--min-multiturn", "multi-turn accuracy"),
    "citation_precision": ("--min-citation", "citation precision"),
    "hit5": ("--min-hit5", "retrieval hit@5"),
}


@dataclass(frozen=True)
class Check:
    metric: str
    minimum: float
    value: float | None
    mode: str

    @property
    def passed(self) -> bool:
        return self.value is not None and self.value >= self.minimum

    @property
    def message(self) -> str:
        flag, words = THRESHOLDS[self.metric]
        got = "not measured" if self.value is None else f"{self.value:.3f}"
        verdict = "meets" if self.passed else "is below"
        return f"{self.mode}: {words} {got} {verdict} {flag} {self.minimum:.3f}"

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "flag": THRESHOLDS[self.metric][0], "minimum": self.minimum,
                "value": self.value, "mode": self.mode, "passed": self.passed}


def check(summary: Mapping[str, Any], minimums: Mapping[str, float | None], mode: str) -> list[Check]:
    """One Check per threshold given; `summary` is a ModeSummary's dict."""
    return [Check(m, float(v), summary.get(m), mode) for m, v in minimums.items() if v is not None]
