"""Rows of a JSON-lines file, parsed when asked for: a million chunks open in milliseconds.

A query needs a few dozen chunks, not all of them, so the index keeps chunks.jsonl
and documents.jsonl on disk and reads a row with one positioned read. Where each
line starts is in `<name>.offsets.npy`, written by the build (and found by one scan
of the file for indexes built before it existed).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"
    >>> _ = p.write_text('{"a": 1}\\n{"a": 2}\\n', encoding="utf-8")
    >>> rows = JsonlRows(p, lambda r: r["a"])
    >>> len(rows), rows[1], list(rows)
    (2, 2, [1, 2])
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Callable, Generic, Iterator, Mapping, Sequence, TypeVar, overload

import numpy as np

from rag.index.durable import CheckedFile, save_npy

T = TypeVar("T")


def offsets_path(path: Path) -> Path:
    return path.with_name(path.stem + ".offsets.npy")


def line_offsets(path: Path) -> np.ndarray:
    """Start of every line and the end of the file: n + 1 int64 positions."""
    starts = [0]
    with open(path, "rb") as f:
        for line in f:
            starts.append(starts[-1] + len(line))
    if starts[-1] == 0:
        return np.zeros(1, dtype=np.int64)
    return np.asarray(starts, dtype=np.int64)


class JsonlWriter:
    """Append JSON rows to a .jsonl file and record where each starts (`close` saves the offsets)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._f = CheckedFile(self.path)  # a failed write raises, never commits
        self._starts = [0]

    def write(self, row: dict) -> None:
        data = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        self._f.write(data)
        self._starts.append(self._starts[-1] + len(data))

    def write_lines(self, data: bytes, lengths: Sequence[int]) -> None:
        """Append lines already encoded (each ending in a newline) whose byte lengths are `lengths`."""
        self._f.write(data)
        for n in lengths:
            self._starts.append(self._starts[-1] + n)

    def close(self) -> None:
        self._f.close()
        save_npy(offsets_path(self.path), np.asarray(self._starts, dtype=np.int64))

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, exc_type, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self._f.abort()


class JsonlRows(Sequence[T], Generic[T]):
    """`Sequence[T]` over the lines of a .jsonl file, each converted by `convert` when read."""

    def __init__(self, path: Path, convert: Callable[[dict], T]) -> None:
        self.path, self._convert = Path(path), convert
        saved = offsets_path(self.path)
        self._offsets = np.load(saved, allow_pickle=False) if saved.is_file() else line_offsets(self.path)
        size = self.path.stat().st_size
        if len(self._offsets) < 1 or int(self._offsets[-1]) != size or np.any(np.diff(self._offsets) <= 0):
            raise ValueError(f"{saved.name} disagrees with {self.path.name}")
        self._f = open(self.path, "rb")
        self._lock = threading.Lock()  # only for systems without os.pread

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        i = int(i) + n if int(i) < 0 else int(i)
        if not 0 <= i < n:
            raise IndexError("row index out of range")
        start, end = int(self._offsets[i]), int(self._offsets[i + 1])
        return self._convert(json.loads(self._read(start, end - start)))

    def _read(self, start: int, size: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self._f.fileno(), size, start)
        with self._lock:
            self._f.seek(start)
            return self._f.read(size)

    def __iter__(self) -> Iterator[T]:
        with open(self.path, "rb") as f:
            for line in f:
                yield self._convert(json.loads(line))


class KeyedRows(Mapping[str, T], Generic[T]):
    """`Mapping[str, T]` over JsonlRows, by the value of `key` in each row."""

    def __init__(self, rows: JsonlRows[T], keys: Sequence[str]) -> None:
        if len(keys) != len(rows):
            raise ValueError("row keys disagree with the rows")
        self._rows, self._index = rows, {k: i for i, k in enumerate(keys)}

    def __getitem__(self, key: str) -> T:
        return self._rows[self._index[key]]

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def values(self):  # stream the file instead of one positioned read per key
        return list(self._rows)
