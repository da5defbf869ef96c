"""Ask the whole gold set in one mode, the way the API does, and judge every answer.

Single questions are asked without history; a conversation's later turns get the
history of the pipeline's own earlier answers, as a chat user would see them.
Latency is the wall clock around `ask`, after one untimed warm-up question (the first
call loads the segmenter's dictionary and the models' kernels); retrieval is scored by a separate
`search` to depth `SEARCH_DEPTH`, with the same question and history.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from rag.types import Answer, Hit, Message
from rag.evaluation.data import Facts, GoldSet
from rag.evaluation.judge import EvidenceLocator, first_rank, missing_facts, overlaps_evidence
from rag.evaluation.records import Record

SEARCH_DEPTH = 10  # ranks for hit@k and MRR are looked up this deep
Progress = Callable[[str, int, int], None]  # (mode, done, total)


class Asker(Protocol):
    """What the runner needs: `Pipeline` and `NaiveBaseline` both have it."""

    def search(self, question: str, history: Sequence[Message] = (), k: int | None = None,
               mode: str | None = None) -> list[Hit]: ...

    def ask(self, question: str, history: Sequence[Message] = (), k: int | None = None,
            mode: str | None = None) -> Answer: ...

    def mode_info(self, mode: str | None = None) -> dict: ...


@dataclass(frozen=True)
class ModeRun:
    """Every judged answer of one row of the table."""

    label: str  # "lexical", "dense", "hybrid", "hybrid+rerank" or "baseline"
    models: dict
    records: tuple[Record, ...]
    wall_s: float


@dataclass(frozen=True)
class _Item:
    set: str
    qid: str
    question: str
    must_refuse: bool
    facts: Facts
    evidence: str


def total_questions(gold: GoldSet) -> int:
    return len(gold.questions) + sum(len(c.turns) for c in gold.conversations)


def run_mode(asker: Asker, label: str, mode: str | None, gold: GoldSet, locator: EvidenceLocator, k: int,
             progress: Progress | None = None) -> ModeRun:
    t0 = time.perf_counter()
    records: list[Record] = []
    total = total_questions(gold)

    def judge(item: _Item, history: list[Message]) -> Answer:
        rec, answer = _ask(asker, label, mode, item, history, locator, k)
        records.append(rec)
        if progress:
            progress(label, len(records), total)
        return answer

    if gold.questions:
        asker.ask(gold.questions[0].question, (), k, mode)  # warm-up, not timed
    for q in gold.questions:
        kind = "english" if q.lang == "en" else q.kind
        judge(_Item(kind, q.qid, q.question, not q.answerable, q.facts, q.evidence), [])
    for conv in gold.conversations:
        history: list[Message] = []
        for i, turn in enumerate(conv.turns, 1):
            item = _Item("turn", f"{conv.cid}#{i}", turn.question, turn.refuse, turn.facts, turn.evidence)
            answer = judge(item, history)
            history += [Message("user", turn.question), Message("assistant", answer.answer)]
    info = dict(asker.mode_info(mode))
    if mode == "lexical":
        info["embedding_model"] = None  # loaded for the other rows, unused by this one
    return ModeRun(label, info, tuple(records), time.perf_counter() - t0)


def _ask(asker: Asker, label: str, mode: str | None, item: _Item, history: list[Message],
         locator: EvidenceLocator, k: int) -> tuple[Record, Answer]:
    wanted, found = locator.locate(item.evidence) if item.evidence else (frozenset(), "")
    rank = None
    if wanted:
        hits = asker.search(item.question, history, SEARCH_DEPTH, mode)
        rank = first_rank([h.chunk.chunk_id for h in hits], wanted)
    t = time.perf_counter()
    answer = asker.ask(item.question, history, k, mode)
    latency = (time.perf_counter() - t) * 1000
    cited = tuple(c.chunk_id for c in answer.citations)
    evidence_docs = {c.doc_id for c in locator.chunks if c.chunk_id in wanted}
    other = tuple(dict.fromkeys(c.title for c in answer.citations if c.doc_id not in evidence_docs))
    rec = Record(
        mode=label, set=item.set, qid=item.qid, question=item.question, must_refuse=item.must_refuse,
        facts=item.facts, answer=answer.answer, refused=answer.refused,
        missing=tuple(missing_facts(answer.answer, item.facts)) if not item.must_refuse else (),
        evidence_chunks=len(wanted), evidence_found=found, evidence_rank=rank, cited=cited,
        cited_evidence=sum(c in wanted for c in cited),
        quoted_evidence=any(c.chunk_id in wanted and overlaps_evidence(c.quote, item.evidence)
                            for c in answer.citations),
        other_docs=other, latency_ms=latency, k=k,
        reason=_reason(answer),
    )
    return rec, answer


def _reason(answer: Answer) -> str:
    """Why the answerer refused, or how well it thought its evidence supported the answer."""
    if answer.check.get("refusal_reason"):
        return str(answer.check["refusal_reason"])
    support = answer.check.get("support")
    return f"support {support}" if support is not None else ""
