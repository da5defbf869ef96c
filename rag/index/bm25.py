"""BM25 as postings arrays: a query reads only the postings of its own terms.

Term weights are precomputed at build time (Lucene's BM25 with k1, b) and stored
term by term (CSC: for each term the ascending ids of the documents that use it and
their weights), so scoring costs O(postings of the query's terms). Top-k is exact
and prunes with MaxScore: terms are taken rarest first (largest possible
contribution); once the terms left could add less to an unseen document than the
k-th best score so far, they are only looked up (binary search) for the documents
still in the running. Common words (的, 发展) then cost a few lookups instead of a
pass over their hundreds of thousands of postings. Only numpy is needed to query:
scipy is imported by the build alone, so `rag ask` starts fast.

    >>> from rag.index.bm25_builder import build_bm25
    >>> idx = build_bm25([["a", "b"], ["b", "c"], ["c"]])
    >>> [int(i) for i in idx.top(["c"], 2)[0]]
    [2, 1]
"""
from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from rag.index.durable import save_npy, write_text
from rag.index.vocab import HashedVocab, term_hashes

FILES = ("bm25_data.npy", "bm25_indices.npy", "bm25_indptr.npy", "bm25_idf.npy", "bm25_vocab.json")
MAX_WEIGHT_FILE = "bm25_maxw.npy"  # optional: recomputed on load when absent (older indexes)
# Optional too: with them, loading skips parsing the term list (a second at millions of terms).
PARAMS_FILE, HASH_FILE, ORDER_FILE = "bm25_params.json", "bm25_terms.hash.npy", "bm25_terms.order.npy"
_BIG_TERM = 4096  # postings; below this a term is cheaper to add than to prune
_EMPTY = (np.zeros(0, np.int64), np.zeros(0, np.float32))


