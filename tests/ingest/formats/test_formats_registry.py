"""The package's interface: registry, sniffing, reader choice, one-line errors."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import rag.ingest.formats as formats
from rag.errors import RagError
from rag.ingest.formats import (
    READERS, SUPPORTED_SUFFIXES, Reader, UnreadableDocument, kind_of, read_document, register, sniff,
)
from rag.ingest.formats.text import build_existing
from rag.types import Document, Section

ROOT = Path(__file__).resolve().parents[3]


def test_every_reader_has_the_interface_and_suffixes_are_listed():
    assert all(isinstance(r, Reader) for r in READERS.values())
    assert set(READERS) == {"pdf", "docx", "pptx", "xlsx", "csv", "eml", "text", "html"}
    for suffix in (".pdf", ".docx", ".pptx", ".xlsx", ".csv", ".tsv", ".eml", ".txt", ".md", ".markdown", ".html", ".htm"):
        assert suffix in SUPPORTED_SUFFIXES
    assert issubclass(UnreadableDocument, RagError)


def test_importing_the_package_imports_no_format_library():
    code = ("import sys, rag.ingest.formats; "
            "print([m for m in ('pypdf', 'docx', 'pptx', 'openpyxl', 'lxml') if m in sys.modules])")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


def test_sniff(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert sniff(empty) is None
    text = tmp_path / "a.dat"
    text.write_text("你好，世界" * 3000, encoding="utf-8")  # longer than the sniffed head: cut mid-character
    assert sniff(text) == "text"
    junk_pdf = tmp_path / "junk.bin"
    junk_pdf.write_bytes(b"\x00garbage\n%PDF-1.4\n...")
    assert sniff(junk_pdf) == "pdf"
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("[Content_Types].xml", "<Types/>")
        f.writestr("xl/workbook.xml", "<workbook/>")
    assert sniff(z) == "xlsx"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("[Content_Types].xml", "<Types/>")
        f.writestr("word/document.xml", "<document/>")
    assert sniff(z) == "docx"
    assert sniff(ROOT / "seeds" / "000_63f0bc8c7ce5e8c2.txt") == "text"


def test_errors_are_one_line(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableDocument, match="^empty file$"):
        read_document(empty)
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(range(256)) * 16)
    with pytest.raises(UnreadableDocument, match=r"^binary or undecodable"):
        read_document(noise)
    with pytest.raises(UnreadableDocument, match=r"^cannot read it"):
        read_document(tmp_path / "missing.pdf")
    err = UnreadableDocument("not a valid DOCX: line one\nline two")
    assert str(err) == "not a valid DOCX: line one line two"


def test_text_under_a_binary_suffix_is_read_as_text(tmp_path):
    path = tmp_path / "说明.pdf"
    path.write_text("退货说明\n七天内可无理由退货。", encoding="utf-8")
    assert kind_of(path) == "text"
    doc = read_document(path)
    assert doc.title == "退货说明" and doc.text == "七天内可无理由退货。"


def test_html_goes_to_the_existing_reader(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><head><title>公告</title><script>x=1</script></head>"
                    "<body><p>门店周一闭店。</p></body></html>", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "公告" and "门店周一闭店。" in doc.text and "x=1" not in doc.text


def test_doc_id_matches_the_existing_reader(tmp_path):
    path = tmp_path / "plain.txt"
    data = "公司简介\n星河科技成立于2010年。\r\n总部在杭州。".encode("utf-8")
    path.write_bytes(data)
    ours = read_document(path)
    theirs = build_existing(path, data.decode("utf-8"), "utf-8", data)
    assert ours.doc_id == theirs.doc_id
    assert (ours.title, ours.text, ours.sections) == (theirs.title, theirs.text, theirs.sections)


def test_register_a_reader(tmp_path, monkeypatch):
    class Upper:
        def read(self, path: Path) -> Document:
            text = Path(path).read_text(encoding="utf-8").upper()
            return Document("x", "x", "", text, (Section("正文", 0, len(text)),), {"format": "upper"}, str(path))

    monkeypatch.setattr(formats, "READERS", dict(formats.READERS))
    monkeypatch.setattr(formats, "SUFFIX_KINDS", dict(formats.SUFFIX_KINDS))
    monkeypatch.setattr(formats, "SUPPORTED_SUFFIXES", formats.SUPPORTED_SUFFIXES)
    register("csv", Upper(), (".csv",))
    path = tmp_path / "a.csv"
    path.write_text("a,b\n", encoding="utf-8")
    assert read_document(path).text == "A,B\n"
