"""One corpus size, end to end: generate, build through the real pipeline, load, query, compare.

Run as `python -m rag.bench.scale N OUT` (the benchmark starts one process per
size, so that each size's peak memory is its own); writes OUT/size-N.json.
"""
from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag.index.build import build_index
from rag.index.loaded import load_index
from rag.pipeline import Pipeline
from rag.retrieve.retrievers import DenseRetriever, HybridRetriever, LexicalRetriever
from rag.settings import Settings
from rag.index.vectors import exact_search, recall_at_k, search
from rag.bench.baseline import run_baseline
from rag.bench.coldstart import load_in_fresh_process
from rag.bench.corpus import generate
from rag.bench.hashing import HashingEmbedder
from rag.bench.measure import PeakMemory, folder_bytes, time_calls


def label(n: int) -> str:
    """'10k' for 10000, '1M' for 1000000."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def run_size(n: int, out: Path, queries: int = 300, baseline_queries: int = 30) -> dict[str, Any]:
    data = Path(out) / "data"
    t = time.perf_counter()
    corpus = generate(data / f"corpus-{label(n)}", n, n_facts=queries)
    generate_s = time.perf_counter() - t
    embedder = HashingEmbedder(topics=corpus.topics())
    settings = Settings(docs=(str(corpus.docs),), index=str(data / f"index-{label(n)}"), mode="hybrid",
                        embed_model=embedder.name, query_instruction="", k=5)
    with PeakMemory() as mem:
        report = build_index(settings, force=True, embedder=embedder)
    build = Path(report.path)
    load = load_in_fresh_process(Path(settings.index), [f.question for f in corpus.facts[:20]])
    index = load_index(Path(settings.index), verify=False)
    facts = list(corpus.facts)
    questions = [f.question for f in facts]
    qvecs = embedder.embed(questions)
    result: dict[str, Any] = {
        "loadavg_at_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "n_target": n, "label": label(n), "chunks": report.chunks, "documents": report.documents,
        "corpus_chars": corpus.chars, "generate_s": round(generate_s, 2),
        "build": {"stage_ms": {k: round(v, 1) for k, v in report.stage_ms.items()}, "peak_rss": mem.peak},
        "disk_bytes": folder_bytes(build), "load": load,
        "vector_index": index.embedding["vector_index"],
        "bm25": {"terms": len(index.bm25.vocab), "postings": int(len(index.bm25.indices))},
    }
    result["latency_ms"] = _latencies(index, settings, embedder, questions, qvecs)
    result["recall"] = _dense_recall(build, index, embedder, questions, qvecs)
    result["planted"] = _planted(index, settings, embedder, facts)
    words = (build / "words.txt").read_text(encoding="utf-8").split()
    tokenizer = index.tokenizer
    del index  # the baseline's memory is its own
    gc.collect()
    result["baseline"] = run_baseline(build, tokenizer, words, questions, qvecs, baseline_queries).to_dict()
    return result


def _latencies(index, settings: Settings, embedder, questions: list[str], qvecs: np.ndarray) -> dict[str, Any]:
    lexical = LexicalRetriever(index.bm25, index.tokenizer, index.chunks)
    dense = DenseRetriever(index.vectors, embedder, index.chunks, "")
    hybrid = HybridRetriever([lexical, dense])
    pipe = Pipeline(index, settings, embedder=embedder)
    rows = list(range(len(questions)))
    out = {
        "lexical": time_calls(lambda q: lexical.search(q, 10), questions),
        "dense_search": time_calls(lambda i: search(index.vectors, qvecs[i:i + 1], 10), rows),
        "dense": time_calls(lambda q: dense.search(q, 10), questions),
        "hybrid": time_calls(lambda q: hybrid.search(q, 10), questions),
        "answer": time_calls(lambda q: pipe.ask(q), questions),
        "query_embedding": time_calls(lambda q: embedder.embed([q]), questions),
    }
    return {k: v.to_dict() for k, v in out.items()}


def _dense_recall(build: Path, index, embedder, questions: list[str], qvecs: np.ndarray) -> dict[str, Any]:
    """recall@10 of the index against exact search, on the questions and on chunk sentences."""
    rng = np.random.default_rng(1)
    picks = rng.choice(len(index.chunks), min(200, len(index.chunks)), replace=False)
    sentences = [_sentence(index.chunks[int(i)].text, rng) for i in picks]
    out = {}
    for name, vecs in (("questions", qvecs), ("sentences", embedder.embed(sentences))):
        exact = exact_search(build / "embeddings.npy", vecs, 10)
        found = search(index.vectors, vecs, 10)[0]
        out[name] = round(recall_at_k(found, exact), 4)
    out["queries"] = len(qvecs) + len(sentences)
    return out


def _sentence(text: str, rng: np.random.Generator) -> str:
    parts = [p for p in text.replace("！", "。").replace("？", "。").split("。") if len(p) >= 8]
    return parts[int(rng.integers(len(parts)))][:40] if parts else text[:40]


def _planted(index, settings: Settings, embedder, facts) -> dict[str, Any]:
    """Share of planted facts whose sentence is in the top 10, by mode; and answers that quote the figure."""
    lexical = LexicalRetriever(index.bm25, index.tokenizer, index.chunks)
    dense = DenseRetriever(index.vectors, embedder, index.chunks, "")
    modes = {"lexical": lexical, "dense": dense, "hybrid": HybridRetriever([lexical, dense])}
    out: dict[str, Any] = {"facts": len(facts)}
    for name, retriever in modes.items():
        hits = [any(f.sentence in h.chunk.text for h in retriever.search(f.question, 10)) for f in facts]
        out[f"{name}_hit@10"] = round(float(np.mean(hits)), 4) if facts else None
    pipe = Pipeline(index, settings, embedder=embedder)
    answers = [pipe.ask(f.question) for f in facts]
    out["answer_correct"] = round(float(np.mean([not a.refused and f.value in a.answer
                                                 for a, f in zip(answers, facts)])), 4) if facts else None
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    n, out = int(argv[0]), Path(argv[1])
    queries = int(argv[2]) if len(argv) > 2 else 300
    result = run_size(n, out, queries=queries)
    (out / f"size-{label(n)}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
