"""`rag bench [--sizes 10000,100000,1000000] [--out DIR]`: one command, one table.

Each size runs in its own process (`python -m rag.bench.scale`), so its peak
memory is its own and a crash in one does not lose the others; so do the seed
corpus and the embedding timings, which import torch. The figures are collected in
DIR/bench.json, the table in DIR/bench.md and the plot in DIR/latency.png;
generated corpora and indexes stay in DIR/data (a later run reuses the corpora).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from rag.errors import RagError
from rag.bench.measure import machine
from rag.bench.report import markdown, plot
from rag.bench.scale import label


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rag bench", description="Benchmark build, load and query at several corpus "
                                 "sizes against a naive baseline; writes DIR/bench.md, bench.json, latency.png.")
    ap.add_argument("--sizes", default="10000,100000,1000000", help="chunks per corpus, comma-separated")
    ap.add_argument("--out", default="bench-out", help="output folder (default: bench-out)")
    ap.add_argument("--queries", type=int, default=300, help="planted questions per size (default 300)")
    ap.add_argument("--no-seed", action="store_true", help="skip the seed-corpus timings (needs torch)")
    ap.add_argument("--no-embedding", action="store_true", help="skip the embedding-model timings (needs torch)")
    ap.add_argument("--drop-indexes", action="store_true", help="delete each size's index after measuring it")
    return ap


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(float(s)) for s in text.split(",") if s.strip()})
    except ValueError:
        raise RagError(f"--sizes takes numbers separated by commas, not {text!r}") from None
    if not sizes or sizes[0] < 1000:
        raise RagError("--sizes: each size must be at least 1000 chunks")
    return sizes


def _child(module: str, *args: str) -> None:
    """Run `python -m module args`, its output shown as it comes; fail in one line."""
    cmd = [sys.executable, "-m", module, *args]
    proc = subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr)
    if proc.returncode != 0:
        raise RagError(f"`{' '.join(cmd[1:])}` failed (exit {proc.returncode}): see the output above")


def run(sizes: list[int], out: Path, queries: int = 300, seed: bool = True, embedding: bool = True,
        drop_indexes: bool = False) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"created": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), "sizes": []}
    for n in sizes:
        print(f"bench: {label(n)} chunks ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        _child("rag.bench.scale", str(n), str(out), str(queries))
        size = json.loads((out / f"size-{label(n)}.json").read_text(encoding="utf-8"))
        size["wall_s"] = round(time.perf_counter() - t, 1)
        result["sizes"].append(size)
        if drop_indexes:
            shutil.rmtree(out / "data" / f"index-{label(n)}", ignore_errors=True)
    for name, wanted in (("seed", seed), ("embedding", embedding)):
        if wanted:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            _child(f"rag.bench.{name}", str(out))
            result[name] = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
    (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "bench.md").write_text(markdown(result), encoding="utf-8")
    plot(result, out / "latency.png")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(argv) if argv is not None else sys.argv[1:]
    if any(a == "--corpus" or a.startswith("--corpus=") for a in argv):  # local index vs Milvus on real news
        from rag.bench.stores import main as stores_main

        return stores_main(argv)
    args = parser().parse_args(argv)
    out = Path(args.out)
    run(_sizes(args.sizes), out, args.queries, seed=not args.no_seed, embedding=not args.no_embedding,
        drop_indexes=args.drop_indexes)
    print(f"bench: wrote {out / 'bench.md'}, {out / 'bench.json'} and {out / 'latency.png'}")
    return 0
