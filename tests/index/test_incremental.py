"""Incremental builds: adding, changing or deleting a file parses that file only, and only
chunks whose text is new are embedded; every other chunk keeps its vector."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import rag.ingest.corpus as corpus_module
from rag.bench.hashing import HashingEmbedder
from rag.index.build import build_index
from rag.index.loaded import load_index
from rag.settings import load_settings

pytest.importorskip("faiss")


class CountingEmbedder:
    """A real (hashing) embedder that records the chunk texts it is asked to embed (`index_text`:
    title, section and text on lines of their own; the build's short sample queries are not chunks)."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder(dim=64)
        self.dim = self.inner.dim
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts += [t for t in texts if "\n" in t]
        return self.inner.embed(texts)


def article(company: str, n: int) -> str:
    return f"{company}经营简报\n" + "".join(
        f"{company}第{i}季度在第{i + n}个城市开设门店，销售额增长{i * 3 + n}%，员工人数达到{i * 100 + n}人。" for i in range(1, 9))


@pytest.fixture
def setup(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, name in enumerate(["甲公司", "乙公司", "丙公司"]):
        (docs / f"{name}.txt").write_text(article(name, i), encoding="utf-8")
    (docs / "门店.csv").write_text("城市,门店数\n杭州,12\n苏州,7\n", encoding="utf-8")
    settings = load_settings({"docs": [str(docs)], "index": str(tmp_path / "index"), "mode": "hybrid",
                              "embed_model": "counting-hash"}, env={})
    reads: list[str] = []
    real = corpus_module.read_document
    monkeypatch.setattr(corpus_module, "read_document", lambda p: reads.append(Path(p).name) or real(p))
    return docs, settings, reads


def build(settings, reads):
    reads.clear()
    emb = CountingEmbedder()
    report = build_index(settings, embedder=emb)
    return report, emb


def chunks_of(settings, name: str) -> int:
    return sum(1 for c in load_index(Path(settings.index)).chunks if Path(c.path).name == name)


def test_add_change_delete_touch_only_that_file(setup):
    docs, settings, reads = setup
    first, emb = build(settings, reads)
    assert sorted(reads) == ["丙公司.txt", "乙公司.txt", "甲公司.txt", "门店.csv"]
    assert first.parsed == 4 and first.embedded == first.chunks == len(emb.texts) and first.reused_vectors == 0

    (docs / "丁公司.txt").write_text(article("丁公司", 7), encoding="utf-8")  # add
    added, emb = build(settings, reads)
    assert reads == ["丁公司.txt"] and added.parsed == 1
    assert added.embedded == len(emb.texts) == chunks_of(settings, "丁公司.txt") > 0
    assert added.reused_vectors == first.chunks and added.documents == 5

    text = (docs / "乙公司.txt").read_text(encoding="utf-8")  # change the last sentence only
    (docs / "乙公司.txt").write_text(text.replace("员工人数达到801人", "员工人数达到999人"), encoding="utf-8")
    changed, emb = build(settings, reads)
    assert reads == ["乙公司.txt"] and changed.parsed == 1
    assert 0 < len(emb.texts) < chunks_of(settings, "乙公司.txt")  # its unchanged chunks kept their vectors
    assert all("乙公司" in t for t in emb.texts)

    (docs / "甲公司.txt").unlink()  # delete
    deleted, emb = build(settings, reads)
    assert reads == [] and deleted.parsed == 0 and emb.texts == [] and deleted.documents == 4
    index = load_index(Path(settings.index))
    assert not any("甲公司" in c.text for c in index.chunks)
    assert index.vectors.ntotal == len(index.chunks)

    again, emb = build(settings, reads)
    assert again.up_to_date and reads == [] and emb.texts == []


def test_reused_vectors_equal_fresh_ones(setup):
    """A kept vector is the one a full rebuild would compute: rows are matched by content, not position."""
    docs, settings, reads = setup
    build(settings, reads)
    (docs / "戊公司.txt").write_text(article("戊公司", 4), encoding="utf-8")
    (docs / "丙公司.txt").unlink()
    build(settings, reads)
    index = load_index(Path(settings.index))
    stored = np.load(index.path / "embeddings.npy")
    from rag.index.build import index_text
    fresh = HashingEmbedder(dim=64).embed([index_text(c) for c in index.chunks])
    assert np.allclose(stored, fresh, atol=1e-6)


def test_force_parses_everything_again(setup):
    docs, settings, reads = setup
    build(settings, reads)
    reads.clear()
    report = build_index(settings, force=True, embedder=CountingEmbedder())
    assert report.parsed == 4 and len(reads) == 4
