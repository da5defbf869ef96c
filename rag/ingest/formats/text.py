"""Plain text and Markdown, with a header of `key: value` lines.

A news file saved by hand often starts with a few fields:

    标题：个性定制、AI赋能……“双十一”消费展现新趋势
    链接：https://example.com/a
    日期：2024年11月1日

    今年“双11”电商购物节开启以来……

`parse_header` takes the leading lines whose key is a known one (Chinese or English,
half- or full-width colon) and whose value fits the key (a URL for 链接, something
date-like for 日期), and stops at the first line that is not such a header, or at the
first blank line after one: `时间：上午九点开会` further down is body text. A Markdown
front matter block (`---` ... `---`) is read the same way. The title becomes
`Document.title`, a URL `Document.url`, the rest metadata.

The seed format (标题/链接/总结 fields, `rag/seedformat.py`) has its own parser: when
a text is in it, `parse_text` returns None and `TextReader` hands the file to the
existing reader (`rag/documents.py`), so seed files read exactly as before. A file
counts as seed format when `is_seed_format` says so *and* it has a `总结:` field (the
seed format's body); a file with only 标题/链接 lines is an ordinary text with a header.
"""
from __future__ import annotations

import logging

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from rag.types import Document

from rag.ingest.documents import build_document
from rag.ingest.loader import SourceFile, decode_best, display_path

log = logging.getLogger("rag")
from rag.ingest.seedformat import is_seed_format
from ._base import LEAD, Builder, UnreadableDocument, clean_line, clean_text

# Known header keys (lower-cased) -> the metadata field they fill.
HEADER_KEYS: dict[str, str] = {}
for _field, _keys in {
    "title": "标题 题目 主题 title subject",
    "url": "链接 网址 原文链接 原文地址 url link",
    "source": "来源 出处 source",
    "date": "日期 时间 发布时间 发布日期 date time published",
    "author": "作者 记者 author authors by",
    "keywords": "关键词 关键字 标签 keywords tags",
}.items():
    HEADER_KEYS.update(dict.fromkeys(_keys.split(), _field))

_HEADER_RE = re.compile(r"^\s*([A-Za-z]+|[\u4e00-\u9fff]{2,4})\s*[:：]\s*(.*?)\s*$")
_URL_RE = re.compile(r"^(https?://|www\.)\S+$", re.I)
_DATE_RE = re.compile(r"\d|[〇零一二三四五六七八九十]+\s*[年月日号]|今天|昨天|前天")
_SEED_BODY_RE = re.compile(r"^\s*总结\s*[:：]", re.M)
_MD_HEADING_RE = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
MAX_HEADER_LINES = 20
MAX_VALUE_CHARS = 300
MAX_TITLE_CHARS = 80  # a longer first line is a paragraph, not a title


@dataclass
class Header:
    """The fields of a text's header and where its body starts."""

    fields: dict[str, str] = field(default_factory=dict)
    body_start: int = 0


def _accept(kind: str, value: str) -> bool:
    if not value or len(value) > MAX_VALUE_CHARS:
        return False
    if kind == "url":
        return bool(_URL_RE.match(value))
    if kind == "date":
        return bool(_DATE_RE.search(value)) and len(value) <= 40
    return True


def _header_field(line: str) -> tuple[str, str] | None:
    m = _HEADER_RE.match(line)
    if not m:
        return None
    kind = HEADER_KEYS.get(m.group(1).lower())
    value = m.group(2)
    if kind == "source" and _URL_RE.match(value):
        kind = "url"  # 来源：https://… is the link
    if kind is None or not _accept(kind, value):
        return None
    return kind, value


