"""The indexing pipeline: corpus -> chunks -> BM25 (+ embeddings -> FAISS) -> atomic commit."""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__
from .bm25 import BM25
from .chunking import ChunkSettings, chunk_document
from .corpus import Corpus, load_corpus
from .errors import ModelUnavailable, RagError
from .settings import Settings
from .store import commit_build, read_manifest, staging
from .tokenize import TOKENIZER_VERSION, Tokenizer
from .types import Chunk, Document

log = logging.getLogger("rag")
Progress = Callable[[str, int, int], None]  # (stage, done, total)
KEYWORD_FIELDS = ("关键词", "AI技术", "行业")


@dataclass(frozen=True)
class BuildReport:
    path: str
    documents: int
    chunks: int
    skipped: tuple[str, ...]
    dense: bool
    notes: tuple[str, ...]
    stage_ms: dict[str, float] = field(default_factory=dict)
    reused_vectors: int = 0
    up_to_date: bool = False


def index_text(chunk: Chunk) -> str:
    """What retrieval sees of a chunk: its title and section give context to short passages."""
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


def corpus_words(docs: tuple[Document, ...]) -> list[str]:
    """Keywords declared by the documents become protected tokenizer words."""
    words = {w for d in docs for key in KEYWORD_FIELDS for w in d.metadata.get(key, []) if isinstance(w, str)}
    return sorted(words)


# The code and data that decide what an index holds: a change to any of them makes
# the next build (and `rag ask`) rebuild instead of reusing a stale index.
_INGEST_FILES = ("clean.py", "documents.py", "seedformat.py", "sentences.py", "chunking.py", "tokenize.py",
                 "data/domain_words.txt", "data/synonyms.txt", "data/stopwords.txt")


def ingest_fingerprint() -> str:
    h = hashlib.sha256()
    base = Path(__file__).parent
    for name in _INGEST_FILES:
        try:
            h.update(name.encode() + b"\0" + (base / name).read_bytes())
        except OSError:
            h.update(name.encode() + b"\0missing")
    return h.hexdigest()[:16]


def build_signature(settings: Settings, dense_model: str | None) -> dict:
    return {
        "chunking": {"size": settings.chunk_size, "overlap": settings.chunk_overlap},
        "tokenizer_version": TOKENIZER_VERSION,
        "ingest": ingest_fingerprint(),
        "dense_model": dense_model,
    }


