"""Read the formats people keep documents in: one small reader per format.

Every reader has one method, `read(path) -> Document`, and turns a file into the
project's `Document`: cleaned text laid out as titled sections (headings on their
own line, outside the section spans, so `doc.text[s.start:s.end]` is the section
body), a stable `doc_id`, a title and metadata. `read_document(path)` picks the
reader by what the file *is* (`sniff`: magic bytes, the members of an Office ZIP
container, RFC 822 headers) and, where the content does not say, by its suffix:

    kind    suffixes                   reader                         sections
    pdf     .pdf                       pdf.PdfReader (text layer)     one per page, "第3页"
    docx    .docx                      docx.DocxReader                one per heading
    pptx    .pptx                      pptx.PptxReader                one per slide, "第2张幻灯片：标题"
    xlsx    .xlsx                      xlsx.XlsxReader                20 rows, "Sheet1 第2–21行"
    csv     .csv .tsv                  csv.CsvReader                  20 rows, "第2–21行"
    eml     .eml                       eml.EmlReader                  邮件信息, 正文
    text    .txt .md .markdown         text.TextReader                markdown headings
    html    .html .htm                 text.HtmlReader (the existing reader)

A file that cannot be read raises `UnreadableDocument` (a `RagError`) whose
message is one line: "scanned PDF: no text layer (OCR is not supported)",
"encrypted PDF: it needs a password", "not a valid DOCX: ...". Format libraries
(pypdf, python-docx, python-pptx, openpyxl) are imported inside each reader, so
importing this package costs nothing and a missing library only fails its format.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Protocol, runtime_checkable

from rag.types import Document

from rag.ingest.loader import decode_best
from ._base import UnreadableDocument
from .csv import CsvReader
from .docx import DocxReader
from .eml import EmlReader, looks_like_email
from .pdf import PdfReader
from .pptx import PptxReader
from .text import HtmlReader, TextReader
from .xlsx import XlsxReader

__all__ = [
    "Reader", "UnreadableDocument", "READERS", "SUFFIX_KINDS", "SUPPORTED_SUFFIXES",
    "register", "sniff", "kind_of", "read_document",
]


@runtime_checkable
class Reader(Protocol):
    """Reads one format. Raises `UnreadableDocument` with a one-line reason."""

    def read(self, path: Path) -> Document: ...


# kind -> reader, and suffix -> kind. `register` adds to both.
READERS: dict[str, Reader] = {}
SUFFIX_KINDS: dict[str, str] = {}
SUPPORTED_SUFFIXES: tuple[str, ...] = ()

# Kinds whose content the sniffer recognises for sure (magic bytes): content beats suffix.
_BINARY = ("pdf", "docx", "pptx", "xlsx")
_TEXT = ("text", "csv", "eml", "html")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc/.xls/.ppt, and password-protected Office files
_SNIFF_BYTES = 8192


def register(kind: str, reader: Reader, suffixes: tuple[str, ...] = ()) -> None:
    """Add (or replace) the reader of a kind, and map suffixes (".pdf") to it."""
    global SUPPORTED_SUFFIXES
    READERS[kind] = reader
    for suffix in suffixes:
        SUFFIX_KINDS[suffix.lower()] = kind
    SUPPORTED_SUFFIXES = tuple(SUFFIX_KINDS)


register("pdf", PdfReader(), (".pdf",))
register("docx", DocxReader(), (".docx",))
register("pptx", PptxReader(), (".pptx",))
register("xlsx", XlsxReader(), (".xlsx",))
register("csv", CsvReader(), (".csv", ".tsv"))
register("eml", EmlReader(), (".eml",))
register("text", TextReader(), (".txt", ".md", ".markdown"))
register("html", HtmlReader(), (".html", ".htm"))


def sniff(path: Path | str) -> str | None:
    """What a file is by its content: "pdf", "docx", "pptx", "xlsx", "eml" or "text";
    None for an empty file, other binary data, or a ZIP that is not an Office document."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if not head:
        return None
    if b"%PDF-" in head[:1024]:  # readers accept up to 1 KB of junk before the header
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(path)
    if head.startswith(_OLE):
        return None
    text = _decode_head(head, full=len(head) < _SNIFF_BYTES)
    if text is None:
        return None
    return "eml" if looks_like_email(text) else "text"


def _office_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for prefix, kind in (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx")):
        if any(n.startswith(prefix) for n in names):
            return kind
    return None


def _decode_head(head: bytes, full: bool) -> str | None:
    # The first 8 KB may end inside a multi-byte character: try shorter cuts.
    for cut in (0,) if full else (0, 1, 2, 3):
        decoded = decode_best(head[: len(head) - cut])
        if decoded is not None:
            return decoded[0]
    return None


def kind_of(path: Path | str) -> str:
    """The kind whose reader `read_document` uses; raises `UnreadableDocument` if none fits."""
    path = Path(path)
    by_suffix = SUFFIX_KINDS.get(path.suffix.lower())
    try:
        by_content = sniff(path)
    except OSError as exc:
        raise UnreadableDocument(f"cannot read it ({exc.strerror or exc})") from exc
    if by_content in _BINARY:
        return by_content  # a PDF renamed .txt is still a PDF
    if by_content == "eml":
        return "eml" if by_suffix in (None, "text", "eml") else by_suffix
    if by_content == "text":
        # Text under a binary suffix (a .pdf that is really text): the content decides.
        return by_suffix if by_suffix in _TEXT else "text"
    with path.open("rb") as f:
        head = f.read(len(_OLE))
    if head == _OLE:
        raise UnreadableDocument(
            "an old binary Office file (.doc/.xls/.ppt) or a password-protected one: "
            "save it as .docx/.xlsx/.pptx without a password"
        )
    if by_suffix in _BINARY:
        return by_suffix  # its reader says what is wrong ("not a valid PDF: ...")
    if not head:
        raise UnreadableDocument("empty file")
    raise UnreadableDocument("binary or undecodable (not a known document format, nor UTF-8, UTF-16 or GB18030 text)")


def read_document(path: Path | str) -> Document:
    """Read any supported file; raises `UnreadableDocument` with a one-line reason."""
    path = Path(path)
    return READERS[kind_of(path)].read(path)
