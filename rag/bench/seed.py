"""The seed corpus: a warm answer in a serving process, and a cold `rag ask` from the shell.

The dense model is a random-weight model of bge-small-zh-v1.5's shape (no weights
can be downloaded here): its speed is the real model's, its answers are not, so
this measures time only. Questions are the gold set's (eval/questions.jsonl).

Run as `python -m rag.bench.seed OUT`; writes OUT/seed.json.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from rag.pipeline import Pipeline
from rag.settings import PROJECT_ROOT, Settings
from rag.bench.coldstart import cold_ask
from rag.bench.embedding import make_bge_small_zh_shape
from rag.bench.measure import PeakMemory, time_calls

GOLD = PROJECT_ROOT / "eval" / "questions.jsonl"
FALLBACK = ["天猫双11有多少品牌成交额破亿？", "京东有多少品牌成交额同比增长超3倍？", "以旧换新的效果怎么样？"]


def questions(limit: int = 200) -> list[str]:
    try:
        with open(GOLD, encoding="utf-8") as f:
            qs = [json.loads(line)["question"] for line in f if line.strip()]
    except (OSError, ValueError, KeyError):
        qs = []
    qs = qs or FALLBACK
    return (qs * (limit // len(qs) + 1))[:limit]


def run_seed(out: Path, docs: tuple[str, ...] | None = None) -> dict[str, Any]:
    from rag.index.build import build_index

    data = Path(out) / "data"
    model = make_bge_small_zh_shape(data / "bge-small-zh-shape")
    settings = Settings(index=str(data / "index-seed"), mode="hybrid", embed_model=str(model),
                        **({"docs": docs} if docs else {}))
    build_index(settings, force=True)
    with PeakMemory() as mem:
        pipe = Pipeline.open(settings, build_if_missing=False)
    qs = questions()
    result: dict[str, Any] = {
        "loadavg_at_start": os.getloadavg(),
        "documents": len(pipe.index.documents), "chunks": len(pipe.index.chunks),
        "embedder_precision": getattr(pipe.embedder, "precision", None),
        "serving_rss": mem.peak,
        "warm_answer_ms": {mode: time_calls(lambda q, m=mode: pipe.ask(q, mode=m), qs).to_dict()
                           for mode in ("hybrid", "lexical")},
        "query_embedding_ms": time_calls(lambda q: pipe.embedder.embed([q]), qs[:50]).to_dict(),
    }
    args = ["--index", settings.index, "--docs", *settings.docs]  # --docs takes the rest: the question goes first
    result["cold_ask_s"] = {"lexical": cold_ask([qs[0], "--mode", "lexical", *args], runs=5)}
    env_model = os.environ.get("RAG_EMBED_MODEL")
    os.environ["RAG_EMBED_MODEL"] = str(model)  # the child processes read it
    try:
        result["cold_ask_s"]["hybrid"] = cold_ask([qs[0], "--mode", "hybrid", *args], runs=3)
    finally:
        if env_model is None:
            os.environ.pop("RAG_EMBED_MODEL", None)
        else:
            os.environ["RAG_EMBED_MODEL"] = env_model
    result["loadavg_at_end"] = os.getloadavg()
    return result


def main(argv: list[str] | None = None) -> int:
    out = Path((sys.argv[1:] if argv is None else argv)[0])
    (out / "seed.json").write_text(json.dumps(run_seed(out), ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
