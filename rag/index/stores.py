"""Where chunks live and are searched: one interface, chosen by a URI.

    index/            (a folder)            the local on-disk build (`store.py`, `loaded.py`)
    demo.db           (a path ending .db)   Milvus Lite: the same engine in a local file
    http://host:19530 (with a token)        a Milvus Standalone or Distributed server

Every store answers `search(query, vector, k, mode)` with `Hit`s holding full `Chunk`s, so
everything after retrieval is the same code whichever store answered.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence

from rag.types import Chunk, Hit

SEARCH_MODES = ("lexical", "dense", "hybrid")


class Store(Protocol):
    def add(self, chunks: Sequence[Chunk], vectors: Any = None) -> int:
        """Insert chunks (with their embeddings, rows in the same order, when the store is dense)."""

    def delete(self, doc_ids: Sequence[str]) -> int:
        """Remove every chunk of these documents; returns how many chunks went."""

    def search(self, query: str, vector: Any, k: int, mode: str) -> list[Hit]:
        """Best first, ranks from 0. `vector` is the query's embedding (dense and hybrid modes)."""

    def info(self) -> dict[str, Any]:
        """What the store is and holds: kind, uri, chunks, documents, dense."""


def is_milvus(uri: str) -> bool:
    """A Milvus URI: a Milvus Lite file (`*.db`) or a server address."""
    uri = (uri or "").strip()
    return uri.endswith(".db") or uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def build_store(settings, force: bool = False, progress=None):
    """`rag index --store x.db` builds into Milvus; without a Milvus URI, the local build (into the
    folder `--store` names, if any). Returns the build's BuildReport."""
    if is_milvus(settings.store):
        from rag.index.milvus_build import build_milvus

        return build_milvus(settings, progress=progress, force=force)
    from rag.index.build import build_index

    if settings.store:
        settings = settings.replace(index=settings.store)
    return build_index(settings, force=force, progress=progress)
