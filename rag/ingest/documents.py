"""Turn a decoded source file into a Document: cleaned text, sections, metadata.

The document text is laid out as sections separated by blank lines; headings are
kept on a line of their own (outside any section span) so that chunks never
contain them but offsets stay faithful:

    <lead>\n\n<heading>\n<section text>\n\n文章信息 lines\n\n<summary>
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from rag.ingest.clean import split_headings, strip_byline
from rag.ingest.loader import SourceFile
from rag.ingest.seedformat import is_seed_format, parse_fields, split_list
from rag.types import Document, Section

LEAD = "正文"
INFO = "文章信息"
SUMMARY = "内容摘要"
# Bidi embeddings/overrides/isolates (U+202A-E, U+2066-9) too: they could reorder a cited passage on screen.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


class _Builder:
    """Appends sections to a text while recording their spans."""

    def __init__(self) -> None:
        self.text = ""
        self.sections: list[Section] = []

    def add(self, title: str, body: str, show_title: bool = False) -> None:
        body = body.strip()
        if not body:
            return
        if self.text:
            self.text += "\n\n"
        if show_title and title:
            self.text += title + "\n"
        start = len(self.text)
        self.text += body
        self.sections.append(Section(title, start, len(self.text)))


def normalize_text(text: str) -> str:
    """Drop control/zero-width characters, unify spaces; keep full-width punctuation."""
    text = _CONTROL_RE.sub("", text)
    text = text.replace("\u3000", " ").replace("\xa0", " ")
    return re.sub(r"[ \t]+", " ", text)


def doc_id_for(path: str, text: str) -> str:
    stem = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", Path(path).stem)[:40] or "doc"
    return f"{stem}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


def build_document(src: SourceFile) -> Document:
    text = normalize_text(src.text)
    suffix = Path(src.path).suffix.lower()
    if is_seed_format(text):
        return _from_seed(src, text)
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    return _from_plain(src, text, markdown=suffix in (".md", ".markdown"))


def _from_seed(src: SourceFile, text: str) -> Document:
    fields = parse_fields(text, src.path)
    title = fields.get("标题", "").strip() or Path(src.path).stem
    body, byline = strip_byline(fields.get("总结", ""))
    b = _Builder()
    for part in split_headings(body):
        b.add(part.heading or LEAD, part.text, show_title=bool(part.heading))
    info = [f"标题：{title}"]
    if byline.source:
        info.append(f"来源：{byline.source}")
    if byline.authors:
        info.append(f"作者：{'、'.join(byline.authors)}")
    if byline.editor:
        info.append(f"责任编辑：{byline.editor}")
    meta: dict[str, object] = {"format": "seed", "encoding": src.encoding}
    for key in fields:
        if key in ("标题", "链接", "总结", "重大事件摘要"):
            continue
        items = split_list(fields[key])
        meta[key] = items
        info.append(f"{key}：{'、'.join(items)}")
    if b.sections or len(info) > 1 or fields.get("标题", "").strip():  # not when all it has is the file name
        b.add(INFO, "\n".join(info))
    # The summary is markdown-ish ("1. **销售数据亮眼**：…"); bold markers are noise.
    b.add(SUMMARY, re.sub(r"\*\*(.+?)\*\*", r"\1", fields.get("重大事件摘要", "")))
    meta.update(source=byline.source, authors=list(byline.authors))
    url = fields.get("链接", "").strip()
    return Document(doc_id_for(src.path, src.text), title, url, b.text, tuple(b.sections), meta, src.path)


def _from_plain(src: SourceFile, text: str, markdown: bool) -> Document:
    lines = text.strip().split("\n")
    first = lines[0].strip() if lines and lines[0].strip() else ""
    title = re.sub(r"^#+\s*", "", first) if first else Path(src.path).stem
    if first and len(first) <= 80:
        lines = lines[1:]
    b = _Builder()
    heading, buf = LEAD, []
    for line in lines:
        m = re.match(r"^#{1,6}\s+(.+)$", line.strip()) if markdown else None
        if m:
            b.add(heading, "\n".join(buf), show_title=heading != LEAD)
            heading, buf = m.group(1).strip(), []
        else:
            buf.append(line)
    b.add(heading, "\n".join(buf), show_title=heading != LEAD)
    if not b.sections and first:  # a one-line file: its only line is the content (not the file name)
        b.add(LEAD, title)
    meta = {"format": "markdown" if markdown else "text", "encoding": src.encoding}
    return Document(doc_id_for(src.path, src.text), title[:200], "", b.text, tuple(b.sections), meta, src.path)


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template", "iframe", "svg"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skip:
            self.skip -= 1
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page; scripts and styles are dropped, never run."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.out))
    return "\n".join(ln.strip() for ln in text.split("\n") if ln.strip())


def fold(text: str) -> str:
    """NFKC-fold for matching (full-width digits and letters become ASCII)."""
    return unicodedata.normalize("NFKC", text)
