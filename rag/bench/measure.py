"""Measuring: latency percentiles, peak memory of a process tree, sizes on disk.

    >>> Latency.of([0.001, 0.002, 0.003, 0.004]).p50
    2.5
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np


@dataclass(frozen=True)
class Latency:
    """Milliseconds over `n` calls."""

    n: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, seconds: Iterable[float]) -> "Latency":
        ms = np.asarray(list(seconds), dtype=np.float64) * 1000
        if not len(ms):
            return cls(0, float("nan"), float("nan"), float("nan"), float("nan"))
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        return cls(len(ms), round(float(p50), 3), round(float(p95), 3), round(float(p99), 3),
                   round(float(ms.mean()), 3))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def time_calls(fn: Callable[[Any], object], items: list, warmup: int = 3) -> Latency:
    """Call fn on each item once (after a few warm-up calls) and time each call."""
    for item in items[:warmup]:
        fn(item)
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t)
    return Latency.of(out)


class PeakMemory:
    """Peak resident memory of this process and its children, sampled every `every` seconds.

    Use as a context manager; `peak` is in bytes. Children matter: the tokenizer
    workers of a build hold memory of their own."""

    def __init__(self, every: float = 0.05) -> None:
        self.every, self.peak = every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "PeakMemory":
        self.peak = tree_rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss())

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, tree_rss())


def tree_rss(pid: int | None = None) -> int:
    """Resident bytes of a process and all its descendants."""
    import psutil

    try:
        proc = psutil.Process(pid or os.getpid())
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0


def folder_bytes(folder: Path) -> dict[str, int]:
    """Bytes on disk of each file in a folder (not recursive)."""
    return {p.name: p.stat().st_size for p in sorted(Path(folder).iterdir()) if p.is_file()}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import platform

    import psutil

    from rag.index.parallel import cpu_count

    model, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not model:
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = sorted(f for f in flags if f in {"avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8"})
    return {"cpu": model or platform.processor(), "cores": cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1), "simd": simd,
            "python": platform.python_version(), "platform": platform.platform()}
