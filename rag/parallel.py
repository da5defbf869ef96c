"""Tokenize on every core: texts in, compact bags of words out, in order.

Segmenting Chinese is the slowest step of a build, and it is pure Python around a
Rust or Python segmenter, so threads do not help: worker processes do. Sending
token strings back would cost as much as making them, so each worker returns a
batch as arrays over a batch-local vocabulary (`Bags`), which `BM25Builder.add_bags`
maps onto the global one with one dictionary lookup per distinct term.

    >>> bags = bags_of_words(str.split, ["a b a", "b c"])
    >>> bags.terms, bags.lengths.tolist(), bags.counts.tolist(), bags.ids.tolist(), bags.tfs.tolist()
    (['a', 'b', 'c'], [3, 2], [2, 2], [0, 1, 1, 2], [2, 1, 1, 1])

At most `2 x workers` batches are in flight, so a corpus streams through in
bounded memory whatever its size. Small inputs never start processes.
"""
from __future__ import annotations

import multiprocessing
import os
from array import array
from collections import Counter, deque
from dataclasses import dataclass
from itertools import islice
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .tokenize import Tokenizer

PARALLEL_FROM_CHARS = 4_000_000  # below this (about 1 s of tokenizing) processes cost more than they save


@dataclass(frozen=True)
class Bags:
    """Bags of words of a batch of texts, over a batch-local vocabulary `terms`."""

    terms: list[str]
    lengths: np.ndarray  # tokens in each text
    counts: np.ndarray  # distinct terms in each text
    ids: np.ndarray  # local term ids, text after text
    tfs: np.ndarray  # how often each (text, term) occurs


def bags_of_words(tokenize: Callable[[str], Sequence[str]], texts: Iterable[str]) -> Bags:
    vocab: dict[str, int] = {}
    ids, tfs, counts, lengths = array("i"), array("i"), array("i"), array("i")
    for text in texts:
        toks = tokenize(text)
        c = Counter(toks)
        ids.extend([vocab.setdefault(t, len(vocab)) for t in c])
        tfs.extend(c.values())
        counts.append(len(c))
        lengths.append(len(toks))
    return Bags(list(vocab), _np(lengths), _np(counts), _np(ids), _np(tfs))


def _np(a: array) -> np.ndarray:
    return np.frombuffer(a, dtype=np.int32).copy() if len(a) else np.zeros(0, np.int32)


def cpu_count() -> int:
    """Cores this process may use (the container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class ParallelTokenizer:
    """`map(texts) -> Iterator[Bags]` of `tokenizer.terms` (what BM25 indexes), on a pool
    of processes or in this one.

    Workers rebuild the tokenizer as `Tokenizer(words, tokenizer.engine)`: `words` must
    be the extra words it was made with, and the engine is the one it resolved to, so
    every process segments the same way."""

    def __init__(self, tokenizer: Tokenizer, words: Sequence[str] = (), workers: int | None = None,
                 batch_size: int = 1000) -> None:
        self.tokenizer, self.words = tokenizer, list(words)
        self.workers = cpu_count() if workers is None else max(1, workers)
        self.batch_size = batch_size

    def map(self, texts: Iterable[str], parallel: bool = True) -> Iterator[Bags]:
        batches = _batched(texts, self.batch_size)
        if not parallel or self.workers < 2:
            for batch in batches:
                yield bags_of_words(self.tokenizer.terms, batch)
            return
        # spawn, not fork: the caller may hold threads (a web server, BLAS) that fork would copy mid-lock.
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(self.workers, initializer=_init_worker, initargs=(self.words, self.tokenizer.engine)) as pool:
            pending: deque = deque()
            for batch in batches:
                pending.append(pool.apply_async(_worker_bags, (batch,)))
                if len(pending) >= 2 * self.workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()


_TOKENIZER: Tokenizer | None = None


def _init_worker(words: list[str], engine: str) -> None:
    global _TOKENIZER
    _TOKENIZER = Tokenizer(words, engine=engine)


def _worker_bags(texts: list[str]) -> Bags:
    assert _TOKENIZER is not None  # set by _init_worker
    return bags_of_words(_TOKENIZER.terms, texts)


def _batched(items: Iterable[str], n: int) -> Iterator[list[str]]:
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch
