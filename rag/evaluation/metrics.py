"""The judged answers of one mode -> one row of the table (`ModeSummary`).

- retrieval hit@1/3/5 and MRR: Chinese fact questions, rank of the first evidence chunk;
- answer accuracy: Chinese fact questions answered (not refused) with every key fact;
- citation precision: share of the citations of answered fact questions that hold the evidence;
  citation recall: share of answered fact questions with at least one citation holding it;
- refusal precision/recall: over Chinese fact + unanswerable questions, positives are the unanswerable;
- multi-turn accuracy: share of conversation turns right (facts present, or refused when it must be);
- latency: median and p95 of the wall clock of every `ask` in the mode;
- English questions are scored apart (`en_*`): they need a multilingual embedding model.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from rag.evaluation.judge import RefusalScores, hit_at, mrr
from rag.evaluation.records import Record
from rag.evaluation.runner import ModeRun


@dataclass(frozen=True)
class ModeSummary:
    label: str
    models: str
    n_fact: int
    n_unanswerable: int
    n_turns: int
    n_english: int
    hit1: float | None
    hit3: float | None
    hit5: float | None
    mrr: float | None
    answer: float | None
    citation_precision: float | None
    citation_recall: float | None
    refusal_precision: float | None
    refusal_recall: float | None
    multiturn: float | None
    conversations: float | None  # share of conversations with every turn right
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    en_answer: float | None
    en_hit1: float | None
    en_hit5: float | None
    en_mrr: float | None
    wall_s: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def summarize(run: ModeRun) -> ModeSummary:
    by = {s: [r for r in run.records if r.set == s] for s in ("fact", "unanswerable", "turn", "english")}
    facts, english, turns = by["fact"], by["english"], by["turn"]
    answered = [r for r in facts if not r.refused]
    cited = sum(len(r.cited) for r in answered)
    refusal = RefusalScores.of((r.must_refuse, r.refused) for r in facts + by["unanswerable"])
    ranks = [r.evidence_rank for r in facts]
    en_ranks = [r.evidence_rank for r in english]
    latencies = [r.latency_ms for r in run.records]
    return ModeSummary(
        label=run.label, models=describe_models(run.models), n_fact=len(facts),
        n_unanswerable=len(by["unanswerable"]), n_turns=len(turns), n_english=len(english),
        hit1=hit_at(ranks, 1), hit3=hit_at(ranks, 3), hit5=hit_at(ranks, 5), mrr=mrr(ranks),
        answer=share(facts),
        citation_precision=sum(r.cited_evidence for r in answered) / cited if cited else None,
        citation_recall=sum(r.cited_evidence > 0 for r in answered) / len(answered) if answered else None,
        refusal_precision=refusal.precision, refusal_recall=refusal.recall,
        multiturn=share(turns), conversations=_conversations(turns),
        latency_p50_ms=statistics.median(latencies) if latencies else None,
        latency_p95_ms=percentile(latencies, 95),
        en_answer=share(english), en_hit1=hit_at(en_ranks, 1), en_hit5=hit_at(en_ranks, 5), en_mrr=mrr(en_ranks),
        wall_s=run.wall_s,
    )


def share(records: Sequence[Record]) -> float | None:
    return sum(r.correct for r in records) / len(records) if records else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile.

    >>> percentile([5, 1, 4, 2, 3], 95), percentile([5, 1, 4, 2, 3], 50), percentile([], 95)
    (5, 3, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def describe_models(info: dict) -> str:
    """`jieba · bge-small-zh-v1.5 · extractive`: what produced the row, short."""
    parts = [info.get("tokenizer"), info.get("embedding_model"), info.get("reranker"), info.get("answerer")]
    return " · ".join(_short(p) for p in parts if p)


def _short(name: str) -> str:
    name = str(name).rstrip("/")
    return name.rsplit("/", 1)[-1] if name.startswith(("/", ".", "~")) or name.count("/") > 1 else name


def _conversations(turns: Sequence[Record]) -> float | None:
    convs: dict[str, bool] = {}
    for r in turns:
        cid = r.qid.split("#", 1)[0]
        convs[cid] = convs.get(cid, True) and r.correct
    return sum(convs.values()) / len(convs) if convs else None
