"""Remember, for a short while, that a server could not be reached.

Without this every question to a server that is down pays for the full retry
schedule (~0.75 s of connects and back-off) before failing with the same message.
After one such failure the next calls to the same base URL fail at once, until
`hold_s` has passed; then one call tries again (and either clears or renews it).

    down = DownServers(hold_s=30)
    down.mark("http://h/v1", "cannot reach …")
    down.check("http://h/v1")   # raises BackendError("cannot reach … (still down, next try in 30s)")
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rag.errors import BackendError


class DownServers:
    """Base URLs that failed to connect, each with the time it failed and the message."""

    def __init__(self, hold_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.hold_s = hold_s
        self._clock = clock
        self._failed: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def check(self, base_url: str) -> None:
        """Raise the remembered failure while it is fresh; do nothing otherwise."""
        with self._lock:
            failed = self._failed.get(base_url)
            if failed is None:
                return
            left = failed[0] + self.hold_s - self._clock()
            if left <= 0:
                del self._failed[base_url]  # stale: let this call try the server again
                return
        raise BackendError(f"{failed[1]} (still down, next try in {max(1, round(left))}s)")

    def mark(self, base_url: str, message: str) -> None:
        if self.hold_s > 0:
            with self._lock:
                self._failed[base_url] = (self._clock(), message)

    def clear(self, base_url: str) -> None:
        with self._lock:
            self._failed.pop(base_url, None)


# Shared by every generator in the process: the UI builds one per knowledge base.
DOWN = DownServers()
