"""Example questions for the empty chat, made from the corpus that is actually loaded.

A sentence that states a figure becomes a question about that figure: the clause
with the number, with the number replaced by 多少 and, for context, the clauses
before it in the same sentence (as many as fit).

>>> cloze("天猫“双11”从开启到10月31日24时，累计373个品牌成交额破亿元。")
'天猫“双11”从开启到10月31日24时，累计多少个品牌成交额破亿元？'
>>> cloze("成交额破亿元的品牌数量同比增长超40%。")
'成交额破亿元的品牌数量同比增长多少？'
>>> cloze("今年消费热情持续升温。") is None
True

Candidates are kept only when retrieval finds their own sentence, so every example
shown is one the system can answer.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Iterator, Sequence

from rag.text.sentences import split_sentences
from rag.types import Document, Hit

_CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")
# "超" / "近" / "约" before the figure would read oddly before 多少: they go with it.
_FIGURE = re.compile(r"(?:超过|超|近|约|逾|达到|达)?"
                     r"(\d+(?:\.\d+)?(?:万|亿|千|百)?)(个|家|款|种|名|位|件|项|万元|亿元|元|%|％)")
_UNSAFE = re.compile(r"[<>{}\[\]`$\\]|https?:|www\.", re.I)
_LEAD = re.compile(r"^(其中|同时|此外|另外|而且|并且|而|且|并|据悉|据了解|据介绍|记者了解到|数据显示)[，,]?")
MIN_CHARS, MAX_CHARS = 10, 44


def cloze(sentence: str) -> str | None:
    """A question asking for the first figure of `sentence`, or None."""
    clauses = [c for c in _CLAUSE.findall(sentence.strip()) if c.strip()]
    for i, clause in enumerate(clauses):
        m = _FIGURE.search(clause)
        if not m:
            continue
        unit = m.group(2)
        asked = clause[:m.start()] + ("多少" if unit in "%％" else "多少" + unit) + clause[m.end():]
        asked = asked.rstrip("，,；;：:。！？!? ")
        question = asked
        for prev in reversed(clauses[:i]):  # add context while it fits
            if len(prev) + len(question) + 1 > MAX_CHARS:
                break
            question = prev.rstrip("，,；;：: ") + "，" + question
        question = _LEAD.sub("", question.strip().lstrip("”’」』）)"))
        # "多少个品牌…" with nothing before it has no subject: not a question a person would ask.
        if MIN_CHARS <= len(question) <= MAX_CHARS and not question.startswith("多少") \
                and not _UNSAFE.search(question):
            return question + "？"
        return None
    return None


def candidates(documents: Iterable[Document], max_documents: int = 50) -> Iterator[tuple[str, Document, int]]:
    """(question, document, offset of its sentence), one section at a time, round-robin over documents."""
    queues: list[list[tuple[str, Document, int]]] = []
    for n, doc in enumerate(documents):
        if n >= max_documents:
            break
        found, seen_sections = [], set()
        for s in split_sentences(doc.text):
            q = cloze(s.text)
            section = doc.section_at(s.start)
            if q and section not in seen_sections:  # one per section: variety over depth
                seen_sections.add(section)
                found.append((q, doc, s.start))
        queues.append(found)
    depth = max((len(q) for q in queues), default=0)
    for i in range(depth):
        for q in queues:
            if i < len(q):
                yield q[i]


def example_questions(documents: Sequence[Document], search: Callable[[str], Sequence[Hit]],
                      limit: int = 4, tries: int = 12) -> list[str]:
    """Up to `limit` questions whose source sentence retrieval puts in its top hits."""
    out: list[str] = []
    for n, (question, doc, offset) in enumerate(candidates(documents)):
        if len(out) >= limit or n >= tries:
            break
        hits = search(question)
        if any(hit.chunk.doc_id == doc.doc_id and hit.chunk.start <= offset < hit.chunk.end for hit in hits[:3]):
            out.append(question)
    if not out:  # a corpus without figures: ask what its documents are about
        out = [f"“{d.title}”讲了什么？" for d in list(documents)[:limit]
               if d.title and len(d.title) <= MAX_CHARS and not _UNSAFE.search(d.title)]
    return out
