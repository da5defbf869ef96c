"""Synthetic dense vectors: a stand-in embedder that costs microseconds, not a model.

Embedding a million chunks with a real model takes hours on two cores, so the
benchmark builds the FAISS stages from these vectors and times the real model
separately on a sample (`embedding.py`). A vector is the sum of two parts, like a
sentence embedding's "what is it about" and "how is it worded":

* topic: the character bigrams of the synthetic corpus's topic nouns vote for
  their topics; the text's topic mix picks a blend of fixed random topic centres;
* wording: every character bigram is hashed onto `hashes` signed coordinates (a
  sparse random projection of the bag of bigrams).

Texts on one topic therefore cluster (as real embeddings do, and as an IVF index
needs), and a question lands near the passage that shares its wording.

    >>> e = HashingEmbedder(dim=64)
    >>> v = e.embed(["天猫双11成交额", "天猫双11成交额破亿", "今天天气很好"])
    >>> bool(v[0] @ v[1] > v[0] @ v[2])
    True
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

_C1 = 0x9E3779B97F4A7C15
_C2 = np.uint64(0xBF58476D1CE4E5B9)
_SLOT_BITS = 22


def _bigram_keys(cp_a: np.ndarray, cp_b: np.ndarray) -> np.ndarray:
    return (cp_a.astype(np.uint64) << np.uint64(21)) | cp_b.astype(np.uint64)


class HashingEmbedder:
    name = "synthetic-topic-bigram-hash"

    def __init__(self, dim: int = 512, hashes: int = 4, topics: Sequence[Sequence[str]] = (),
                 wording: float = 0.6, batch_size: int = 4096, seed: int = 0) -> None:
        if dim & (dim - 1):
            raise ValueError("dim must be a power of two")
        self.dim, self.hashes, self.wording, self.batch_size = dim, hashes, wording, batch_size
        rng = np.random.default_rng(seed)
        centers = rng.standard_normal((max(1, len(topics)), dim))
        self.centers = centers / np.linalg.norm(centers, axis=1, keepdims=True)
        keys, tids = [], []
        for t, words in enumerate(topics):
            for w in words:
                for a, b in zip(w, w[1:]):
                    keys.append((ord(a) << 21) | ord(b))
                    tids.append(t)
        keys_a, tids_a = np.array(keys, dtype=np.uint64), np.array(tids, dtype=np.int64)
        order = np.lexsort((tids_a, keys_a))
        keys_a, tids_a = keys_a[order], tids_a[order]
        keep = np.ones(len(keys_a), dtype=bool)
        keep[1:] = (keys_a[1:] != keys_a[:-1]) | (tids_a[1:] != tids_a[:-1])
        keys_a, self._topic_ids = keys_a[keep], tids_a[keep]
        # An open hash table (one probe; the rare colliding key is dropped): a gather per
        # bigram instead of a binary search.
        uniq, first, count = np.unique(keys_a, return_index=True, return_counts=True)
        slot = _slot(uniq)
        _, once = np.unique(slot, return_index=True)
        self._slot_key = np.zeros(1 << _SLOT_BITS, dtype=np.uint64)
        self._slot_first = np.zeros(1 << _SLOT_BITS, dtype=np.int64)
        self._slot_count = np.zeros(1 << _SLOT_BITS, dtype=np.int64)
        self._slot_key[slot[once]] = uniq[once]
        self._slot_first[slot[once]] = first[once]
        self._slot_count[slot[once]] = count[once]

    def embed(self, texts: list[str]) -> np.ndarray:
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        cp = np.frombuffer(("\x00".join(texts) + "\x00").encode("utf-32-le"), dtype=np.uint32)
        row = np.cumsum(cp == 0) - (cp == 0)  # which text each character belongs to
        low = cp | 32
        word = ((cp >= 0x4E00) & (cp <= 0x9FFF)) | ((cp >= 48) & (cp <= 57)) | ((low >= 97) & (low <= 122))
        ok = word[:-1] & word[1:]
        key = _bigram_keys(cp[:-1][ok], cp[1:][ok])
        rows = row[:-1][ok].astype(np.int64)
        vec = self._topic_part(key, rows, n) + self.wording * _unit(self._wording_part(key, rows, n))
        return _unit(vec).astype(np.float32)

    def _wording_part(self, key: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
        cell = rows * self.dim
        out = np.zeros(n * self.dim, dtype=np.float64)
        for j in range(self.hashes):
            h = (key + np.uint64((j + 1) * _C1 % 2**64)) * _C2
            h ^= h >> np.uint64(31)
            coord = ((h >> np.uint64(40)) & np.uint64(self.dim - 1)).astype(np.int64)
            sign = (h >> np.uint64(63)).astype(np.float64) * 2 - 1
            out += np.bincount(cell + coord, weights=sign, minlength=n * self.dim)
        return out.reshape(n, self.dim)

    def _topic_part(self, key: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
        n_topics = len(self.centers)
        if len(self._topic_ids) == 0:
            return np.zeros((n, self.dim))
        slot = _slot(key)
        m = self._slot_key[slot] == key
        slot, rows = slot[m], rows[m]
        lo, cnt = self._slot_first[slot], self._slot_count[slot]
        first = np.repeat(np.cumsum(cnt) - cnt, cnt)
        idx = np.repeat(lo, cnt) + np.arange(int(cnt.sum())) - first
        votes = np.bincount(np.repeat(rows, cnt) * n_topics + self._topic_ids[idx],
                            weights=1.0 / np.repeat(cnt, cnt), minlength=n * n_topics)
        return _unit(votes.reshape(n, n_topics) @ self.centers)


def _slot(keys: np.ndarray) -> np.ndarray:
    return ((keys * _C2) >> np.uint64(64 - _SLOT_BITS)).astype(np.int64)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
