"""How well does a piece of evidence cover a question? The basis of honest refusals.

Each content word of the question weighs its IDF in the corpus, scaled by its kind
(names and numbers weigh most, verbs and adverbs least: see lexicon.py). A word
the corpus never uses weighs a share of the maximum IDF by kind, because an
unknown name ("拼多多", "618") means the documents do not talk about it, while an
unknown verb ("接待") is only a paraphrase.

A word is present in the evidence when it is one of its tokens or a substring of
its text; otherwise it earns partial credit for the share of its character
bigrams found there ("订单数" in a text saying "订单量" earns 0.5 x PARTIAL).

>>> q = QuestionTerms({"天猫": 2.0, "破亿": 1.0, "拼多多": 3.0}, {}, frozenset({"拼多多"}))
>>> round(coverage(q, Evidence.of({"天猫", "破亿"}, "天猫破亿")), 2)
0.5
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Sequence

from rag.answer.subject import subject_words
from rag.index.bm25 import BM25
from rag.text.lexicon import ENTITY, NOUN, WEAK, is_name, word_class
from rag.text.tokenize import Tokenizer, fold

# A word the documents never use weighs this share of the maximum IDF, by kind.
OOV_FACTOR = {ENTITY: 0.9, NOUN: 0.45, WEAK: 0.1}
# A word the documents use weighs its IDF, times this, by kind.
VOCAB_FACTOR = {ENTITY: 1.0, NOUN: 0.9, WEAK: 0.5}
PARTIAL = 0.7
# Relative time words are tagged like dates but rarely decide anything.
_SOFT_TIME = {"最近", "目前", "现在", "当前", "近期", "如今", "日前", "当下", "之前", "以来", "期间", "同期"}
_STRONG_TIME = {"去年", "前年", "明年", "后年", "上半年", "下半年", "春节", "元旦", "国庆"}


@dataclass(frozen=True)
class QuestionTerms:
    """Weighted content words of the question, of the conversation before it, and
    the question's names: words that evidence must contain to be about the same thing."""

    main: dict[str, float]
    context: dict[str, float]
    names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Evidence:
    tokens: frozenset[str]
    text: str  # folded (NFKC, lower case)

    @classmethod
    def of(cls, tokens: Collection[str], text: str) -> "Evidence":
        return cls(frozenset(tokens), fold(text))

    def presence(self, term: str) -> float:
        if term in self.tokens or term in self.text:
            return 1.0
        if len(term) < 2:
            return 0.0
        grams = [term[i:i + 2] for i in range(len(term) - 1)]
        return PARTIAL * sum(g in self.text for g in grams) / len(grams)


def kind_of(term: str) -> str:
    if term in _SOFT_TIME:
        return WEAK
    if term in _STRONG_TIME:
        return ENTITY
    return word_class(term)


def term_weights(tokens: Sequence[str], bm25: BM25) -> dict[str, float]:
    weights: dict[str, float] = {}
    for t in tokens:
        idf = bm25.idf_of(t)
        kind = kind_of(t)
        if idf is None and kind == ENTITY and not is_name(t):
            kind = NOUN  # a new word the segmenter found only in the question: likely a paraphrase
        weights[t] = bm25.max_idf * OOV_FACTOR[kind] if idf is None else idf * VOCAB_FACTOR[kind]
    return weights


def question_terms(question: str, context: str, tokenizer: Tokenizer, bm25: BM25) -> QuestionTerms:
    """Weighted words of the (standalone) question, and of earlier context, weighed apart."""
    tokens = tokenizer.tokens(question)
    main = term_weights(tokens, bm25)
    names = _names(tokens)
    context_tokens = tokenizer.tokens(context)
    if not names:
        # "这个计划投入多少钱？" after a question about 京东 is still about 京东.
        names = _names(context_tokens)
    # "丙平台", "XY公司": names the dictionary cannot know; the evidence must say them too.
    names |= subject_words(question)
    context_terms = {t: w for t, w in term_weights(context_tokens, bm25).items() if t not in main}
    return QuestionTerms(main, context_terms, names)


def _names(tokens: Sequence[str]) -> frozenset[str]:
    return frozenset(t for t in tokens if t in _STRONG_TIME or (t not in _SOFT_TIME and is_name(t)))


def weigher(bm25: BM25):
    """A one-word version of term_weights, for ranking words of a question."""
    return lambda t: term_weights([t], bm25)[t]


def coverage(q: QuestionTerms, ev: Evidence, context_weight: float = 0.5) -> float:
    """Weighted share of question words present in the evidence (0..1)."""
    total = sum(q.main.values()) + context_weight * sum(q.context.values())
    if total <= 0:
        return 0.0
    got = sum(w * ev.presence(t) for t, w in q.main.items())
    got += context_weight * sum(w * ev.presence(t) for t, w in q.context.items())
    return got / total


def missing_terms(q: QuestionTerms, ev: Evidence) -> list[str]:
    return [t for t in q.main if ev.presence(t) < 1.0]


def missing_names(q: QuestionTerms, ev: Evidence) -> list[str]:
    """Names of the question that the evidence never mentions: it is about something else."""
    return [t for t in q.names if ev.presence(t) < 1.0]
