"""The answer backends the page offers: the configured one, and extractive beside it when that is something else.

Both share the loaded index and models; only the answerer differs. When the live
pipeline switches to a new index build, the extractive twin is rebuilt on the next
request.
"""
from __future__ import annotations

import threading
from typing import Callable

from rag.pipeline import Pipeline

EXTRACTIVE = "extractive"


def answerer_name(pipeline: Pipeline) -> str:
    return getattr(pipeline.answerer, "name", EXTRACTIVE)


class Backends:
    def __init__(self, current: Callable[[], Pipeline]) -> None:
        self.current = current
        self._lock = threading.Lock()
        self._twin: tuple[Pipeline, Pipeline] | None = None  # (the pipeline it was made from, the twin)

    def names(self) -> list[str]:
        primary = answerer_name(self.current())
        return [primary] if primary == EXTRACTIVE else [primary, EXTRACTIVE]

    def get(self, name: str | None = None) -> Pipeline:
        pipeline = self.current()
        if not name or name == answerer_name(pipeline) or name != EXTRACTIVE:
            return pipeline
        with self._lock:
            if self._twin is None or self._twin[0] is not pipeline:
                settings = pipeline.settings.replace(answerer=EXTRACTIVE)
                twin = Pipeline(pipeline.index, settings, pipeline.embedder, pipeline.reranker, list(pipeline.notes))
                self._twin = (pipeline, twin)
            return self._twin[1]
