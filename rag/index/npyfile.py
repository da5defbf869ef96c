"""Float matrices in .npy files, written and read block by block.

The build writes a million embeddings without holding them (`NpyWriter`), and FAISS
reads them back in blocks (`blocks`), so neither the vectors nor a memory map of
them ever fill the build's memory.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "v.npy"
    >>> w = NpyWriter(path, 3, 2)
    >>> w.write(np.ones((2, 2))); w.write(np.zeros((1, 2))); w.close()
    >>> [b.tolist() for b in blocks(path, 2)]
    [[[1.0, 1.0], [1.0, 1.0]], [[0.0, 0.0]]]
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Union

import numpy as np

from rag.index.durable import CheckedFile

BLOCK = 65536
Source = Union[np.ndarray, Path]  # vectors in memory, or a .npy file of them


class NpyWriter:
    """Write a float32 (n, dim) .npy file block by block, in order."""

    def __init__(self, path: Path, n: int, dim: int) -> None:
        self.path, self.n, self.dim, self.written = Path(path), n, dim, 0
        self._f = CheckedFile(self.path)
        np.lib.format.write_array_header_1_0(self._f, {"descr": "<f4", "fortran_order": False, "shape": (n, dim)})

    def write(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype="<f4")
        if block.ndim != 2 or block.shape[1] != self.dim or self.written + len(block) > self.n:
            raise ValueError(f"block of shape {block.shape} does not fit a ({self.n}, {self.dim}) file")
        self._f.write(block.tobytes())
        self.written += len(block)

    def close(self) -> None:
        self._f.close()
        if self.written != self.n:
            raise ValueError(f"{self.path}: wrote {self.written} of {self.n} vectors")


def npy_blocks(path: Path, block: int = BLOCK) -> Iterator[np.ndarray]:
    """The rows of a 2-D float32 .npy file, `block` at a time, read (not mapped)."""
    with open(path, "rb") as f:
        (n, dim), dtype = _npy_header(f)
        for start in range(0, n, block):
            rows = min(block, n - start)
            out = np.empty((rows, dim), dtype=dtype)
            if f.readinto(memoryview(out).cast("B")) != out.nbytes:
                raise ValueError(f"{path} is shorter than its header says")
            yield out.astype(np.float32, copy=False)


def _npy_header(f) -> tuple[tuple[int, int], np.dtype]:
    version = np.lib.format.read_magic(f)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read(f)
    if fortran or len(shape) != 2 or dtype.kind != "f":
        raise ValueError("expected a C-ordered 2-D float array")
    return shape, dtype


def shape(source: Source) -> tuple[int, int]:
    if isinstance(source, np.ndarray):
        return source.shape[0], source.shape[1]
    with open(source, "rb") as f:
        return _npy_header(f)[0]


def blocks(source: Source, block: int = BLOCK) -> Iterator[np.ndarray]:
    if isinstance(source, np.ndarray):
        for start in range(0, len(source), block):
            yield np.ascontiguousarray(source[start:start + block], dtype=np.float32)
    else:
        yield from npy_blocks(Path(source), block)


def sample(source: Source, m: int, seed: int = 0) -> np.ndarray:
    """m distinct rows chosen at random, gathered in one pass."""
    n, _ = shape(source)
    rows = np.sort(np.random.default_rng(seed).choice(n, m, replace=False))
    parts, start = [], 0
    for block in blocks(source):
        lo, hi = np.searchsorted(rows, [start, start + len(block)])
        parts.append(block[rows[lo:hi] - start])
        start += len(block)
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)
