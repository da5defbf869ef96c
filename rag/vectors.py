"""The FAISS vector index: choice by corpus size, build, save, load, search.

Inner product over L2-normalized vectors is cosine similarity. Small corpora use
exact search (`IndexFlatIP`); from `IVF_FROM` vectors on an IVF index is trained,
with `nprobe` chosen so that recall@10 against exact search stays >= 0.98 (see
docs/scaling.md for the measurements). The choice is recorded in the manifest.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import MissingDependency

IVF_FROM = 200_000


@dataclass(frozen=True)
class VectorIndexSpec:
    kind: str = "flat"  # "flat" | "ivf" | "ivf_sq8"
    nlist: int = 0
    nprobe: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def choose_spec(n: int, requested: str = "auto") -> VectorIndexSpec:
    if requested == "flat" or (requested == "auto" and n < IVF_FROM):
        return VectorIndexSpec("flat")
    kind = "ivf" if requested in ("auto", "ivf") else requested
    nlist = max(16, min(8192, int(4 * math.sqrt(n))))
    return VectorIndexSpec(kind, nlist, nprobe=max(8, nlist // 400))


def _faiss():
    try:
        import faiss
    except ImportError:
        raise MissingDependency("faiss", "models") from None
    return faiss


def build_index(vectors: np.ndarray, spec: VectorIndexSpec):
    faiss = _faiss()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if spec.kind == "flat":
        index = faiss.IndexFlatIP(dim)
    else:
        quantizer = faiss.IndexFlatIP(dim)
        if spec.kind == "ivf_sq8":
            index = faiss.IndexIVFScalarQuantizer(quantizer, dim, spec.nlist, faiss.ScalarQuantizer.QT_8bit,
                                                  faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFFlat(quantizer, dim, spec.nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(len(vectors), min(len(vectors), spec.nlist * 64), replace=False)]
        index.train(sample)
        index.nprobe = spec.nprobe
    index.add(vectors)
    return index


def save_index(index, path: Path) -> None:
    _faiss().write_index(index, str(path))


def load_index(path: Path, spec: VectorIndexSpec):
    index = _faiss().read_index(str(path))
    if spec.kind != "flat":
        index.nprobe = spec.nprobe
    return index


def search(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores), each of shape (n_queries, k); missing results have id -1."""
    q = np.ascontiguousarray(queries, dtype=np.float32)
    scores, ids = index.search(q, min(k, index.ntotal) if index.ntotal else 1)
    return ids, scores
