"""Which retrieved sentence answers the question? A small learned model over general features.

Every candidate sentence (candidates.py) gets the features below; linear weights, fitted on
questions nobody here tuned rules for (the fit split of CMRC 2018) and the gold set so that
each question's right sentence ranks first (a softmax over its candidates), then scaled into
the probability that the sentence holds the answer (a logistic calibration). The weights are
plain JSON (`data/selector.json`), applied here without scikit-learn; they are rebuilt by
`python -m rag.evaluation.fit_selector`. The same probability, against the fitted
`threshold`, decides whether the best evidence is good enough to answer at all.

Features (all general, none about a topic): the sentence's own coverage of the question's
words and with its subject from around it, names of the question it misses, sentence-level
BM25 against the question (relative to the best candidate), the answer type the question
asks for (quantity, time, person, place, org) and whether the sentence has such a span that
is not a question word, how near it sits to the question words the sentence repeats, how
much of the sentence is new to the question, the chunk's rank and score, the sentence's
position and length, the hand-weighted score of candidates.py, and how closely the sentence
repeats the question character by character (surface.py: longest shared run, shared pairs, the
words around the question word, how much of the article's title the question names), and how
much of the question's leading phrase, its topic, the sentence's passage repeats.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from rag.answer.answer_type import Span, expected_type, typed_spans
from rag.answer.candidates import Candidate
from rag.answer.support import QuestionTerms
from rag.answer.surface import REFERS, around_wh, longest_shared, pair_share, question_text, title_share, topic, topic_share
from rag.index.bm25 import BM25
from rag.text.tokenize import Tokenizer, fold

_CLAUSE = re.compile(r"[，,；;。！？!?]")
WEIGHTS = Path(__file__).parent / "data" / "selector.json"
FEATURES = ("own", "support", "missing", "bm25_rel", "bm25_top", "own_rel", "type_asked", "has_type",
            "type_near", "novel", "rank_inv", "hit_rel", "pos_inv", "loglen", "short", "hand", "hand_rel",
            "rest", "rest_rel", "rest_top", "rest_share", "lcs", "lcs_rel", "pairs", "pairs_rel", "wh_left",
            "wh_right", "title_cov", "doc_pos", "title_in_q",
            "refers", "topic")


@dataclass(frozen=True)
class Scored:
    """One candidate's features, and its best answer span of the asked type (if any)."""

    features: tuple[float, ...]
    span: Span | None


def featurize(question: str, q: QuestionTerms, cands: Sequence[Candidate], tokenizer: Tokenizer,
              bm25: BM25) -> list[Scored]:
    kind = expected_type(question)
    qtext = fold(question)
    qtoks = set(q.main)
    idf = {t: (bm25.idf_of(t) or bm25.max_idf) for t in qtoks}
    toks = [tokenizer.tokens(c.sentence.text) for c in cands]
    lexical = [sum(idf[t] for t in set(ts) & qtoks) for ts in toks]
    top_lex = max(lexical, default=0.0) or 1.0
    top_own = max((c.own for c in cands), default=0.0)
    top_hand = max((c.score for c in cands), default=0.0)
    top_hit = max((c.hit_score for c in cands), default=0.0) or 1.0
    qchars = question_text(question)
    folded = [fold(c.sentence.text) for c in cands]
    lcs = [longest_shared(qchars, s) for s in folded]
    pairs = [pair_share(qchars, s) for s in folded]
    titles = {c.chunk.title: fold(c.chunk.title) for c in cands}
    # The words of the question that its article's title does not already say: the subject
    # ("黄鳍紫鱼") is in every sentence's title, while the answer's sentence says "本鱼…以甲壳类为食".
    rest = [_rest(q, idf, titles[c.chunk.title], set(ts)) for c, ts in zip(cands, toks)]
    top_rest = max(rest, default=0.0)
    top_lcs, top_pairs = max(lcs, default=0.0), max(pairs, default=0.0)
    total = sum(idf.values()) or 1.0
    # Is the passage about what the question is about? Its leading phrase in the chunk or its title.
    head = topic(qchars)
    about = {c.chunk.chunk_id: topic_share(head, question_text(f"{c.chunk.title} {c.chunk.text}")) for c in cands}
    out = []
    for c, ts, lex, r, lc, pr, fs in zip(cands, toks, lexical, rest, lcs, pairs, folded):
        span, dist = best_span(c.sentence.text, kind, qtext, qtoks | q.names)
        n = len(c.sentence.text)
        novel = sum(t not in qtoks for t in ts) / (len(ts) or 1)
        f = (c.own, c.support, float(len(c.missing_names)), lex / top_lex, float(lex >= top_lex),
             c.own - top_own, float(bool(kind)), float(span is not None),
             1.0 / (1.0 + dist / 8.0) if span is not None else 0.0, novel, 1.0 / (1 + c.rank),
             c.hit_score / top_hit, 1.0 / (1 + c.position), math.log1p(n) / 5.0, float(n < 6), c.score,
             c.score - top_hand, r, r - top_rest, float(r >= top_rest and top_rest > 0),
             r - lex / total, lc, lc - top_lcs, pr, pr - top_pairs, *around_wh(qchars, fs),
             sum(w for t, w in idf.items() if t in titles[c.chunk.title]) / total, math.log1p(c.sentence.start) / 8.0,
             title_share(qchars, titles[c.chunk.title]), float(bool(REFERS.match(fs))), about[c.chunk.chunk_id])
        out.append(Scored(f, span))
    return out


