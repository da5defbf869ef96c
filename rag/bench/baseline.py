"""The naive baseline the report compares against: rank_bm25 and an exact FAISS scan.

This is what a first version would do: `rank_bm25.BM25Okapi` over the same terms
(it scores every document in Python for every query term) and `IndexFlatIP` over
the same vectors (it reads every vector for every query). rank_bm25 keeps a dict
per document, about 20 KB each here, so at 1M chunks it would need ~20 GB; past
`SHARD` chunks it is measured on the first `SHARD` chunks and its per-query time
scaled by N / SHARD, which is exact for it (a Python loop over all documents).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Sequence

import numpy as np

from rag.index.build import index_text
from rag.index.parallel import ParallelTokenizer
from rag.text.tokenize import Tokenizer
from rag.types import Chunk
from rag.bench.measure import Latency, PeakMemory

SHARD = 50_000


@dataclass(frozen=True)
class BaselineResult:
    lexical: Latency  # per query, over all N chunks (scaled when sharded)
    dense: Latency
    hybrid: Latency  # lexical + dense + fusion, query by query
    lexical_build_s: float  # BM25Okapi(...) over the measured chunks, scaled like the queries
    dense_build_s: float
    measured_chunks: int  # chunks rank_bm25 actually indexed
    scale: float  # N / measured_chunks
    peak_rss: int

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("lexical", "dense", "hybrid"):
            d[key] = getattr(self, key).to_dict()
        return d


def run_baseline(build: Path, tokenizer: Tokenizer, words: Sequence[str], questions: Sequence[str],
                 query_vectors: np.ndarray, max_queries: int) -> BaselineResult:
    from rank_bm25 import BM25Okapi

    from rag.index.npyfile import npy_blocks
    from rag.index.vectors import _faiss

    n = json.loads((build / "manifest.json").read_text(encoding="utf-8"))["chunks"]
    measured = min(n, SHARD)
    scale = n / measured
    questions = list(questions)[:max_queries]
    with PeakMemory() as mem:
        docs = _token_lists(build / "chunks.jsonl", tokenizer, words, measured)
        t = time.perf_counter()
        bm25 = BM25Okapi(docs)
        lexical_build = (time.perf_counter() - t) * scale
        del docs
        lex = []
        for q in questions:
            terms = tokenizer.terms(q)
            t = time.perf_counter()
            scores = bm25.get_scores(terms)
            np.argsort(scores)[::-1][:10]  # what get_top_n does
            lex.append((time.perf_counter() - t) * scale)
        del bm25
        faiss = _faiss()
        t = time.perf_counter()
        flat = None
        for block in npy_blocks(build / "embeddings.npy"):
            if flat is None:
                flat = faiss.IndexFlatIP(block.shape[1])
            flat.add(block)
        dense_build = time.perf_counter() - t
        faiss.omp_set_num_threads(1)
        dense = []
        for v in query_vectors[:len(questions)]:
            t = time.perf_counter()
            flat.search(np.ascontiguousarray(v[None, :], dtype=np.float32), 10)
            dense.append(time.perf_counter() - t)
        del flat
    hybrid = [a + b for a, b in zip(lex, dense)]
    return BaselineResult(Latency.of(lex), Latency.of(dense), Latency.of(hybrid), round(lexical_build, 2),
                          round(dense_build, 2), measured, round(scale, 3), mem.peak)


def _token_lists(chunks_path: Path, tokenizer: Tokenizer, words: Sequence[str], limit: int) -> list[list[str]]:
    """The BM25 terms of the first `limit` chunks, as rank_bm25 wants them (lists of strings)."""
    def texts():
        with open(chunks_path, encoding="utf-8") as f:
            for line in islice(f, limit):
                yield index_text(Chunk.from_dict(json.loads(line)))

    out: list[list[str]] = []
    for bags in ParallelTokenizer(tokenizer, words).map(texts(), parallel=limit > 20_000):
        terms = list(bags.terms)
        pos = 0
        for count in bags.counts.tolist():
            ids, tfs = bags.ids[pos:pos + count].tolist(), bags.tfs[pos:pos + count].tolist()
            out.append([terms[i] for i, tf in zip(ids, tfs) for _ in range(tf)])
            pos += count
    return out
