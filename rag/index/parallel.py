"""Tokenize on every core: batches in, compact bags of words out, in order.

Segmenting Chinese is the slowest step of a build, and it is pure Python around a
Rust or Python segmenter, so threads do not help: worker processes do. Sending
token strings back would cost as much as making them, so a worker returns a batch
as arrays over a batch-local vocabulary (`Bags`), which `BM25Builder.add_bags` maps
onto the global one with one dictionary lookup per distinct term.

    >>> bags = bags_of_words(str.split, ["a b a", "b c"])
    >>> list(bags.terms), bags.lengths.tolist(), bags.counts.tolist(), bags.ids.tolist(), bags.tfs.tolist()
    (['a', 'b', 'c'], [3, 2], [2, 2], [0, 1, 1, 2], [2, 1, 1, 1])

`WorkerPool.map(fn, batches)` runs a module-level `fn` on each batch in the workers
(the build chunks and tokenizes there, `build.py`); `fn` reaches the workers'
tokenizer through `worker_tokenizer()`. At most `2 x workers` batches are in flight,
so a corpus streams through in bounded memory whatever its size, and small inputs
never start processes.
"""
from __future__ import annotations

import multiprocessing
import os
from array import array
from collections import defaultdict, deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import count, islice
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from rag.errors import RagError
from rag.text.tokenize import Tokenizer
from rag.index.vocab import term_hashes

PARALLEL_FROM_CHARS = 4_000_000  # below this (about 1 s of tokenizing) processes cost more than they save
B = TypeVar("B")
R = TypeVar("R")


class PackedTerms(Sequence[str]):
    """Strings packed into one: a batch's 400k terms pickle as one string and one array,
    not 400k objects (unpickling those in the parent was a tenth of a big build)."""

    def __init__(self, terms: Sequence[str]) -> None:
        self.joined = "".join(terms)
        self.starts = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, terms), dtype=np.int64, count=len(terms)), out=self.starts[1:])

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.joined[self.starts[i]:self.starts[i + 1]]

    def pick(self, indices: np.ndarray) -> list[str]:
        """The strings at `indices`, as a list."""
        joined, starts = self.joined, self.starts.tolist()
        return [joined[starts[i]:starts[i + 1]] for i in indices.tolist()]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented


@dataclass(frozen=True)
class Bags:
    """Bags of words of a batch of texts, over a batch-local vocabulary `terms`."""

    terms: Sequence[str]
    lengths: np.ndarray  # tokens in each text
    counts: np.ndarray  # distinct terms in each text
    ids: np.ndarray  # local term ids, text after text
    tfs: np.ndarray  # how often each (text, term) occurs
    hashes: np.ndarray | None = None  # vocab.term_hashes(terms, 0) and (terms, 1), made here where
    checks: np.ndarray | None = None  # the cores are: the merge in the parent is then numpy only


def bags_of_words(analyze: Callable[[str], Sequence[str]], texts: Iterable[str]) -> Bags:
    """Count terms with one dictionary lookup per token and one numpy pass per batch
    (a Counter per text costs half as much again)."""
    vocab: defaultdict[str, int] = defaultdict(count().__next__)
    ids, lengths = array("i"), array("i")
    get = vocab.__getitem__
    for text in texts:
        toks = analyze(text)
        ids.extend(map(get, toks))
        lengths.append(len(toks))
    n_terms = max(1, len(vocab))
    lens = _np(lengths)
    rows = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    keys, tfs = np.unique(rows * n_terms + _np(ids), return_counts=True)
    counts = np.bincount(keys // n_terms, minlength=len(lens)).astype(np.int32)
    terms = list(vocab)
    return Bags(PackedTerms(terms), lens, counts, (keys % n_terms).astype(np.int32), tfs.astype(np.int32),
                term_hashes(terms, 0), term_hashes(terms, 1))


def _np(a: array) -> np.ndarray:
    return np.frombuffer(a, dtype=np.int32).copy() if len(a) else np.zeros(0, np.int32)


def cpu_count() -> int:
    """Cores this process may use (the container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


_TOKENIZER: Tokenizer | None = None


def starting_worker() -> bool:
    """True while this process is a worker being started, re-running its parent's main module.

    A script that builds an index at import time (no `if __name__ == "__main__":`)
    would otherwise start a build in every worker, each waiting for the parent's lock."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def worker_tokenizer() -> Tokenizer:
    """The tokenizer of this worker (or of the pool's own process when it runs in-process)."""
    if _TOKENIZER is None:
        raise RuntimeError("worker_tokenizer() is only available inside WorkerPool.map")
    return _TOKENIZER


def _init_worker(words: list[str], engine: str) -> None:
    global _TOKENIZER
    _TOKENIZER = Tokenizer(words, engine=engine)


class WorkerPool:
    """Ordered `map(fn, batches)` on spawn processes that each hold `Tokenizer(words, tokenizer.engine)`.

    `words` must be the extra words `tokenizer` was made with, and the engine is the
    one it resolved to, so every process segments the same way."""

    def __init__(self, tokenizer: Tokenizer, words: Sequence[str] = (), workers: int | None = None) -> None:
        self.tokenizer, self.words = tokenizer, list(words)
        self.workers = cpu_count() if workers is None else max(1, workers)

    def map(self, fn: Callable[[B], R], batches: Iterable[B], parallel: bool = True) -> Iterator[R]:
        global _TOKENIZER
        if not parallel or self.workers < 2:
            _TOKENIZER = self.tokenizer
            for batch in batches:
                yield fn(batch)
            return
        # spawn, not fork: the caller may hold threads (a web server, BLAS) that fork would copy
        # mid-lock. An executor, not a Pool: a worker that dies (or fails to start) breaks the
        # map with an error instead of being replaced forever.
        ctx = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker,
                                     initargs=(self.words, self.tokenizer.engine)) as pool:
                pending: deque = deque()
                for batch in batches:
                    pending.append(pool.submit(fn, batch))
                    if len(pending) >= 2 * self.workers:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
        except BrokenProcessPool:
            raise RagError("a tokenizer worker process died (out of memory, or a script that builds an index "
                           "without `if __name__ == \"__main__\":`)") from None


class ParallelTokenizer:
    """`map(texts) -> Iterator[Bags]` of `tokenizer.terms` (what BM25 indexes), `batch_size` texts a batch."""

    def __init__(self, tokenizer: Tokenizer, words: Sequence[str] = (), workers: int | None = None,
                 batch_size: int = 1000) -> None:
        self.pool, self.batch_size = WorkerPool(tokenizer, words, workers), batch_size

    @property
    def workers(self) -> int:
        return self.pool.workers

    def map(self, texts: Iterable[str], parallel: bool = True) -> Iterator[Bags]:
        return self.pool.map(_bags_of_texts, _batched(texts, self.batch_size), parallel)


def _bags_of_texts(texts: list[str]) -> Bags:
    return bags_of_words(worker_tokenizer().terms, texts)


def _batched(items: Iterable[R], n: int) -> Iterator[list[R]]:
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch
