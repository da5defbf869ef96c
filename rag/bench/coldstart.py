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
t0 = time.perf_counter()
from rag.loaded import load_index
from rag.store import read_manifest
t1 = time.perf_counter()
index = load_index(sys.argv[1], verify=False)
t2 = time.perf_counter()
read_manifest(sys.argv[1], verify=True)
t3 = time.perf_counter()
import psutil
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "verify_s": t3 - t2,
                  "rss": psutil.Process().memory_info().rss}))
"""


def load_in_fresh_process(index_root: Path) -> dict[str, float]:
    """Seconds to import and to load the index (checksums apart), and the process's memory then."""
    out = subprocess.run([sys.executable, "-c", _LOAD, str(index_root)], capture_output=True, text=True,
                         check=True, timeout=600)
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
