"""CSV and TSV: rows as sentences under the header, in sections of 20 rows.

The encoding is detected as for text files (UTF-8 with or without BOM, GB18030/GBK,
UTF-16), so a CSV saved by Chinese Excel reads as well as a UTF-8 one. The delimiter
is a tab for .tsv; otherwise whichever of `,` `\\t` `;` `|` the first line has most of.
Row numbers are the spreadsheet's: the header is row 1, so a section is `第2–21行`.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from rag.types import Document

from ._base import ROWS_PER_SECTION, Builder, UnreadableDocument, add_table, one_line
from .text import _read_decoded


def guess_delimiter(first_line: str, suffix: str = ".csv") -> str:
    """
    >>> guess_delimiter("产品,销量,地区"), guess_delimiter("a;b;c"), guess_delimiter("x", ".tsv")
    (',', ';', '\\t')
    """
    if suffix.lower() == ".tsv":
        return "\t"
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvReader:
    def __init__(self, rows_per_section: int = ROWS_PER_SECTION) -> None:
        self.rows_per_section = rows_per_section

    def read(self, path: Path) -> Document:
        path = Path(path)
        text, encoding, _ = _read_decoded(path)
        text = text.lstrip("\ufeff")
        first = next((ln for ln in text.split("\n") if ln.strip()), "")
        delimiter = guess_delimiter(first, path.suffix)
        rows = []
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            for values in reader:
                rows.append((len(rows) + 1, values))  # a record, even one spanning lines, is one row
        except csv.Error as exc:
            raise UnreadableDocument(f"not a valid CSV: {one_line(exc)}") from exc
        b = Builder()
        info = add_table(b, rows, per_section=self.rows_per_section)
        meta: dict[str, object] = {"format": "csv", "encoding": encoding, "delimiter": delimiter, "rows": info["rows"]}
        if "header" in info:
            meta["header"] = info["header"]
        if "caption" in info:
            meta["caption"] = info["caption"]
        return b.document(path, "", meta)
