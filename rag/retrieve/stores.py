"""Stores seen from retrieval: the local index behind the `Store` interface, any store as a Retriever.

`LocalStore` wraps a `LoadedIndex` and the existing retrievers (nothing re-implemented);
the local index is built from documents, so it is read-only here. `StoreRetriever` embeds
the question (when the mode needs it) and asks a store, so the pipeline can answer from
Milvus exactly as it answers from the local index. `open_store` picks one by URI.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rag.errors import RagError
from rag.index.loaded import LoadedIndex, load_index
from rag.index.stores import SEARCH_MODES, Store, is_milvus
from rag.retrieve.retrievers import DenseRetriever, HybridRetriever, LexicalRetriever
from rag.types import Chunk, Hit

READ_ONLY = "the local index is built from documents: change them and run `rag index`"


class _Given:
    """An 'embedder' that hands back the query vector the caller already has."""

    def __init__(self, vector: Any) -> None:
        self.vector = np.asarray(vector, dtype=np.float32).reshape(1, -1)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.vector


class LocalStore:
    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self.lexical = LexicalRetriever(index.bm25, index.tokenizer, index.chunks)

    def add(self, chunks: Sequence[Chunk], vectors: Any = None) -> int:
        raise RagError(READ_ONLY)

    def delete(self, doc_ids: Sequence[str]) -> int:
        raise RagError(READ_ONLY)

    def search(self, query: str, vector: Any, k: int, mode: str) -> list[Hit]:
        if mode not in SEARCH_MODES:
            raise RagError(f"unknown retrieval mode '{mode}': use {', '.join(SEARCH_MODES)}")
        if mode == "lexical":
            return self.lexical.search(query, k)
        if self.index.vectors is None:
            raise RagError(f"{mode} retrieval needs embeddings, which the index has not: use --mode lexical")
        if vector is None:
            raise RagError("dense retrieval needs the query's embedding")
        dense = DenseRetriever(self.index.vectors, _Given(vector), self.index.chunks)
        return dense.search(query, k) if mode == "dense" else HybridRetriever([self.lexical, dense]).search(query, k)

    def info(self) -> dict[str, Any]:
        emb = self.index.embedding or {}
        return {"kind": "local", "uri": str(self.index.path), "chunks": len(self.index.chunks),
                "documents": len(self.index.documents), "dense": self.index.vectors is not None,
                "embedding_model": emb.get("model"), "mutable": False}

    def close(self) -> None:
        pass


class StoreRetriever:
    """A `Retriever` over any store: `search(query, k) -> list[Hit]`."""

    def __init__(self, store: Store, mode: str, embedder=None, instruction: str = "") -> None:
        if mode != "lexical" and embedder is None:
            raise RagError(f"{mode} retrieval needs the embedding model, which is not available: use --mode lexical")
        self.store, self.mode, self.embedder, self.instruction = store, mode, embedder, instruction
        self.name = mode

    def search(self, query: str, k: int) -> list[Hit]:
        vector = None
        if self.mode != "lexical":
            vector = np.asarray(self.embedder.embed([self.instruction + query]), dtype=np.float32)[0]
        return self.store.search(query, vector, k, self.mode)


def open_store(uri: str, token: str = "", knowledge_base: str = "default") -> Store:
    """`x.db` or `http(s)://host:19530`: Milvus; anything else: a local index folder."""
    if is_milvus(uri):
        from rag.index.milvus import MilvusStore

        return MilvusStore.open(uri, token, knowledge_base)
    return LocalStore(load_index(Path(uri)))
