"""Where a section is, in words a reader can find it by: the page, slide, rows or heading.

Readers title their sections by where they are (`rag.ingest.formats`): a PDF page is
"第3页", a slide "第2张幻灯片：标题", a block of rows "Sheet1 第2–21行"; other formats
title them by their heading. Chunks never cross a section, so a chunk's section says
where the chunk is.

>>> where("pdf", "第3页")
('第3页', 3)
>>> where("pptx", "第2张幻灯片：年度目标")
('第2张幻灯片', None)
>>> where("xlsx", "Sheet1 第2–21行"), where("text", "正文")
(('Sheet1 第2–21行', None), ('', None))
"""
from __future__ import annotations

import re

_PAGE = re.compile(r"^第(\d+)页$")
_SLIDE = re.compile(r"^(第\d+张幻灯片)")
_NOWHERE = ("正文",)  # the text before any heading: the file itself is the place


def where(fmt: str, section: str) -> tuple[str, int | None]:
    """(location, page) of a section of a document in format `fmt` (its metadata "format")."""
    if fmt == "pdf" and (m := _PAGE.match(section)):
        return section, int(m.group(1))
    if fmt == "pptx" and (m := _SLIDE.match(section)):
        return m.group(1), None
    return ("" if section in _NOWHERE else section), None
