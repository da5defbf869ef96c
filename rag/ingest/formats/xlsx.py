"""Excel .xlsx (openpyxl, read-only): sheets as sections of rows.

Each sheet's first non-empty row is its header; every other row becomes a sentence
that repeats it, `表头1：值1；表头2：值2。`, so one row can be cited on its own.
Rows are grouped by 20 into sections titled with the sheet and the spreadsheet's
own row numbers, e.g. `Sheet1 第2–21行`. Formulas give their last saved values;
dates print as 2024-03-01, percentages as 12.5%. `metadata["sheets"]` names the sheets.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from rag.types import Document

from ._base import ROWS_PER_SECTION, Builder, UnreadableDocument, add_table, clean_line, one_line


def cell_text(value: object, number_format: str = "General") -> str:
    """A cell value as people read it.

    >>> cell_text(0.1 + 0.2), cell_text(3.0), cell_text(0.125, "0.0%"), cell_text(dt.datetime(2024, 3, 1))
    ('0.3', '3', '12.5%', '2024-03-01')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if (number_format or "").endswith("%"):
            return f"{value * 100:.10g}%"
        return f"{value:.15g}" if isinstance(value, float) else str(value)
    return clean_line(str(value))


class XlsxReader:
    def __init__(self, rows_per_section: int = ROWS_PER_SECTION) -> None:
        self.rows_per_section = rows_per_section

    def read(self, path: Path) -> Document:
        path = Path(path)
        try:
            import openpyxl
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise UnreadableDocument("reading .xlsx needs the 'openpyxl' package (pip install openpyxl)") from exc
        try:
            wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike
            raise UnreadableDocument(f"not a valid XLSX: {one_line(exc) or type(exc).__name__}") from exc
        b = Builder()
        sheets: list[str] = []
        captions: dict[str, str] = {}
        rows_per_sheet: dict[str, int] = {}
        try:
            title = clean_line(wb.properties.title or "") if wb.properties else ""
            for ws in wb.worksheets:
                if not hasattr(ws, "iter_rows"):
                    continue  # a chart sheet
                name = clean_line(ws.title)
                sheets.append(name)
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()  # some writers record a wrong size; read what is there
                rows = []
                for row in ws.iter_rows():
                    number = next((c.row for c in row if getattr(c, "row", None)), None)
                    if number is None:
                        continue
                    values = [cell_text(c.value, getattr(c, "number_format", "General")) for c in row]
                    # Cells come in column order but a sparse row skips empty ones: place by column.
                    cols = [getattr(c, "column", None) for c in row]
                    if all(cols) and cols != list(range(1, len(cols) + 1)):
                        placed = [""] * max(cols)
                        for col, v in zip(cols, values):
                            placed[col - 1] = v
                        values = placed
                    rows.append((number, values))
                info = add_table(b, rows, prefix=f"{name} ", per_section=self.rows_per_section)
                rows_per_sheet[name] = int(info["rows"])  # type: ignore[call-overload]
                if "caption" in info:
                    captions[name] = str(info["caption"])
        except Exception as exc:  # noqa: BLE001
            raise UnreadableDocument(f"not a valid XLSX: {one_line(exc) or type(exc).__name__}") from exc
        finally:
            wb.close()
        meta: dict[str, object] = {"format": "xlsx", "sheets": sheets, "rows": rows_per_sheet}
        if captions:
            meta["captions"] = captions
        return b.document(path, title, meta)
