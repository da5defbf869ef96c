"""Embedding throughput of the default model's shape, by precision, and similarity to fp32.

No weights can be downloaded here, so the model is a random-weight BERT with
bge-small-zh-v1.5's shape (BertModel, hidden 512, 4 layers, 8 heads, FFN 2048,
vocabulary 21128, CLS pooling, normalized): the same arithmetic per token as the
real model, hence the same speed. Its weights are drawn with std 0.1 instead of
BERT's 0.02: with 0.02 every passage gets nearly the same vector (pairwise cosine
0.9997), which would make any "similarity to fp32" meaningless. Similarities are
still those of a random model; a trained model's may differ a little, which is why
`SentenceTransformerEmbedder` re-checks a reduced precision against fp32 on the real
model when it loads (`embedder.py`).

Run as `python -m rag.bench.embedding OUT`; writes OUT/embedding.json.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

BGE_SMALL_ZH = {"vocab_size": 21128, "hidden_size": 512, "num_hidden_layers": 4, "num_attention_heads": 8,
                "intermediate_size": 2048, "max_position_embeddings": 512, "type_vocab_size": 2,
                "initializer_range": 0.1}


def make_bge_small_zh_shape(folder: Path, seed: int = 0) -> Path:
    """Save a random-weight model of bge-small-zh-v1.5's shape as a sentence-transformers folder."""
    out = Path(folder) / "st"
    if (out / "modules.json").is_file():
        return out
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(seed)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ascii_ = [chr(c) for c in range(33, 127)]
    hanzi = [chr(c) for c in range(0x4E00, 0x9FA6)]
    vocab = (specials + ascii_ + hanzi)[:BGE_SMALL_ZH["vocab_size"]]
    vocab += [f"[unused{i}]" for i in range(BGE_SMALL_ZH["vocab_size"] - len(vocab))]
    tok = BertTokenizerFast(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True,
                            tokenize_chinese_chars=True)
    base = Path(folder) / "hf"
    BertModel(BertConfig(**BGE_SMALL_ZH)).save_pretrained(base)
    tok.save_pretrained(base)
    word = models.Transformer(str(base), max_seq_length=512)
    pool = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="cls")
    SentenceTransformer(modules=[word, pool, models.Normalize()], device="cpu").save(str(out))
    return out


def throughput(model_path: Path, passages: list[str], queries: list[str], device: str = "cpu",
               precisions: tuple[str, ...] = ("fp32", "bf16", "int8"), repeats: int = 3) -> list[dict[str, Any]]:
    """Passages a second (best and median of `repeats`) and query latency for each precision,
    with the cosine to fp32 and how many of each passage's 10 nearest passages fp32 agrees on."""
    from rag.index.embedder import SentenceTransformerEmbedder

    models, rows, ref = {}, [], None
    for precision in precisions:
        try:
            models[precision] = SentenceTransformerEmbedder(str(model_path), device, precision=precision, check=False)
        except Exception as exc:  # noqa: BLE001 - a precision this machine cannot run is reported, not fatal
            rows.append({"precision": precision, "device": device, "error": f"{type(exc).__name__}: {exc}"[:200]})
    rates: dict[str, list[float]] = {p: [] for p in models}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(repeats):  # interleaved, so a busy moment of the machine hits every precision
        for precision, emb in models.items():
            emb.embed(passages[:8])
            t = time.perf_counter()
            vectors[precision] = emb.embed(passages)
            rates[precision].append(len(passages) / (time.perf_counter() - t))
    for precision, emb in models.items():
        lat = []
        for q in queries:
            t = time.perf_counter()
            emb.embed([q])
            lat.append(time.perf_counter() - t)
        vecs = vectors[precision]
        ref = vecs if ref is None else ref
        cos = np.sum(vecs * ref, axis=1)
        rows.append({"precision": emb.precision, "device": device, "passages": len(passages),
                     "passages_per_s": round(max(rates[precision]), 1),
                     "passages_per_s_median": round(float(np.median(rates[precision])), 1),
                     "query_ms_p50": round(float(np.percentile(lat, 50)) * 1000, 2),
                     "cosine_to_fp32_mean": round(float(cos.mean()), 5),
                     "cosine_to_fp32_min": round(float(cos.min()), 5),
                     "neighbours_agree@10": round(_agreement(ref, vecs), 4)})
    return rows


def _agreement(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    sa, sb = a @ a.T, b @ b.T
    np.fill_diagonal(sa, -np.inf)
    np.fill_diagonal(sb, -np.inf)
    ta, tb = np.argsort(-sa, axis=1)[:, :k], np.argsort(-sb, axis=1)[:, :k]
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(ta.tolist(), tb.tolist())]))


def sample_texts(out: Path, n: int = 256) -> tuple[list[str], list[str]]:
    """~200-character passages and short questions from the synthetic corpus."""
    from rag.bench.corpus import generate

    corpus = generate(Path(out) / "data" / "corpus-10k", 10_000)
    passages = []
    for path in sorted(corpus.docs.glob("*/*.txt"))[:n]:
        body = path.read_text(encoding="utf-8").split("总结: ", 1)[-1]
        passages.append(body[200:400])
    return passages, [f.question for f in corpus.facts[:50]]


def run_embedding(out: Path) -> dict[str, Any]:
    import torch

    model = make_bge_small_zh_shape(Path(out) / "data" / "bge-small-zh-shape")
    passages, queries = sample_texts(out)
    load_start = os.getloadavg()
    rows = throughput(model, passages, queries)
    if torch.cuda.is_available():
        rows += throughput(model, passages * 8, queries, device="cuda", precisions=("fp32", "bf16"))
    from rag.index.embedder import native_bf16

    return {"loadavg_at_start": load_start, "loadavg_at_end": os.getloadavg(), "model_shape": BGE_SMALL_ZH, "threads": torch.get_num_threads(), "native_bf16": native_bf16(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "mean_passage_chars": round(float(np.mean([len(p) for p in passages])), 1), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    import json
    import sys

    out = Path((sys.argv[1:] if argv is None else argv)[0])
    (out / "embedding.json").write_text(json.dumps(run_embedding(out), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
