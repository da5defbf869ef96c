"""Index files written so that a failed write can never be committed.

`np.save` to a path and stdio-buffered writers can lose a write error (a full disk
seen only at an unchecked flush), and the build would then commit a truncated file
whose checksum it computed from what was on disk. Every index file is written
through `CheckedFile` instead: bytes go to `os.write` (whose errors raise), every
byte is counted, and `close` fsyncs and compares the file's size on disk with the
count. Any difference raises before the build can be committed.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
    >>> write_bytes(p, b"abc"); p.read_bytes()
    b'abc'
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np

from rag.errors import RagError

BUFFER = 1 << 20


class IndexWriteError(RagError):
    """An index file could not be written completely (full disk, read-only folder, I/O error)."""


def write_error(root: Path | str, exc: OSError) -> IndexWriteError:
    """The one-line message for a failed index write; the previous build is untouched by then."""
    why = exc.strerror or str(exc)
    hint = {errno.ENOSPC: "free some disk space", errno.EDQUOT: "free some disk space",
            errno.EROFS: "pass a writable --index folder", errno.EACCES: "pass a writable --index folder",
            errno.EPERM: "pass a writable --index folder"}.get(exc.errno or 0, "check the disk")
    return IndexWriteError(f"cannot write the index at {root} ({why}): {hint} and run `rag index` again; "
                           "the previous index (if any) is still served")


class CheckedFile:
    """A binary file opened for writing whose every byte is accounted for (see the module doc)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.size = 0
        self._buf = bytearray()
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        self._buf += view
        self.size += len(view)
        if len(self._buf) >= BUFFER:
            self._drain()
        return len(view)

    def _drain(self, fd: int | None = None) -> None:
        fd = self._fd if fd is None else fd
        view = memoryview(self._buf)
        try:
            while view:
                n = os.write(fd, view)  # a short write is retried; an error raises OSError
                if n <= 0:
                    raise OSError(errno.EIO, "write returned 0", str(self.path))
                view = view[n:]
        finally:
            view.release()
        self._buf.clear()

    def flush(self) -> None:
        self._drain()

    def close(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self._drain(fd)
            os.fsync(fd)
            on_disk = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if on_disk != self.size:
            raise OSError(errno.EIO, f"{self.path.name} has {on_disk} bytes on disk, {self.size} were written",
                          str(self.path))

    def abort(self) -> None:
        """Close without checks (the build is failing anyway)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "CheckedFile":
        return self

    def __exit__(self, exc_type, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_bytes(path: Path | str, data: bytes) -> None:
    with CheckedFile(path) as f:
        f.write(data)


def write_text(path: Path | str, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def save_npy(path: Path | str, array: np.ndarray) -> None:
    """`np.save`, through a CheckedFile (numpy writes to any object with `write` in blocks)."""
    with CheckedFile(path) as f:
        np.save(f, np.asarray(array), allow_pickle=False)
