"""BM25 as a sparse matrix: scoring a query is a sum of a few columns.

Term weights are precomputed at build time (Lucene's BM25 with k1, b), stored as a
CSC matrix `docs x terms`, so a query costs O(postings of its terms).

    >>> idx = BM25.build([["a", "b"], ["b", "c"], ["c"]])
    >>> [int(i) for i in idx.top(["c"], 2)[0]]
    [2, 1]
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from scipy import sparse

FILES = ("bm25_data.npy", "bm25_indices.npy", "bm25_indptr.npy", "bm25_idf.npy", "bm25_vocab.json")


@dataclass(frozen=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75


class BM25:
    def __init__(self, matrix: sparse.csc_matrix, idf: np.ndarray, vocab: dict[str, int], params: BM25Params) -> None:
        self.matrix = matrix
        self.idf = idf
        self.vocab = vocab
        self.params = params

    @property
    def n_docs(self) -> int:
        return self.matrix.shape[0]

    @classmethod
    def build(cls, docs: Iterable[Sequence[str]], params: BM25Params = BM25Params()) -> "BM25":
        """Build from tokenized documents, streaming: only integer postings are kept."""
        vocab: dict[str, int] = {}
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        tfs: list[np.ndarray] = []
        lengths: list[int] = []
        for i, toks in enumerate(docs):
            counts = Counter(toks)
            ids = [vocab.setdefault(t, len(vocab)) for t in counts]
            rows.append(np.full(len(ids), i, dtype=np.int32))
            cols.append(np.asarray(ids, dtype=np.int32))
            tfs.append(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
            lengths.append(len(toks))
        n = len(lengths)
        row = np.concatenate(rows) if rows else np.zeros(0, np.int32)
        col = np.concatenate(cols) if cols else np.zeros(0, np.int32)
        tf = np.concatenate(tfs) if tfs else np.zeros(0, np.float32)
        del rows, cols, tfs
        dl = np.asarray(lengths, dtype=np.float32)
        avgdl = float(dl.mean()) if n and dl.mean() > 0 else 1.0
        df = np.bincount(col, minlength=len(vocab)).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = params.k1 * (1 - params.b + params.b * dl[row] / avgdl)
        weights = idf[col] * tf * (params.k1 + 1) / (tf + norm)
        matrix = sparse.csc_matrix((weights.astype(np.float32), (row, col)), shape=(n, len(vocab)))
        return cls(matrix, idf, vocab, params)

    def term_ids(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Known term ids of a query and their multiplicities."""
        counts = Counter(t for t in tokens if t in self.vocab)
        ids = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64, count=len(counts))
        return ids, np.fromiter(counts.values(), dtype=np.float32, count=len(counts))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        ids, mult = self.term_ids(tokens)
        if len(ids) == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        sub = self.matrix[:, ids]
        return np.asarray(sub @ mult).ravel()

    def top(self, tokens: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """(doc ids, scores) of the k best documents with a positive score, best first."""
        s = self.scores(tokens)
        k = min(k, len(s))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        cand = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
        cand = cand[np.argsort(-s[cand], kind="stable")]
        cand = cand[s[cand] > 0]
        return cand, s[cand]

    def idf_of(self, token: str) -> float | None:
        """IDF of a token, or None when the corpus never uses it."""
        i = self.vocab.get(token)
        return None if i is None else float(self.idf[i])

    @property
    def max_idf(self) -> float:
        return math.log1p((self.n_docs + 0.5) / 0.5)

    def save(self, folder: Path) -> None:
        m = self.matrix
        np.save(folder / "bm25_data.npy", m.data)
        np.save(folder / "bm25_indices.npy", m.indices)
        np.save(folder / "bm25_indptr.npy", m.indptr)
        np.save(folder / "bm25_idf.npy", self.idf)
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        payload = {"k1": self.params.k1, "b": self.params.b, "n_docs": m.shape[0], "terms": terms}
        (folder / "bm25_vocab.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "BM25":
        meta = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        terms = meta["terms"]
        data = np.load(folder / "bm25_data.npy", allow_pickle=False)
        indices = np.load(folder / "bm25_indices.npy", allow_pickle=False)
        indptr = np.load(folder / "bm25_indptr.npy", allow_pickle=False)
        idf = np.load(folder / "bm25_idf.npy", allow_pickle=False)
        if len(indptr) != len(terms) + 1 or len(idf) != len(terms) or len(data) != len(indices):
            raise ValueError("BM25 arrays disagree with the vocabulary")
        if len(indices) and (indices.max() >= meta["n_docs"] or indices.min() < 0):
            raise ValueError("BM25 postings point outside the corpus")
        matrix = sparse.csc_matrix((data, indices, indptr), shape=(meta["n_docs"], len(terms)))
        return cls(matrix, idf, {t: i for i, t in enumerate(terms)}, BM25Params(meta["k1"], meta["b"]))
