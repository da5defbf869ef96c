"""The offline answerer: quote the sentence(s) that answer the question, with [n] markers.

For every sentence of the retrieved chunks, score how much of the question it
covers (IDF-weighted), with a little credit for its surroundings (the sentence
before it, its section and title), the chunk's rank, and the kind of answer asked
for (a figure for "多少", a person for "谁"). The best one or two sentences are the
answer, quoted verbatim so every figure is exactly the document's. When even the
best evidence covers too little of the question, the answer is a refusal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Sequence

from .bm25 import BM25
from .followup import is_followup
from .sentences import Sentence, split_sentences
from .support import QuestionTerms, coverage, missing_terms, question_terms
from .tokenize import Tokenizer
from .types import Citation, Draft, Hit, Message

REFUSAL_ZH = "根据现有资料无法回答该问题。"
REFUSAL_EN = "The documents do not contain an answer to this question."
_ASKS_NUMBER = re.compile(r"多少|几|数量|比例|比重|百分|增长|增幅|规模|金额|多大|多高|倍|how (many|much)|percent", re.I)
_ASKS_WHO = re.compile(r"谁|哪位|哪些人|作者|专家|记者|who", re.I)
_HAS_DIGIT = re.compile(r"\d|[一二三四五六七八九十百千万亿]+(倍|万|亿|成)")
_SPEECH = re.compile(r"认为|表示|说|介绍|分析|指出|作者|来源")
_MAX_ANSWER_CHARS = 220


@dataclass(frozen=True)
class Candidate:
    hit: int  # index into hits
    sentence: Sentence
    score: float
    support: float


def is_english(text: str) -> bool:
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return letters > 3 * cjk and letters > 0


def refusal_text(question: str) -> str:
    return REFUSAL_EN if is_english(question) else REFUSAL_ZH


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, tokenizer: Tokenizer, bm25: BM25, min_support: float = 0.6, max_sentences: int = 2) -> None:
        self.tokenizer, self.bm25 = tokenizer, bm25
        self.min_support, self.max_sentences = min_support, max_sentences

    def stream(self, question: str, hits: Sequence[Hit], history: Sequence[Message] = ()) -> Iterator[str | Draft]:
        draft = self.answer(question, hits, history)
        yield draft.text
        yield draft

    def answer(self, question: str, hits: Sequence[Hit], history: Sequence[Message] = ()) -> Draft:
        q = question_terms(question, history, self.tokenizer, self.bm25, is_followup(question, history))
        if not q.main or not hits:
            return self._refuse(question, "the question has no searchable words" if not q.main else "nothing retrieved")
        cands = sorted(self.candidates(question, q, hits), key=lambda c: -c.score)
        if not cands or cands[0].support < self.min_support:
            best = cands[0] if cands else None
            missing = missing_terms(q, self._evidence(hits[best.hit], best.sentence)) if best else list(q.main)
            return self._refuse(question, f"best evidence covers {best.support if best else 0:.0%} of the question; "
                                          f"not found: {'、'.join(missing[:5])}")
        chosen = self._choose(cands, q, hits)
        return self._compose(chosen, hits)

    def candidates(self, question: str, q: QuestionTerms, hits: Sequence[Hit]) -> Iterator[Candidate]:
        wants_number = bool(_ASKS_NUMBER.search(question))
        wants_who = bool(_ASKS_WHO.search(question))
        for i, hit in enumerate(hits):
            sents = split_sentences(hit.chunk.text, offset=hit.chunk.start)
            for j, s in enumerate(sents):
                toks = set(self.tokenizer.tokens(s.text))
                window = self._evidence(hit, s, sents[j - 1] if j else None)
                support = coverage(q, window)
                score = 0.55 * coverage(q, toks) + 0.35 * support + 0.05 / (1 + i)
                if wants_number and _HAS_DIGIT.search(s.text):
                    score += 0.08
                if wants_who and _SPEECH.search(s.text):
                    score += 0.05
                if len(s.text) < 6:
                    score -= 0.2
                yield Candidate(i, s, score, support)

    def _evidence(self, hit: Hit, s: Sentence, prev: Sentence | None = None) -> set[str]:
        """Tokens that may support a sentence: it, the one before it, its section and title."""
        text = f"{hit.chunk.title} {hit.chunk.section} {prev.text if prev else ''} {s.text}"
        return set(self.tokenizer.tokens(text))

    def _choose(self, cands: list[Candidate], q: QuestionTerms, hits: Sequence[Hit]) -> list[Candidate]:
        chosen = [cands[0]]
        covered = set(self.tokenizer.tokens(cands[0].sentence.text))
        for c in cands[1:]:
            if len(chosen) >= self.max_sentences:
                break
            total = sum(len(x.sentence.text) for x in chosen) + len(c.sentence.text)
            if c.score < 0.8 * cands[0].score or total > _MAX_ANSWER_CHARS:
                continue
            if any(_overlaps(c, x, hits) for x in chosen):
                continue
            new = set(self.tokenizer.tokens(c.sentence.text)) & set(q.main) - covered
            if new:
                chosen.append(c)
                covered |= new
        return sorted(chosen, key=lambda c: (c.hit, c.sentence.start))

    def _compose(self, chosen: list[Candidate], hits: Sequence[Hit]) -> Draft:
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for c in chosen:
            chunk = hits[c.hit].chunk
            if chunk.chunk_id not in numbers:
                numbers[chunk.chunk_id] = len(numbers) + 1
                citations.append(Citation(
                    n=numbers[chunk.chunk_id], title=chunk.title, url=chunk.url, text=chunk.text,
                    doc_id=chunk.doc_id, chunk_id=chunk.chunk_id, start=chunk.start, end=chunk.end,
                    section=chunk.section, quote=c.sentence.text, quote_start=c.sentence.start,
                    quote_end=c.sentence.end))
            parts.append(f"{c.sentence.text}[{numbers[chunk.chunk_id]}]")
        support = min(c.support for c in chosen)
        return Draft("".join(parts), False, tuple(citations), {"support": round(support, 3)})

    def _refuse(self, question: str, reason: str) -> Draft:
        return Draft(refusal_text(question), True, (), {"refusal_reason": reason})


def _overlaps(a: Candidate, b: Candidate, hits: Sequence[Hit]) -> bool:
    """Same sentence seen through two overlapping chunks."""
    da, db = hits[a.hit].chunk.doc_id, hits[b.hit].chunk.doc_id
    return da == db and a.sentence.start < b.sentence.end and b.sentence.start < a.sentence.end
