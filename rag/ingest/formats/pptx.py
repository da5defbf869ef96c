"""PowerPoint .pptx (python-pptx): one section per slide, "第N张幻灯片：<slide title>".

A slide's body is the text of its shapes in order (groups included; tables as
`表头：值；…。` rows), then its speaker notes as "备注：…". A slide with only a
title keeps the title as its body (a divider slide still says something). The
document title is the file's own, else the first slide's title, else the file name.
"""
from __future__ import annotations

from pathlib import Path

from rag.types import Document

from ._base import Builder, UnreadableDocument, clean_line, clean_text, one_line, open_office, render_row


def _frame_text(frame) -> str:
    # python-pptx writes a line break inside a paragraph as "\v".
    return clean_text("\n".join(p.text.replace("\v", "\n") for p in frame.paragraphs)).strip()


def _table_lines(table) -> list[str]:
    rows = [[cell.text if not cell.is_spanned else "" for cell in row.cells] for row in table.rows]
    if len(rows) <= 1 or not any(v.strip() for v in rows[0]):
        return [line for r in rows if (line := render_row([], r))]
    header = [clean_line(v) for v in rows[0]]
    return [line for r in rows[1:] if (line := render_row(header, r))]


def _shape_lines(shapes, skip) -> list[str]:
    lines: list[str] = []
    for shape in shapes:
        if shape is skip or (skip is not None and getattr(shape, "shape_id", None) == skip.shape_id):
            continue
        if hasattr(shape, "shapes"):  # a group
            lines.extend(_shape_lines(shape.shapes, None))
        elif getattr(shape, "has_table", False):
            lines.extend(_table_lines(shape.table))
        elif getattr(shape, "has_text_frame", False):
            text = _frame_text(shape.text_frame)
            if text:
                lines.append(text)
    return lines


class PptxReader:
    def read(self, path: Path) -> Document:
        path = Path(path)
        prs = open_office("PPTX", "python-pptx", lambda: __import__("pptx").Presentation(str(path)))
        b = Builder()
        first_title = ""
        n = 0
        try:
            for n, slide in enumerate(prs.slides, 1):
                title_shape = slide.shapes.title
                title = _frame_text(title_shape.text_frame) if title_shape is not None and title_shape.has_text_frame else ""
                title = clean_line(title)
                first_title = first_title or title
                lines = _shape_lines(slide.shapes, title_shape)
                if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                    notes = _frame_text(slide.notes_slide.notes_text_frame)
                    if notes:
                        lines.append("备注：" + notes)
                body = "\n".join(lines) or title
                b.add(f"第{n}张幻灯片：{title}" if title else f"第{n}张幻灯片", body)
            props = prs.core_properties
        except Exception as exc:  # noqa: BLE001
            raise UnreadableDocument(f"not a valid PPTX: {one_line(exc) or type(exc).__name__}") from exc
        meta: dict[str, object] = {"format": "pptx", "slides": n}
        if props.author:
            meta["author"] = clean_line(props.author)
        title = clean_line(props.title or "") or first_title or path.stem
        return b.document(path, title, meta)
