"""The FAISS vector index: choice by corpus size, build, tuning, save, load, search.

Inner product over L2-normalized vectors is cosine similarity. While an exact scan
is fast (`FLAT_UP_TO_BYTES` of vectors: ~2 ms on one core) the index is exact
(`IndexFlatIP`). Above, it is an inverted file over 8-bit scalar-quantized vectors
(`ivf_sq8`): a query scans `nprobe` of `nlist` clusters, the index takes a quarter
of the memory of float vectors and loads in a fraction of a second. 8-bit codes
alone cap recall@10 near 0.984, so the `refine x k` best candidates are re-ranked by
exact inner products with the float vectors of embeddings.npy, memory-mapped: only
the candidates' rows are ever read. `nprobe` is not guessed: the build measures
recall@10 against exact search on sample queries (8-16 characters of random chunks:
as short as questions, the hardest probes we tried) and keeps the smallest `nprobe`
that reaches `TUNE_RECALL`, then one step further up `NPROBES` as a margin (users'
questions are not the samples: at 1M, the benchmark's planted questions needed
nprobe 32 for 0.988 where the samples reached 0.991). The choice and its measured
recall go in the manifest.
Plain IVF (`ivf`, float codes, 4x the memory and load time) and `flat` can be forced
with `Settings.vector_index`. HNSW was not chosen: at a million vectors it builds
in minutes and loads in seconds (measurements in docs/scaling.md).

Searches run FAISS on one thread: for one query at a time, a second OpenMP thread
made flat search 2-4x slower on a busy two-core machine (threads wait at barriers).

Vectors travel as .npy files read block by block (`npyfile.py`), never memory-mapped
while building, so a build's memory does not grow with the corpus.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from rag.errors import MissingDependency, RagError
from rag.index.npyfile import Source, blocks, sample, shape

FLAT_UP_TO_BYTES = 40 << 20  # 20k x 512 floats: an exact scan answers in ~2 ms on one core
KINDS = ("flat", "ivf", "ivf_sq8")
TARGET_RECALL = 0.98  # the promise
TUNE_RECALL = 0.99  # what tuning aims at on the sample queries, before the margin
NPROBE_MARGIN = 1  # steps up NPROBES past the tuned value: users' queries are not the samples
NPROBES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
TRAIN_PER_LIST = 40  # k-means points per cluster (FAISS warns below 39)
KMEANS_ITERATIONS = 10  # FAISS's default is 25; at 1M, 10 gave the same recall@10 (0.993 at nprobe 8)


@dataclass(frozen=True)
class VectorIndexSpec:
    kind: str = "flat"  # "flat" | "ivf" | "ivf_sq8"
    nlist: int = 0
    nprobe: int = 0
    refine: int = 0  # re-rank refine x k candidates by exact inner products (0: no)
    recall: float | None = None  # recall@10 against exact search, measured at build time
    tuned_on: int = 0  # how many sample queries measured it

    def to_dict(self) -> dict:
        return asdict(self)


def choose_spec(n: int, requested: str = "auto", dim: int = 512) -> VectorIndexSpec:
    if requested not in ("auto", *KINDS):
        raise RagError(f"unknown vector index '{requested}': use auto, {', '.join(KINDS)}")
    small = n * dim * 4 <= FLAT_UP_TO_BYTES
    if requested == "flat" or (requested == "auto" and small) or n < 4 * TRAIN_PER_LIST:
        return VectorIndexSpec("flat")
    kind = "ivf_sq8" if requested == "auto" else requested
    return VectorIndexSpec(kind, nlist_for(n), nprobe=8, refine=4 if kind == "ivf_sq8" else 0)


def nlist_for(n: int) -> int:
    """About sqrt(n) clusters, a power of two: 1024 at 1M (~1000 vectors each).

    More clusters would scan fewer vectors a query but cost more to train and to
    assign every vector at build time; at 1M, 1024 lists answer in under a ms."""
    nlist = 2 ** round(math.log2(max(16.0, math.sqrt(n))))
    return int(max(4, min(nlist, 16384, n // TRAIN_PER_LIST)))


def _faiss():
    try:
        import faiss
    except ImportError:
        raise MissingDependency("faiss", "models") from None
    # faiss-cpu runs batches under 20 queries without BLAS, 15x slower for batches of 64.
    faiss.cvar.distance_compute_blas_threshold = 4
    return faiss


def build_index(source: Source, spec: VectorIndexSpec, queries: np.ndarray | None = None):
    """(index, spec): the index over `source` (an array or a .npy file), with nprobe tuned on `queries`."""
    faiss = _faiss()
    from rag.index.parallel import cpu_count

    faiss.omp_set_num_threads(cpu_count())  # training and adding are batch work: all cores
    try:
        return _build(faiss, source, spec, queries)
    finally:
        faiss.omp_set_num_threads(1)


def _build(faiss, source: Source, spec: VectorIndexSpec, queries: np.ndarray | None):
    n, dim = shape(source)
    if spec.kind == "flat":
        index = faiss.IndexFlatIP(dim)
    else:
        quantizer = faiss.IndexFlatIP(dim)
        if spec.kind == "ivf_sq8":
            index = faiss.IndexIVFScalarQuantizer(quantizer, dim, spec.nlist, faiss.ScalarQuantizer.QT_8bit,
                                                  faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFFlat(quantizer, dim, spec.nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = KMEANS_ITERATIONS
        index.train(sample(source, min(n, spec.nlist * TRAIN_PER_LIST)))
    for block in blocks(source):
        index.add(block)
    if spec.kind != "flat":
        index.nprobe = spec.nprobe
        if queries is not None and len(queries):
            searchable = _refined(index, source, spec)
            exact = exact_search(source, queries, 10)
            nprobe, _ = tune_nprobe(searchable, source, queries, exact=exact)
            ladder = [p for p in NPROBES if p < index.nlist] + [index.nlist]
            step = ladder.index(nprobe) + NPROBE_MARGIN if nprobe in ladder else len(ladder) - 1
            searchable.nprobe = ladder[min(step, len(ladder) - 1)]
            recall = recall_at_k(searchable.search(np.ascontiguousarray(queries, dtype=np.float32), 10)[1], exact)
            spec = replace(spec, nprobe=searchable.nprobe, recall=round(recall, 4), tuned_on=len(queries))
        index.nprobe = spec.nprobe
    return index, spec


class RefinedIndex:
    """An approximate index whose `factor x k` candidates are re-ranked exactly.

    Same `search(queries, k) -> (scores, ids)` as a FAISS index; `vectors` is the
    float matrix (a memory map: only candidate rows are read)."""

    def __init__(self, index, vectors: np.ndarray, factor: int) -> None:
        self.index, self.vectors, self.factor = index, vectors, factor

    ntotal = property(lambda self: self.index.ntotal)
    d = property(lambda self: self.index.d)
    nlist = property(lambda self: self.index.nlist)
    nprobe = property(lambda self: self.index.nprobe, lambda self, v: setattr(self.index, "nprobe", v))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        _, cand = self.index.search(queries, k * self.factor)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        for row, (q, c) in enumerate(zip(queries, cand)):
            c = np.sort(c[c >= 0])  # ascending rows read the memory map in order
            s = np.asarray(self.vectors[c]) @ q
            best = np.argsort(-s, kind="stable")[:k]
            scores[row, :len(best)], ids[row, :len(best)] = s[best], c[best]
        return scores, ids


def _refined(index, source: Source, spec: VectorIndexSpec):
    if not spec.refine:
        return index
    vectors = source if isinstance(source, np.ndarray) else np.load(source, mmap_mode="r", allow_pickle=False)
    return RefinedIndex(index, vectors, spec.refine)


def tune_nprobe(index, source: Source, queries: np.ndarray, k: int = 10,
                target: float = TUNE_RECALL, exact: np.ndarray | None = None) -> tuple[int, float]:
    """The smallest nprobe whose recall@k against exact search reaches `target` (or the best there is)."""
    exact = exact_search(source, queries, k) if exact is None else exact
    q = np.ascontiguousarray(queries, dtype=np.float32)
    tried: list[tuple[int, float]] = []
    for nprobe in [p for p in NPROBES if p < index.nlist] + [index.nlist]:
        index.nprobe = nprobe
        tried.append((nprobe, recall_at_k(index.search(q, k)[1], exact)))
        if tried[-1][1] >= target:
            break
        if len(tried) >= 4 and tried[-1][1] - tried[-3][1] < 0.001:
            break  # a plateau: quantization, not nprobe, limits recall
    return max(tried, key=lambda t: (round(t[1], 3), -t[0]))


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of the exact top-k that the approximate search found."""
    k = exact.shape[1]
    return float(np.mean([len(set(f[f >= 0].tolist()) & set(e.tolist())) / k for f, e in zip(found, exact)]))


