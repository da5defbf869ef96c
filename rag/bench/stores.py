"""`rag bench --corpus news [--chunks 100000]`: the local index and Milvus Lite side by side.

Both stores are built from the same real news articles (`/work/shared/corpora/news-zh-68k.txt.xz`,
read where it lies, never copied into the project: the articles are written as text files under
the output folder's data/), with the same synthetic embedder (`hashing.py`), and asked the same
questions: fragments of random chunks, the way users quote what they half remember. Reported:
build time, lexical/dense/hybrid p50/p95 of the store's search alone (the query vector is made
before the clock starts, so both stores are timed on the same work), and how far Milvus's BM25
(its `chinese` analyzer) agrees with the project's (jieba + domain words): top-5 overlap.
Also the same overlap on the gold questions (`eval/questions.jsonl`) over the seeds.
"""
from __future__ import annotations

import argparse
import json
import lzma
import re
import shutil
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rag.bench.hashing import HashingEmbedder
from rag.bench.measure import Latency, machine
from rag.errors import RagError
from rag.settings import PROJECT_ROOT, Settings

NEWS = Path("/work/shared/corpora/news-zh-68k.txt.xz")
MODES = ("lexical", "dense", "hybrid")
CHARS_PER_CHUNK = 160  # chunk_size 240 - overlap 80: the stride, to stop reading at about n chunks


def write_news(folder: Path, n_chunks: int, source: Path = NEWS) -> int:
    """The first articles of the news corpus, one .txt each, until about n_chunks chunks; returns articles."""
    if not source.is_file():
        raise RagError(f"the news corpus is not at {source}: it lives in /work/shared/corpora")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    chars, n = 0, 0
    with lzma.open(source, "rt", encoding="utf-8") as f:
        for line in f:
            body = line.strip()
            if len(body) < 50:
                continue
            (folder / f"{n:06d}.txt").write_text(body + "\n", encoding="utf-8")
            n += 1
            chars += len(body)
            if chars / CHARS_PER_CHUNK >= n_chunks:
                break
    return n


