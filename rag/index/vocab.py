"""The BM25 vocabulary at millions of terms: term <-> id through 64-bit hashes.

Words plus character bigrams give ~6M distinct terms at a million chunks. As a Python
dict that is ~600 MB, and merging the workers' batches into it means ~90M lookups that
each miss the CPU cache. Here the terms are hashed a batch at a time with numpy (a
polynomial over the UTF-32 code points, then a 64-bit mix), in the tokenizer workers
during builds, and a batch of lookups is one `searchsorted` over sorted hashes.

    >>> v = TermVocab()
    >>> v.add(["天猫", "#天猫"]).tolist(), v.add(["#天猫", "破亿"]).tolist()
    ([0, 1], [1, 2])
    >>> frozen = v.frozen()
    >>> frozen["破亿"], "京东" in frozen, frozen.lookup(["#天猫", "京东"]).tolist()
    (2, False, [1, -1])

A second, independent hash of every term guards the merge: two different terms with
the same first hash (odds of about 1 in 10^6 at 6M terms) switch `TermVocab` to a
plain dict, and the index is then saved without hash files and loads the slow way.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np

_MASK = (1 << 64) - 1
_SEEDS = ((0x100000001B3, 0x9E3779B97F4A7C15), (0xC6A4A7935BD1E995, 0xD6E8FEB86659FD93))


def term_hashes(terms: Sequence[str], seed: int = 0) -> np.ndarray:
    """A stable 64-bit hash of each term (Python's hash() changes between processes)."""
    n = len(terms)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    base, mix = _SEEDS[seed]
    lens = np.fromiter(map(len, terms), dtype=np.int64, count=n)
    cp = np.frombuffer("".join(terms).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    powers, p = [], 1
    for _ in range(int(lens.max()) if len(lens) else 0):
        powers.append(p)
        p = p * base & _MASK
    starts = np.cumsum(lens) - lens
    h = np.zeros(n, dtype=np.uint64)
    nonempty = lens > 0
    if len(cp):
        pos = np.arange(len(cp), dtype=np.int64) - np.repeat(starts, lens)
        vals = (cp + np.uint64(1)) * np.asarray(powers, dtype=np.uint64)[pos]
        h[nonempty] = np.add.reduceat(vals, starts[nonempty])
    h ^= lens.astype(np.uint64) * np.uint64(mix)
    h ^= h >> np.uint64(30)  # splitmix64's finalizer: every input bit moves every output bit
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


class TermVocab:
    """A growing vocabulary: `add(terms)` gives ids, new terms numbered in order of arrival.

    The terms of one call must be distinct (a batch's local vocabulary is)."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        # Sorted first hashes and their ids, in two runs: a big one and a recent one merged into
        # it when it grows past an eighth (inserting into millions of hashes per batch would
        # copy them all every time).
        self._keys = np.zeros(0, dtype=np.uint64)
        self._key_ids = np.zeros(0, dtype=np.int64)
        self._recent = np.zeros(0, dtype=np.uint64)
        self._recent_ids = np.zeros(0, dtype=np.int64)
        self._checks = np.zeros(0, dtype=np.uint64)  # second hash, by id (capacity doubles)
        self._dict: dict[str, int] | None = None  # after a hash collision: the plain way

    def __len__(self) -> int:
        return len(self.terms)

    def add(self, terms: Sequence[str], hashes: np.ndarray | None = None,
            checks: np.ndarray | None = None) -> np.ndarray:
        if self._dict is not None:
            return self._add_dict(terms)
        h = term_hashes(terms, 0) if hashes is None else hashes
        c = term_hashes(terms, 1) if checks is None else checks
        ids = np.full(len(h), -1, dtype=np.int64)
        order = np.argsort(h)  # sorted needles: searchsorted walks the keys in order (3x faster)
        hs = h[order]
        for keys, key_ids in ((self._keys, self._key_ids), (self._recent, self._recent_ids)):
            if len(keys):
                pos = np.minimum(np.searchsorted(keys, hs), len(keys) - 1)
                hit = keys[pos] == hs
                ids[order[hit]] = key_ids[pos[hit]]
        found = ids >= 0
        new = np.flatnonzero(~found)
        if np.any(self._checks[ids[found]] != c[found]) or len(np.unique(h[new])) != len(new):
            self._dict = {t: i for i, t in enumerate(self.terms)}
            return self._add_dict(terms)
        new_ids = np.arange(len(self.terms), len(self.terms) + len(new), dtype=np.int64)
        ids[new] = new_ids
        pick = getattr(terms, "pick", None)
        self.terms.extend(pick(new) if pick else [terms[i] for i in new.tolist()])
        self._grow_checks(c[new])
        self._recent, self._recent_ids = _merge(self._recent, self._recent_ids, h[new], new_ids)
        if len(self._recent) > max(65536, len(self._keys) // 8):
            self._keys, self._key_ids = _merge(self._keys, self._key_ids, self._recent, self._recent_ids)
            self._recent, self._recent_ids = self._recent[:0], self._recent_ids[:0]
        return ids

    def _grow_checks(self, values: np.ndarray) -> None:
        n = len(self.terms)
        if n > len(self._checks):
            bigger = np.zeros(max(n, 2 * len(self._checks)), dtype=np.uint64)
            bigger[:len(self._checks)] = self._checks
            self._checks = bigger
        self._checks[n - len(values):n] = values

    def _add_dict(self, terms: Sequence[str]) -> np.ndarray:
        d, out = self._dict, np.empty(len(terms), dtype=np.int64)
        assert d is not None
        for i, t in enumerate(terms):
            j = d.get(t)
            if j is None:
                j = d[t] = len(self.terms)
                self.terms.append(t)
            out[i] = j
        return out

    def frozen(self) -> Mapping[str, int]:
        """The finished vocabulary: a HashedVocab, or a dict after a hash collision."""
        if self._dict is not None:
            return self._dict
        keys, ids = _merge(self._keys, self._key_ids, self._recent, self._recent_ids)
        return HashedVocab(keys, ids, terms=self.terms)


def _merge(keys: np.ndarray, ids: np.ndarray, more: np.ndarray, more_ids: np.ndarray):
    """Two sorted runs of (hash, id) as one (`more` need not be sorted)."""
    all_keys = np.concatenate([keys, more])
    order = np.argsort(all_keys, kind="stable")
    return all_keys[order], np.concatenate([ids, more_ids])[order]


class HashedVocab(Mapping[str, int]):
    """term -> id through the sorted first hashes of the terms (an unknown term matches a
    known one with odds of about 3 in 10^13). The term strings are needed only to
    iterate, and read from `terms_file` then."""

    def __init__(self, hashes: np.ndarray, ids: np.ndarray, terms_file: Path | None = None,
                 terms: list[str] | None = None) -> None:
        self.hashes, self.ids, self._terms_file, self._terms = hashes, ids, terms_file, terms

    def lookup(self, terms: Sequence[str]) -> np.ndarray:
        """Term ids, -1 for terms the corpus never uses."""
        if not len(self.hashes):
            return np.full(len(terms), -1, dtype=np.int64)
        h = term_hashes(terms)
        pos = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        return np.where(self.hashes[pos] == h, self.ids[pos], -1).astype(np.int64)

    def __getitem__(self, term: str) -> int:
        i = int(self.lookup([term])[0])
        if i < 0:
            raise KeyError(term)
        return i

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and int(self.lookup([term])[0]) >= 0

    def __len__(self) -> int:
        return len(self.hashes)

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms_by_id())

    def terms_by_id(self) -> list[str]:
        if self._terms is None:
            if self._terms_file is None:
                raise ValueError("this vocabulary has no term list")
            self._terms = json.loads(self._terms_file.read_text(encoding="utf-8"))["terms"]
        return self._terms
