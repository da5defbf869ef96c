"""Milvus as the store: one collection per knowledge base, searched by the engine itself.

    rag_catalog            one row per knowledge base: which collection serves it, and its meta
    <kb>_<stamp>           the chunks: text and metadata fields, `body` analyzed by Milvus's
                           `chinese` analyzer into BM25 sparse vectors by a BM25 Function,
                           `dense` (the project's embeddings) when a model is configured
    <kb>_<stamp>_terms     the project tokenizer's IDF of each term, for the answerer's support
                           weights (`idf_of`), so answering needs no local copy of anything

A build writes new collections and only then points the catalog row (and, where the server
supports aliases, the alias `<kb>`) at them: a crash mid-build leaves the old build serving, and
the next build drops what the dead one left. Milvus Lite (a `.db` file) has no aliases
(UNIMPLEMENTED in 2.5.1), which is why the catalog row is the pointer everywhere.
"""
from __future__ import annotations

import json
import re
import time
import uuid
import warnings
from typing import Any, Iterable, Sequence

from rag.errors import IndexMismatch, IndexMissing, MissingDependency, RagError
from rag.types import Chunk, Hit

SCHEMA_VERSION = 1
CATALOG = "rag_catalog"
FIELDS = ("chunk_id", "doc_id", "title", "url", "section", "text", "start", "end")
BATCH = 1000
RRF_K = 60
DEPTH = 4  # hybrid: candidates asked of each side per answer wanted, as HybridRetriever does
_KB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,47}")
_LIMITS = {"chunk_id": 512, "doc_id": 512, "title": 4096, "url": 4096, "section": 4096, "text": 65535}


