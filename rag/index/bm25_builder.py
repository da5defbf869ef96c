"""Building BM25: bags of words in, weighted term-major postings out.

Documents arrive one at a time (`add`) or as the tokenizer workers' batches
(`add_bags`); only flat int32 arrays of (term id, count) are kept, ~8 bytes a
distinct term per chunk, never token strings. `finish` computes Lucene's BM25
weights block by block and transposes to term-major order with scipy (a counting
sort in C), freeing each input as soon as it is used: at a million chunks the
transpose, which holds the postings twice, is the build's peak (~2 GB of it).
"""
from __future__ import annotations

from array import array
from collections import Counter
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from rag.index.bm25 import BM25, BM25Params
from rag.index.vocab import TermVocab

if TYPE_CHECKING:
    from rag.index.parallel import Bags


class BM25Builder:
    """Collects bags of words one document (`add`) or one batch (`add_bags`) at a time.

    Postings are kept as flat int32 arrays (term id, count), so a million chunks cost
    about 8 bytes a distinct term per chunk, never a list of token strings."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self.vocab = TermVocab()
        self._ids, self._tfs = array("i"), array("i")
        self._counts, self._lengths = array("i"), array("i")

    @property
    def n_docs(self) -> int:
        return len(self._lengths)

    def add(self, tokens: Sequence[str]) -> None:
        counts = Counter(tokens)
        self._ids.frombytes(self.vocab.add(list(counts)).astype(np.int32).tobytes())
        self._tfs.extend(counts.values())
        self._counts.append(len(counts))
        self._lengths.append(len(tokens))

    def add_bags(self, bags: "Bags") -> None:
        glob = self.vocab.add(bags.terms, bags.hashes, bags.checks).astype(np.int32)
        self._ids.frombytes(glob[bags.ids].astype(np.int32).tobytes())
        self._tfs.frombytes(np.asarray(bags.tfs, dtype=np.int32).tobytes())
        self._counts.frombytes(np.asarray(bags.counts, dtype=np.int32).tobytes())
        self._lengths.frombytes(np.asarray(bags.lengths, dtype=np.int32).tobytes())

    def finish(self, params: BM25Params = BM25Params()) -> BM25:
        from scipy import sparse

        n, n_terms = self.n_docs, len(self.vocab)
        ids = np.frombuffer(self._ids, dtype=np.int32) if len(self._ids) else np.zeros(0, np.int32)
        counts = np.frombuffer(self._counts, dtype=np.int32) if n else np.zeros(0, np.int32)
        dl = np.frombuffer(self._lengths, dtype=np.int32).astype(np.float32) if n else np.zeros(0, np.float32)
        rows = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=rows[1:])
        avgdl = float(dl.mean()) if n and dl.mean() > 0 else 1.0
        df = np.bincount(ids, minlength=n_terms).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = (params.k1 * (1 - params.b + params.b * dl / avgdl)).astype(np.float32)
        weights = np.empty(len(ids), dtype=np.float32)
        tfs = np.frombuffer(self._tfs, dtype=np.int32) if len(self._tfs) else np.zeros(0, np.int32)
        step = 1 << 16  # documents per block: bounded temporaries at any corpus size
        for a in range(0, n, step):
            b = min(n, a + step)
            s, e = rows[a], rows[b]
            tf = tfs[s:e].astype(np.float32)  # a block: freed with the loop
            weights[s:e] = idf[ids[s:e]] * tf * (params.k1 + 1) / (tf + np.repeat(norm[a:b], counts[a:b]))
        del tfs
        self._tfs = array("i")  # free term counts before the transpose doubles the postings
        index_type = np.int32 if len(ids) < 2**31 else np.int64
        csr = sparse.csr_matrix((weights, ids.astype(index_type, copy=False), rows.astype(index_type)),
                                shape=(n, n_terms))
        del weights
        csc = csr.tocsc()  # a counting sort in C: O(postings); ids stay ascending within a term
        del csr
        vocab = self.vocab.frozen()
        self._clear()  # free the postings buffers
        return BM25(csc.indptr, csc.indices, csc.data, idf, vocab, params, n)


def build_bm25(docs: Iterable[Sequence[str]], params: BM25Params = BM25Params()) -> BM25:
    """Build from tokenized documents, streaming: only integer postings are kept.

    >>> idx = build_bm25([["a", "b"], ["b", "c"], ["c"]])
    >>> [int(i) for i in idx.top(["a"], 2)[0]]
    [0]
    """
    builder = BM25Builder()
    for toks in docs:
        builder.add(toks)
    return builder.finish(params)
