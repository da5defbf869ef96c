"""PDF: the text layer, one section per page ("第3页"), so a citation names its page.

Text comes from pypdf (BSD). What Chinese PDFs commonly get wrong is repaired:

- spaces between CJK characters ("营 业 收 入" -> "营业收入"), removed on a line
  where most CJK pairs are spaced out, and around full-width punctuation always;
  glyphs placed one by one (a line per character) are put back on one line;
- hard line breaks inside sentences: a line as long as the page's full lines is a
  wrapped line and is joined to the next (without a space between CJK, with one
  between words); a short line (a heading, a paragraph's end) keeps its break;
- running headers and footers: a line found at the top or bottom of most pages (the
  same, or with a number going up with the page), and bare page numbers ("- 3 -",
  "第3页", "3/10") there, are dropped;
- Kangxi radicals and compatibility forms some fonts map to ("⽇" for "日"), and
  Latin ligatures ("ﬁ"), become the ordinary characters.

No OCR: a PDF without a text layer raises "scanned PDF: no text layer (OCR is not
supported)"; one whose text is mostly unmapped glyphs (private-use characters, U+FFFD)
raises "garbled PDF text layer: ..."; a few such glyphs are dropped. An encrypted
PDF opens only if its user password is empty (pypdf decrypts RC4 on its own; AES
needs the `cryptography` package, else "encrypted PDF: decrypting it needs ...").
`metadata["pages"]` is the page count, `metadata["section_pages"]` the page number of
each section (pages with no text have no section), `metadata["pages_without_text"]`.
"""
from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

from rag.types import Document

from ._base import Builder, UnreadableDocument, clean_line, clean_text

_CJK = r"\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018-\u201f\u2026\u2014"
_CJK_RE = re.compile(f"[{_CJK}]")
_SPACED_RE = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")
_TIGHT_RE = re.compile(f"[{_CJK}][{_CJK}]")
_PUNCT_SPACE_RE = re.compile(f" *([{_CJK_PUNCT}]) *")
_GARBLED_RE = re.compile("[\ue000-\uf8ff\ufffd]")  # private-use glyphs, replacement characters
_COMPAT_RE = re.compile("[\u2e80-\u2fdf\ufb00-\ufb06]")  # radicals, Kangxi radicals, ligatures
_SENTENCE_END = tuple("。！？；：…」』”）)!?;:")
_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-—–·\s]*\d+[-—–·\s]*|第\s*\d+\s*页(?:\s*[/／,，]?\s*共\s*\d+\s*页)?|\d+\s*[/／]\s*\d+"
    r"|page\s*\d+(?:\s*of\s*\d+)?|共\s*\d+\s*页\s*第\s*\d+\s*页)$",
    re.I,
)
_MIN_FULL_WIDTH = 40  # a page of short lines (a list, a table of contents) has no wrapped lines
_EDGE_LINES = 2  # lines at the top and the bottom of a page where running headers live
_NEEDS_CRYPTO = "encrypted PDF: decrypting it needs the 'cryptography' package (pip install \"pypdf[crypto]\")"
_JUNK_TITLES = re.compile(r"^(untitled|无标题|microsoft word - .*|document\d*|\s*)$", re.I)


def _fix_chars(text: str) -> str:
    return _COMPAT_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def fix_cjk_spacing(line: str) -> str:
    """Drop extraction spaces between CJK characters and around full-width punctuation.

    >>> fix_cjk_spacing("营 业 收 入 达 到 1 2 0 亿 元 ， 同比增长")
    '营业收入达到120亿元，同比增长'
    >>> fix_cjk_spacing("第一章 总则")
    '第一章 总则'
    """
    line = _PUNCT_SPACE_RE.sub(r"\1", line)
    if len(_SPACED_RE.findall(line)) <= len(_TIGHT_RE.findall(line)):
        return line
    # Spaced out, one character at a time: join the runs of one-character tokens.
    tokens = line.split(" ")
    out = tokens[0]
    for prev, tok in zip(tokens, tokens[1:]):
        join = len(prev) == 1 and len(tok) == 1 or bool(prev and tok and _CJK_RE.match(prev[-1]) and _CJK_RE.match(tok[0]))
        out += tok if join else " " + tok
    return out


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _merge_glyph_runs(lines: list[str]) -> list[str]:
    """Some writers place each glyph on its own: a run of 3+ one-character lines is one line."""
    out: list[str] = []
    run: list[str] = []
    for line in lines + [""]:
        if len(line) == 1 and not line.isspace():
            run.append(line)
            continue
        out.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if line:
            out.append(line)
    return out


def join_wrapped_lines(lines: list[str]) -> str:
    """Join lines the PDF wrapped, keep the breaks that end paragraphs or headings.

    A line is wrapped when it is about as wide as the page's full lines (the 80th
    percentile of widths, at least 20 CJK characters) and does not end a sentence.

    >>> print(join_wrapped_lines(["第一章 概况", "星河科技二〇二三年实现营业收入一百二十八亿元，同比",
    ...                           "增长百分之二十三。", "第二章 展望", "逐", "字", "排", "版"]))
    第一章 概况
    星河科技二〇二三年实现营业收入一百二十八亿元，同比增长百分之二十三。
    第二章 展望
    逐字排版
    """
    lines = _merge_glyph_runs(lines)
    if not lines:
        return ""
    widths = sorted(_width(ln) for ln in lines)
    full = max(widths[int(0.8 * (len(widths) - 1))], _MIN_FULL_WIDTH)
    out = lines[0]
    for prev, line in zip(lines, lines[1:]):
        wrapped = _width(prev) >= 0.85 * full and not prev.endswith(_SENTENCE_END)
        if not wrapped:
            out += "\n" + line
        elif prev.endswith("-") and prev[-2:-1].isalpha():
            out += line  # a hyphen at the end of a line: keep it, join
        elif re.search(r"\d[.,]?$", prev) and line[:1].isdigit():
            out += line  # a number wrapped mid-way ("7." + "5%"): no space inside it
        elif re.search(r"[A-Za-z0-9,.]$", prev) and re.match(r"[A-Za-z0-9]", line):
            out += " " + line
        else:
            out += line
    return out


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", line.replace(" ", ""))


