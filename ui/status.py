"""What the page says about itself: the mode it runs in and where its index came from.

Input is `Pipeline.mode_info()` and the index manifest (plain dicts), output is
escaped HTML, so this is tested without a server.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .render import h

RETRIEVAL_ZH = {"lexical": "词法检索（BM25）", "dense": "向量检索", "hybrid": "混合检索（BM25 + 向量）"}
ANSWERER_ZH = {"extractive": "抽取式回答（逐字引用原文）", "transformers": "本地大模型生成",
               "openai": "大模型生成（OpenAI 兼容接口）"}


def retrieval_label(retrieval: str) -> str:
    base, _, rerank = retrieval.partition("+")
    return RETRIEVAL_ZH.get(base, base) + (" + 重排序" if rerank else "")


def answerer_label(name: str) -> str:
    """"transformers:Qwen/…" -> the backend's label, with the model after it."""
    kind, _, detail = name.partition(":")
    label = ANSWERER_ZH.get(kind, kind)
    return f"{label}（{detail}）" if detail else label


def mode_html(info: Mapping[str, Any]) -> str:
    """One line under the title: the mode, the corpus size, and any note about a fallback."""
    model = info.get("embedding_model") or "无"
    parts = [f"检索：{h(retrieval_label(info.get('retrieval', '')))}",
             f"回答：{h(answerer_label(info.get('answerer', '')))}",
             f"{info.get('documents', 0):,} 篇文档 · {info.get('chunks', 0):,} 个片段",
             f"向量模型：{h(model)}"]
    notes = "".join(f'<li>{h(n)}</li>' for n in info.get("notes", []))
    notes_html = f'<ul class="rag-notes">{notes}</ul>' if notes else ""
    return f'<div class="rag-mode">{" · ".join(parts)}</div>{notes_html}'


def index_html(info: Mapping[str, Any], manifest: Mapping[str, Any], index_path: str | Path) -> str:
    """The details behind the mode line: where the index is, when and from what it was built."""
    embedding = manifest.get("embedding") or {}
    rows = [
        ("索引", str(index_path)),
        ("构建时间", str(manifest.get("created", "未知"))),
        ("文档来源", "；".join(str(s) for s in manifest.get("sources", [])) or "未知"),
        ("文档 / 片段", f"{manifest.get('documents', info.get('documents', 0)):,} / "
                     f"{manifest.get('chunks', info.get('chunks', 0)):,}"),
        ("分块", _chunking(manifest)),
        ("分词", str(info.get("tokenizer", ""))),
        ("向量模型", str(embedding.get("model") or "无（仅词法检索）")),
        ("重排序模型", str(info.get("reranker") or "无")),
        ("跳过的文件", str(len(manifest.get("skipped", [])))),
    ]
    cells = "".join(f"<tr><th>{h(k)}</th><td>{h(v)}</td></tr>" for k, v in rows)
    return f'<table class="rag-index">{cells}</table>'


def _chunking(manifest: Mapping[str, Any]) -> str:
    chunking = (manifest.get("signature") or {}).get("chunking") or {}
    if not chunking:
        return "未知"
    return f"{chunking.get('size')} 字，重叠 {chunking.get('overlap')} 字"
