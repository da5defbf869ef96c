"""A pipeline that follows its index: a rebuild is picked up without a restart.

The server keeps answering from the build it has loaded. When `index/CURRENT`
points at another build (a rebuild has committed: builds are complete before
CURRENT moves), the next request loads it and swaps it in; requests that arrive
meanwhile keep being answered by the old build instead of waiting. Loaded models
are reused when the new build wants the same embedding model. If the new build
cannot be loaded, the old one keeps serving and the failure is logged once.
Proven by tests/test_reliability_live.py.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from rag.errors import RagError
from rag.index.loaded import load_index
from rag.pipeline import Pipeline, _load_models
from rag.settings import Settings
from rag.index.store import POINTER

log = logging.getLogger("rag")


def _pointer_of(pipeline: Pipeline) -> str:
    return f"builds/{pipeline.index.path.name}"


class LivePipeline:
    def __init__(self, settings: Settings, pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._pipeline = pipeline or Pipeline.open(settings)
        # What was loaded, not what CURRENT says now: a rebuild may have committed in between.
        self._pointer = _pointer_of(self._pipeline)
        self._failed: str | None = None
        self.switches = 0
        self.switched_at: float | None = None  # time.monotonic() of the last switch

    @property
    def build(self) -> str:
        """The build being served, as CURRENT names it ("builds/<id>")."""
        return self._pointer

    def _read_pointer(self) -> str | None:
        try:
            with open(Path(self.settings.index) / POINTER, "rb") as f:
                return f.read(512).decode("utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None

    def current(self) -> Pipeline:
        pointer = self._read_pointer()
        if pointer is None or pointer == self._pointer or pointer == self._failed:
            return self._pipeline
        # One request loads the new build; the others keep the old one rather than wait.
        if not self._lock.acquire(blocking=False):
            return self._pipeline
        try:
            if self._read_pointer() not in (self._pointer, self._failed):
                self._switch(pointer)
        finally:
            self._lock.release()
        return self._pipeline

    def _switch(self, pointer: str) -> None:
        old = self._pipeline
        try:
            index = load_index(Path(self.settings.index))
            info = index.embedding
            same_model = (old.embedder is not None and info is not None and self.settings.mode != "lexical"
                          and info.get("model") == old.embedder.name and info.get("dim") == old.embedder.dim)
            if same_model:
                embedder, reranker, notes = old.embedder, old.reranker, []
            else:
                embedder, reranker, notes = _load_models(index, self.settings)
            fresh = Pipeline(index, self.settings, embedder, reranker, list(index.manifest.get("notes", [])) + notes)
        except RagError as exc:
            log.warning("new index build %s not loaded, still serving %s: %s", pointer, self._pointer, exc)
            self._failed = pointer
            return
        self._pipeline, self._pointer = fresh, _pointer_of(fresh)
        self.switches += 1
        self.switched_at = time.monotonic()
        log.warning("switched to the new index build %s", self._pointer)