def questions_from(chunks: Sequence[Any], n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.choice(len(chunks), min(n, len(chunks)), replace=False):
        parts = [p for p in re.split(r"[。！？；，,\n]", chunks[int(i)].text) if len(p.strip()) >= 8]
        if parts:
            s = parts[int(rng.integers(len(parts)))].strip()
            out.append(s[:int(rng.integers(10, 21))])
    return out


def overlap(a: Sequence[Any], b: Sequence[Any], k: int = 5) -> float:
    """Share of the top k that two rankings have in common."""
    return len({h.chunk.chunk_id for h in a[:k]} & {h.chunk.chunk_id for h in b[:k]}) / k


def compare(local, milvus, questions: Sequence[str], embedder, k: int = 5) -> dict[str, Any]:
    vectors = embedder.embed(list(questions)) if embedder is not None else [None] * len(questions)
    out: dict[str, Any] = {"queries": len(questions)}
    for mode in MODES if embedder is not None else ("lexical",):
        for name, store in (("local", local), ("milvus", milvus)):
            times = []
            for q, v in zip(questions, vectors):
                t = time.perf_counter()
                store.search(q, v, k, mode)
                times.append(time.perf_counter() - t)
            out[f"{name}_{mode}_ms"] = Latency.of(times[3:]).to_dict()
    pairs = [(local.search(q, None, k, "lexical"), milvus.search(q, None, k, "lexical")) for q in questions]
    out["lexical_top5_overlap"] = round(float(np.mean([overlap(a, b, k) for a, b in pairs])), 3)
    out["lexical_top1_agree"] = round(float(np.mean([bool(a and b and a[0].chunk.chunk_id == b[0].chunk.chunk_id)
                                                     for a, b in pairs])), 3)
    return out


def build_both(settings: Settings, embedder) -> tuple[Any, Any, dict[str, float]]:
    from rag.index.build import build_index
    from rag.index.milvus_build import build_milvus
    from rag.retrieve.stores import open_store

    t = time.perf_counter()
    local_report = build_index(settings, force=True, embedder=embedder)
    t1 = time.perf_counter()
    milvus_report = build_milvus(settings, embedder=embedder, force=True)
    t2 = time.perf_counter()
    t3 = time.perf_counter()
    local = open_store(settings.index)
    t4 = time.perf_counter()
    milvus = open_store(settings.store)
    t5 = time.perf_counter()
    times = {"local_build_s": round(t1 - t, 2), "milvus_build_s": round(t2 - t1, 2),
             "local_open_s": round(t4 - t3, 2), "milvus_open_s": round(t5 - t4, 2),
             "chunks": local_report.chunks, "milvus_chunks": milvus_report.chunks,
             "milvus_stage_ms": {k: round(v) for k, v in milvus_report.stage_ms.items()},
             "local_stage_ms": {k: round(v) for k, v in local_report.stage_ms.items()}}
    return local, milvus, times


def gold_overlap(work: Path) -> dict[str, Any]:
    """Lexical top-5 of both stores on the gold questions over the seeds."""
    qs = [json.loads(x)["question"] for x in (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(
        encoding="utf-8").splitlines() if x.strip()]
    s = Settings(index=str(work / "seed-index"), store=str(work / "seed.db"), mode="lexical")
    local, milvus, times = build_both(s, None)
    try:
        return {**compare(local, milvus, qs, None), "chunks": times["chunks"]}
    finally:
        milvus.close()


def run(n_chunks: int, out: Path, queries: int) -> dict[str, Any]:
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"created": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine()}
    result["gold_seeds"] = gold_overlap(data)
    articles = write_news(data / "news", n_chunks)
    (data / "news.db").unlink(missing_ok=True)
    s = Settings(docs=(str(data / "news"),), index=str(data / "news-index"), store=str(data / "news.db"),
                 mode="hybrid", embed_model="synthetic")
    embedder = HashingEmbedder(dim=256)
    local, milvus, times = build_both(s, embedder)
    try:
        qs = questions_from(local.index.chunks, queries)
        result["news"] = {"articles": articles, **times, **compare(local, milvus, qs, embedder)}
    finally:
        milvus.close()
    (out / "stores.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "stores.md").write_text(markdown(result), encoding="utf-8")
    return result


def markdown(r: dict[str, Any]) -> str:
    n, g = r["news"], r["gold_seeds"]
    lat = lambda key: f"{n[key]['p50']:.1f} / {n[key]['p95']:.1f}"  # noqa: E731
    rows = [f"| {m} | {lat(f'local_{m}_ms')} | {lat(f'milvus_{m}_ms')} |" for m in MODES]
    return "\n".join([
        "# Local index vs Milvus Lite", "",
        f"{r['created']} · {r['machine'].get('cpu', '')} · {r['machine'].get('cores', '')} cores",
        "", f"News corpus: {n['articles']} articles, {n['chunks']} chunks (Milvus: {n['milvus_chunks']}); "
        "embeddings: synthetic 256-d (`rag/bench/hashing.py`), the same for both.", "",
        "| | local folder | Milvus Lite |", "|---|---|---|",
        f"| build (s) | {n['local_build_s']} | {n['milvus_build_s']} |",
        f"| open (s) | {n['local_open_s']} | {n['milvus_open_s']} |", "",
        f"Search latency, ms p50 / p95, {n['queries']} questions, k=5 (the store's search alone):", "",
        "| mode | local folder | Milvus Lite |", "|---|---|---|", *rows, "",
        "BM25 agreement (project tokenizer vs Milvus `chinese` analyzer), lexical top-5:", "",
        "| questions | top-5 overlap | top-1 same |", "|---|---|---|",
        f"| news fragments ({n['queries']}, {n['chunks']} chunks) | {n['lexical_top5_overlap']} | "
        f"{n['lexical_top1_agree']} |",
        f"| gold questions ({g['queries']}, seeds: {g['chunks']} chunks) | {g['lexical_top5_overlap']} | "
        f"{g['lexical_top1_agree']} |", "",
        f"Milvus build stages (ms): {json.dumps(n['milvus_stage_ms'])}",
        f"Local build stages (ms): {json.dumps(n['local_stage_ms'])}", ""])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rag bench --corpus news", description="Local index vs Milvus Lite on news.")
    ap.add_argument("--corpus", choices=["news"], default="news")
    ap.add_argument("--chunks", type=int, default=100_000, help="about how many chunks (default 100000)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--out", default="bench-results/stores", help="output folder")
    args = ap.parse_args(list(argv) if argv is not None else None)
    out = Path(args.out)
    run(args.chunks, out, args.queries)
    print(f"bench: wrote {out / 'stores.md'} and {out / 'stores.json'}")
    return 0
