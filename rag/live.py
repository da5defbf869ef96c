"""A pipeline that follows its index: a rebuild is picked up without a restart.

The server keeps answering from the build it has loaded; when `index/CURRENT`
points at a new complete build, the next request loads it (once, under a lock)
and swaps it in. If the new build cannot be loaded, the old one keeps serving and
the failure is logged once.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from .errors import RagError
from .pipeline import Pipeline
from .settings import Settings
from .store import POINTER

log = logging.getLogger("rag")


class LivePipeline:
    def __init__(self, settings: Settings, pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._pipeline = pipeline or Pipeline.open(settings)
        self._pointer = self._read_pointer()
        self._failed: str | None = None

    def _read_pointer(self) -> str | None:
        try:
            return (Path(self.settings.index) / POINTER).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None

    def current(self) -> Pipeline:
        pointer = self._read_pointer()
        if pointer is None or pointer == self._pointer or pointer == self._failed:
            return self._pipeline
        with self._lock:
            if pointer != self._pointer:
                try:
                    fresh = Pipeline.open(self.settings, build_if_missing=False)
                except RagError as exc:
                    log.warning("new index build %s not loaded, still serving the old one: %s", pointer, exc)
                    self._failed = pointer
                    return self._pipeline
                # Reuse loaded models: only the index changed.
                self._pipeline, self._pointer = fresh, pointer
                log.warning("switched to the new index build %s", pointer)
        return self._pipeline
