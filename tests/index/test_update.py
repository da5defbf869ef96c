"""add_files: what an upload calls. Limits refuse with one line each; good files land in the
knowledge base's docs/ and are searchable after the incremental build it runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag import kb
from rag.index.loaded import load_index
from rag.index.update import add_files, safe_name


@pytest.fixture
def env(tmp_path):
    return {"RAG_HOME": str(tmp_path / "home"), "RAG_MODE": "lexical", "RAG_UPLOAD_MAX_FILES": "4",
            "RAG_UPLOAD_MAX_MB": "1"}


def test_add_then_change_then_refuse(tmp_path, env):
    a = tmp_path / "甲.txt"
    a.write_text("甲公司简报\n甲公司今年在杭州新开了12家门店。", encoding="utf-8")
    r = add_files("资料", [a], env=env)
    assert r.added == ("甲.txt",) and r.refused == () and r.build and r.build.parsed == 1
    base = kb.get("资料", env)
    assert (base.uploads / "甲.txt").read_bytes() == a.read_bytes()
    index = load_index(base.path)
    assert any("12家门店" in c.text and Path(c.path).name == "甲.txt" for c in index.chunks)

    assert add_files("资料", [a], env=env).unchanged == ("甲.txt",)  # same bytes: no build

    b = tmp_path / "乙.md"
    b.write_text("# 乙公司\n乙公司员工有300人。", encoding="utf-8")
    a.write_text("甲公司简报\n甲公司今年在杭州新开了15家门店。", encoding="utf-8")
    r = add_files("资料", [a, b], env=env)
    assert r.added == ("乙.md",) and r.replaced == ("甲.txt",) and r.build.parsed == 2

    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    exe = tmp_path / "evil.pdf"
    exe.write_bytes(b"MZ\x90\x00" + bytes(range(256)) * 8)
    img = tmp_path / "photo.png"
    img.write_bytes(b"\x89PNG\r\n\x1a\n")
    good = tmp_path / "丙.txt"
    good.write_text("丙公司简报\n丙公司的仓库在南京。", encoding="utf-8")
    r = add_files("资料", [big, exe, img, good, good], env=env, names=["big.txt", "evil.pdf", "photo.png", "丙.txt",
                                                                       "丁.txt"])
    reasons = dict(line.split(": ", 1) for line in r.refused)
    assert "1 MB limit" in reasons["big.txt"] and "PDF" in reasons["evil.pdf"]
    assert "not a document type" in reasons["photo.png"] and "more than 4 files" in reasons["丁.txt"]
    assert r.added == ("丙.txt",)
    stored = sorted(p.name for p in base.uploads.iterdir())
    assert stored == ["丙.txt", "乙.md", "甲.txt"]  # nothing refused was stored, nothing half-copied
    assert all("\n" not in line for line in r.refused)


def test_safe_names_stay_inside_docs():
    assert safe_name("../../x.txt") == "x.txt" and safe_name("C:\\a\\b.pdf") == "b.pdf"
    assert safe_name("...") == "document"
