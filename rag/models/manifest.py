"""The completion marker of a converted folder: `checksums.json`, the size and sha256 of every other file.

The converter writes it last, so a folder without it was never finished. Two
checks read it: `check_sizes` stats the files (microseconds, for the fast CLI
path) and `check_hashes` reads every byte (about a second for 470 MB). A damaged
folder fails one of them with a one-line reason.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.txt").write_text("hi")
>>> write_manifest(d, {"a.txt": file_entry(d / "a.txt")}, {"converter": 1})
>>> check_hashes(d) is None
True
>>> _ = (d / "a.txt").write_text("ho")
>>> check_hashes(d)
'a.txt does not match its checksum'
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

MANIFEST = "checksums.json"
FORMAT = 1


def file_entry(path: Path) -> dict[str, Any]:
    """`{"size": ..., "sha256": ...}` of a file, reading it in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def write_manifest(folder: Path, files: dict[str, dict[str, Any]], info: dict[str, Any]) -> None:
    """Write checksums.json (through a temporary name, then fsync and rename)."""
    doc = {"format": FORMAT, **info, "files": dict(sorted(files.items()))}
    tmp = folder / (MANIFEST + ".part")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / MANIFEST)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The parsed checksums.json, or None when it is missing or unreadable."""
    try:
        with open(folder / MANIFEST, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("files"), dict):
        return None
    return doc


def check_sizes(folder: Path, manifest: dict[str, Any] | None = None) -> str | None:
    """None when every listed file exists with its recorded size; else the first problem, one line."""
    manifest = manifest if manifest is not None else read_manifest(folder)
    if manifest is None:
        return f"{MANIFEST} is missing or unreadable (an unfinished conversion)"
    for name, entry in manifest["files"].items():
        try:
            size = (folder / name).stat().st_size
        except OSError:
            return f"{name} is missing"
        if size != entry.get("size"):
            return f"{name} has {size} bytes, expected {entry.get('size')}"
    return None


def check_hashes(folder: Path, manifest: dict[str, Any] | None = None) -> str | None:
    """`check_sizes`, then the sha256 of every listed file."""
    manifest = manifest if manifest is not None else read_manifest(folder)
    problem = check_sizes(folder, manifest)
    if problem is not None:
        return problem
    assert manifest is not None
    for name, entry in manifest["files"].items():
        if file_entry(folder / name)["sha256"] != entry.get("sha256"):
            return f"{name} does not match its checksum"
    return None


def stat_stamp(folder: Path, manifest: dict[str, Any]) -> list[list[Any]]:
    """(name, size, mtime_ns, inode) of every listed file: cheap evidence that nothing changed since a full check."""
    stamp = []
    for name in sorted(manifest["files"]):
        st = (folder / name).stat()
        stamp.append([name, st.st_size, st.st_mtime_ns, st.st_ino])
    return stamp
