"""The indexing pipeline: corpus -> chunks -> BM25 (+ embeddings -> FAISS) -> atomic commit.

The build streams: each document is chunked, its chunks are written to
chunks.jsonl and their text goes to the tokenizer workers (`parallel.py`), which
send back integer bags of words; no list of chunks or tokens is ever held. The
embedding stage reads the chunk texts back from chunks.jsonl and writes the
vectors to embeddings.npy block by block, and FAISS is built from that file.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from rag import __version__
from rag.index.bm25_builder import BM25Builder
from rag.index.loaded import doc_from_row
from rag.index.durable import write_error, write_text
from rag.index.freshness import remember
from rag.index.location import check_index_location
from rag.ingest.chunking import ChunkSettings, chunk_document
from rag.ingest.corpus import Corpus, load_corpus, reusable
from rag.errors import ModelUnavailable, RagError
from rag.index.parallel import PARALLEL_FROM_CHARS, Bags, WorkerPool, bags_of_words, starting_worker, worker_tokenizer
from rag.index.rows import JsonlWriter
from rag.settings import Settings
from rag.index.store import commit_build, current_build, read_manifest, staging
from rag.text.tokenize import TOKENIZER_VERSION, Tokenizer
from rag.types import Chunk, Document

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
    parsed: int = 0  # files parsed (the rest came unchanged from the previous build)
    embedded: int = 0  # chunks embedded (the rest kept their vectors)


def index_text(chunk: Chunk) -> str:
    """What retrieval sees of a chunk: its title and section give context to short passages."""
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


def corpus_words(docs: tuple[Document, ...]) -> list[str]:
    """Keywords declared by the documents become protected tokenizer words."""
    words = {w for d in docs for key in KEYWORD_FIELDS for w in d.metadata.get(key, []) if isinstance(w, str)}
    return sorted(words)


# The code and data that decide what an index holds: a change to any of them makes
# the next build (and `rag ask`) rebuild instead of reusing a stale index.
_INGEST_FILES = ("ingest/clean.py", "ingest/documents.py", "ingest/seedformat.py", "ingest/chunking.py",
                 "ingest/loader.py", "ingest/corpus.py", "ingest/location.py",
                 *(f"ingest/formats/{m}.py" for m in ("__init__", "_base", "csv", "docx", "eml", "pdf", "pptx", "text",
                                                     "xlsx")),
                 "text/sentences.py", "text/tokenize.py", "text/wordlists.py", "text/data/domain_words.txt",
                 "text/data/synonyms.txt", "text/data/stopwords.txt")


def ingest_fingerprint() -> str:
    h = hashlib.sha256()
    base = Path(__file__).resolve().parent.parent  # rag/
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


def build_index(settings: Settings, force: bool = False, progress: Progress | None = None,
                embedder=None) -> BuildReport:
    """Build (or find up to date) the index of `settings.docs`; `embedder` replaces the
    configured model (the benchmark passes a synthetic one)."""
    if starting_worker():
        raise RagError("build_index ran while a worker process was starting: put the script's code under "
                       "`if __name__ == \"__main__\":`")
    t0 = time.perf_counter()
    stage: dict[str, float] = {}
    check_index_location(settings.index, settings.docs)  # before anything is read or written
    root = Path(settings.index)
    previous = _previous(root)
    corpus = load_corpus(settings.docs, None if force else _previous_documents(previous), settings.follow_links)
    stage["parse_ms"] = (time.perf_counter() - t0) * 1000
    if not corpus.documents:
        raise RagError(f"no readable documents under {', '.join(settings.docs)}: add .txt/.md/.html files or pass --docs")
    want_dense = settings.mode != "lexical"
    dense_model = settings.embed_model if want_dense else None
    signature = build_signature(settings, dense_model)
    if not force and _up_to_date(root, previous, corpus, signature):
        return _up_to_date_report(previous, corpus, stage)
    words = corpus_words(corpus.documents)
    tokenizer = Tokenizer(words)
    chunking = ChunkSettings(settings.chunk_size, settings.chunk_overlap)
    try:
        with staging(root) as tmp:  # holds the build lock; a failed build leaves nothing behind
            if not force and _current_name(root) != (previous[0].name if previous else None):
                # Another process built while this one waited for the lock: use its build if it fits.
                latest = _previous(root)
                if latest and _up_to_date(root, latest, corpus, signature):
                    shutil.rmtree(tmp, ignore_errors=True)
                    return _up_to_date_report(latest, corpus, stage)
            n_chunks, keys = _build_lexical(corpus, chunking, tokenizer, words, tmp, stage, progress, dense_model)
            if not n_chunks:
                raise RagError("the documents produced no text to index: check that they contain prose")
            notes: list[str] = []
            embedding, reused = None, 0
            if want_dense:
                try:
                    embedding, reused = _build_dense(settings, tmp, keys, previous, stage, progress, embedder)
                except ModelUnavailable as exc:
                    notes.append(f"lexical retrieval only: {exc}")
            t = time.perf_counter()
            with JsonlWriter(tmp / "documents.jsonl") as out:
                for d in corpus.documents:
                    out.write(_doc_record(d))
            write_text(tmp / "documents.ids.json", json.dumps([d.doc_id for d in corpus.documents]))
            write_text(tmp / "words.txt", "\n".join(words) + "\n")
            manifest = {
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rag_version": __version__,
                "documents": len(corpus.documents), "chunks": n_chunks, "corpus_sha256": corpus.sha256,
                "corpus_fingerprint": corpus.fingerprint, "sources": list(settings.docs), "signature": signature,
                "tokenizer": {"engine": tokenizer.engine, "version": TOKENIZER_VERSION}, "embedding": embedding,
                "skipped": list(corpus.skipped), "notes": notes,
            }
            stage["write_ms"] = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            final = commit_build(root, tmp, manifest)
            stage["commit_ms"] = (time.perf_counter() - t) * 1000
    except OSError as exc:  # full disk, read-only folder: nothing was committed, the old build still serves
        raise write_error(root, exc) from None
    stage["total_ms"] = (time.perf_counter() - t0) * 1000
    return BuildReport(str(final), len(corpus.documents), n_chunks, corpus.skipped, embedding is not None,
                       tuple(notes), stage, reused, parsed=corpus.parsed,
                       embedded=n_chunks - reused if embedding is not None else 0)


@dataclass(frozen=True)
class _ChunkBatch:
    """What a worker makes of a few documents: their chunks.jsonl lines, vector keys and bags of words."""

    lines: bytes
    line_lengths: list[int]
    keys: list[str]
    bags: Bags
    chunk_cpu_s: float
    tokenize_cpu_s: float


def _chunk_batch(job: tuple[list[Document], ChunkSettings, str | None]) -> _ChunkBatch:
    """Runs in a worker: chunk, serialize, key and tokenize a batch of documents."""
    docs, chunking, dense_model = job
    t = time.process_time()
    lines, texts = [], []
    for d in docs:
        for c in chunk_document(d, chunking):
            lines.append((json.dumps(dict(c.__dict__), ensure_ascii=False) + "\n").encode("utf-8"))
            texts.append(index_text(c))
    keys = [_vector_key(dense_model, x) for x in texts] if dense_model else []
    t1 = time.process_time()
    bags = bags_of_words(worker_tokenizer().terms, texts)
    return _ChunkBatch(b"".join(lines), [len(x) for x in lines], keys, bags, t1 - t, time.process_time() - t1)


def _build_lexical(corpus: Corpus, chunking: ChunkSettings, tokenizer: Tokenizer, words: list[str], tmp: Path,
                   stage: dict[str, float], progress: Progress | None, dense_model: str | None):
    """Chunk, write chunks.jsonl and build BM25 in one pass: (chunks, vector keys).

    Workers chunk and tokenize batches of documents; this process writes their lines
    in order and merges their bags of words. The pass's wall time is split into
    `chunk_ms` and `tokenize_ms` in proportion to the workers' CPU time on each."""
    keys: list[str] = []
    chunks, cpu = 0, [0.0, 0.0]
    builder = BM25Builder()
    t = time.perf_counter()
    big = sum(len(d.text) for d in corpus.documents) >= PARALLEL_FROM_CHARS
    jobs = ((batch, chunking, dense_model) for batch in _doc_batches(_progress(corpus.documents, "tokenizing",
                                                                               progress)))
    with JsonlWriter(tmp / "chunks.jsonl") as out:
        for part in WorkerPool(tokenizer, words).map(_chunk_batch, jobs, parallel=big):
            out.write_lines(part.lines, part.line_lengths)
            keys.extend(part.keys)
            builder.add_bags(part.bags)
            chunks += len(part.line_lengths)
            cpu[0] += part.chunk_cpu_s
            cpu[1] += part.tokenize_cpu_s
    wall = (time.perf_counter() - t) * 1000
    stage["chunk_ms"] = wall * cpu[0] / max(1e-9, sum(cpu))
    stage["tokenize_ms"] = wall - stage["chunk_ms"]
    t = time.perf_counter()
    builder.finish().save(tmp)
    stage["bm25_ms"] = (time.perf_counter() - t) * 1000
    return chunks, keys


