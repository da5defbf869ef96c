"""Refuse network use inside a block, to prove that loading a model never reaches for the hub."""
from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Make any socket connection in this process fail at once."""
    def refuse(self, *args, **kwargs):
        raise OSError("network use is not allowed in this test")

    saved = socket.socket.connect, socket.socket.connect_ex, socket.create_connection
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = lambda *a, **k: refuse(None)  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.create_connection = saved  # type: ignore[method-assign]
