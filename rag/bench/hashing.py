"""Synthetic dense vectors: a stand-in embedder that costs microseconds, not a model.

Embedding a million chunks with a real model takes hours on two cores, so the
benchmark builds the FAISS stages from these vectors and times the real model
separately on a sample (`embedding.py`). Each character bigram of the text is hashed
onto `hashes` signed coordinates of a `dim`-wide vector (a sparse random
projection of the bag of bigrams), and the sum is L2-normalized. Texts that share
wording get similar vectors, so the vectors have the topic structure that an
approximate index must cope with (unlike uniform random vectors), and a question
lands near the passage that states its answer.

    >>> e = HashingEmbedder(dim=64)
    >>> v = e.embed(["天猫双11成交额", "天猫双11成交额破亿", "今天天气很好"])
    >>> bool(v[0] @ v[1] > v[0] @ v[2])
    True
"""
from __future__ import annotations

import numpy as np

_C1 = 0x9E3779B97F4A7C15
_C2 = np.uint64(0xBF58476D1CE4E5B9)


class HashingEmbedder:
    name = "synthetic-bigram-hash"

    def __init__(self, dim: int = 512, hashes: int = 8, batch_size: int = 4096) -> None:
        if dim & (dim - 1):
            raise ValueError("dim must be a power of two")
        self.dim, self.hashes, self.batch_size = dim, hashes, batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        cp = np.frombuffer(("\x00".join(texts) + "\x00").encode("utf-32-le"), dtype=np.uint32)
        sep = cp == 0
        row = np.cumsum(sep) - sep  # which text each character belongs to
        word = ((cp >= 0x4E00) & (cp <= 0x9FFF)) | ((cp >= 48) & (cp <= 57)) | ((cp | 32) >= 97) & ((cp | 32) <= 122)
        ok = word[:-1] & word[1:]
        key = (cp[:-1][ok].astype(np.uint64) << np.uint64(21)) | cp[1:][ok].astype(np.uint64)
        cell = row[:-1][ok].astype(np.int64) * self.dim
        out = np.zeros(n * self.dim, dtype=np.float64)
        for j in range(self.hashes):
            h = (key + np.uint64((j + 1) * _C1 % 2**64)) * _C2
            h ^= h >> np.uint64(31)
            coord = ((h >> np.uint64(40)) & np.uint64(self.dim - 1)).astype(np.int64)
            sign = (h >> np.uint64(63)).astype(np.float64) * 2 - 1
            out += np.bincount(cell + coord, weights=sign, minlength=n * self.dim)
        vecs = out.reshape(n, self.dim).astype(np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs /= np.maximum(norms, 1e-12)
        return vecs
