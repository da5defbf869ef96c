"""Read source files into text: encoding detection, binary detection, folder walking.

Decoding order: BOMs (UTF-8/UTF-16/UTF-32), then strict UTF-8, then GB18030 (a
superset of GBK and GB2312). A file that still does not decode, or that looks
binary, is skipped with a one-line warning naming it; nothing raises.
"""
from __future__ import annotations

import codecs
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

log = logging.getLogger("rag")

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MAX_BYTES = 64 * 1024 * 1024  # larger files are skipped: they are not articles

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class SourceFile:
    """The decoded text of one file, with how it was decoded."""

    path: str
    text: str
    encoding: str
    sha256: str


def decode(data: bytes) -> tuple[str, str] | None:
    """Return (text, encoding), or None for binary/undecodable bytes.

    >>> decode("双11".encode("gb18030"))
    ('双11', 'gb18030')
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                return None
    if _looks_utf16(data):
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                continue
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _is_text(text):
            return text, enc
        return None
    return None


def _looks_utf16(data: bytes) -> bool:
    # BOM-less UTF-16 of mostly-ASCII text has a NUL in every other byte.
    sample = data[:4096]
    if len(sample) < 4:
        return False
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    return max(even, odd) > 0.3 * half and min(even, odd) < 0.05 * half


def _is_text(text: str) -> bool:
    """Reject decoded text that is mostly control characters (binary data)."""
    sample = text[:8192]
    if not sample:
        return True
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return bad / len(sample) < 0.05


def read_source(path: Path) -> SourceFile | None:
    """Decode one file, or warn in one line and return None."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            log.warning("skipped %s: %d MB is larger than the %d MB limit", path, size >> 20, MAX_BYTES >> 20)
            return None
        data = path.read_bytes()
    except OSError as exc:
        log.warning("skipped %s: cannot read it (%s)", path, exc.strerror or exc)
        return None
    decoded = decode(data)
    if decoded is None:
        log.warning("skipped %s: binary or undecodable (not UTF-8, UTF-16 or GB18030 text)", path)
        return None
    text, encoding = decoded
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    return SourceFile(str(path), text, encoding, hashlib.sha256(data).hexdigest())


def iter_paths(roots: Iterable[Path]) -> Iterator[Path]:
    """Every supported file under the given files/folders, sorted, hidden ones skipped."""
    for root in roots:
        if root.is_file():
            yield root
            continue
        if not root.is_dir():
            log.warning("skipped %s: no such file or folder", root)
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).parts
            if any(p.startswith(".") for p in rel):
                continue
            if path.is_file() and path.suffix.lower() in SUFFIXES:
                yield path
