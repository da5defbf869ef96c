"""Score every sentence of the retrieved chunks as a possible answer to a question.

A sentence scores by how much of the question it covers itself (IDF-weighted),
how much its surroundings cover (the sentence before it, its section and title),
its chunk's rank, and the kind of answer asked for (a figure for "多少", a person
for "谁", a date for "哪天"). A sentence that misses a name of the question
(another platform, another festival, another year) is marked: it is about
something else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Sequence

from rag.text.lexicon import is_name, name_tag
from rag.text.wordlists import default_names
from rag.text.sentences import Sentence, split_sentences
from rag.answer.support import Evidence, QuestionTerms, coverage, missing_names
from rag.text.tokenize import Tokenizer
from rag.types import Chunk, Hit

ASKS_NUMBER = re.compile(r"多少|几|数量|比例|比重|百分|增长|增幅|规模|金额|多大|多高|倍|how (many|much)|percent", re.I)
ASKS_WHO = re.compile(r"谁|哪位|哪些人|作者|专家|记者|who", re.I)
ASKS_TIME = re.compile(r"什么时候|哪天|几号|几点|何时|哪段时间|截至|截止|哪一天|日期|when", re.I)
HAS_TIME = re.compile(r"\d+月|\d+日|\d+时|\d+年|\d+点")
HAS_DIGIT = re.compile(r"\d|[一二三四五六七八九十百千万亿]+(倍|万|亿|成)")
SPEECH = re.compile(r"认为|表示|说|介绍|分析|指出|作者|来源")
# "他是什么职务？": news introduces people with their titles, right before the name.
ASKS_ROLE = re.compile(r"身份|职务|职位|头衔|担任|做什么的|哪个单位|哪家机构|什么人|title|position", re.I)
HAS_ROLE = re.compile(r"专家|理事|院长|所长|经理|委员|主任|教授|研究员|总裁|总监|董事|主席|部长|局长|负责人|创始人|记者|CEO", re.I)


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    rank: int  # the chunk's rank among the hits
    sentence: Sentence
    score: float
    support: float
    missing_names: tuple[str, ...] = ()
    own: float = 0.0  # coverage of the question by the sentence alone
    position: int = 0  # the sentence's index in its chunk
    hit_score: float = 0.0  # the chunk's retrieval score


class SentenceScorer:
    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def evidence(self, chunk: Chunk, s: Sentence, prev: Sentence | None = None) -> Evidence:
        """What may support a sentence: it, the one before it, its section and title."""
        text = f"{chunk.title} {chunk.section} {prev.text if prev else ''} {s.text}"
        return Evidence.of(self.tokenizer.tokens(text), text)

    def candidates(self, question: str, q: QuestionTerms, hits: Sequence[Hit]) -> Iterator[Candidate]:
        wants_number = bool(ASKS_NUMBER.search(question))
        wants_who = bool(ASKS_WHO.search(question))
        wants_time = bool(ASKS_TIME.search(question))
        wants_role = bool(ASKS_ROLE.search(question))
        for i, hit in enumerate(hits):
            sents = split_sentences(hit.chunk.text, offset=hit.chunk.start)
            for j, s in enumerate(sents):
                own = Evidence.of(self.tokenizer.tokens(s.text), s.text)
                window = self.evidence(hit.chunk, s, sents[j - 1] if j else None)
                # The sentence must say what is asked; only names (its subject, often
                # in the sentence before, or the headings) may come from around it.
                around = [t for t in q.names if window.presence(t) == 1.0]
                support = coverage(q, Evidence(own.tokens | set(around), own.text + " " + " ".join(around)))
                missing = tuple(self.missing_names(q, s.text, window, hit.chunk.title))
                own_cov = coverage(q, own)
                score = 0.55 * own_cov + 0.35 * support + 0.05 / (1 + i) - 0.3 * len(missing)
                if wants_number and HAS_DIGIT.search(s.text):
                    score += 0.08
                if wants_who and SPEECH.search(s.text):
                    score += 0.05
                if wants_time and HAS_TIME.search(s.text):
                    score += 0.1
                if wants_role and HAS_ROLE.search(s.text):
                    score += 0.15
                if len(s.text) < 6:
                    score -= 0.2
                yield Candidate(hit.chunk, i, s, score, support, missing, own_cov, j, hit.score)

    def missing_names(self, q: QuestionTerms, text: str, window: Evidence, title: str = "") -> list[str]:
        """Names of the question the answer's own scope does not mention.

        The scope is the clause that best matches the question, else its sentence,
        else the sentence with its neighbour and headings: the first of these that
        names anything itself. "天猫…，累计373个品牌破亿" answers nothing about 抖音,
        even when the sentence before it mentions 抖音."""
        if not q.names:
            return []
        clauses = [c for c in re.split(r"[，,；;：:]", text) if c.strip()]
        rest = QuestionTerms({t: w for t, w in q.main.items() if t not in q.names}, {})
        best = max(clauses, key=lambda c: coverage(rest, Evidence.of(self.tokenizer.tokens(c), c)))
        for scope in (best, text):
            toks = self.tokenizer.tokens(scope)
            named = [t for t in toks if is_name(t) and not t[0].isdigit()]  # figures do not set the scope
            if named:
                # A festival or platform in the document's title covers the whole article.
                scoped = f"{title} {scope}"
                missing = missing_names(q, Evidence.of(self.tokenizer.tokens(scoped), scoped))
                if missing and scope is best:
                    # The sentence's subject often opens it: "京东平台日前新增…，美国和新加坡成为订单量最多的
                    # 海外国家" is about 京东, though the answering clause names countries. A name said earlier
                    # in the sentence counts unless that clause names another of its kind (抖音 asked, 天猫's clause).
                    rivals = {name_kind(t) for t in named if t not in q.names}
                    whole = Evidence.of(self.tokenizer.tokens(f"{title} {text}"), f"{title} {text}")
                    missing = [m for m in missing if name_kind(m) in rivals or whole.presence(m) < 1.0]
                return missing
        return missing_names(q, window)


def name_kind(word: str) -> str:
    """What kind of name: a platform, festival or organisation of the domain lists, else jieba's tag
    (ns place, nt organisation, nr person), else "other"."""
    return "domain" if word in default_names() else (name_tag(word) or "other")


def sentence_before(chunks_of_doc: Sequence[Chunk], s: Sentence) -> tuple[Chunk, Sentence] | None:
    """The sentence that ends where `s` starts, in whichever chunk of its document holds it."""
    for chunk in chunks_of_doc:
        if chunk.start <= s.start <= chunk.end:
            prev = [x for x in split_sentences(chunk.text, offset=chunk.start) if x.end <= s.start]
            if prev:
                return chunk, prev[-1]
    return None
