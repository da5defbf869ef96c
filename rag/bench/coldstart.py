"""Fresh-process timings: loading an index, and a whole `rag ask` from the shell.

A long-running server pays these once; a command-line user pays them every time.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

_LOAD = """
import json, sys, time
import numpy as np
t0 = time.perf_counter()
from rag.index.loaded import load_index
from rag.index.store import read_manifest
from rag.index.vectors import search
t1 = time.perf_counter()
index = load_index(sys.argv[1], verify=False)
t2 = time.perf_counter()
first = []
for q in json.loads(sys.argv[2]):  # the first queries read their postings and clusters from disk
    t = time.perf_counter()
    index.bm25.top(index.tokenizer.terms(q), 10)
    if index.vectors is not None:
        v = np.random.default_rng(len(first)).standard_normal((1, index.vectors.d)).astype(np.float32)
        search(index.vectors, v / np.linalg.norm(v), 10)
    first.append(time.perf_counter() - t)
t3 = time.perf_counter()
read_manifest(sys.argv[1], verify=True)
t4 = time.perf_counter()
import psutil
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "verify_s": t4 - t3, "first_queries": len(first),
                  "first_query_ms_max": max(first, default=0) * 1000, "first_queries_s": t3 - t2,
                  "rss": psutil.Process().memory_info().rss}))
"""


def load_in_fresh_process(index_root: Path, questions: Sequence[str] = ()) -> dict[str, float]:
    """Seconds to import and to load the index (checksums apart), to answer the first few
    lexical + dense queries after it, and to verify the checksums; the process's memory then."""
    out = subprocess.run([sys.executable, "-c", _LOAD, str(index_root), json.dumps(list(questions))],
                         capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rag_command() -> list[str]:
    """How a user starts `rag`: the installed script beside this Python, else `python -m rag.cli`."""
    script = Path(sys.executable).with_name("rag")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "rag.cli"]


def cold_ask(args: Sequence[str], runs: int = 5) -> dict[str, float]:
    """Wall seconds of whole `rag ask ...` processes: the median and the slowest of `runs`."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(rag_command() + ["ask", "-q", *args], capture_output=True, check=True, timeout=600)
        times.append(time.perf_counter() - t)
    return {"median_s": round(float(np.median(times)), 3), "max_s": round(max(times), 3), "runs": runs}
