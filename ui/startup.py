"""Open the pipeline the server answers from, building the index first (with visible progress) when there is none."""
from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

from rag.live import LivePipeline
from rag.pipeline import Pipeline
from rag.settings import Settings

STAGE_ZH = {"tokenizing": "分词", "embedding": "向量化"}


class BuildProgress:
    """Progress lines for `build_index(progress=...)`: a bar on a terminal, a line per quarter otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.started: float | None = None
        self._shown: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.started is None:
            self.started = time.perf_counter()
            self._print("rag: building the index first (there is none yet, or the documents changed)")
        pct = 100 * done // max(total, 1)
        name = f"{stage}（{STAGE_ZH[stage]}）" if stage in STAGE_ZH else stage
        if self.stream.isatty():
            self.stream.write(f"\rrag: {name} {done}/{total} [{'#' * (pct // 5):<20}] {pct:3d}%")
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
        elif pct // 25 > self._shown.get(stage, -1):  # 0, 25, 50, 75, 100 %
            self._shown[stage] = pct // 25
            self._print(f"rag: {name} {done}/{total} ({pct}%)")

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def open_live(settings: Settings, quiet: bool = False,
              progress: Callable[[str, int, int], None] | None = None) -> LivePipeline:
    """The pipeline for the server; builds the index when it is missing or its documents changed."""
    tracker = progress or (None if quiet else BuildProgress())
    pipeline = Pipeline.open(settings, progress=tracker)
    if isinstance(tracker, BuildProgress) and tracker.started is not None:
        tracker._print(f"rag: index built in {time.perf_counter() - tracker.started:.1f}s")
    return LivePipeline(settings, pipeline)
