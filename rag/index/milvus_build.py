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
from rag.index.build import BuildReport, Progress, _chunk_batch, _doc_batches, corpus_words, index_text
from rag.index.milvus import MilvusBuild, connect
from rag.index.parallel import PARALLEL_FROM_CHARS, WorkerPool, starting_worker
from rag.index.vocab import HashedVocab
from rag.ingest.chunking import ChunkSettings
from rag.ingest.corpus import Corpus, load_corpus
from rag.settings import Settings
from rag.text.tokenize import TOKENIZER_VERSION, Tokenizer
from rag.types import Chunk

BLOCK = 1024  # chunks embedded and inserted at a time


def build_milvus(settings: Settings, progress: Progress | None = None, embedder=None,
                 force: bool = False) -> BuildReport:
    if starting_worker():
        raise RagError("build_milvus ran while a worker process was starting: put the script's code under "
                       "`if __name__ == \"__main__\":`")
    t0 = time.perf_counter()
    stage: dict[str, float] = {}
    uri = settings.store
    corpus = load_corpus(settings.docs)
    if not corpus.documents:
        raise RagError(f"no readable documents under {', '.join(settings.docs)}: "
                       "add .txt/.md/.html files or pass --docs")
    where = f"{uri} (Milvus, knowledge base '{settings.kb}')"
    done = None if force else _up_to_date(settings, corpus.sha256)
    if done is not None:
        return BuildReport(where, done["documents"], done["chunks"], corpus.skipped, bool(done.get("embedding")),
                           tuple(done.get("notes", [])), stage, up_to_date=True)
    words = corpus_words(corpus.documents)
    tokenizer = Tokenizer(words)
    chunking = ChunkSettings(settings.chunk_size, settings.chunk_overlap)
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
        build = MilvusBuild(client, settings.kb, embedding["dim"] if embedding else None,
                            aliases=not uri.endswith(".db"))
        try:
            n_chunks, idf = _fill(build, corpus, chunking, tokenizer, words, embedder, stage, progress)
            if not n_chunks:
                raise RagError("the documents produced no text to index: check that they contain prose")
            meta = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "documents": len(corpus.documents),
                    "chunks": n_chunks, "corpus_sha256": corpus.sha256, "sources": list(settings.docs),
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
    return BuildReport(where, len(corpus.documents), n_chunks, corpus.skipped, embedding is not None,
                       tuple(notes), stage)


def _up_to_date(settings: Settings, corpus_sha256: str) -> dict | None:
    """The stored meta when the knowledge base already holds these documents, built this way."""
    from rag.index.milvus import SCHEMA_VERSION, check_kb, read_catalog

    client = connect(settings.store, settings.store_token)
    try:
        row = read_catalog(client, check_kb(settings.kb))
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


def _fill(build: MilvusBuild, corpus: Corpus, chunking: ChunkSettings, tokenizer: Tokenizer, words: list[str],
          embedder, stage: dict[str, float], progress: Progress | None) -> tuple[int, dict[str, float]]:
    """Chunk and count the tokenizer's terms in the local build's workers (`build._chunk_batch`,
    in parallel for big corpora), embed and insert each batch as it comes: (chunks, IDF by term)."""
    counter = BM25Builder()
    n, docs_seen, total_docs = 0, 0, len(corpus.documents)
    embed_s = insert_s = 0.0
    t0 = time.perf_counter()
    big = sum(len(d.text) for d in corpus.documents) >= PARALLEL_FROM_CHARS
    jobs = ((batch, chunking, None) for batch in _doc_batches(corpus.documents))
    for part in WorkerPool(tokenizer, words).map(_chunk_batch, jobs, parallel=big):
        counter.add_bags(part.bags)
        # JSON escapes newlines inside strings, so every b"\n" ends one chunk's line.
        chunks = [Chunk.from_dict(json.loads(x)) for x in part.lines.split(b"\n") if x]
        for start in range(0, len(chunks), BLOCK):
            block = chunks[start:start + BLOCK]
            t = time.perf_counter()
            vectors = None
            if embedder is not None:
                vectors = np.asarray(embedder.embed([index_text(c) for c in block]), dtype=np.float32)
            t1 = time.perf_counter()
            build.add(block, vectors)
            embed_s, insert_s = embed_s + t1 - t, insert_s + time.perf_counter() - t1
        n += len(chunks)
        docs_seen += len({c.doc_id for c in chunks})
        if progress:
            progress("milvus", min(docs_seen, total_docs), total_docs)
    stage.update(chunk_tokenize_ms=(time.perf_counter() - t0 - embed_s - insert_s) * 1000,
                 embed_ms=embed_s * 1000, insert_ms=insert_s * 1000)
    bm25 = counter.finish()
    vocab = bm25.vocab
    terms = vocab.terms_by_id() if isinstance(vocab, HashedVocab) else sorted(vocab, key=vocab.__getitem__)
    return n, {t: float(x) for t, x in zip(terms, bm25.idf)}
