"""One judged answer (`Record`), and a one-line diagnosis of why a wrong one is wrong."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rag.evaluation.data import Facts

SETS = ("fact", "unanswerable", "turn", "english")


@dataclass(frozen=True)
class Record:
    """A question asked in one mode, and how it was judged.

    `evidence_rank` is the 0-based rank of the first evidence chunk in the
    retrieval results (None: not retrieved, or no evidence to find); `k` is how
    many passages the answerer was given.
    """

    mode: str
    set: str  # one of SETS
    qid: str  # q001, u004, e003, or c003#2 for the second turn of c003
    question: str
    must_refuse: bool
    facts: Facts
    answer: str
    refused: bool
    missing: tuple[str, ...]  # key facts absent from the answer
    evidence_chunks: int  # chunks of the index that hold the evidence
    evidence_found: str  # how: "text", "split" (over two chunks), "link" (only the chunks' link), "" (not)
    evidence_rank: int | None
    cited: tuple[str, ...]  # chunk ids of the citations, in order
    cited_evidence: int  # how many of them hold the evidence
    quoted_evidence: bool  # a quoted sentence holds (most of) the evidence
    other_docs: tuple[str, ...]  # titles of cited documents that hold no evidence (distractors, mostly)
    latency_ms: float
    k: int
    reason: str = ""  # the answerer's refusal reason, when it gives one

    @property
    def correct(self) -> bool:
        return self.refused if self.must_refuse else not self.refused and not self.missing

    @property
    def diagnosis(self) -> str:
        return "" if self.correct else diagnose(self)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["facts"] = [list(f) for f in self.facts]
        d["correct"], d["diagnosis"] = self.correct, self.diagnosis
        return d


def diagnose(r: Record) -> str:
    """Why a wrong answer is wrong, from where the evidence ranked and what was cited."""
    citing = f", citing 《{'》《'.join(r.other_docs)}》" if r.other_docs else ""
    if r.must_refuse:
        return "answered a question it must refuse" + (f" ({r.reason})" if r.reason else "") + citing
    where = "not retrieved" if r.evidence_rank is None else f"retrieved at rank {r.evidence_rank + 1}"
    if r.evidence_chunks == 0:
        return "gold evidence not found in any chunk of the index: check the gold evidence against the cleaned text"
    if r.evidence_found == "link":
        return "the evidence is the document's link, which the cleaned text leaves out: no quoted sentence can hold it"
    in_context = r.evidence_rank is not None and r.evidence_rank < r.k
    if r.refused:
        if not in_context:
            return f"retrieval miss, then refused: evidence {where}, outside the top {r.k}"
        return f"wrong refusal: evidence {where}" + (f"; {r.reason}" if r.reason else "")
    lacking = "、".join(r.missing)
    if not in_context:
        return f"retrieval miss: evidence {where}, outside the top {r.k}; answered from other passages (lacks {lacking})"
    if r.quoted_evidence:
        return f"the evidence sentence is quoted but {lacking} not matched: judge too strict (add a variant?)"
    if r.cited_evidence:
        return f"wrong sentence chosen: the evidence passage is cited, but another of its sentences quoted (lacks {lacking})"
    return f"wrong sentence chosen: evidence {where}, but the answer quotes other passages{citing} (lacks {lacking})"
