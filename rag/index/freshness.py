"""Fingerprints of a corpus already known to hold the same content as the index.

The cheap fingerprint (paths, sizes, mtimes) changes on `touch`, a checkout or a copy
that leaves every byte alone. The build then finds the content hash unchanged and
builds nothing, but the manifest (checksummed, never edited) still holds the old
fingerprint, so every later question would re-read and re-hash the whole corpus.
The build records the new fingerprint here instead, next to CURRENT, for that build:

    index/FRESH   {"build": "<id>", "fingerprints": ["<sha256>", ...]}   replaced atomically
"""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from rag.index.durable import write_bytes

FRESH = "FRESH"
KEEP = 8  # a few recent fingerprints (a file touched back and forth)


def known(root: Path, build: str) -> set[str]:
    """Fingerprints recorded for `build` (its folder name); empty when none or unreadable."""
    try:
        data = json.loads((Path(root) / FRESH).read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("build") == build and isinstance(data.get("fingerprints"), list):
            return {str(f) for f in data["fingerprints"]}
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    return set()


def remember(root: Path, build: str, fingerprint: str) -> None:
    """Record that `fingerprint` describes the content `build` was made from (best effort)."""
    root = Path(root)
    prints = [f for f in sorted(known(root, build)) if f != fingerprint][-(KEEP - 1):] + [fingerprint]
    tmp = root / f".{FRESH}.{uuid.uuid4().hex[:8]}"
    try:
        write_bytes(tmp, json.dumps({"build": build, "fingerprints": prints}).encode("utf-8"))
        os.replace(tmp, root / FRESH)
    except OSError:
        tmp.unlink(missing_ok=True)  # only a later re-check is lost
