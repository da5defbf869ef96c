"""`rag index --store demo.db`: the same ingest and chunking as the local build, into Milvus.

Milvus tokenizes and weighs BM25 itself (its `chinese` analyzer); the project's tokenizer
still counts document frequencies, because the answerer weighs a question's words by
their IDF (support.py) and that must not depend on which store answered.
"""
from __future__ import annotations

import json
import time

import numpy as np

from rag.errors import ModelUnavailable, RagError
from rag.index.bm25_builder import BM25Builder
from rag.index.build import BuildReport, Progress, corpus_words, index_text
from rag.index.milvus import MilvusBuild, connect
from rag.index.vocab import HashedVocab
from rag.ingest.chunking import ChunkSettings, chunk_document
from rag.ingest.corpus import load_corpus
from rag.settings import Settings
from rag.text.tokenize import TOKENIZER_VERSION, Tokenizer

BLOCK = 1024  # chunks embedded and inserted at a time


def build_milvus(settings: Settings, progress: Progress | None = None, embedder=None,
                 force: bool = False) -> BuildReport:
    t0 = time.perf_counter()
    stage: dict[str, float] = {}
    uri = settings.store
    corpus = load_corpus(settings.docs)
    if not corpus.documents:
        raise RagError(f"no readable documents under {', '.join(settings.docs)}: "
                       "add .txt/.md/.html files or pass --docs")
    where = f"{uri} (Milvus, knowledge base '{settings.knowledge_base}')"
    done = None if force else _up_to_date(settings, corpus.sha256)
    if done is not None:
        return BuildReport(where, done["documents"], done["chunks"], corpus.skipped, bool(done.get("embedding")),
                           tuple(done.get("notes", [])), stage, up_to_date=True)
    words = corpus_words(corpus.documents)
    tokenizer = Tokenizer(words)
    chunking = ChunkSettings(settings.chunk_size, settings.chunk_overlap)
    chunks = [c for d in corpus.documents for c in chunk_document(d, chunking)]
    if not chunks:
        raise RagError("the documents produced no text to index: check that they contain prose")
    stage["chunk_ms"] = (time.perf_counter() - t0) * 1000
    notes: list[str] = []
    embedding = None
    if settings.mode != "lexical":
        try:
            embedder, embedding = _embedder(settings, embedder)
        except ModelUnavailable as exc:
            notes.append(f"lexical retrieval only: {exc}")
            embedder = None
    client = connect(uri, settings.store_token)
    try:
        build = MilvusBuild(client, settings.knowledge_base, embedding["dim"] if embedding else None,
                            aliases=not uri.endswith(".db"))
        try:
            idf = _fill(build, chunks, tokenizer, embedder, stage, progress)
            meta = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "documents": len(corpus.documents),
                    "chunks": len(chunks), "corpus_sha256": corpus.sha256, "sources": list(settings.docs),
                    "chunking": {"size": settings.chunk_size, "overlap": settings.chunk_overlap},
                    "tokenizer": {"engine": tokenizer.engine, "version": TOKENIZER_VERSION},
                    "embedding": embedding, "wanted_model": _wanted_model(settings), "notes": notes}
            t = time.perf_counter()
            build.commit(idf, words, meta)
            stage["commit_ms"] = (time.perf_counter() - t) * 1000
        except BaseException:
            build.abort()
            raise
    finally:
        client.close()
    stage["total_ms"] = (time.perf_counter() - t0) * 1000
    return BuildReport(where, len(corpus.documents), len(chunks), corpus.skipped, embedding is not None,
                       tuple(notes), stage)


def _up_to_date(settings: Settings, corpus_sha256: str) -> dict | None:
    """The stored meta when the knowledge base already holds these documents, built this way."""
    from rag.index.milvus import SCHEMA_VERSION, check_kb, read_catalog

    client = connect(settings.store, settings.store_token)
    try:
        row = read_catalog(client, check_kb(settings.knowledge_base))
    finally:
        client.close()
    if row is None:
        return None
    meta = json.loads(row["meta"])
    same = (meta.get("schema_version") == SCHEMA_VERSION and meta.get("corpus_sha256") == corpus_sha256
            and meta.get("chunking") == {"size": settings.chunk_size, "overlap": settings.chunk_overlap}
            and meta.get("tokenizer", {}).get("version") == TOKENIZER_VERSION
            and meta.get("wanted_model") == _wanted_model(settings))
    return meta if same else None


def _wanted_model(settings: Settings) -> str | None:
    # What was asked for, not what was found: a missing model does not make every run rebuild.
    return None if settings.mode == "lexical" else settings.embed_model


def _embedder(settings: Settings, embedder):
    from rag.index.embedder import SentenceTransformerEmbedder, default_instruction

    if embedder is None:
        embedder = SentenceTransformerEmbedder(settings.embed_model, settings.device)
    instruction = default_instruction(settings.embed_model) if settings.query_instruction == "auto" \
        else settings.query_instruction
    return embedder, {"model": settings.embed_model, "dim": int(embedder.dim), "normalized": True,
                      "query_instruction": instruction}


def _fill(build: MilvusBuild, chunks, tokenizer: Tokenizer, embedder, stage, progress) -> dict[str, float]:
    """Insert the chunks block by block (with embeddings) and count the tokenizer's IDF."""
    counter = BM25Builder()
    tok_s = embed_s = insert_s = 0.0
    for start in range(0, len(chunks), BLOCK):
        block = chunks[start:start + BLOCK]
        texts = [index_text(c) for c in block]
        t = time.perf_counter()
        for x in texts:
            counter.add(tokenizer.terms(x))
        t1 = time.perf_counter()
        vectors = np.asarray(embedder.embed(texts), dtype=np.float32) if embedder is not None else None
        t2 = time.perf_counter()
        build.add(block, vectors)
        t3 = time.perf_counter()
        tok_s, embed_s, insert_s = tok_s + t1 - t, embed_s + t2 - t1, insert_s + t3 - t2
        if progress:
            progress("milvus", min(start + BLOCK, len(chunks)), len(chunks))
    stage.update(tokenize_ms=tok_s * 1000, embed_ms=embed_s * 1000, insert_ms=insert_s * 1000)
    bm25 = counter.finish()
    vocab = bm25.vocab
    terms = vocab.terms_by_id() if isinstance(vocab, HashedVocab) else sorted(vocab, key=vocab.__getitem__)
    return {t: float(x) for t, x in zip(terms, bm25.idf)}
