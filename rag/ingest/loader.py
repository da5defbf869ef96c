"""Read source files into text: encoding detection, binary detection, folder walking.

Decoding order: BOMs (UTF-8/UTF-16/UTF-32); BOM-less UTF-16 of mostly-ASCII text;
then, of strict UTF-8, GB18030 (a superset of GBK and GB2312) and BOM-less UTF-16,
the decoding that reads most like Chinese or ASCII text (common hanzi, CJK
punctuation, ASCII), so UTF-16 Chinese is never read as GB18030 mojibake. A file
that still does not decode, that looks binary, that is larger than MAX_BYTES or of
another type is skipped with a one-line warning naming it; nothing raises. Files no single
decoding reads (mixed UTF-8/GBK lines, a few bad bytes, Big5...) go to recover.py.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from rag.ingest import recover
from rag.ingest.walk import walk_files

log = logging.getLogger("rag")

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")  # the text kinds; `formats.SUPPORTED_SUFFIXES` has all
# Larger text files are skipped: they are not articles, and one would take most of a minute and
# over a gigabyte to index (a 50 MB text: ~40 s, 1.3 GB). Split such a file to index it.
MAX_BYTES = 20 * 1024 * 1024
# PDFs and Office files carry images and layout: 50 MB of PDF is a few hundred pages of text
# (a 100-page PDF reads in 0.8 s).
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


def size_limit(path: Path | str) -> int:
    """The largest file of this type that is read: text is all text, a PDF or Office file is not."""
    return MAX_BYTES if Path(path).suffix.lower() in SUFFIXES + (".csv", ".tsv", ".eml") else MAX_DOCUMENT_BYTES

_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f]")  # not NUL \t \n \f \r
_NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
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
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _is_text(text) and _plausibility(text) > 0.5:
                return text, enc
    options = []
    # UTF-16 Chinese has no NULs for _looks_utf16 to see; read as GB18030 it is rare hanzi.
    for enc in ("utf-8", "gb18030") + (("utf-16-le", "utf-16-be") if len(data) % 2 == 0 else ()):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if not _is_text(text):
            continue
        score = _plausibility(text)
        if enc == "utf-8" and score == 1.0:
            return text, enc  # the common case: no need to try the others
        # Almost any even-length bytes decode as UTF-16: without a BOM, only text that reads well counts.
        if enc in ("utf-8", "gb18030") or score > 0.8:
            options.append((score, text, enc))
    # Short GB18030 text can also be valid UTF-8 (as Latin-extended noise): keep
    # the decoding that reads most like Chinese or ASCII text (the first of equals).
    if not options:
        return None
    best = max(options, key=lambda o: o[0])
    return best[1], best[2]


def _plausibility(text: str) -> float:
    """Share of characters that ordinary Chinese or English text is made of.

    Hanzi count only when GB2312 has them (the 6,763 common ones): UTF-16 read as
    GB18030, or GB18030 read as UTF-16, comes out as rare hanzi, Yi or Hangul.
    """
    sample = text[:8192]
    return sum(map(_plain_chars().__contains__, sample)) / max(1, len(sample))


@lru_cache(maxsize=1)
def _plain_chars() -> frozenset[str]:
    chars = {chr(i) for i in range(128)} | set("“”‘’…—·")
    chars |= {chr(i) for i in range(0x3000, 0x3040)} | {chr(i) for i in range(0xFF00, 0xFFF0)}
    for hi in range(0xB0, 0xF8):  # GB2312's hanzi rows
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


def _looks_utf16(data: bytes) -> bool:
    # BOM-less UTF-16 of mostly-ASCII text has a NUL in every other byte.
    sample = data[:4096]
    if len(sample) < 4:
        return False
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    # Two NULs at least: one stray NUL after short UTF-8 text ("双11\x00") is not UTF-16.
    return max(even, odd) >= 2 and max(even, odd) > 0.3 * half and min(even, odd) < 0.05 * half


def _is_text(text: str) -> bool:
    """Reject decoded text that is mostly control characters (binary data).

    NULs do not count: stray ones, or zero padding left by a crashed editor, are
    dropped from text; binary data is betrayed by its other control characters.
    """
    sample = text[:65536].replace("\x00", "")[:8192]
    if not sample:
        return True
    return len(_CONTROL.findall(sample)) / len(sample) < 0.05


def skip(path: Path | str, reason: str, skipped: list[str] | None = None) -> None:
    """Warn in one line that a file is left out; `skipped` collects the lines whatever the log level."""
    line = f"skipped {display_path(path)}: {reason}"
    log.warning("%s", line)
    if skipped is not None:
        skipped.append(line)


def decode_best(data: bytes) -> tuple[str, str] | None:
    """`decode`, then a line-by-line or charset-normalizer reading where that reads better
    (mixed encodings, a few bad bytes, Big5): (text, encoding) or None for binary data."""
    return _recovered(data, decode(data))


def read_source(path: Path, skipped: list[str] | None = None) -> SourceFile | None:
    """Decode one file, or warn in one line and return None."""
    try:
        if too_big(path, skipped):
            return None
        data = path.read_bytes()
    except OSError as exc:
        skip(path, f"cannot read it ({one_line(exc.strerror or exc)})", skipped)
        return None
    decoded = decode_best(data)
    if decoded is None:
        skip(path, "binary or undecodable (not UTF-8, UTF-16 or GB18030 text)", skipped)
        return None
    text, encoding = decoded
    if "line(s)" in encoding:  # read line by line: say so, the file is indexed all the same
        log.warning("%s", f"read {display_path(path)} line by line: {encoding}")
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    return SourceFile(display_path(path), text, encoding, hashlib.sha256(data).hexdigest())


def too_big(path: Path, skipped: list[str] | None = None) -> bool:
    """True (and a one-line warning) for a file over its type's size limit; checked before reading."""
    size, limit = path.stat().st_size, size_limit(path)
    if size <= limit:
        return False
    skip(path, f"{size >> 20} MB is larger than the {limit >> 20} MB limit per file (split it to index it)", skipped)
    return True


