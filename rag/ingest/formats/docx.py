"""Word .docx (python-docx): a heading starts a section, tables become sentences.

A paragraph is a heading when its style is "Heading N"/"标题 N" (or "Title"), or it
has an outline level. The text before the first heading is the section "正文". A
table row becomes `列1：值；列2：值。` under the table's first row as header, so a row
can be cited on its own; the repeats of a merged cell are left out. The title is the
document's own (core properties), else its first Title/heading, else the file name.
Not read: headers and footers, footnotes, comments, text boxes, content controls.
"""
from __future__ import annotations

import re
from pathlib import Path

from rag.types import Document

from ._base import LEAD, Builder, UnreadableDocument, clean_line, clean_text, one_line, open_office, render_row

_HEADING_RE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)
_TITLE_STYLES = ("title", "标题")


def _heading_level(paragraph) -> int | None:
    """0 for a Title, 1-9 for a heading, None for body text."""
    style = paragraph.style
    name = (style.name or "").strip() if style is not None else ""
    if name.lower() in _TITLE_STYLES:
        return 0
    m = _HEADING_RE.match(name)
    if m:
        return int(m.group(1))
    for el in (paragraph._p, style.element if style is not None else None):
        if el is None:
            continue
        lvl = el.xpath("./w:pPr/w:outlineLvl/@w:val")
        if lvl and lvl[0].isdigit() and int(lvl[0]) < 9:
            return int(lvl[0]) + 1
    return None


def table_lines(table) -> list[str]:
    """Rows of a python-docx table as `表头：值；…。` lines (first row = header)."""
    rows = []
    for row in table.rows:
        cells, values, prev = row.cells, [], None
        for cell in cells:
            values.append("" if cell._tc is prev else cell.text)
            prev = cell._tc
        rows.append(values)
    if not rows:
        return []
    if len(rows) == 1 or not any(v.strip() for v in rows[0]):
        return [line for r in rows if (line := render_row([], r))]
    header = [clean_line(v) for v in rows[0]]
    return [line for r in rows[1:] if (line := render_row(header, r))]


class DocxReader:
    def read(self, path: Path) -> Document:
        path = Path(path)
        d = open_office("DOCX", "python-docx", lambda: __import__("docx").Document(str(path)))
        from docx.table import Table
        b = Builder()
        heading, buf, first_heading, n_tables = LEAD, [], "", 0
        try:
            for block in d.iter_inner_content():
                if isinstance(block, Table):
                    n_tables += 1
                    buf.extend(table_lines(block))
                    continue
                level = _heading_level(block)
                text = clean_text(block.text).strip()
                if level is not None and text and len(text) <= 200:
                    b.add(heading, "\n".join(buf), show_title=heading != LEAD)
                    heading, buf = clean_line(text), []
                    first_heading = first_heading or heading
                elif text:
                    buf.append(text)
            b.add(heading, "\n".join(buf), show_title=heading != LEAD)
            props = d.core_properties
        except Exception as exc:  # noqa: BLE001
            raise UnreadableDocument(f"not a valid DOCX: {one_line(exc) or type(exc).__name__}") from exc
        meta: dict[str, object] = {"format": "docx", "tables": n_tables}
        if props.author:
            meta["author"] = clean_line(props.author)
        if props.created:
            meta["date"] = props.created.date().isoformat()
        if props.keywords:
            meta["keywords"] = [k for k in re.split(r"[,，、;；]+", clean_line(props.keywords)) if k]
        title = clean_line(props.title or "") or first_heading or path.stem
        return b.document(path, title, meta)