def exact_search(source: Source, queries: np.ndarray, k: int) -> np.ndarray:
    """Ids of the exact top-k by inner product, one pass over the vectors with BLAS."""
    q = np.ascontiguousarray(queries, dtype=np.float32)
    best_s = np.full((len(q), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(q), 0), dtype=np.int64)
    start = 0
    for block in blocks(source):
        scores = q @ block.T
        kk = min(k, block.shape[0])
        part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        cand_s = np.concatenate([best_s, np.take_along_axis(scores, part, 1)], 1)
        cand_i = np.concatenate([best_i, part + start], 1)
        order = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, order, 1), np.take_along_axis(cand_i, order, 1)
        start += block.shape[0]
    return best_i


def save_index(index, path: Path) -> None:
    """Written through a CheckedFile (see durable.py), so a failed write raises instead of being committed."""
    from rag.index.durable import CheckedFile

    faiss = _faiss()
    with CheckedFile(path) as f:
        writer = faiss.PyCallbackIOWriter(f.write)
        faiss.write_index(getattr(index, "index", index) if isinstance(index, RefinedIndex) else index, writer)
        del writer  # flushes its buffer into f before f is closed


def load_index(path: Path, spec: VectorIndexSpec):
    """The index at `path`, ready to search (re-ranked with the embeddings.npy beside it when
    the spec says so)."""
    faiss = _faiss()
    faiss.omp_set_num_threads(1)
    index = faiss.read_index(str(path))
    if spec.kind == "flat":
        return index
    index.nprobe = spec.nprobe
    if spec.refine:
        vectors = np.load(Path(path).parent / "embeddings.npy", mmap_mode="r", allow_pickle=False)
        if vectors.shape != (index.ntotal, index.d):
            raise ValueError("embeddings.npy disagrees with the vector index")
        return RefinedIndex(index, vectors, spec.refine)
    return index


def search(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores), each of shape (n_queries, k); missing results have id -1."""
    q = np.ascontiguousarray(queries, dtype=np.float32)
    scores, ids = index.search(q, min(k, index.ntotal) if index.ntotal else 1)
    return ids, scores