def _rest(q: QuestionTerms, idf: dict[str, float], title: str, sentence: set[str]) -> float:
    """IDF-weighted share of the question words outside the title that the sentence has."""
    rest = {t: idf[t] for t in q.main if t not in title}
    total = sum(rest.values())
    return sum(w for t, w in rest.items() if t in sentence) / total if total else 0.0


def best_span(text: str, kind: str, qtext: str, qtoks: set[str]) -> tuple[Span | None, float]:
    """The span of the asked kind nearest to the question words the sentence repeats;
    a span that is itself in the question ("2019年" of "2019年…有多少") is no answer."""
    if not kind:
        return None, 0.0
    folded = fold(text)
    words = [t for t in qtoks if len(t) >= 2]
    anchors = [i for t in words for i in _positions(folded, t)]
    # The clause that repeats most of the question holds its answer: "全年有58个品牌破亿元，另有近300个
    # 品牌破千万元" answers "多少品牌破亿" with 58个, though 300个 sits as near to "品牌".
    bounds = [0] + [m.end() for m in _CLAUSE.finditer(folded)] + [len(folded)]
    best, best_key = None, (math.inf, math.inf)
    for s in typed_spans(text):
        if s.kind != kind or fold(s.text) in qtext:
            continue
        lo = max(b for b in bounds if b <= s.start)
        hi = min((b for b in bounds if b > s.start), default=len(folded))
        clause = folded[lo:hi]
        d = min((abs(a - s.start) if a < s.start else abs(s.end - a) for a in anchors), default=len(text))
        key = (-sum(t in clause for t in words), d)
        if key < best_key:
            best, best_key = s, key
    return best, (best_key[1] if best is not None else 0.0)


def _positions(text: str, term: str) -> list[int]:
    out, i = [], text.find(term)
    while i >= 0 and len(out) < 5:
        out.append(i + len(term) // 2)
        i = text.find(term, i + 1)
    return out


@dataclass(frozen=True)
class Selector:
    """Standardize, weigh, squash: `prob(features)`; `threshold` below which the answer is refused."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def prob(self, features: Sequence[float]) -> float:
        z = self.intercept + sum(w * (x - m) / s for w, x, m, s in zip(self.coef, features, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict:
        return {"features": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, d: dict) -> "Selector":
        return cls(tuple(d["features"]), tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]),
                   float(d["intercept"]), float(d["threshold"]))


REFUSAL_FEATURES = FEATURES + ("prob", "unseen", "unseen_name", "unseen_top")


def question_features(q: QuestionTerms, bm25: BM25) -> tuple[float, float, float]:
    """What the documents never say, whatever the sentence: the weighted share of the question's
    words that no document uses, whether one of its names is such a word ("罗保铭" over articles
    that never mention him), and whether its rarest word is. The refusal model reads them."""
    total = sum(q.main.values()) or 1.0
    unseen = [t for t in q.main if bm25.idf_of(t) is None]
    top = max(q.main, key=q.main.get, default=None)
    return (sum(q.main[t] for t in unseen) / total, float(any(t in q.names for t in unseen)),
            float(top is not None and top in unseen))


@lru_cache(maxsize=4)
def load_refusal(path: str = str(WEIGHTS)) -> Selector | None:
    """The question-level model (the best sentence's features and probability -> the probability that
    the documents answer the question at all), or None when the weights hold none."""
    try:
        sel = Selector.from_dict(json.loads(Path(path).read_text(encoding="utf-8"))["refusal"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sel if sel.names == REFUSAL_FEATURES else None


@lru_cache(maxsize=4)
def load_selector(path: str = str(WEIGHTS)) -> Selector | None:
    """The fitted weights, or None (hand scores) when absent or fitted for other features."""
    try:
        sel = Selector.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sel if sel.names == FEATURES else None
