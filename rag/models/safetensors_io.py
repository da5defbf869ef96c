"""Write a float32 safetensors file tensor by tensor, hashing as it goes (pure numpy, low memory).

The format: u64 little-endian header length N, N bytes of JSON (padded with spaces
to a multiple of 8) mapping each name to `{"dtype": "F32", "shape": [...],
"data_offsets": [begin, end]}` (offsets into the data that follows, contiguous, in
order) plus `"__metadata__"`, then the raw little-endian data. Writing it here
rather than through the `safetensors` package lets a 470 MB model be produced one
chunk at a time (the embedding matrix alone is 384 MB in float32) and hashed on
the way out, so nothing is read back.

>>> import io, numpy as np
>>> buf = io.BytesIO()
>>> out = write_safetensors(buf, [TensorSpec("w", (2, 2), lambda: iter([np.eye(2, dtype=np.float32)]))])
>>> data = buf.getvalue(); n = int.from_bytes(data[:8], "little")
>>> np.frombuffer(data[8 + n:], np.float32).tolist(), out.size == len(data)
([1.0, 0.0, 0.0, 1.0], True)
"""
from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np


@dataclass(frozen=True)
class TensorSpec:
    """A tensor to write: its name, shape, and a callable giving its float32 data in row chunks."""

    name: str
    shape: tuple[int, ...]
    chunks: Callable[[], Iterable[np.ndarray]]

    @property
    def nbytes(self) -> int:
        return 4 * int(np.prod(self.shape))


@dataclass(frozen=True)
class Written:
    """Size and sha256 (hex) of what was written."""

    size: int
    sha256: str


def write_safetensors(out: BinaryIO, specs: list[TensorSpec], metadata: dict[str, str] | None = None,
                      progress: Callable[[int], None] | None = None) -> Written:
    """Write `specs` to the open binary file `out`; `progress(n)` is called with each n data bytes written."""
    header: dict[str, object] = {"__metadata__": {"format": "pt", **(metadata or {})}}
    at = 0
    for spec in specs:
        header[spec.name] = {"dtype": "F32", "shape": list(spec.shape), "data_offsets": [at, at + spec.nbytes]}
        at += spec.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    digest = hashlib.sha256()
    size = 0

    def emit(data: bytes | memoryview) -> None:
        nonlocal size
        out.write(data)
        digest.update(data)
        size += len(data)

    emit(struct.pack("<Q", len(text)) + text)
    for spec in specs:
        done = 0
        for chunk in spec.chunks():
            arr = np.ascontiguousarray(chunk, dtype="<f4")
            emit(memoryview(arr).cast("B"))
            done += arr.nbytes
            if progress is not None:
                progress(arr.nbytes)
        if done != spec.nbytes:
            raise ValueError(f"tensor '{spec.name}' produced {done} bytes, expected {spec.nbytes}")
    return Written(size, digest.hexdigest())
