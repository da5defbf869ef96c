"""Build a SentencePiece "precompiled charsmap" from a normalization map, for `tokenizers`' Precompiled normalizer.

XLM-R's HF tokenizer normalizes with `Precompiled(precompiled_charsmap)`: a
double-array trie over UTF-8 byte strings whose values point into a blob of
NUL-terminated replacement strings. The packed file only has the map itself
(codepoint -> replacement), so the converter rebuilds the blob:

    u32 trie_bytes | u32 units[trie_bytes / 4] | replacement strings, each ending in NUL

A unit is 32 bits: bits 0-7 the label byte, bit 8 "a key ends here" (has_leaf),
bits 10-30 the offset to the node's child block (the block's base is
`position XOR offset`; bit 9 would scale large offsets, never needed here); a
value unit (at the child slot of label 0) sets bit 31 and keeps the value (a byte
offset into the strings) in bits 0-30. A lookup walks the key's bytes:
`pos ^= offset(unit)`, `pos ^= byte`, check the label, and collects the values of
the prefixes that end a key; the normalizer uses the first (shortest) match.

Example:

>>> blob = build_charsmap({"Ａ": "A", "\\u3000": " ", "\\x07": ""})
>>> lookup(blob, "Ａ".encode()), lookup(blob, b"\\x07"), lookup(blob, b"B")
('A', '', None)
"""
from __future__ import annotations

import struct
from collections import deque

_LEAF = 1 << 8
_VALUE = 1 << 31
_MAX_OFFSET = 1 << 21
_TERMINAL = -1  # key in a trie node's dict that holds the value


def build_charsmap(mapping: dict[str, str]) -> bytes:
    """The precompiled charsmap for `mapping` (key string -> replacement; "" deletes).

    Keys must be non-empty and free of NUL (a lookup stops at a NUL byte).
    """
    strings = bytearray()
    where: dict[str, int] = {}
    entries: list[tuple[bytes, int]] = []
    for key in sorted(mapping):
        if not key or "\x00" in key:
            raise ValueError(f"charsmap key {key!r} is empty or holds NUL")
        rep = mapping[key]
        if rep not in where:
            where[rep] = len(strings)
            strings += rep.encode("utf-8") + b"\x00"
        entries.append((key.encode("utf-8"), where[rep]))
    units = build_double_array(entries)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def build_double_array(entries: list[tuple[bytes, int]]) -> list[int]:
    """Double-array units for byte-string keys -> values (< 2**31), breadth first, each base used once."""
    root: dict = {}
    for key, value in entries:
        if not 0 <= value < _VALUE:
            raise ValueError(f"charsmap value {value} does not fit 31 bits")
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[_TERMINAL] = value
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root
    bases: set[int] = set()
    scan = 1
    queue: deque[tuple[int, dict]] = deque([(0, root)])
    while queue:
        pos, node = queue.popleft()
        labels = sorted(k for k in node if k != _TERMINAL)
        slots = ([0] if _TERMINAL in node else []) + labels
        while scan < len(used) and used[scan]:
            scan += 1
        probe = scan
        while True:
            base = probe ^ slots[0]
            top = (base | 0xFF) + 1
            if top > len(used):
                grow = top - len(used)
                used.extend(bytearray(grow))
                units.extend([0] * grow)
            if base not in bases and all(not used[base ^ s] for s in slots):
                break
            probe += 1
            while probe < len(used) and used[probe]:
                probe += 1
            if probe >= len(used):
                used.extend(bytearray(256))
                units.extend([0] * 256)
        offset = pos ^ base
        if offset >= _MAX_OFFSET:
            raise ValueError("charsmap too large for a plain double-array offset")
        bases.add(base)
        units[pos] |= offset << 10
        if _TERMINAL in node:
            units[base] = node[_TERMINAL] | _VALUE
            used[base] = 1
        for label in labels:
            child = node[label]
            at = base ^ label
            used[at] = 1
            units[at] = label | (_LEAF if _TERMINAL in child else 0)
            queue.append((at, child))
    return units


def prefix_values(units: list[int] | tuple[int, ...], key: bytes) -> list[int]:
    """Values of every prefix of `key` that is a key of the trie, shortest first."""
    out: list[int] = []
    pos = _offset(units[0])
    for byte in key:
        if byte == 0:
            break
        pos ^= byte
        if pos >= len(units):
            return out
        unit = units[pos]
        if unit & (_VALUE | 0xFF) != byte:
            return out
        pos ^= _offset(unit)
        if unit & _LEAF:
            out.append(units[pos] & (_VALUE - 1))
    return out


def lookup(blob: bytes, key: bytes) -> str | None:
    """The replacement the Precompiled normalizer would use for `key`, or None (kept as is)."""
    (trie_bytes,) = struct.unpack_from("<I", blob, 0)
    units = struct.unpack_from(f"<{trie_bytes // 4}I", blob, 4)
    strings = blob[4 + trie_bytes:]
    found = prefix_values(units, key)
    if not found:
        return None
    start = found[0]
    return strings[start:strings.index(b"\x00", start)].decode("utf-8")


def _offset(unit: int) -> int:
    return (unit >> 10) << ((unit & (1 << 9)) >> 6)
