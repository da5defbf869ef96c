"""Shared by the reliability tests: generated corpora with a planted fact, and how to check what an index serves.

Two corpora differ in one planted fact (星河科技's revenue: 111 vs 222 亿元) and in their
filler, so a served index can be told apart entirely: by its corpus hash, its document
count and its answer.
"""
from __future__ import annotations

import os
import random
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.corpus import load_corpus
from rag.index.loaded import load_index
from rag.pipeline import Pipeline
from rag.settings import Settings, load_settings

QUESTION = "星河科技2024年的营业收入是多少？"
SUBJECTS = ["京东", "天猫", "抖音", "拼多多", "美团", "小米", "华为", "比亚迪", "宁德时代", "腾讯", "阿里巴巴", "百度"]
VERBS = ["发布了", "宣布", "推出", "完成了", "披露了", "启动了"]
OBJECTS = ["新一代人工智能模型", "以旧换新补贴计划", "跨境电商平台", "智能制造工厂", "绿色物流方案", "国潮品牌合作"]


def paragraph(rng: random.Random) -> str:
    return "".join(
        f"{rng.choice(SUBJECTS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}，成交额同比增长{rng.randint(1, 300)}%，"
        f"覆盖{rng.randint(2, 90)}个城市。"
        for _ in range(rng.randint(3, 8))
    )


def make_corpus(folder: Path, n_docs: int, revenue: int, seed: int, paragraphs: int = 10) -> Path:
    """`n_docs` generated briefs plus one report that plants the fact `revenue`亿元."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_docs):
        body = "\n".join(paragraph(rng) for _ in range(paragraphs))
        (folder / f"brief{i:05d}.txt").write_text(f"第{i}号行业简报\n{body}", encoding="utf-8")
    (folder / "xinghe.txt").write_text(
        "星河科技年度报告\n星河科技是一家智能硬件公司，总部位于杭州。"
        f"星河科技2024年的营业收入为{revenue}亿元，同比增长12%。公司员工超过3000人。",
        encoding="utf-8",
    )
    return folder


def lexical_settings(docs: Path, index: Path, **extra) -> Settings:
    return load_settings({"docs": [str(docs)], "index": str(index), "mode": "lexical", **extra}, env={})


@dataclass(frozen=True)
class Version:
    """What one corpus looks like once indexed."""

    name: str
    docs: Path
    corpus_sha256: str
    documents: int
    fact: str

    @classmethod
    def of(cls, name: str, docs: Path, revenue: int) -> "Version":
        corpus = load_corpus([str(docs)])
        return cls(name, docs, corpus.sha256, len(corpus.documents), f"{revenue}亿元")


def served(index_root: Path, versions: list[Version]) -> Version:
    """Load the index as a server would and say which version it serves; fail on anything inconsistent."""
    index = load_index(index_root)  # raises on a broken index: the test fails with its message
    by_sha = {v.corpus_sha256: v for v in versions}
    sha = index.manifest.get("corpus_sha256")
    assert sha in by_sha, f"index serves an unknown corpus {sha}"
    v = by_sha[sha]
    assert len(index.documents) == v.documents == index.manifest["documents"]
    for c in index.chunks:
        assert index.documents[c.doc_id].text[c.start:c.end] == c.text
    pipe = Pipeline(index, lexical_settings(v.docs, index_root))
    answer = pipe.ask(QUESTION)
    assert not answer.refused, answer.answer
    others = [w.fact for w in versions if w.fact != v.fact]
    assert v.fact in answer.answer and not any(f in answer.answer for f in others), (v.name, answer.answer)
    return v


# Filesystem operations that change the index: the audit events Python raises for them.
_MUTATING = {"os.rename", "os.remove", "os.rmdir", "os.mkdir", "shutil.rmtree", "os.truncate", "os.symlink"}


def _writes(event: str, args: tuple) -> bool:
    if event in _MUTATING:
        return True
    if event == "open" and len(args) >= 3:
        mode, flags = args[1], args[2]
        if isinstance(mode, str):
            return any(c in mode for c in "wax+")
        return bool(isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
    return False


def build_killed_at(settings: Settings, kill_at: int, counter_path: str | None = None) -> None:
    """Run a forced build, SIGKILLing this process just before its `kill_at`-th file change (0: never).

    Meant as a multiprocessing target: the process dies as a crash would, mid-build.
    With `counter_path`, the number of file changes a full build made is written there.
    """
    from rag.index.build import build_index

    count = 0

    def hook(event: str, args: tuple) -> None:
        nonlocal count
        if _writes(event, args):
            count += 1
            if count == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)
    build_index(settings, force=True)
    if counter_path:
        n = count  # the write below is itself a file change
        Path(counter_path).write_text(str(n))


def leftovers(index_root: Path) -> list[str]:
    """What a crashed build may leave behind and a finished build must have removed."""
    builds = index_root / "builds"
    tmp = [p.name for p in builds.iterdir() if p.name.startswith(".tmp-")] if builds.is_dir() else []
    return tmp + [p.name for p in index_root.glob(".CURRENT.*")]
