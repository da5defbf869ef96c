"""Retrievers: `search(query, k) -> list[Hit]`, best first, ranks from 0.

Lexical (BM25 over jieba tokens; an English query's words put into Chinese first), Dense (FAISS over sentence embeddings), Hybrid
(reciprocal rank fusion of both, from a deeper candidate pool), and Reranked
(a cross-encoder reorders another retriever's candidates).
"""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from rag.index.bm25 import BM25
from rag.retrieve.fusion import ALPHA, rrf, weighted
from rag.text.english import search_query
from rag.text.tokenize import Tokenizer
from rag.types import Chunk, Hit


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int) -> list[Hit]: ...


class LexicalRetriever:
    name = "bm25"

    def __init__(self, bm25: BM25, tokenizer: Tokenizer, chunks: Sequence[Chunk]) -> None:
        self.bm25, self.tokenizer, self.chunks = bm25, tokenizer, chunks

    def search(self, query: str, k: int) -> list[Hit]:
        # An English query is searched with its words put into Chinese (CC-CEDICT): BM25 has no English.
        query = search_query(query, lambda w: self.bm25.idf_of(w) is not None)
        ids, scores = self.bm25.top(self.tokenizer.terms(query), k)
        return [Hit(self.chunks[int(i)], float(s), r, self.name) for r, (i, s) in enumerate(zip(ids, scores))]


class DenseRetriever:
    name = "dense"

    def __init__(self, index, embedder, chunks: Sequence[Chunk], instruction: str = "") -> None:
        self.index, self.embedder, self.chunks, self.instruction = index, embedder, chunks, instruction

    def search(self, query: str, k: int) -> list[Hit]:
        from rag.index.vectors import search

        vec = self.embedder.embed([self.instruction + query])
        ids, scores = search(self.index, np.asarray(vec, dtype=np.float32), k)
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        return [Hit(self.chunks[i], s, r, self.name) for r, (i, s) in enumerate(pairs)]


class HybridRetriever:
    name = "hybrid"

    def __init__(self, retrievers: Sequence[Retriever], depth: int = 4, k0: int = 60, fusion: str = "weighted",
                 alpha: float = ALPHA) -> None:
        """`retrievers`: [lexical, dense] for the weighted fusion (fusion.py); any list for "rrf"."""
        self.retrievers, self.depth, self.k0 = list(retrievers), depth, k0
        self.fusion, self.alpha = fusion, alpha

    def search(self, query: str, k: int) -> list[Hit]:
        pools = [r.search(query, k * self.depth) for r in self.retrievers]
        by_id = {h.chunk.chunk_id: h.chunk for pool in pools for h in pool}
        if self.fusion == "weighted" and len(pools) == 2:  # [lexical, dense]: normalized score fusion
            fused = weighted(*({h.chunk.chunk_id: h.score for h in pool} for pool in pools), alpha=self.alpha)
        else:
            fused = rrf([[h.chunk.chunk_id for h in pool] for pool in pools], k0=self.k0)
        return [Hit(by_id[cid], s, r, self.name) for r, (cid, s) in enumerate(fused[:k])]


class RerankedRetriever:
    name = "rerank"

    def __init__(self, base: Retriever, reranker, depth: int = 4) -> None:
        self.base, self.reranker, self.depth = base, reranker, depth

    def search(self, query: str, k: int) -> list[Hit]:
        pool = self.base.search(query, k * self.depth)
        if not pool:
            return []
        scores = self.reranker.score(query, [h.chunk.text for h in pool])
        order = np.argsort(-np.asarray(scores), kind="stable")[:k]
        return [Hit(pool[int(i)].chunk, float(scores[int(i)]), r, self.name) for r, i in enumerate(order)]