def connect(uri: str, token: str = ""):
    """A MilvusClient for a `.db` file (Milvus Lite starts in a child process) or a server."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise MissingDependency("pymilvus", "milvus") from None
    try:
        with warnings.catch_warnings():  # milvus-lite 2.5.1 imports pkg_resources, which warns on every start
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            return MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
    except Exception as exc:  # noqa: BLE001 - pymilvus raises its own kinds and gRPC errors
        raise RagError(f"cannot open the Milvus store {uri}: {_why(exc)}") from None


def check_kb(name: str) -> str:
    if not _KB_NAME.fullmatch(name or ""):
        raise RagError(f"knowledge base name {name!r} is not allowed: use a letter, then letters, digits or _")
    return name


def _why(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:200]


def _quoted(values: Iterable[str]) -> str:
    # Milvus filter strings take JSON-style double-quoted literals with backslash escapes.
    return "[" + ",".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


class MilvusStore:
    """A knowledge base in Milvus: `add`, `delete`, `search`, `info` (the `Store` interface)."""

    def __init__(self, client, uri: str, kb: str, collection: str, meta: dict[str, Any]) -> None:
        self.client, self.uri, self.kb, self.collection, self.meta = client, uri, kb, collection, meta
        self._idf: dict[str, float | None] = {}

    @classmethod
    def open(cls, uri: str, token: str = "", kb: str = "default") -> "MilvusStore":
        client = connect(uri, token)
        try:
            row = read_catalog(client, check_kb(kb))
            if row is None:
                raise IndexMissing(f"no knowledge base '{kb}' in {uri}: run `rag index --store {uri}` to build it")
            meta = json.loads(row["meta"])
            if meta.get("schema_version") != SCHEMA_VERSION:
                raise IndexMismatch(f"knowledge base '{kb}' in {uri} has schema v{meta.get('schema_version')}, "
                                    f"this version reads v{SCHEMA_VERSION}: run `rag index --store {uri}`")
        except BaseException:
            client.close()
            raise
        return cls(client, uri, kb, row["collection"], meta)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "MilvusStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dense(self) -> bool:
        return bool(self.meta.get("embedding"))

    # -- the Store interface -------------------------------------------------------------
    def add(self, chunks: Sequence[Chunk], vectors: Any = None) -> int:
        return insert_chunks(self.client, self.collection, chunks, vectors, self.dense)

    def delete(self, doc_ids: Sequence[str]) -> int:
        if not doc_ids:
            return 0
        expr = f"doc_id in {_quoted(doc_ids)}"
        n = self._count(expr)
        if n:
            self._call(self.client.delete, self.collection, filter=expr)
        return n

    def search(self, query: str, vector: Any, k: int, mode: str) -> list[Hit]:
        if mode not in ("lexical", "dense", "hybrid"):
            raise RagError(f"unknown retrieval mode '{mode}': use lexical, dense or hybrid")
        if mode != "lexical" and not self.dense:
            raise RagError(f"{mode} retrieval needs embeddings, which knowledge base '{self.kb}' has not: "
                           "use --mode lexical")
        if mode != "dense" and not query.strip():
            return []
        if mode == "lexical":
            res = self._call(self.client.search, self.collection, data=[query], anns_field="sparse", limit=k,
                             output_fields=list(FIELDS), search_params={"metric_type": "BM25"})
            return _hits(res, "bm25")
        dense = [float(x) for x in _row(vector)]
        if mode == "dense":
            res = self._call(self.client.search, self.collection, data=[dense], anns_field="dense", limit=k,
                             output_fields=list(FIELDS), search_params={"metric_type": "IP"})
            return _hits(res, "dense")
        from pymilvus import AnnSearchRequest, RRFRanker

        reqs = [AnnSearchRequest(data=[query], anns_field="sparse", param={"metric_type": "BM25"}, limit=k * DEPTH),
                AnnSearchRequest(data=[dense], anns_field="dense", param={"metric_type": "IP"}, limit=k * DEPTH)]
        res = self._call(self.client.hybrid_search, self.collection, reqs, RRFRanker(RRF_K), limit=k,
                         output_fields=list(FIELDS))
        return _hits(res, "hybrid")

    def info(self) -> dict[str, Any]:
        kind = "milvus-lite" if self.uri.endswith(".db") else "milvus"
        return {"kind": kind, "uri": self.uri, "knowledge_base": self.kb, "collection": self.collection,
                "schema_version": self.meta.get("schema_version"), "chunks": self._count(""),
                "documents": self.meta.get("documents"), "dense": self.dense,
                "embedding_model": (self.meta.get("embedding") or {}).get("model")}

    # -- what the answerer needs: the tokenizer's words and term weights ----------------------
    def words(self) -> list[str]:
        rows = self._call(self.client.query, self.meta["terms"], filter="word == true", output_fields=["term"],
                          limit=16384)
        return sorted(r["term"] for r in rows)

    def idf_of(self, token: str) -> float | None:
        if token not in self._idf:
            expr = f"term == {json.dumps(token, ensure_ascii=False)}"
            rows = self._call(self.client.query, self.meta["terms"], filter=expr, output_fields=["idf"], limit=1)
            idf = float(rows[0]["idf"]) if rows else -1.0
            self._idf[token] = None if idf < 0 else idf
        return self._idf[token]

    @property
    def max_idf(self) -> float:
        return float(self.meta.get("max_idf", 0.0))

    def _count(self, expr: str) -> int:
        rows = self._call(self.client.query, self.collection, filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RagError:
            raise
        except Exception as exc:  # noqa: BLE001 - MilvusException and gRPC errors: one line for the user
            raise RagError(f"Milvus ({self.uri}) failed: {_why(exc)}") from None


def _row(vector: Any) -> Sequence[float]:
    import numpy as np

    if vector is None:
        raise RagError("dense retrieval needs the query's embedding")
    arr = np.asarray(vector, dtype=np.float32)
    return arr.reshape(-1) if arr.ndim == 1 or arr.shape[0] == 1 else arr[0]


def _hits(res, source: str) -> list[Hit]:
    rows = res[0] if res else []
    out = []
    for r, hit in enumerate(rows):
        e = hit["entity"]
        out.append(Hit(Chunk(**{f: e[f] for f in FIELDS}), float(hit["distance"]), r, source))
    return out


# -- writing -------------------------------------------------------------------------------
def catalog_schema(client):
    from pymilvus import DataType

    s = client.create_schema(auto_id=False, description=f"rag-zh catalog v{SCHEMA_VERSION}")
    s.add_field("name", DataType.VARCHAR, is_primary=True, max_length=64)
    s.add_field("collection", DataType.VARCHAR, max_length=128)
    s.add_field("meta", DataType.VARCHAR, max_length=65535)
    s.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
    return s


def read_catalog(client, kb: str) -> dict[str, Any] | None:
    if not client.has_collection(CATALOG):
        return None
    expr = f"name == {json.dumps(kb, ensure_ascii=False)}"
    rows = client.query(CATALOG, filter=expr, output_fields=["collection", "meta"], limit=1)
    return rows[0] if rows else None


def _ensure_catalog(client) -> None:
    if client.has_collection(CATALOG):
        return
    ip = client.prepare_index_params()
    ip.add_index("v", index_type="FLAT", metric_type="L2")
    client.create_collection(CATALOG, schema=catalog_schema(client), index_params=ip, consistency_level="Strong")


def chunk_schema(client, dim: int | None):
    from pymilvus import DataType, Function, FunctionType

    s = client.create_schema(auto_id=False, description=f"rag-zh chunks v{SCHEMA_VERSION}")
    s.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=_LIMITS["chunk_id"])
    for name in ("doc_id", "title", "url", "section", "text"):
        s.add_field(name, DataType.VARCHAR, max_length=_LIMITS[name])
    s.add_field("start", DataType.INT64)
    s.add_field("end", DataType.INT64)
    # What BM25 sees, like the local index: title, section and text (build.index_text).
    s.add_field("body", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                analyzer_params={"type": "chinese"})
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["body"],
                            output_field_names=["sparse"]))
    if dim:
        s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    return s


def insert_chunks(client, collection: str, chunks: Sequence[Chunk], vectors: Any, dense: bool) -> int:
    import numpy as np

    if dense and (vectors is None or len(vectors) != len(chunks)):
        raise RagError("this knowledge base is dense: give one embedding per chunk")
    vecs = np.asarray(vectors, dtype=np.float32) if dense else None
    for start in range(0, len(chunks), BATCH):
        rows = []
        for i, c in enumerate(chunks[start:start + BATCH], start):
            row = {f: getattr(c, f) for f in FIELDS}
            for f, limit in _LIMITS.items():
                if len(row[f].encode("utf-8")) > limit:
                    raise RagError(f"chunk {c.chunk_id[:60]!r} has a {f} over {limit} bytes, too long for Milvus")
            row["body"] = f"{c.title}\n{c.section}\n{c.text}"
            if dense:
                row["dense"] = vecs[i].tolist()
            rows.append(row)
        try:
            client.upsert(collection, rows)
        except Exception as exc:  # noqa: BLE001
            raise RagError(f"Milvus insert into {collection} failed: {_why(exc)}") from None
    return len(chunks)


def insert_terms(client, collection: str, idf: dict[str, float], words: Sequence[str]) -> None:
    from pymilvus import DataType

    s = client.create_schema(auto_id=False, description=f"rag-zh terms v{SCHEMA_VERSION}")
    s.add_field("term", DataType.VARCHAR, is_primary=True, max_length=1024)
    s.add_field("idf", DataType.FLOAT)  # -1: a protected word the corpus never uses
    s.add_field("word", DataType.BOOL)
    s.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    ip = client.prepare_index_params()
    ip.add_index("v", index_type="FLAT", metric_type="L2")
    client.create_collection(collection, schema=s, index_params=ip, consistency_level="Strong")
    protected = set(words)
    terms = [t for t in sorted(set(idf) | protected) if len(t.encode("utf-8")) <= 1024]
    for start in range(0, len(terms), 5 * BATCH):
        client.insert(collection, [{"term": t, "idf": float(idf.get(t, -1.0)), "word": t in protected,
                                    "v": [0.0, 0.0]} for t in terms[start:start + 5 * BATCH]])


class MilvusBuild:
    """A new build of a knowledge base: new collections, switched to by `commit`, dropped on failure."""

    def __init__(self, client, kb: str, dim: int | None, aliases: bool = True) -> None:
        self.client, self.kb, self.dim, self.aliases = client, check_kb(kb), dim, aliases
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + uuid.uuid4().hex[:6]
        self.collection, self.terms = f"{kb}_{stamp}", f"{kb}_{stamp}_terms"
        drop_orphans(client, kb)
        ip = client.prepare_index_params()
        ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        if dim:
            ip.add_index("dense", index_type="AUTOINDEX", metric_type="IP")
        client.create_collection(self.collection, schema=chunk_schema(client, dim), index_params=ip,
                                 consistency_level="Strong")

    def add(self, chunks: Sequence[Chunk], vectors: Any = None) -> int:
        return insert_chunks(self.client, self.collection, chunks, vectors, bool(self.dim))

    def abort(self) -> None:
        for name in (self.collection, self.terms):
            if self.client.has_collection(name):
                self.client.drop_collection(name)

    def commit(self, idf: dict[str, float], words: Sequence[str], meta: dict[str, Any]) -> None:
        insert_terms(self.client, self.terms, idf, words)
        self.client.flush(self.collection)
        meta = {**meta, "schema_version": SCHEMA_VERSION, "collection": self.collection, "terms": self.terms,
                "max_idf": max_idf(int(meta.get("chunks", 0)))}
        text = json.dumps(meta, ensure_ascii=False)
        if len(text.encode("utf-8")) > 65535:
            raise RagError("the knowledge base's description is too long for the Milvus catalog")
        _ensure_catalog(self.client)
        old = read_catalog(self.client, self.kb)
        # The switch: one row upserted. Readers see the old build or the new one, never a mix.
        self.client.upsert(CATALOG, [{"name": self.kb, "collection": self.collection, "meta": text, "v": [0.0, 0.0]}])
        if self.aliases:
            _point_alias(self.client, self.kb, self.collection)
        if old:
            for name in (old["collection"], json.loads(old["meta"]).get("terms", "")):
                if name and name != self.collection and self.client.has_collection(name):
                    self.client.drop_collection(name)


def max_idf(n_docs: int) -> float:
    """What BM25.max_idf says: the IDF of a word no chunk uses (the answerer's unknown words weigh a share)."""
    import math

    return math.log1p((n_docs + 0.5) / 0.5)


def _point_alias(client, kb: str, collection: str) -> None:
    """Also point the alias `<kb>` where the server has aliases, for other clients of the same data."""
    try:
        try:
            client.alter_alias(collection, kb)
        except Exception:  # noqa: BLE001 - no such alias yet
            client.create_alias(collection, kb)
    except Exception:  # noqa: BLE001 - Milvus Lite: UNIMPLEMENTED; the catalog row is the pointer
        pass


def drop_orphans(client, kb: str) -> None:
    """Drop what builds that died left: collections of `kb` the catalog does not point at."""
    row = read_catalog(client, kb)
    live = set()
    if row:
        live = {row["collection"], json.loads(row["meta"]).get("terms", "")}
    pattern = re.compile(rf"{re.escape(kb)}_\d{{14}}[0-9a-f]{{6}}(_terms)?")
    for name in client.list_collections():
        if pattern.fullmatch(name) and name not in live:
            client.drop_collection(name)
