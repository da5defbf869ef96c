"""How well does a piece of evidence cover a question? The basis of honest refusals.

Each content word of the question weighs its IDF in the corpus; a word the corpus
never uses weighs almost the maximum IDF, because it names something the documents
do not talk about ("拼多多", "618", "天气"). Coverage is the weighted share of the
question's words found in the evidence; below the threshold the answer is refused.

>>> q = QuestionTerms({"天猫": 2.0, "破亿": 1.0, "拼多多": 3.0}, {})
>>> round(coverage(q, {"天猫", "破亿", "品牌"}), 2)
0.5
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Sequence

from .bm25 import BM25
from .tokenize import Tokenizer
from .types import Message

OOV_FACTOR = 0.8  # an unknown word weighs this share of the maximum IDF
_CJK_OR_ALNUM2 = re.compile(r"^([\u4e00-\u9fff]{2,}|[a-z0-9][a-z0-9.%]+)$")


@dataclass(frozen=True)
class QuestionTerms:
    """Weighted content words of the question, and of the conversation before it."""

    main: dict[str, float]
    context: dict[str, float]


def term_weights(tokens: Sequence[str], bm25: BM25) -> dict[str, float]:
    weights: dict[str, float] = {}
    for t in tokens:
        idf = bm25.idf_of(t)
        if idf is None:
            idf = bm25.max_idf * (OOV_FACTOR if _CJK_OR_ALNUM2.match(t) else 0.25)
        weights[t] = idf
    return weights


def question_terms(question: str, history: Sequence[Message], tokenizer: Tokenizer, bm25: BM25,
                   followup: bool) -> QuestionTerms:
    main = term_weights(tokenizer.tokens(question), bm25)
    context: dict[str, float] = {}
    if followup:
        from .followup import context_text

        context = {t: w for t, w in term_weights(tokenizer.tokens(context_text(history)), bm25).items()
                   if t not in main}
    return QuestionTerms(main, context)


def coverage(q: QuestionTerms, evidence: Collection[str], context_weight: float = 0.3) -> float:
    """Weighted share of question words present in the evidence tokens (0..1)."""
    total = sum(q.main.values()) + context_weight * sum(q.context.values())
    if total <= 0:
        return 0.0
    got = sum(w for t, w in q.main.items() if t in evidence)
    got += context_weight * sum(w for t, w in q.context.items() if t in evidence)
    return got / total


def missing_terms(q: QuestionTerms, evidence: Collection[str]) -> list[str]:
    return [t for t in q.main if t not in evidence]
