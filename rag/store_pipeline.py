"""The pipeline over a Milvus store: retrieval asks Milvus, everything after it is unchanged.

`rag ask --store demo.db` opens the knowledge base, builds the project tokenizer from the
words the build stored, and hands the answerer the store's term weights (`idf_of`,
`max_idf`) in place of the local BM25: no local copy of the index is read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from rag.errors import IndexMismatch, ModelUnavailable
from rag.pipeline import Pipeline
from rag.retrieve.retrievers import RerankedRetriever, Retriever
from rag.retrieve.stores import StoreRetriever
from rag.settings import Settings
from rag.text.tokenize import TOKENIZER_VERSION, Tokenizer
from rag.types import Chunk


@dataclass(frozen=True)
class StoreView:
    """What the pipeline and the answerer read of an index, answered by a store."""

    store: Any  # a MilvusStore: search, info, idf_of, max_idf
    tokenizer: Tokenizer
    manifest: dict[str, Any]
    documents: Mapping[str, Any] = field(default_factory=dict)
    chunks: Sequence[Chunk] = ()  # nothing local: the answerer quotes from the Hits alone

    @property
    def bm25(self) -> Any:
        return self.store  # idf_of / max_idf for the answerer's support weights

    @property
    def embedding(self) -> dict[str, Any] | None:
        return self.manifest.get("embedding")


class _Count(dict):
    """`len()` of the documents without holding them."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def __len__(self) -> int:
        return self.n


class StorePipeline(Pipeline):
    def retriever(self, mode: str | None = None) -> Retriever:
        mode = self.default_mode if mode in (None, "auto") else mode
        instruction = (self.index.embedding or {}).get("query_instruction", "")
        base: Retriever = StoreRetriever(self.index.store, mode, self.embedder, instruction)
        return RerankedRetriever(base, self.reranker) if self.reranker is not None else base

    def mode_info(self, mode: str | None = None) -> dict:
        info = self.index.store.info()
        return {**super().mode_info(mode), "store": info["kind"], "store_uri": info["uri"],
                "knowledge_base": info["knowledge_base"], "chunks": info["chunks"]}

    def close(self) -> None:
        self.index.store.close()


def open_store_pipeline(settings: Settings) -> StorePipeline:
    from rag.index.milvus import MilvusStore

    store = MilvusStore.open(settings.store, settings.store_token, settings.kb)
    try:
        meta = store.meta
        tok = meta.get("tokenizer", {})
        if tok.get("version") != TOKENIZER_VERSION:
            raise IndexMismatch(f"knowledge base '{store.kb}' was tokenized by another version: "
                                f"run `rag index --store {settings.store}` to rebuild it")
        view = StoreView(store, Tokenizer(store.words(), engine=tok.get("engine", "auto")), meta,
                         _Count(int(meta.get("documents", 0))))
        embedder, notes = _embedder(view, settings)
        return StorePipeline(view, settings, embedder, None, list(meta.get("notes", [])) + notes)
    except BaseException:
        store.close()
        raise


def _embedder(view: StoreView, settings: Settings):
    info = view.embedding
    if settings.mode == "lexical" or not info:
        return None, []
    if info["model"] != settings.embed_model and settings.mode in ("dense", "hybrid"):
        raise IndexMismatch(f"knowledge base was built with embedding model '{info['model']}', not "
                            f"'{settings.embed_model}': run `rag index --store {settings.store}` to rebuild it")
    from rag.index.embedder import SentenceTransformerEmbedder

    try:
        embedder = SentenceTransformerEmbedder(info["model"], settings.device)
    except ModelUnavailable as exc:
        return None, [f"lexical retrieval only: {exc}"]
    if embedder.dim != info["dim"]:
        raise IndexMismatch(f"embedding model '{info['model']}' now has dimension {embedder.dim}, the knowledge "
                            f"base {info['dim']}: run `rag index --store {settings.store}` to rebuild it")
    return embedder, []


def open_any(settings: Settings, progress=None) -> Pipeline:
    """`--store`: Milvus when the URI names it, a local index folder otherwise (the default)."""
    from rag.index.stores import is_milvus

    if is_milvus(settings.store):
        return open_store_pipeline(settings)
    if settings.store:
        settings = settings.replace(index=settings.store)
    return Pipeline.open(settings, progress=progress)

