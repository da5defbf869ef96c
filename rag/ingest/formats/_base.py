"""What every reader shares: the error it raises, text cleaning, the section builder,
and the one-row rendering of tables (`表头1：值1；表头2：值2。`)."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from rag.errors import DocumentError
from rag.ingest.clean import clean_text  # noqa: F401 - every reader cleans with it
from rag.ingest.documents import doc_id_for
from rag.ingest.loader import display_path
from rag.types import Document, Section

LEAD = "正文"  # the section before the first heading (same name as the plain-text reader's)


class UnreadableDocument(DocumentError):
    """A file that cannot be read as the format it claims or looks like.

    The message is one line that says why, e.g. "scanned PDF: no text layer (OCR is not
    supported)" or "not a valid DOCX: File is not a zip file". A `DocumentError`, hence a
    `RagError`.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(one_line(reason))


T = TypeVar("T")


def open_office(kind: str, package: str, load: Callable[[], T]) -> T:
    """`load()` imports an Office library and opens the file; what goes wrong becomes one line.

    >>> open_office("DOCX", "python-docx", lambda: 1 / 0)
    Traceback (most recent call last):
    ...
    rag.ingest.formats._base.UnreadableDocument: not a valid DOCX: division by zero
    """
    try:
        return load()
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise UnreadableDocument(f"reading .{kind.lower()} needs the '{package}' package (pip install {package})") \
            from exc
    except Exception as exc:  # noqa: BLE001 - the libraries raise whatever their parsers meet
        if type(exc).__name__ == "PackageNotFoundError":
            raise UnreadableDocument(f"not a valid {kind}: not a ZIP package (damaged, truncated or another format)") \
                from exc
        raise UnreadableDocument(f"not a valid {kind}: {one_line(exc) or type(exc).__name__}") from exc


def clean_line(text: str) -> str:
    """`clean_text` for a value that must fit on one line (a title, a cell, a header)."""
    return " ".join(clean_text(text).split())


def one_line(value: object, limit: int = 300) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Builder:
    """Appends sections to a text while recording their spans.

    The layout of `rag/documents.py`: sections separated by a blank line, a shown
    heading on a line of its own just before its section and outside its span, so
    `text[sec.start:sec.end]` is exactly the section body.
    """

    def __init__(self) -> None:
        self.text = ""
        self.sections: list[Section] = []

    def add(self, title: str, body: str, show_title: bool = True) -> Section | None:
        body = body.strip()
        if not body:
            return None
        if self.text:
            self.text += "\n\n"
        if show_title and title:
            self.text += title + "\n"
        start = len(self.text)
        self.text += body
        sec = Section(title, start, len(self.text))
        self.sections.append(sec)
        return sec

    def document(self, path: Path, title: str, metadata: dict, url: str = "", id_text: str | None = None) -> Document:
        """The Document of `path` with the text built so far; its id is made from `id_text` (default: the text)."""
        return Document(doc_id=doc_id_for(path, self.text if id_text is None else id_text),
                        title=(title or Path(path).stem)[:200], url=url, text=self.text,
                        sections=tuple(self.sections), metadata=metadata, path=display_path(path))


_END_RE = re.compile(r"[。！？!?…]$")


def render_row(header: Sequence[str], values: Sequence[str]) -> str:
    """One table row as a sentence that can be cited on its own.

    Empty cells are left out; a column without a header is named by its position.

    >>> render_row(["产品", "", "销量"], ["手机", "红色", "1200"])
    '产品：手机；第2列：红色；销量：1200。'
    >>> render_row([], ["合计", "3400"])
    '合计；3400。'
    """
    parts = []
    for i, value in enumerate(values):
        value = clean_line(value)
        if not value:
            continue
        name = clean_line(header[i]) if i < len(header) else ""
        if header and not name:
            name = f"第{i + 1}列"
        parts.append(f"{name}：{value}" if name else value)
    if not parts:
        return ""
    row = "；".join(parts)
    return row if _END_RE.search(row) else row + "。"



ROWS_PER_SECTION = 20


def add_table(b: Builder, rows: Sequence[tuple[int, Sequence[str]]], prefix: str = "",
              per_section: int = ROWS_PER_SECTION) -> dict[str, object]:
    """Add a sheet's rows as sections of `per_section` rows, titled `<prefix>第2–21行`.

    `rows` are (row number, cell texts) of the non-empty rows. The first row is the
    header, repeated in every rendered row; a first row with one cell above a wider
    row is a caption (returned, not a header). A single row has no header.
    """
    rows = [(n, [clean_line(v) for v in vals]) for n, vals in rows if any(clean_line(v) for v in vals)]
    info: dict[str, object] = {"rows": 0}
    if not rows:
        return info
    if len(rows) > 2 and sum(map(bool, rows[0][1])) == 1 and sum(map(bool, rows[1][1])) > 1:
        info["caption"] = next(v for v in rows[0][1] if v)
        rows = rows[1:]
    header: list[str] = []
    if len(rows) > 1:
        header = rows[0][1]
        info["header"] = [h for h in header if h]
        rows = rows[1:]
    info["rows"] = len(rows)
    for i in range(0, len(rows), per_section):
        group = rows[i:i + per_section]
        first, last = group[0][0], group[-1][0]
        span = f"第{first}行" if first == last else f"第{first}–{last}行"
        b.add(f"{prefix}{span}", "\n".join(line for _, vals in group if (line := render_row(header, vals))))
    return info
