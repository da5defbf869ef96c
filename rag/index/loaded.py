"""Open a built index: check the manifest and checksums, then load its parts.

Chunks and documents stay on disk and are parsed when a query needs them (`rows.py`),
so opening a million-chunk index takes about as long as reading its BM25 arrays.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from rag.index.bm25 import BM25
from rag.errors import IndexDamaged, IndexMismatch
from rag.index.rows import JsonlRows, KeyedRows
from rag.index.store import read_manifest
from rag.text.tokenize import TOKENIZER_VERSION, Tokenizer
from rag.types import Chunk, Document, Section


@dataclass(frozen=True)
class LoadedIndex:
    path: Path
    manifest: dict[str, Any]
    documents: Mapping[str, Document]  # read from documents.jsonl when asked for
    chunks: Sequence[Chunk]  # read from chunks.jsonl when asked for
    bm25: BM25
    tokenizer: Tokenizer
    vectors: Any = None  # a FAISS index, when the build has embeddings

    @property
    def embedding(self) -> dict[str, Any] | None:
        return self.manifest.get("embedding")


def load_index(root: Path, verify: bool = True) -> LoadedIndex:
    build, manifest = read_manifest(root, verify)
    tok = manifest.get("tokenizer", {})
    if tok.get("version") != TOKENIZER_VERSION:
        raise IndexMismatch(f"index at {root} was tokenized by another version: run `rag index --force` to rebuild it")
    try:
        docs = _documents(build)
        chunks = JsonlRows(build / "chunks.jsonl", Chunk.from_dict)
        if len(chunks):
            chunks[0], chunks[-1]  # noqa: B018 - a row format the code cannot read fails now, not mid-query
        words = (build / "words.txt").read_text(encoding="utf-8").split()
        bm25 = BM25.load(build)
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise IndexDamaged(f"index at {build} cannot be read ({type(exc).__name__}): run `rag index --force`") from None
    if bm25.n_docs != len(chunks) or len(chunks) != manifest.get("chunks"):
        raise IndexDamaged(f"index at {build} is inconsistent (chunk counts differ): run `rag index --force`")
    vectors = None
    if manifest.get("embedding"):
        vectors = _load_vectors(build, manifest["embedding"], len(chunks))
    return LoadedIndex(build, manifest, docs, chunks, bm25, Tokenizer(words, engine=_engine(tok)), vectors)


def _engine(tok: dict[str, Any]) -> str:
    # Query tokens must come from the segmenter that made the index tokens.
    return tok.get("engine", "auto")


def _load_vectors(build: Path, info: dict[str, Any], n: int):
    from rag.index.vectors import VectorIndexSpec, load_index as load_faiss

    try:
        index = load_faiss(build / "vectors.faiss", VectorIndexSpec(**info["vector_index"]))
    except Exception as exc:  # noqa: BLE001 - FAISS raises RuntimeError for any bad file
        raise IndexDamaged(f"index file {build / 'vectors.faiss'} cannot be read ({exc.__class__.__name__}): "
                           "run `rag index --force`") from None
    if index.ntotal != n or index.d != info["dim"]:
        raise IndexDamaged(f"index file {build / 'vectors.faiss'} disagrees with the manifest: run `rag index --force`")
    return index


def _documents(build: Path) -> Mapping[str, Document]:
    rows = JsonlRows(build / "documents.jsonl", doc_from_row)
    ids_file = build / "documents.ids.json"
    ids = json.loads(ids_file.read_text(encoding="utf-8")) if ids_file.is_file() else [d.doc_id for d in rows]
    return KeyedRows(rows, ids)



def doc_from_row(r: dict[str, Any]) -> Document:
    sections = tuple(Section(t, s, e) for t, s, e in r["sections"])
    return Document(r["doc_id"], r["title"], r["url"], r["text"], sections, r.get("metadata", {}), r.get("path", ""))
