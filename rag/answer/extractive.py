"""The offline answerer: quote the sentence(s) that answer the question, with [n] markers.

The best one or two sentences (see candidates.py) are the answer, quoted verbatim
so every figure is exactly the document's. The answer is refused when the best
evidence covers too little of the question, is about another name than the one
asked about, or when a figure is asked for and the evidence gives none.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from typing import Iterator, Sequence

from rag.index.bm25 import BM25
from rag.answer.crosslingual import CrossLingual
from rag.answer.candidates import ASKS_WHO, SPEECH, Candidate, SentenceScorer, sentence_before
from rag.text.numbers import extract_quantities, has_figure, same_quantity
from rag.answer.prompting import REFUSAL_EN, REFUSAL_ZH  # one wording for every backend
from rag.answer.answer_type import ORG, PERSON, PLACE, TIME
from rag.answer.asked_unit import ASIDE, asked_unit, gives_unit
from rag.answer.overview import MIN_POINTS, Overview, choose_points, is_intro, items_after, numbered, opening_chunks, \
    read_overview
from rag.answer.parts import answer_parts, split_parts
from rag.answer.short_answer import MAX_LEAD, lead, mirror_span
from rag.answer.selector import Selector, featurize, load_refusal, load_selector, question_features
from rag.answer.support import QuestionTerms, missing_terms, question_terms
from rag.text.english import is_english, translate  # noqa: F401 - is_english re-exported
from rag.text.tokenize import Tokenizer, fold
from rag.types import Chunk, Citation, Draft, FollowUp, Hit, Message

# Questions whose answer must be a figure: evidence without one cannot answer them.
_NEEDS_NUMBER = re.compile(r"多少|(?<!哪)几(?!乎)|百分之几|多大|多高|多长|多久|占比|how (many|much)", re.I)
# Questions for an amount of money: a count or a growth rate does not answer them.
_NEEDS_MONEY = re.compile(r"多少钱|花了多少|金额|(成交额|销售额|GMV|营业额|收入|卖了)(是|为|达到?|有|一共)?多少(?![倍个家次台%])",
                          re.I)
_GROWTH = re.compile(r"增长|涨|同比|增幅|倍|百分|比例")
_MAX_ANSWER_CHARS = 220
# The selector's probability from which the answer leads with its short answer, a quote at least this
# long (shorter ones show the answer at a glance; keeps answers short), and the probability from which
# the lead's sentence is quoted alone. Re-measured on the CMRC FIT split (614 questions, hybrid): right
# 73.1-73.3%, 62-63 chars and short EM 9.8% for LEAD_PROB 0.1-0.3, ALONE_PROB 0.35-0.7, LEAD_MIN_QUOTE 25-60:
# the values hardly matter, and these stay.
LEAD_PROB = 0.2
LEAD_MIN_QUOTE = 40
ALONE_PROB = 0.5


def refusal_text(question: str) -> str:
    return REFUSAL_EN if is_english(question) else REFUSAL_ZH


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, tokenizer: Tokenizer, bm25: BM25, min_support: float = 0.4, max_sentences: int = 2,
                 chunks: Sequence[Chunk] = (), selector: Selector | None | bool = True,
                 crosslingual: CrossLingual | None = None) -> None:
        self.tokenizer, self.bm25 = tokenizer, bm25
        self.crosslingual = crosslingual  # English (other-language) questions, when an embedding model is loaded
        # True: the fitted weights shipped with the package (hand scores when absent); None: hand scores.
        self.selector = load_selector() if selector is True else (selector or None)
        # Whether the documents answer at all, from the best sentence's features (fitted with the selector).
        self.refusal = load_refusal() if selector is True else None
        self.min_support, self.max_sentences = min_support, max_sentences
        self.scorer = SentenceScorer(tokenizer)
        self.by_doc: dict[str, list[Chunk]] = defaultdict(list)
        for c in chunks:
            self.by_doc[c.doc_id].append(c)

    def stream(self, question: str, hits: Sequence[Hit], history: Sequence[Message] = (),
               followup: FollowUp | None = None) -> Iterator[str | Draft]:
        draft = self.answer(question, hits, followup)
        yield draft.text
        yield draft

    def answer(self, question: str, hits: Sequence[Hit], followup: FollowUp | None = None) -> Draft:
        """The answer to `followup` (the standalone question; `question` itself when None)."""
        fu = followup or FollowUp(question, question)
        if is_english(fu.question):
            return self._english(question, fu, hits)
        return self._chinese(question, fu, hits)

    def _chinese(self, question: str, fu: FollowUp, hits: Sequence[Hit], names: frozenset[str] = frozenset()) -> Draft:
        """`names`: more names the evidence must say (an English question's, from how it is written)."""
        overview = read_overview(fu.question)
        if overview is not None and hits:  # "有哪些新趋势", "主要讲了什么": a few key points, each cited
            listed = self._overview(question, overview, fu, hits)
            if listed is not None:
                return listed
        parts = split_parts(fu.question)
        if parts and hits:  # "A和B分别…": each part answered on its own, with its own citation
            joined = answer_parts(parts, lambda part: self.answer(part, hits, FollowUp(part, fu.context)))
            if joined is not None:
                return joined
        q = question_terms(fu.question, fu.context, self.tokenizer, self.bm25)
        if names:
            q = replace(q, names=q.names | names)
        if not q.main or not hits:
            return self._refuse(question, "the question has no searchable words" if not q.main else "nothing retrieved")
        hand, learned, spans = self.ranked(fu.question, q, hits)
        if not hand:
            return self._refuse(question, "no sentence in the retrieved passages")
        doubt = self._doubt(q, hand, learned, spans)
        if doubt is not None:
            return self._refuse(question, doubt)
        cands = [c for c in learned if not c.missing_names]
        chosen = self._choose(cands, q)
        if ASKS_WHO.search(fu.question):
            chosen = self._with_speaker(chosen)
        if _NEEDS_NUMBER.search(fu.question) and not any(has_figure(c.sentence.text) for c in chosen):
            return self._refuse(question, "the question asks for a figure and the passages give none")
        unit = asked_unit(fu.question)
        if unit and not any(gives_unit(c.sentence.text, unit) for c in chosen):
            # "订单总量是多少单": figures of other things (个品牌, 倍) in the words' sentence do not answer.
            return self._refuse(question, f"the question asks for a number of {unit} and the passages give none")
        stated = _stated_figures(fu.question)
        if stated and not any(_says_figure(c, q) for c in chosen for q in stated):
            # "增长超过3倍的品牌有多少": a sentence about other growth, however close its words, does not answer.
            return self._refuse(question, f"no passage says {stated[0].surface} in connection with the rest "
                                          "of the question")
        if _NEEDS_MONEY.search(ASIDE.sub("", fu.question)) and not _GROWTH.search(fu.question) \
                and not any(_has_money(c.sentence.text) for c in chosen):
            return self._refuse(question, "the question asks for an amount of money and the passages give none")
        top = cands[0]
        scored = spans.get((top.chunk.chunk_id, top.sentence.start))
        # The figure/name/date/place of the asked type nearest the question's words, else
        # the words in the question word's place when the sentence mirrors the question.
        span = scored.span if scored is not None else None
        mirrored = mirror_span(fu.question, top.sentence.text)
        if mirrored is not None and (span is None or (span.kind in (TIME, PLACE, PERSON, ORG) and
                                                      span.start >= mirrored.start and span.end <= mirrored.end)):
            span = mirrored  # "1227年前后", "重庆武隆县江口镇的芙蓉江畔": the whole phrase in the question word's place
        # A short quote shows its answer at a glance; a long one is led by it.
        sure = span is not None and top.score >= LEAD_PROB and len(span.text) <= MAX_LEAD \
            and len(top.sentence.text) >= max(LEAD_MIN_QUOTE, 3 * len(span.text))
        if sure and top.score >= ALONE_PROB:  # then its sentence (and a speaker before it) is enough
            chosen = [c for c in chosen if c is top or (c.chunk.doc_id == top.chunk.doc_id
                                                        and c.sentence.end <= top.sentence.start and c.score == top.score)]
        draft = self._compose(chosen)
        if sure:
            draft = replace(draft, text=lead(span.text, draft.text))
        if span is not None:
            draft = replace(draft, check={**draft.check, "short_answer": span.text})
        if fu.question != question:
            draft = Draft(draft.text, False, draft.citations, {**draft.check, "standalone_question": fu.question})
        return draft

    def _doubt(self, q: QuestionTerms, hand: list[Candidate], learned: list[Candidate], spans) -> str | None:
        """Why the best sentence does not answer the question, or None when it does."""
        # Whether to answer is decided on the hand scores' best sentence (names, support);
        # which sentence answers, by the fitted selector when there is one.
        named = [c for c in hand if not c.missing_names]
        if not named:
            return f"no passage says {'、'.join(hand[0].missing_names)} in connection with the rest of the question"
        best = named[0]
        if best.support < self.min_support:
            missing = missing_terms(q, self.scorer.evidence(best.chunk, best.sentence))
            return f"best evidence covers {best.support:.0%} of the question; not found: {'、'.join(missing[:5])}"
        cands = [c for c in learned if not c.missing_names]
        if self.selector is not None and cands[0].score < self.selector.threshold:
            return f"the best sentence answers with probability {cands[0].score:.2f} (< {self.selector.threshold:.2f})"
        if self.refusal is not None:
            scored = spans[(cands[0].chunk.chunk_id, cands[0].sentence.start)]
            answerable = self.refusal.prob((*scored.features, cands[0].score, *question_features(q, self.bm25)))
            if answerable < self.refusal.threshold:
                return (f"the passages answer this kind of question with probability "
                        f"{answerable:.2f} (< {self.refusal.threshold:.2f})")
        return None

    def ranked(self, question: str, q: QuestionTerms, hits: Sequence[Hit]):
        """Candidates best first by the hand scores, and by the fitted selector (the same when
        there is none), and each candidate's features and answer span of the asked type, by (chunk, start)."""
        cands = list(self.scorer.candidates(question, q, hits))
        scored = featurize(question, q, cands, self.tokenizer, self.bm25)
        learned = cands
        if self.selector is not None:
            learned = [replace(c, score=self.selector.prob(s.features)) for c, s in zip(cands, scored)]
        spans = {(c.chunk.chunk_id, c.sentence.start): s for c, s in zip(cands, scored)}
        return sorted(cands, key=lambda c: -c.score), sorted(learned, key=lambda c: -c.score), spans

    def _choose(self, cands: list[Candidate], q: QuestionTerms) -> list[Candidate]:
        chosen = [cands[0]]
        covered = set(self.tokenizer.tokens(cands[0].sentence.text))
        for c in cands[1:]:
            if len(chosen) >= self.max_sentences:
                break
            total = sum(len(x.sentence.text) for x in chosen) + len(c.sentence.text)
            if c.score < 0.8 * cands[0].score or total > _MAX_ANSWER_CHARS:
                continue
            if c.missing_names or any(_overlaps(c, x) for x in chosen):
                continue
            new = set(self.tokenizer.tokens(c.sentence.text)) & set(q.main) - covered
            # An equally good sentence from another article: the question may mean either
            # (two festivals, two reports), so both are quoted, each with its source.
            other_doc = c.chunk.doc_id not in {x.chunk.doc_id for x in chosen} and c.score >= 0.9 * cands[0].score
            if new or other_doc:
                chosen.append(c)
                covered |= new
        return sorted(chosen, key=lambda c: (c.rank, c.sentence.start))

    def _overview(self, question: str, overview: Overview, fu: FollowUp, hits: Sequence[Hit]) -> Draft | None:
        """Key points on the question's topic words; None (the usual answer follows) when the
        passages do not cover the topic or give fewer than two points."""
        q = question_terms(overview.topic, fu.context, self.tokenizer, self.bm25)
        if not q.main:  # "这篇文章主要讲了什么": the best passage's document, from its start
            doc = hits[0].chunk.doc_id
            chunks = sorted(self.by_doc.get(doc) or [h.chunk for h in hits if h.chunk.doc_id == doc],
                            key=lambda c: c.start)
            hits = [Hit(c, 0.0, i, "document") for i, c in enumerate(chunks)]
        cands = self._on_topic(overview.topic, q, hits)
        if not cands or (q.main and cands[0].support < self.min_support):
            return None
        first = self._best_quote(fu, hits) if q.main else None
        points: list[Candidate] = []
        intro = next((c for c in [first, *cands[:3]] if c and is_intro(c.sentence.text, overview.category)), None)
        if intro is not None:  # "有多种原因导致了…。首先…。其次…": the points it announces
            points = items_after(intro, self.by_doc.get(intro.chunk.doc_id, ()))
        if len(points) < MIN_POINTS:
            docs = {h.chunk.doc_id for h in hits}
            opening = frozenset().union(*(opening_chunks(self.by_doc.get(d, ())) for d in docs))
            points = choose_points(cands, self.tokenizer.tokens, opening, first)
        if len(points) < MIN_POINTS:
            return None
        draft = numbered(self._compose(points, each=True), is_english(question))
        check = {**draft.check, "overview_points": len(points)}
        if fu.question != question:
            check["standalone_question"] = fu.question
        return replace(draft, check=check)

    def _on_topic(self, topic: str, q: QuestionTerms, hits: Sequence[Hit]) -> list[Candidate]:
        """Sentences about the topic, best first. The topic's names and first word (its subject:
        "夜来香对人的不良…") say what it is; its other words ("不良", "消费"), what about it:
        a sentence must say one of them."""
        subject = self.tokenizer.tokens(topic)[:1]
        about = [t for t in q.main if t not in q.names and t not in subject and len(t) > 1]
        cands = [c for c in self.scorer.candidates(topic, q, hits)
                 if not c.missing_names and (not about or any(t in fold(c.sentence.text) for t in about))]
        return sorted(cands, key=lambda c: -c.score)

    def _best_quote(self, fu: FollowUp, hits: Sequence[Hit]) -> Candidate | None:
        """The sentence the one-quote answer would quote, when it would be given at all."""
        full = question_terms(fu.question, fu.context, self.tokenizer, self.bm25)
        hand, learned, spans = self.ranked(fu.question, full, hits)
        if not full.main or not hand or self._doubt(full, hand, learned, spans) is not None:
            return None
        return next(c for c in learned if not c.missing_names)

    def _with_speaker(self, chosen: list[Candidate]) -> list[Candidate]:
        """For "who said…": a quote's speaker is often named in the sentence before it,
        which may sit in the previous chunk."""
        first = chosen[0]
        if SPEECH.search(first.sentence.text):
            return chosen
        found = sentence_before(self.by_doc.get(first.chunk.doc_id, [first.chunk]), first.sentence)
        if found and SPEECH.search(found[1].text):
            chunk, sent = found
            return [Candidate(chunk, first.rank, sent, first.score, first.support)] + chosen
        return chosen

    def _compose(self, chosen: list[Candidate], each: bool = False) -> Draft:
        """The quotes with their [n] markers: one citation per passage, or per quote when `each`."""
        numbers: dict[str | tuple[str, int], int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for c in chosen:
            chunk = c.chunk
            key = (chunk.chunk_id, c.sentence.start) if each else chunk.chunk_id
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(Citation(
                    n=numbers[key], title=chunk.title, url=chunk.url, text=chunk.text,
                    doc_id=chunk.doc_id, chunk_id=chunk.chunk_id, start=chunk.start, end=chunk.end,
                    section=chunk.section, quote=c.sentence.text, quote_start=c.sentence.start,
                    quote_end=c.sentence.end, file=chunk.path, location=chunk.location, page=chunk.page))
            parts.append(f"{c.sentence.text}[{numbers[key]}]")
        support = min(c.support for c in chosen)
        return Draft("".join(parts), False, tuple(citations), {"support": round(support, 3)})

    def _english(self, question: str, fu: FollowUp, hits: Sequence[Hit]) -> Draft:
        """An English question: its words put into Chinese (CC-CEDICT), each by the word the passages
        use, and answered on the Chinese path (coverage, names, figures, the fitted refusal); when that
        refuses, the sentence closest in meaning (embeddings), when a model is loaded."""
        t = translate(fu.question, lambda w: self.bm25.idf_of(w) is not None)
        if t is None or not t.found or not hits:  # no dictionary, or documents in English: as before
            if self.crosslingual is not None:
                return self._across_languages(question, fu.question, hits)
            return self._chinese(question, fu, hits)
        passages = " ".join(h.chunk.text for h in hits)
        zh = t.question(passages)
        draft = self._chinese(question, FollowUp(zh, zh, fu.context), hits, t.names(passages))
        draft = replace(draft, check={**draft.check, "translated_question": zh})
        if draft.refused and self.crosslingual is not None:
            cross = self._across_languages(question, fu.question, hits)
            if not cross.refused:
                return cross
        return draft

    def _across_languages(self, question: str, asked: str, hits: Sequence[Hit]) -> Draft:
        """Quote the sentence closest in meaning (embeddings), or refuse: no word overlap to go on."""
        if not hits:
            return self._refuse(question, "nothing retrieved")
        match = self.crosslingual.best(asked, hits)
        if match is None:
            return self._refuse(question, "no sentence of the passages is close enough in meaning to the question")
        rank = next((h.rank for h in hits if h.chunk.chunk_id == match.chunk.chunk_id), 0)
        draft = self._compose([Candidate(match.chunk, rank, match.sentence, match.cosine, match.cosine)])
        return Draft(draft.text, False, draft.citations, {**draft.check, "cross_lingual_cosine": round(match.cosine, 3)})

    def _refuse(self, question: str, reason: str) -> Draft:
        return Draft(refusal_text(question), True, (), {"refusal_reason": reason})


def _has_money(text: str) -> bool:
    """An amount in 元 (or a currency) is stated: "30亿元", "10亿元", "$5 million"."""
    for q in extract_quantities(text):
        after = text[q.end:q.end + 2]
        if after.startswith(("元", "美元", "块")) or q.surface.endswith("元") or (q.start > 0 and text[q.start - 1] in "$¥￥"):
            return True
    return False


def _stated_figures(question: str) -> list:
    """The measured figures a question states as given ("超过3倍", "30%", "10亿元"); dates and bare
    counts are left out (the answer's sentence may date itself in the sentence before)."""
    return [q for q in extract_quantities(question) if q.unit not in ("", "date", "time")]


def _says_figure(c: Candidate, stated) -> bool:
    """The candidate's own sentence states the figure (the sentence before may be about another
    subject's figure: "京东…增长超3倍。天猫…373个品牌破亿")."""
    return any(same_quantity(stated, q) for q in extract_quantities(c.sentence.text))


def _overlaps(a: Candidate, b: Candidate) -> bool:
    """Same sentence seen through two overlapping chunks."""
    return (a.chunk.doc_id == b.chunk.doc_id and a.sentence.start < b.sentence.end
            and b.sentence.start < a.sentence.end)