def _recovered(data: bytes, decoded: tuple[str, str] | None) -> tuple[str, str] | None:
    """A better reading than the whole-file one, when one exists (see recover.py)."""
    if decoded is not None and decoded[1] != "gb18030":
        return decoded
    if decoded is None and _looks_utf16(data):
        return None  # binary with NULs, or damaged UTF-16: lines mean nothing here
    text, note = recover.by_line(data, _plain_chars())
    if note and recover.readable(text) and _is_text(text):
        if decoded is None or _plausibility(text) > _plausibility(decoded[0]):
            return text, f"mixed ({note})"
    if decoded is None or _plausibility(decoded[0]) < 0.9:
        # Not common Chinese as GB18030 (Big5 reads as rare hanzi and private-use characters): ask charset-normalizer.
        guessed = recover.guess(data)
        if guessed is not None and _is_text(guessed[0]) and recover.readable(guessed[0]) \
                and (decoded is None or recover.junk(guessed[0]) < recover.junk(decoded[0])):
            return guessed
    return decoded


def display_path(path: Path | str) -> str:
    r"""A file name fit for one line of UTF-8 text: a name in undecodable bytes (GBK names
    unpacked from a Windows zip) is read as GB18030, control characters are escaped.

    >>> display_path(Path(os.fsdecode("报告\n1.txt".encode("gbk"))))
    '报告\\n1.txt'
    """
    raw = os.fsencode(path)
    for enc in ("utf-8", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("utf-8", "backslashreplace")
    return _NAME_CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def one_line(value: object) -> str:
    return " ".join(str(value).split())


def iter_paths(roots: Iterable[Path], skipped: list[str] | None = None,
               suffixes: tuple[str, ...] = SUFFIXES, follow_links: bool = False) -> Iterator[Path]:
    """Every file of the given suffixes under the given files/folders, sorted, hidden ones skipped
    (see walk.py for links, loops and FIFOs).

    `rag.ingest.corpus` passes `formats.SUPPORTED_SUFFIXES` (this module cannot import
    `formats`, which decodes text with it). Given a `skipped` list, a missing root and
    each file of another type get a one-line warning.
    """
    report = (lambda path, reason: skip(path, reason, skipped)) if skipped is not None else (lambda path, reason: None)
    for root in roots:
        if root.is_file():
            yield root
            continue
        if not root.is_dir():
            if skipped is not None:
                skip(root, "no such file or folder" if not root.exists() else "not a regular file or folder", skipped)
            continue
        for path in walk_files(root, follow_links, report):
            if path.suffix.lower() in suffixes:
                yield path
            elif skipped is not None:
                skip(path, f"not a document type this reads ({' '.join(suffixes)})", skipped)