def _doc_batches(docs, chars: int = 600_000):
    """Documents in batches of about `chars` characters (~4,000 chunks): bigger batches share
    more terms, so fewer distinct ones cross to this process per chunk."""
    batch, size = [], 0
    for d in docs:
        batch.append(d)
        size += len(d.text)
        if size >= chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _build_dense(settings: Settings, tmp: Path, keys: list[str], previous, stage, progress, embedder=None):
    from rag.index.embedder import SentenceTransformerEmbedder, default_instruction, ensure_bundled, passage_prefix
    from rag.index.npyfile import NpyWriter
    from rag.index.vectors import build_index as build_vectors, choose_spec, save_index

    t = time.perf_counter()
    if embedder is None:
        ensure_bundled(settings.embed_model, progress=progress is not None)
        embedder = SentenceTransformerEmbedder(settings.embed_model, settings.device)
    stage["model_load_ms"] = (time.perf_counter() - t) * 1000
    instruction = default_instruction(settings.embed_model) if settings.query_instruction == "auto" \
        else settings.query_instruction
    prefix = passage_prefix(settings.embed_model)
    if prefix:
        keys = [_vector_key(prefix, k) for k in keys]  # a passage embedded with another prefix is another vector
    t = time.perf_counter()
    n = len(keys)
    old_keys, old_vectors = _previous_vectors(previous, settings.embed_model)
    if old_vectors.shape[1:] != (embedder.dim,):
        old_keys = {}
    step = max(64, int(getattr(embedder, "batch_size", 64)))
    rng = np.random.default_rng(0)
    probes = set(rng.choice(n, min(n, 256), replace=False).tolist())
    probe_texts: list[str] = []
    writer = NpyWriter(tmp / "embeddings.npy", n, embedder.dim)
    reused = 0
    with open(tmp / "chunks.jsonl", encoding="utf-8") as f:
        lines = iter(f)
        for start in _progress(range(0, n, step), "embedding", progress, total=n, step=step):
            texts = [prefix + index_text(Chunk.from_dict(json.loads(next(lines)))) for _ in range(min(step, n - start))]
            probe_texts += [_probe(x, rng) for i, x in enumerate(texts, start) if i in probes]
            block = np.zeros((len(texts), embedder.dim), dtype=np.float32)
            cached = [(i, old_keys[keys[start + i]]) for i in range(len(texts)) if keys[start + i] in old_keys]
            if cached:
                block[[i for i, _ in cached]] = old_vectors[[r for _, r in cached]]
            todo = [i for i in range(len(texts)) if keys[start + i] not in old_keys]
            if todo:
                block[todo] = embedder.embed([texts[i] for i in todo])
            reused += len(cached)
            writer.write(block)
    writer.close()
    stage["embed_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    # Sample queries for tuning: a short fragment of 256 random chunks, asked the way users ask.
    # An exact (flat) index has nothing to tune: an incremental build of a small base embeds only its new chunks.
    spec = choose_spec(n, settings.vector_index)
    queries = embedder.embed([instruction + p for p in probe_texts if p]) \
        if probe_texts and spec.kind != "flat" else None
    index, spec = build_vectors(tmp / "embeddings.npy", spec, queries)
    save_index(index, tmp / "vectors.faiss")
    del index
    write_text(tmp / "vector_keys.json", json.dumps(keys))
    stage["faiss_ms"] = (time.perf_counter() - t) * 1000
    info = {"model": settings.embed_model, "dim": embedder.dim, "normalized": True,
            "query_instruction": instruction, "passage_prefix": prefix, "vector_index": spec.to_dict(),
            "precision": getattr(embedder, "precision", "fp32")}
    return info, reused


def _probe(text: str, rng: np.random.Generator) -> str:
    """8-16 characters of a random sentence of a chunk (its title lines apart): as short as
    a question, these are the hardest sample queries for an approximate index."""
    body = text.split("\n", 2)[-1]
    sentences = [x for x in re.split(r"[。！？!?；;，,\n]", body) if len(x.strip()) >= 4] or [body]
    s = sentences[int(rng.integers(len(sentences)))].strip()
    size = int(rng.integers(8, 17))
    start = int(rng.integers(0, max(1, len(s) - size + 1)))
    return s[start:start + size]


def _vector_key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\0{text}".encode("utf-8")).hexdigest()


def _up_to_date(root: Path, previous, corpus: Corpus, signature: dict) -> bool:
    """The build holds this content with these settings; a new cheap fingerprint is remembered."""
    if not previous or previous[1].get("corpus_sha256") != corpus.sha256 or previous[1].get("signature") != signature:
        return False
    if previous[1].get("corpus_fingerprint") != corpus.fingerprint:
        remember(root, previous[0].name, corpus.fingerprint)  # touched, not changed: no re-check next time
    return True


def _up_to_date_report(previous, corpus: Corpus, stage: dict) -> BuildReport:
    m = previous[1]
    return BuildReport(str(previous[0]), m["documents"], m["chunks"], corpus.skipped,
                       bool(m.get("embedding")), tuple(m.get("notes", [])), stage, up_to_date=True,
                       parsed=corpus.parsed)


def _current_name(root: Path) -> str | None:
    try:
        build = current_build(root)
    except RagError:
        return None
    return build.name if build else None


def _previous(root: Path):
    # Verified: a damaged build must be rebuilt (not reported up to date) and its vectors not reused.
    try:
        return read_manifest(root, verify=True)
    except RagError:
        return None


def _previous_documents(previous) -> dict[tuple[str, str], Document]:
    """The previous build's Documents by (path, file sha256), when the code that parsed them is this
    code: a file whose bytes have not changed is not parsed again."""
    if not previous or (previous[1].get("signature") or {}).get("ingest") != ingest_fingerprint():
        return {}
    try:
        with open(previous[0] / "documents.jsonl", encoding="utf-8") as f:
            return reusable(doc_from_row(json.loads(line)) for line in f)
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # parse them again


def _previous_vectors(previous, model: str) -> tuple[dict[str, int], np.ndarray]:
    """Rows of the previous build's vectors by (model, text) key, so unchanged chunks are not
    re-embedded; the vectors are memory-mapped and only the reused rows are read."""
    empty = ({}, np.zeros((0, 0), dtype=np.float32))
    if not previous or not (previous[1].get("embedding") or {}).get("model") == model:
        return empty
    build = previous[0]
    try:
        keys = json.loads((build / "vector_keys.json").read_text(encoding="utf-8"))
        vecs = np.load(build / "embeddings.npy", allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError):
        return empty
    return ({k: i for i, k in enumerate(keys)}, vecs) if len(keys) == len(vecs) else empty


def _doc_record(d: Document) -> dict:
    return {"doc_id": d.doc_id, "title": d.title, "url": d.url, "text": d.text, "path": d.path,
            "sections": [[s.title, s.start, s.end] for s in d.sections], "metadata": d.metadata}



def _progress(items, stage: str, progress: Progress | None, total: int | None = None, step: int = 1):
    total = len(items) if total is None else total
    for i, item in enumerate(items):
        if progress and (i * step) % max(1, total // 100 or 1) < step:
            progress(stage, min(i * step, total), total)
        yield item
    if progress:
        progress(stage, total, total)
