"""Shared pieces of the UI and API tests: a corpus with a hostile document, a real server on 127.0.0.1.

Imported by tests/test_ui_*.py and tests/test_api_*.py (pytest puts tests/ on sys.path), before
gradio_client: importing `ui` first turns off the Hugging Face telemetry that gradio_client would send.
"""
from __future__ import annotations

import json
import shutil
import socket
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import ui  # noqa: F401 - sets the no-network environment before gradio_client is imported
from rag.index.build import build_index
from rag.settings import PROJECT_ROOT, Settings, load_settings

SEEDS = PROJECT_ROOT / "seeds"
EVAL = PROJECT_ROOT / "eval"

# Every way this document could run script or link somewhere, in its title, url and body.
HOSTILE_DOC = """标题: 火星快递<img src=x onerror="document.title='pwned-title'"><script>document.title='pwned-script'</script>
链接: javascript:document.title='pwned-link'
总结: 火星快递公司<img src=x onerror="document.title='pwned-body'">在光棍节期间共配送了4242件包裹<script>document.title='pwned-body-script'</script>。火星快递的客服热线是[点我](javascript:document.title='pwned-md')，投诉见[1](javascript:document.title='pwned-ref')，官网 www.evil.example 或 https://evil.example/x ，邮箱 a@evil.example。火星快递的口号是${document.title='pwned-tpl'}和{{constructor.constructor('document.title=1')()}}。<a href="javascript:document.title='pwned-a'">火星快递官网链接</a>
关键词: 火星快递
"""
HOSTILE_QUESTION = "火星快递公司在光棍节期间共配送了多少件包裹？"

# Gold questions (eval/questions.jsonl) with their key facts: id -> (question, facts).
SEED_IDS = ("q001", "q005", "q008", "q043", "q056")
REFUSAL_QUESTION = "红烧肉怎么做才好吃？"  # u002: off-topic
# eval/conversations.jsonl c014: a question about 京东, then "那抖音呢？".
FOLLOWUP = ("京东联合家电企业为以旧换新投入了多少钱？", "那抖音呢？", ["10亿", "十亿"])


def gold(ids: tuple[str, ...] = SEED_IDS) -> dict[str, tuple[str, list[list[str]]]]:
    rows = [json.loads(line) for line in (EVAL / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return {r["id"]: (r["question"], r["facts"]) for r in rows if r["id"] in ids}


def normalize(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def has_facts(answer: str, facts: list[list[str]]) -> bool:
    """The gold rule: every key fact has a variant in the answer (NFKC, whitespace removed)."""
    return all(any(normalize(v) in normalize(answer) for v in variants) for variants in facts)


def corpus_settings(root: Path, hostile: bool = True, build: bool = True) -> Settings:
    """Seeds (+ the hostile document) under root/docs, the index under root/index, lexical mode."""
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, docs / f.name)
    if hostile:
        (docs / "zz_hostile.txt").write_text(HOSTILE_DOC, encoding="utf-8")
    settings = load_settings({"docs": [str(docs)], "index": str(root / "index"), "mode": "lexical"}, env={})
    if build:
        build_index(settings)
    return settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(source, **create_kwargs) -> Iterator[str]:
    """A real Gradio server for `source` on 127.0.0.1 and a free port; closed on exit."""
    from ui.app import create_app, serve

    demo = create_app(source, **create_kwargs)
    url = serve(demo, "127.0.0.1", free_port())
    try:
        yield url
    finally:
        demo.close()