def build_index(settings: Settings, force: bool = False, progress: Progress | None = None) -> BuildReport:
    t0 = time.perf_counter()
    stage: dict[str, float] = {}
    root = Path(settings.index)
    corpus = load_corpus(settings.docs)
    stage["parse_ms"] = (time.perf_counter() - t0) * 1000
    if not corpus.documents:
        raise RagError(f"no readable documents under {', '.join(settings.docs)}: add .txt/.md/.html files or pass --docs")
    want_dense = settings.mode != "lexical"
    dense_model = settings.embed_model if want_dense else None
    previous = _previous(root)
    signature = build_signature(settings, dense_model)
    if not force and previous and previous[1].get("corpus_sha256") == corpus.sha256 \
            and previous[1].get("signature") == signature:
        m = previous[1]
        return BuildReport(str(previous[0]), m["documents"], m["chunks"], corpus.skipped,
                           bool(m.get("embedding")), tuple(m.get("notes", [])), stage, up_to_date=True)
    t = time.perf_counter()
    chunks = [c for d in corpus.documents for c in chunk_document(d, ChunkSettings(settings.chunk_size, settings.chunk_overlap))]
    stage["chunk_ms"] = (time.perf_counter() - t) * 1000
    if not chunks:
        raise RagError("the documents produced no text to index: check that they contain prose")
    words = corpus_words(corpus.documents)
    tokenizer = Tokenizer(words)
    with staging(root) as tmp:  # holds the build lock; a failed build leaves nothing behind
        t = time.perf_counter()
        tokens = (tokenizer.terms(index_text(c)) for c in _progress(chunks, "tokenizing", progress))
        bm25 = BM25.build(tokens)
        bm25.save(tmp)
        stage["bm25_ms"] = (time.perf_counter() - t) * 1000
        notes: list[str] = []
        embedding, reused = None, 0
        if want_dense:
            try:
                embedding, reused = _build_dense(settings, chunks, tmp, previous, stage, progress)
            except ModelUnavailable as exc:
                notes.append(f"lexical retrieval only: {exc}")
        _write_jsonl(tmp / "documents.jsonl", (_doc_record(d) for d in corpus.documents))
        _write_jsonl(tmp / "chunks.jsonl", (c.to_dict() for c in chunks))
        (tmp / "words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
        manifest = {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rag_version": __version__,
            "documents": len(corpus.documents), "chunks": len(chunks), "corpus_sha256": corpus.sha256,
            "corpus_fingerprint": corpus.fingerprint, "sources": list(settings.docs), "signature": signature,
            "tokenizer": {"engine": tokenizer.engine, "version": TOKENIZER_VERSION}, "embedding": embedding,
            "skipped": list(corpus.skipped), "notes": notes,
        }
        final = commit_build(root, tmp, manifest)
    stage["total_ms"] = (time.perf_counter() - t0) * 1000
    return BuildReport(str(final), len(corpus.documents), len(chunks), corpus.skipped, embedding is not None,
                       tuple(notes), stage, reused)


def _build_dense(settings: Settings, chunks: list[Chunk], tmp: Path, previous, stage, progress):
    from .embedder import SentenceTransformerEmbedder, default_instruction
    from .vectors import build_index as build_vectors, choose_spec, save_index

    t = time.perf_counter()
    embedder = SentenceTransformerEmbedder(settings.embed_model, settings.device)
    stage["model_load_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    keys = [_vector_key(settings.embed_model, index_text(c)) for c in chunks]
    cache = _previous_vectors(previous, settings.embed_model)
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    todo = [i for i, k in enumerate(keys) if k not in cache]
    for i, k in enumerate(keys):
        if k in cache:
            vectors[i] = cache[k]
    for start in _progress(range(0, len(todo), 64), "embedding", progress, total=len(todo), step=64):
        batch = todo[start:start + 64]
        vectors[batch] = embedder.embed([index_text(chunks[i]) for i in batch])
    stage["embed_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    spec = choose_spec(len(chunks), settings.vector_index)
    save_index(build_vectors(vectors, spec), tmp / "vectors.faiss")
    np.save(tmp / "embeddings.npy", vectors)
    (tmp / "vector_keys.json").write_text(json.dumps(keys), encoding="utf-8")
    stage["faiss_ms"] = (time.perf_counter() - t) * 1000
    instruction = default_instruction(settings.embed_model) if settings.query_instruction == "auto" \
        else settings.query_instruction
    info = {"model": settings.embed_model, "dim": embedder.dim, "normalized": True,
            "query_instruction": instruction, "vector_index": spec.to_dict()}
    return info, len(chunks) - len(todo)


def _vector_key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\0{text}".encode("utf-8")).hexdigest()


def _previous(root: Path):
    # Verified: a damaged build must be rebuilt (not reported up to date) and its vectors not reused.
    try:
        return read_manifest(root, verify=True)
    except RagError:
        return None


def _previous_vectors(previous, model: str) -> dict[str, np.ndarray]:
    """Vectors of the previous build, by (model, text) key, so unchanged chunks are not re-embedded."""
    if not previous or not (previous[1].get("embedding") or {}).get("model") == model:
        return {}
    build = previous[0]
    try:
        keys = json.loads((build / "vector_keys.json").read_text(encoding="utf-8"))
        vecs = np.load(build / "embeddings.npy", allow_pickle=False)
    except (OSError, ValueError):
        return {}
    return dict(zip(keys, vecs)) if len(keys) == len(vecs) else {}


def _doc_record(d: Document) -> dict:
    return {"doc_id": d.doc_id, "title": d.title, "url": d.url, "text": d.text, "path": d.path,
            "sections": [[s.title, s.start, s.end] for s in d.sections], "metadata": d.metadata}


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _progress(items, stage: str, progress: Progress | None, total: int | None = None, step: int = 1):
    total = len(items) if total is None else total
    for i, item in enumerate(items):
        if progress and (i * step) % max(1, total // 100 or 1) < step:
            progress(stage, min(i * step, total), total)
        yield item
    if progress:
        progress(stage, total, total)
