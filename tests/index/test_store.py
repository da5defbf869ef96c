"""The on-disk index: atomic switch, versioned manifest, checksums, change detection."""
import json
from pathlib import Path

import pytest

from rag.index.build import build_index
from rag.errors import IndexDamaged, IndexMismatch, IndexMissing
from rag.index.loaded import load_index
from rag.pipeline import Pipeline
from rag.settings import load_settings
from rag.index.store import POINTER, current_build

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def settings(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "seed.txt").write_bytes((ROOT / "seeds" / "000_63f0bc8c7ce5e8c2.txt").read_bytes())
    return load_settings({"docs": [str(docs)], "index": str(tmp_path / "index"), "mode": "lexical"}, env={})


def test_manifest_records_how_it_was_built(settings):
    report = build_index(settings)
    manifest = json.loads((Path(report.path) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "rag-index" and manifest["format_version"] == 1
    assert manifest["signature"]["chunking"] == {"size": 240, "overlap": 80}
    assert manifest["documents"] == 1 and manifest["chunks"] == report.chunks
    assert len(manifest["corpus_sha256"]) == 64
    assert set(manifest["files"]) >= {"chunks.jsonl", "documents.jsonl", "bm25_data.npy", "bm25_vocab.json"}


def test_rebuild_is_skipped_when_nothing_changed(settings):
    first = build_index(settings)
    again = build_index(settings)
    assert again.up_to_date and again.path == first.path


def test_changed_documents_are_noticed(settings):
    build_index(settings)
    doc = Path(settings.docs[0]) / "new.txt"
    doc.write_text("拼多多年货节\n拼多多年货节农产品订单量同比增长65%。", encoding="utf-8")
    pipe = Pipeline.open(settings)  # notices and rebuilds
    assert len(pipe.index.documents) == 2
    assert "65%" in pipe.ask("拼多多年货节农产品订单量增长了多少？").answer


def test_current_pointer_switches_and_old_builds_are_pruned(settings):
    a = build_index(settings).path
    b = build_index(settings, force=True).path
    c = build_index(settings, force=True).path
    root = Path(settings.index)
    assert current_build(root) == Path(c)
    builds = sorted(p.name for p in (root / "builds").iterdir())
    assert Path(a).name not in builds and Path(b).name in builds and len(builds) == 2


def test_missing_index_says_run_rag_index(tmp_path):
    with pytest.raises(IndexMissing, match="run `rag index`"):
        load_index(tmp_path / "nothing")


def test_other_format_version_is_refused(settings):
    build = Path(build_index(settings).path)
    m = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    m["format_version"] = 99
    (build / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(IndexMismatch, match="rag index"):
        load_index(Path(settings.index))


def test_flipped_byte_is_caught_by_checksum(settings):
    build = Path(build_index(settings).path)
    target = build / "chunks.jsonl"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(IndexDamaged) as err:
        load_index(Path(settings.index))
    msg = str(err.value)
    assert "chunks.jsonl" in msg and "rag index" in msg and "\n" not in msg


def test_pointer_to_missing_build(settings):
    build_index(settings)
    (Path(settings.index) / POINTER).write_text("builds/does-not-exist\n", encoding="utf-8")
    with pytest.raises(IndexDamaged, match="rag index"):
        load_index(Path(settings.index))


def test_index_from_an_older_version_is_rebuilt_for_the_same_documents(settings, monkeypatch):
    first = build_index(settings).path
    # This program's tokenizer moves on: the index on disk is now from an older version.
    monkeypatch.setattr("rag.index.loaded.TOKENIZER_VERSION", 99)
    monkeypatch.setattr("rag.index.build.TOKENIZER_VERSION", 99)
    pipe = Pipeline.open(settings)  # rebuilds instead of refusing
    assert str(pipe.index.path) != first and pipe.index.manifest["tokenizer"]["version"] == 99
    monkeypatch.setattr("rag.index.loaded.TOKENIZER_VERSION", 100)
    other = settings.replace(docs=(str(Path(settings.docs[0]).parent),))
    with pytest.raises(IndexMismatch, match="rag index"):
        Pipeline.open(other)  # built from other documents: not silently replaced
