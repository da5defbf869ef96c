"""Write an evaluation: report.md (the table), report.json, answers.jsonl (every answer) and
failures.jsonl (the wrong ones, with a diagnosis), all under one results folder."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from rag.evaluation.metrics import ModeSummary
from rag.evaluation.records import Record
from rag.evaluation.runner import SEARCH_DEPTH, ModeRun
from rag.evaluation.thresholds import Check

COLUMNS = [  # (header, ModeSummary field, format)
    ("hit@1", "hit1", "pct"), ("hit@3", "hit3", "pct"), ("hit@5", "hit5", "pct"), ("MRR", "mrr", "num"),
    ("answer", "answer", "pct"), ("cite P", "citation_precision", "pct"), ("cite R", "citation_recall", "pct"),
    ("refuse P", "refusal_precision", "pct"), ("refuse R", "refusal_recall", "pct"),
    ("multi-turn", "multiturn", "pct"), ("p50 ms", "latency_p50_ms", "ms"), ("p95 ms", "latency_p95_ms", "ms"),
]
EN_COLUMNS = [("answer", "en_answer", "pct"), ("hit@1", "en_hit1", "pct"), ("hit@5", "en_hit5", "pct"),
              ("MRR", "en_mrr", "num")]


@dataclass(frozen=True)
class EvalReport:
    runs: tuple[ModeRun, ...]
    summaries: tuple[ModeSummary, ...]
    gate: str  # the row the thresholds apply to: the mode the API uses by default
    checks: tuple[Check, ...]
    gold: dict[str, Any]  # folder and counts
    corpus: dict[str, Any]  # documents, chunks, sources, index
    k: int
    wall_s: float
    created: str
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def wrong(self, label: str) -> list[Record]:
        return [r for run in self.runs if run.label == label for r in run.records if not r.correct]


def fmt(value: float | None, kind: str) -> str:
    """A cell of the table.

    >>> fmt(0.8125, "pct"), fmt(0.4375, "num"), fmt(12.34, "ms"), fmt(None, "pct")
    ('81.2%', '0.438', '12.3', '–')
    """
    if value is None:
        return "–"
    return {"pct": f"{value:.1%}", "num": f"{value:.3f}", "ms": f"{value:.1f}"}[kind]


def table(summaries: Sequence[ModeSummary], columns=COLUMNS, models: bool = True) -> list[str]:
    head = ["mode"] + [c[0] for c in columns] + (["models"] if models else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in summaries:
        cells = [s.label] + [fmt(getattr(s, f), kind) for _, f, kind in columns] + ([s.models] if models else [])
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def markdown(rep: EvalReport) -> str:
    g, c = rep.gold, rep.corpus
    out = [
        "# rag eval", "",
        f"{rep.created} · {rep.wall_s:.1f} s · the answerer gets the top {rep.k} passages; "
        f"retrieval ranks are looked up to depth {SEARCH_DEPTH}.", "",
        f"Gold set `{g['folder']}`: {g['fact_zh']} Chinese fact questions, {g['unanswerable']} unanswerable, "
        f"{g['conversations']} conversations ({g['turns']} turns, {g['turns_refuse']} to refuse), "
        f"{g['fact_en']} English. Corpus: {c['documents']} documents ({', '.join(c['sources'])}), "
        f"{c['chunks']} chunks; index `{c['index']}`.", "",
        *table(rep.summaries), "",
        "Retrieval and answer accuracy are over the Chinese fact questions; refusal precision/recall treat the "
        "unanswerable questions as positives among fact + unanswerable; multi-turn is the share of turns right, "
        "each asked with the pipeline's own earlier answers as history.", "",
        "English questions, scored apart (they need a multilingual embedding model):", "",
        *table(rep.summaries, EN_COLUMNS, models=False), "",
    ]
    if rep.notes:
        out += ["Notes:", *[f"- {n}" for n in rep.notes], ""]
    if rep.checks:
        out += [f"## Thresholds (`{rep.gate}`)", "", *[f"- {'✅' if k.passed else '❌'} {k.message}" for k in rep.checks], ""]
    wrong = rep.wrong(rep.gate)
    out += [f"## Still wrong in `{rep.gate}` ({len(wrong)})", ""]
    if wrong:
        out += ["| id | question | expected | answer | why |", "|---|---|---|---|---|"]
        for r in wrong:
            expected = "refuse" if r.must_refuse else " + ".join(f[0] for f in r.facts)
            got = "(refused)" if r.refused else _clip(r.answer, 70)
            out.append("| " + " | ".join(_cell(x) for x in (r.qid, r.question, expected, got, r.diagnosis)) + " |")
        out.append("")
    return "\n".join(out)


def to_json(rep: EvalReport) -> dict[str, Any]:
    return {
        "created": rep.created, "wall_s": round(rep.wall_s, 2), "k": rep.k, "search_depth": SEARCH_DEPTH,
        "gold": rep.gold, "corpus": rep.corpus, "notes": list(rep.notes), "gate": rep.gate,
        "passed": all(k.passed for k in rep.checks), "thresholds": [k.to_dict() for k in rep.checks],
        "modes": [s.to_dict() for s in rep.summaries],
        "models": {run.label: _models(run.models) for run in rep.runs},
        "wrong": {run.label: [r.qid for r in run.records if not r.correct] for run in rep.runs},
        **rep.extra,
    }


def write(rep: EvalReport, out: Path) -> dict[str, Path]:
    """Write every file; returns them by name (the chart is written by chart.py)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"report.md": out / "report.md", "report.json": out / "report.json",
             "answers.jsonl": out / "answers.jsonl", "failures.jsonl": out / "failures.jsonl"}
    paths["report.md"].write_text(markdown(rep), encoding="utf-8")
    paths["report.json"].write_text(json.dumps(to_json(rep), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    records = [r for run in rep.runs for r in run.records]
    _jsonl(paths["answers.jsonl"], records)
    _jsonl(paths["failures.jsonl"], [r for r in records if not r.correct])
    return paths


def _jsonl(path: Path, records: Sequence[Record]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            d = r.to_dict()
            d["latency_ms"] = round(d["latency_ms"], 2)
            f.write(json.dumps(d, ensure_ascii=False) + "\n")


def _models(info: dict) -> dict:
    return {k: info.get(k) for k in ("retrieval", "answerer", "embedding_model", "reranker", "tokenizer")}


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
