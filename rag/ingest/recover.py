"""Text that no single strict decoding reads: mixed encodings, a few bad bytes, other legacy encodings.

`loader.decode` reads a file as a whole (BOM, UTF-8, GB18030, UTF-16). Two kinds of
real files defeat that: a UTF-8 file with some lines pasted from a GBK one (as a
whole it is not UTF-8, and as GB18030 its UTF-8 lines become mojibake), and a file
with a few damaged bytes (as a whole nothing decodes, and it used to be skipped).
`by_line` decodes each line on its own (UTF-8, else GB18030, else UTF-8 with U+FFFD
for the bad bytes) and says how many lines needed which. A file no decoding reads
well is given to charset-normalizer (Big5, Shift-JIS, ...), whose guess is kept
only when it reads as text.

    >>> text, note = by_line("第一行\\n".encode() + "第二行\\n".encode("gbk"), frozenset("第一二行"))
    >>> text, note
    ('第一行\\n第二行\\n', '1 line(s) read as GB18030')
"""
from __future__ import annotations

import unicodedata

REPLACEMENT = "\ufffd"
MAX_BAD_SHARE = 0.05  # of characters: more replaced than this and the file is not text


def by_line(data: bytes, common: frozenset[str]) -> tuple[str, str]:
    """(text, what was done) with each line decoded on its own."""
    out, gb, bad = [], 0, 0
    for line in data.splitlines(keepends=True):
        try:
            out.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            text = line.decode("gb18030")
            # GB18030 decodes almost any bytes: a line of damaged UTF-8 reads as rare characters.
            if _mostly_common(text, common):
                out.append(text)
                gb += 1
                continue
        except UnicodeDecodeError:
            pass
        out.append(line.decode("utf-8", "replace"))
        bad += 1
    notes = []
    if gb:
        notes.append(f"{gb} line(s) read as GB18030")
    if bad:
        notes.append(f"{bad} line(s) had bytes that are not text (replaced with \ufffd)")
    return "".join(out), ", ".join(notes)


def _mostly_common(text: str, common: frozenset[str]) -> bool:
    chars = [c for c in text if not c.isspace()]
    return not chars or sum(c in common for c in chars) / len(chars) >= 0.8


def junk(text: str) -> float:
    """Share of private-use, unassigned or replaced characters: what a wrong legacy decoding is made of."""
    sample = text[:8192]
    bad = sum(1 for c in sample if c == REPLACEMENT or unicodedata.category(c) in ("Co", "Cn", "Cs"))
    return bad / max(1, len(sample))


def readable(text: str) -> bool:
    return text.count(REPLACEMENT) <= MAX_BAD_SHARE * max(1, len(text))


def guess(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's best reading, as (text, encoding), or None."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    best = from_bytes(data[:1 << 20] if len(data) > 1 << 20 else data).best()
    if best is None or best.encoding is None or best.chaos > 0.2:
        return None
    try:
        return data.decode(best.encoding), best.encoding
    except (UnicodeDecodeError, LookupError):
        return None