@dataclass(frozen=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75


class BM25:
    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, idf: np.ndarray,
                 vocab: Mapping[str, int], params: BM25Params, n_docs: int,
                 max_weight: np.ndarray | None = None) -> None:
        self.indptr, self.indices, self.data = indptr, indices, data
        self.idf, self.vocab, self.params = idf, vocab, params
        self._lookup = vocab.lookup if isinstance(vocab, HashedVocab) else _dict_lookup(vocab)
        self._n_docs = n_docs
        self.max_weight = _column_max(indptr, data) if max_weight is None else max_weight
        self._local = threading.local()

    @property
    def n_docs(self) -> int:
        return self._n_docs

    @property
    def matrix(self):
        """The weights as a scipy CSC matrix `docs x terms` (imports scipy)."""
        from scipy import sparse

        return sparse.csc_matrix((self.data, self.indices, self.indptr), shape=(self.n_docs, self.n_terms))

    @property
    def n_terms(self) -> int:
        return len(self.indptr) - 1

    def term_ids(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Known term ids of a query and their multiplicities."""
        counts = Counter(tokens)
        ids = self._lookup(list(counts))
        mult = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        known = ids >= 0
        return ids[known], mult[known]

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        s, e = self.indptr[term], self.indptr[term + 1]
        return self.indices[s:e], self.data[s:e]

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """The score of every document (a dense array; `top` is the fast path)."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        for term, m in zip(*self.term_ids(tokens)):
            docs, w = self._postings(int(term))
            out[docs] += w * m  # a term's documents are distinct: no need for np.add.at
        return out

    def top(self, tokens: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """(doc ids, scores) of the k best documents with a positive score, best first.

        Ties are broken by document id, so results are deterministic."""
        ids, mult = self.term_ids(tokens)
        k = min(k, self.n_docs)
        if k <= 0 or len(ids) == 0:
            return _EMPTY
        bound = self.max_weight[ids] * mult
        order = np.argsort(-bound, kind="stable")
        ids, mult, bound = ids[order], mult[order], bound[order]
        rest = np.cumsum(bound[::-1])[::-1]  # rest[j]: the most terms j.. can add to one document
        acc = self._accumulator()
        seen: list[np.ndarray] = []  # the distinct documents touched, in the order first met
        try:
            j, n_seen, theta = 0, 0, 0.0
            while j < len(ids):
                docs, w = self._postings(int(ids[j]))
                if n_seen >= k and len(docs) > _BIG_TERM:
                    seen = [np.concatenate(seen)]
                    theta = _kth(acc, seen[0], k)
                    if rest[j] < theta:
                        break  # no unseen document can reach the top k any more
                new = docs[acc[docs] == 0]  # weights are positive: 0 means not met yet
                acc[docs] += w * mult[j]
                seen.append(new)
                n_seen += len(new)
                j += 1
            cand = np.concatenate(seen) if seen else np.zeros(0, np.int64)
            seen = [cand]
            if j < len(ids):
                cand = cand[acc[cand] + rest[j] >= theta]
                for t in range(j, len(ids)):
                    self._add_for(acc, cand, int(ids[t]), float(mult[t]))
            scores = acc[cand]
            if len(cand) > k:
                part = np.argpartition(-scores, k - 1)[:k]
                cand, scores = cand[part], scores[part]
            order = np.lexsort((cand, -scores))
            return cand[order].astype(np.int64), scores[order].copy()
        finally:
            _reset(acc, seen)

    def _add_for(self, acc: np.ndarray, cand: np.ndarray, term: int, mult: float) -> None:
        """Add a term's weight to the candidate documents that use it (binary search)."""
        docs, w = self._postings(term)
        if len(docs) == 0 or len(cand) == 0:
            return
        pos = np.minimum(np.searchsorted(docs, cand), len(docs) - 1)
        hit = docs[pos] == cand
        acc[cand[hit]] += w[pos[hit]] * mult

    def _accumulator(self) -> np.ndarray:
        """A zeroed score array per thread, reused across queries (zeroing 1M floats costs more
        than the query)."""
        acc = getattr(self._local, "acc", None)
        if acc is None or len(acc) != self.n_docs:
            acc = self._local.acc = np.zeros(self.n_docs, dtype=np.float32)
        return acc

    def idf_of(self, token: str) -> float | None:
        """IDF of a token, or None when the corpus never uses it."""
        i = int(self._lookup([token])[0])
        return None if i < 0 else float(self.idf[i])

    @property
    def max_idf(self) -> float:
        return math.log1p((self.n_docs + 0.5) / 0.5)

    def save(self, folder: Path) -> None:
        save_npy(folder / "bm25_data.npy", self.data)
        save_npy(folder / "bm25_indices.npy", self.indices)
        save_npy(folder / "bm25_indptr.npy", self.indptr)
        save_npy(folder / "bm25_idf.npy", self.idf)
        save_npy(folder / MAX_WEIGHT_FILE, self.max_weight)
        vocab = self.vocab
        terms = vocab.terms_by_id() if isinstance(vocab, HashedVocab) else sorted(vocab, key=vocab.__getitem__)
        params = {"k1": self.params.k1, "b": self.params.b, "n_docs": self.n_docs}
        write_text(folder / "bm25_vocab.json", json.dumps({**params, "terms": terms}, ensure_ascii=False))
        if isinstance(vocab, HashedVocab):
            hashes, ids = vocab.hashes, vocab.ids
        else:
            h = term_hashes(terms)
            order = np.argsort(h, kind="stable")
            hashes, ids = h[order], order
        if not np.any(hashes[1:] == hashes[:-1]):  # a collision: keep the slow, exact path
            save_npy(folder / HASH_FILE, hashes)
            save_npy(folder / ORDER_FILE, ids.astype(np.int32 if len(ids) < 2**31 else np.int64))
            write_text(folder / PARAMS_FILE, json.dumps({**params, "n_terms": len(terms)}))

    @classmethod
    def load(cls, folder: Path) -> "BM25":
        vocab: Mapping[str, int]
        if (folder / PARAMS_FILE).is_file() and (folder / HASH_FILE).is_file():
            meta = json.loads((folder / PARAMS_FILE).read_text(encoding="utf-8"))
            vocab = HashedVocab(np.load(folder / HASH_FILE, allow_pickle=False),
                                np.load(folder / ORDER_FILE, allow_pickle=False), folder / "bm25_vocab.json")
            if len(vocab) != meta["n_terms"]:
                raise ValueError("BM25 term hashes disagree with the vocabulary")
        else:
            meta = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
            vocab = {t: i for i, t in enumerate(meta["terms"])}
        n_terms = len(vocab)
        # The postings are memory-mapped: a query reads the pages of its own terms, so a million
        # chunks open in milliseconds and memory holds what queries use (the OS page cache).
        data = np.load(folder / "bm25_data.npy", allow_pickle=False, mmap_mode="r")
        indices = np.load(folder / "bm25_indices.npy", allow_pickle=False, mmap_mode="r")
        indptr = np.load(folder / "bm25_indptr.npy", allow_pickle=False)
        idf = np.load(folder / "bm25_idf.npy", allow_pickle=False)
        if len(indptr) != n_terms + 1 or len(idf) != n_terms or len(data) != len(indices):
            raise ValueError("BM25 arrays disagree with the vocabulary")
        if len(indptr) and (indptr[0] != 0 or indptr[-1] != len(indices) or np.any(np.diff(indptr) < 0)):
            raise ValueError("BM25 term offsets disagree with the postings")
        # Document ids are not scanned here (a second at 1M chunks, and it would read every page):
        # the manifest's checksums, verified by load_index by default, vouch for them.
        max_weight = None
        if (folder / MAX_WEIGHT_FILE).is_file():
            max_weight = np.load(folder / MAX_WEIGHT_FILE, allow_pickle=False)
            if len(max_weight) != n_terms:
                raise ValueError("BM25 term bounds disagree with the vocabulary")
        return cls(indptr, indices, data, idf, vocab, BM25Params(meta["k1"], meta["b"]), int(meta["n_docs"]),
                   max_weight)


def _dict_lookup(vocab: Mapping[str, int]):
    def lookup(terms: Sequence[str]) -> np.ndarray:
        return np.fromiter((vocab.get(t, -1) for t in terms), dtype=np.int64, count=len(terms))
    return lookup


def _column_max(indptr: np.ndarray, data: np.ndarray) -> np.ndarray:
    """The largest weight of each term: its most a document can gain from it."""
    out = np.zeros(len(indptr) - 1, dtype=np.float32)
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    if len(nonempty):
        out[nonempty] = np.maximum.reduceat(data, indptr[nonempty])
    return out


def _kth(acc: np.ndarray, cand: np.ndarray, k: int) -> float:
    if len(cand) < k:
        return 0.0
    return float(np.partition(acc[cand], len(cand) - k)[len(cand) - k])


def _reset(acc: np.ndarray, seen: list[np.ndarray]) -> None:
    if sum(len(docs) for docs in seen) * 8 > len(acc):
        acc.fill(0)
    else:
        for docs in seen:
            acc[docs] = 0
