"""Hostile documents: the build finishes, skips what it must with one line each, and counts what it took.

One corpus holds every kind of trouble at once: empty and blank files, a 50 MB file,
binary files under text names, GBK / GB18030 / UTF-16 (with and without BOM) files,
NUL bytes (stray, and zero padding), a 300,000-character line without punctuation, a file of digits, a file
that is only punctuation, one only English, HTML with scripts, markup in plain text,
and file names no terminal can print. The files that hold text must be searchable;
the others must each be named in exactly one warning line.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from rag.index.build import build_index
from rag.index.loaded import load_index
from rag.pipeline import Pipeline
from rag.settings import load_settings

FACTS = {  # file -> (bytes, question, what the answer must contain)
    "gbk.txt": ("甲公司报告\n甲公司今年的研发投入为51亿元。".encode("gbk"), "甲公司今年的研发投入是多少？", "51亿元"),
    "gb18030.txt": ("乙公司报告\n乙公司㐀𠀀系列产品今年卖出了52万台。".encode("gb18030"), "乙公司产品今年卖出了多少台？", "52万台"),
    "utf16-bom.txt": ("丙公司报告\n丙公司的员工人数达到53000人。".encode("utf-16"), "丙公司的员工人数是多少？", "53000人"),
    "utf16le-nobom.txt": ("丁公司报告\n丁公司去年的净利润为54亿元。".encode("utf-16-le"), "丁公司去年的净利润是多少？", "54亿元"),
    "utf16be-nobom.txt": ("戊公司报告\n戊公司在全国开设了55家门店。".encode("utf-16-be"), "戊公司开设了多少家门店？", "55家门店"),
    "utf8-bom.txt": ("己公司报告\n己公司的市场份额为56%。".encode("utf-8-sig"), "己公司的市场份额是多少？", "56%"),
    "nul.txt": ("庚公司报告\n庚公司\x00的海外收入\x00占比为57%。".encode("utf-8"), "庚公司的海外收入占比是多少？", "57%"),
    "zero-padded.txt": (b"\x00" * 4000 + "癸丑公司报告\n癸丑公司共有61个仓库。".encode("utf-8") + b"\x00" * 9000,
                        "癸丑公司有多少个仓库？", "61个仓库"),
    "english.md": (b"# Acme annual report\n\nAcme shipped 58 rockets in 2024, a record for the company.\n",
                   "How many rockets did Acme ship in 2024?", "58 rockets"),
    "page.html": ("<html><head><title>辛公司新闻</title><style>p{color:red}</style>"
                  "<script>document.write('辛公司被黑客攻击了');alert(1)</script></head>"
                  "<body onload=\"steal()\"><p>辛公司今年新增用户<b>59万</b>人。</p>"
                  "<script src=\"https://evil.example/x.js\"></script></body></html>".encode("utf-8"),
                  "辛公司今年新增用户多少人？", "59万"),
}
SKIPPED = {  # file -> words its warning must contain
    "empty.txt": "no text",
    "blank.txt": "no text",
    "punctuation.txt": "no words",
    "random.txt": "binary",
    "elf.md": "binary",
    "png.html": "binary",
    "huge.txt": "MB limit",
    "photo.png": "not a document type",
    "report.pdf": "not a valid PDF",
    "bad\nname.doc": "not a document type",
}


def _write_corpus(folder: Path) -> None:
    rng = random.Random(3)
    folder.mkdir()
    for name, (data, _, _) in FACTS.items():
        (folder / name).write_bytes(data)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text(" \n\t\n\u3000\n", encoding="utf-8")
    (folder / "punctuation.txt").write_text("。，！？、；：“”‘’（）《》…—" * 200, encoding="utf-8")
    (folder / "random.txt").write_bytes(bytes(rng.randrange(256) for _ in range(20000)))
    (folder / "elf.md").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(rng.randrange(256) for _ in range(5000)))
    (folder / "png.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(5000)))
    with open(folder / "huge.txt", "wb") as f:  # 50 MB of ordinary text
        block = ("癸公司的销售额持续增长，市场表现良好。" * 1000 + "\n").encode("utf-8")
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            f.write(block)
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "report.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "bad\nname.doc").write_bytes(b"x")
    hanzi = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法"
    (folder / "longline.txt").write_text("".join(rng.choice(hanzi) for _ in range(300_000)), encoding="utf-8")
    (folder / "digits.txt").write_text("7" * 200_000, encoding="utf-8")
    (folder / "markup.txt").write_text("标签说明\n<script>alert('x')</script> 与 <img src=x onerror=alert(1)> 是两种常见的注入写法。",
                                       encoding="utf-8")
    (folder / "seed-empty-fields.txt").write_text("标题:\n链接:\n总结:\n", encoding="utf-8")
    gbk_name = os.fsdecode("报告名.txt".encode("gbk"))  # as unpacked from a zip made on Windows
    (folder / gbk_name).write_text("壬公司报告\n壬公司的仓库面积为60万平方米。", encoding="utf-8")
    sub = folder / "nested" / "deeper"
    sub.mkdir(parents=True)
    (sub / "loop").symlink_to(folder, target_is_directory=True)
    (folder / ".hidden.txt").write_text("隐藏文件不应被读取。", encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "docs"
    _write_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory):
    index = tmp_path_factory.mktemp("hostile-index") / "index"
    r = subprocess.run([sys.executable, "-m", "rag.cli", "index", "--docs", str(corpus), "--index", str(index),
                        "--mode", "lexical"], capture_output=True, text=True, timeout=300)
    settings = load_settings({"docs": [str(corpus)], "index": str(index), "mode": "lexical"}, env={})
    return r, settings


def test_the_build_finishes_and_reports_what_it_took(built):
    r, settings = built
    assert r.returncode == 0, r.stderr
    index = load_index(Path(settings.index))
    n_docs, n_chunks = len(index.documents), len(index.chunks)
    assert f"index built: {n_docs} documents, {n_chunks} chunks" in r.stdout
    # every text file but the skipped ones: FACTS, longline, digits, markup, the GBK-named file
    assert n_docs == len(FACTS) + 4, sorted(d.path for d in index.documents.values())
    assert f"skipped {len(SKIPPED) + 1} file(s)" in r.stderr  # + the seed file whose fields are all empty


def test_each_skipped_file_has_exactly_one_warning_line(built):
    r, _ = built
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: skipped ")]
    assert all(ln.startswith("warning: ") or ln.startswith("skipped ") for ln in r.stderr.splitlines()), r.stderr
    for name, why in SKIPPED.items():
        shown = name.replace("\n", "\\n")
        mine = [ln for ln in warnings if f"/{shown}:" in ln]
        assert len(mine) == 1 and why in mine[0], (name, mine)
    assert not any("hidden" in ln or "loop" in ln for ln in r.stderr.splitlines())


@pytest.mark.parametrize("name", list(FACTS))
def test_text_in_any_encoding_is_searchable(built, name):
    _, settings = built
    pipe = Pipeline.open(settings, build_if_missing=False)
    _, question, expected = FACTS[name]
    answer = pipe.ask(question)
    assert expected in answer.answer, (name, answer.answer)


def test_scripts_and_styles_never_reach_the_index(built):
    _, settings = built
    index = load_index(Path(settings.index))
    text = "\n".join(c.text for c in index.chunks)
    assert "黑客" not in text and "alert(1)" not in text.replace("<img src=x onerror=alert(1)>", "")
    assert "evil.example" not in text and "color:red" not in text and "steal()" not in text
    # markup inside a .txt is text: kept verbatim, for the UI to escape when it shows it
    assert "<script>alert('x')</script>" in text


def test_odd_files_are_chunked_within_bounds(built):
    _, settings = built
    index = load_index(Path(settings.index))
    by_path = {Path(d.path).name: d for d in index.documents.values()}
    assert "报告名.txt" in by_path  # a GBK file name is shown readably
    for c in index.chunks:
        assert index.documents[c.doc_id].text[c.start:c.end] == c.text
        assert 0 < len(c.text) <= settings.chunk_size
    long_doc = by_path["longline.txt"]
    assert sum(c.doc_id == long_doc.doc_id for c in index.chunks) >= 300_000 // settings.chunk_size


def test_in_process_build_reports_the_same(corpus, tmp_path):
    settings = load_settings({"docs": [str(corpus)], "index": str(tmp_path / "index"), "mode": "lexical"}, env={})
    report = build_index(settings)
    assert report.documents == len(FACTS) + 4 and report.chunks > 0
    assert len(report.skipped) == len(SKIPPED) + 1 and all("\n" not in s for s in report.skipped)