def _edges(lines: list[str]) -> list[int]:
    return sorted(set(range(min(_EDGE_LINES, len(lines)))) | set(range(max(0, len(lines) - _EDGE_LINES), len(lines))))


def strip_running_lines(pages: list[list[str]]) -> tuple[list[list[str]], int]:
    """Remove running headers/footers and bare page numbers from the pages' edges.

    A running line is at the top or bottom of most pages, the same text each time or
    differing only in a number that goes up with the page ("第3页 共10页", "年报 - 3").
    """
    exact: Counter[str] = Counter()
    offsets: dict[str, list[set[int]]] = {}
    for page, lines in enumerate(pages):
        edge = {lines[i] for i in _edges(lines)}
        exact.update(edge)
        for line in edge:
            nums = re.findall(r"\d+", line)
            if nums:
                offsets.setdefault(_key(line), []).append({int(n) - page for n in nums if len(n) < 6})
    threshold = max(3, math.ceil(0.6 * sum(1 for p in pages if p)))
    running_exact = {ln for ln, n in exact.items() if n >= threshold}
    running_keys = {k for k, sets in offsets.items() if len(sets) >= threshold and set.intersection(*sets)}
    removed = 0
    out = []
    for lines in pages:
        drop = {i for i in _edges(lines)
                if lines[i] in running_exact or _key(lines[i]) in running_keys or _PAGE_NUMBER_RE.match(lines[i])}
        removed += len(drop)
        out.append([ln for i, ln in enumerate(lines) if i not in drop])
    return out, removed


def _page_lines(raw: str) -> list[str]:
    text = _fix_chars(clean_text(raw))
    return [fix_cjk_spacing(ln.strip()) for ln in text.split("\n") if ln.strip()]


class PdfReader:
    """The text layer of a PDF, a section per page."""

    def read(self, path: Path) -> Document:
        path = Path(path)
        try:
            import pypdf
            from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise UnreadableDocument("reading PDF needs the 'pypdf' package (pip install pypdf)") from exc
        try:
            with path.open("rb") as f:
                head = f.read(1024)
        except OSError as exc:
            raise UnreadableDocument(f"cannot read it ({exc.strerror or exc})") from exc
        if b"%PDF-" not in head:
            raise UnreadableDocument("not a valid PDF: no PDF header")
        logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file warns per object
        try:
            reader = pypdf.PdfReader(str(path))
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")
                except (DependencyError, NotImplementedError) as exc:
                    raise UnreadableDocument(_NEEDS_CRYPTO) from exc
                if not opened:
                    raise UnreadableDocument("encrypted PDF: it needs a password (save a copy without one)")
            n_pages = len(reader.pages)
            info = reader.metadata
        except UnreadableDocument:
            raise
        except FileNotDecryptedError as exc:
            raise UnreadableDocument("encrypted PDF: it needs a password (save a copy without one)") from exc
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as exc:
            raise UnreadableDocument(f"not a valid PDF: {exc or type(exc).__name__}") from exc
        pages: list[list[str]] = []
        failed: list[int] = []
        for i in range(n_pages):
            try:
                raw = reader.pages[i].extract_text() or ""
            except DependencyError as exc:  # AES-encrypted content without the `cryptography` package
                raise UnreadableDocument(_NEEDS_CRYPTO) from exc
            except Exception:  # noqa: BLE001 - one bad page must not lose the others
                raw = ""
                failed.append(i + 1)
            pages.append(_page_lines(raw))
        if not any(pages):
            if failed and len(failed) == n_pages:
                raise UnreadableDocument("not a valid PDF: no page could be read")
            raise UnreadableDocument("scanned PDF: no text layer (OCR is not supported)")
        garbled = sum(len(_GARBLED_RE.findall(ln)) for lines in pages for ln in lines)
        if garbled:
            total = sum(len(ln.replace(" ", "")) for lines in pages for ln in lines)
            if garbled > 0.3 * total:
                raise UnreadableDocument("garbled PDF text layer: its fonts map no glyphs to Unicode (OCR is not supported)")
            pages = [[t for ln in lines if (t := _GARBLED_RE.sub("", ln).strip())] for lines in pages]
        pages, removed = strip_running_lines(pages)
        b = Builder()
        section_pages = []
        for n, lines in enumerate(pages, 1):
            if b.add(f"第{n}页", join_wrapped_lines(lines)):
                section_pages.append(n)
        meta: dict[str, object] = {
            "format": "pdf",
            "pages": n_pages,
            "section_pages": section_pages,
            "pages_without_text": [n for n, lines in enumerate(pages, 1) if not lines],
        }
        if failed:
            meta["pages_failed"] = failed
        if garbled:
            meta["unmapped_glyphs"] = garbled
        if removed:
            meta["running_lines_removed"] = removed
        title = ""
        if info is not None:
            title = clean_line(str(info.title or ""))
            author = clean_line(str(info.author or ""))
            if author and author.lower() not in ("anonymous", "unknown", "administrator", "user"):
                meta["author"] = author
            if _JUNK_TITLES.match(title):
                title = ""
        if not title:
            first = pages[section_pages[0] - 1][0] if section_pages else ""
            title = first if 0 < len(first) <= 60 else path.stem
        return b.document(path, title, meta)