def parse_header(text: str) -> Header:
    """Leading `key: value` lines (known keys only) -> fields, and the body's offset.

    >>> h = parse_header("标题：双11战报\\n链接：https://example.com/a\\n\\n时间：上午九点开会")
    >>> h.fields, h.body_start
    ({'title': '双11战报', 'url': 'https://example.com/a'}, 34)
    >>> parse_header("今天的会议纪要\\n时间：上午九点").fields
    {}
    """
    header = Header()
    lines = text.split("\n")
    pos = 0
    i = 0
    while i < len(lines) and not lines[i].strip():  # leading blank lines
        pos += len(lines[i]) + 1
        i += 1
    if i < len(lines) and lines[i].strip() == "---":  # Markdown front matter
        end = next((j for j in range(i + 1, min(len(lines), i + 2 + MAX_HEADER_LINES)) if lines[j].strip() == "---"), None)
        if end is not None:
            for line in lines[i + 1:end]:
                m = _HEADER_RE.match(line)
                kind = m and HEADER_KEYS.get(m.group(1).lower())
                value = m.group(2).strip("\"'") if m else ""
                if kind and _accept(kind, value):
                    header.fields.setdefault(kind, value)
            header.body_start = pos + sum(len(ln) + 1 for ln in lines[i:end + 1])
            return header
    start = i
    while i < len(lines) and i - start < MAX_HEADER_LINES:
        found = _header_field(lines[i])
        if found is None or found[0] in header.fields:
            break
        header.fields[found[0]] = found[1]
        pos += len(lines[i]) + 1
        i += 1
    if header.fields:
        header.body_start = min(pos, len(text))
    return header


def is_seed_text(text: str) -> bool:
    """True for the seed format, which `rag/seedformat.py` parses (see the module doc)."""
    return is_seed_format(text) and bool(_SEED_BODY_RE.search(text[:4000]))


def parse_text(text: str, path: Path | str, encoding: str = "utf-8", markdown: bool = False) -> Document | None:
    """A Document from decoded text; None when the text is in the seed format."""
    if is_seed_text(text):
        return None
    raw = text
    text = clean_text(text)
    header = parse_header(text)
    body = text[header.body_start:]
    lines = body.strip("\n").split("\n")
    title = clean_line(header.fields.get("title", ""))
    if not title and markdown:
        first_heading = next((m.group(1) for ln in lines if (m := _MD_HEADING_RE.match(ln.strip()))), "")
        title = clean_line(first_heading)
    if not title:
        # As the plain-text reader does: a short first line is the title, not body.
        first = lines[0].strip() if lines else ""
        if first and len(first) <= MAX_TITLE_CHARS and len(lines) > 1:
            title = clean_line(re.sub(r"^#+\s*", "", first))
            lines = lines[1:]
    b = Builder()
    heading, buf = LEAD, []
    for line in lines:
        m = _MD_HEADING_RE.match(line.strip()) if markdown else None
        if m:
            b.add(heading, "\n".join(buf), show_title=heading != LEAD)
            heading, buf = clean_line(m.group(1)), []
        else:
            buf.append(line)
    b.add(heading, "\n".join(buf), show_title=heading != LEAD)
    meta: dict[str, object] = {"format": "markdown" if markdown else "text", "encoding": encoding}
    for key, value in header.fields.items():
        if key == "keywords":
            meta[key] = [k.strip() for k in re.split(r"[,，、;；]+", value) if k.strip()]
        elif key not in ("title", "url"):
            meta[key] = value
    if header.fields:
        meta["header"] = dict(header.fields)
    return b.document(path, title, meta, url=header.fields.get("url", ""), id_text=raw)


def _read_decoded(path: Path) -> tuple[str, str, bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read it ({exc.strerror or exc})") from exc
    decoded = decode_best(data)
    if decoded is None:
        raise UnreadableDocument("binary or undecodable (not UTF-8, UTF-16 or GB18030 text)")
    text, encoding = decoded
    if "line(s)" in encoding:  # read line by line: say so, the file is indexed all the same
        log.warning("%s", f"read {display_path(path)} line by line: {encoding}")
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n"), encoding, data


def build_existing(path: Path, text: str, encoding: str, data: bytes) -> Document:
    """The seed-format and HTML reader of `rag/ingest/documents.py`, given decoded text."""
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")  # as loader.read_source does
    src = SourceFile(display_path(path), text, encoding, hashlib.sha256(data).hexdigest())
    return build_document(src)


class TextReader:
    """.txt and .md (a Markdown heading starts a section); seed-format files go to the existing reader."""

    def read(self, path: Path) -> Document:
        path = Path(path)
        text, encoding, data = _read_decoded(path)
        markdown = path.suffix.lower() in (".md", ".markdown")
        doc = parse_text(text, path, encoding, markdown=markdown)
        if doc is None:
            return build_existing(path, text, encoding, data)
        return doc


class HtmlReader:
    """.html/.htm: decoded here, read by the existing reader (`rag/documents.py`)."""

    def read(self, path: Path) -> Document:
        path = Path(path)
        text, encoding, data = _read_decoded(path)
        return build_existing(path, text, encoding, data)
