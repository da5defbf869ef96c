"""The index on disk: a folder of plain files, a versioned manifest, an atomic switch.

    index/
      CURRENT                 one line: "builds/<id>", replaced atomically (os.replace)
      builds/<id>/
        manifest.json         format version, model, dimension, chunking, corpus hash,
                              and the size and sha256 of every other file
        documents.jsonl  chunks.jsonl  words.txt
        bm25_*.npy  bm25_vocab.json
        embeddings.npy  vectors.faiss      (dense mode only)

A build is written to `builds/.tmp-<id>`, fsynced, renamed to `builds/<id>`, and
only then does CURRENT point at it. A crash at any moment leaves CURRENT pointing
at a complete build (the old one or the new one). Old builds are removed later.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from .errors import IndexDamaged, IndexMismatch, IndexMissing

FORMAT = "rag-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
POINTER = "CURRENT"
KEEP_BUILDS = 2


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_build_dir(root: Path) -> Path:
    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    tmp = builds / f".tmp-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    return tmp


def commit_build(root: Path, tmp: Path, manifest: dict[str, Any]) -> Path:
    """Checksum the files, write the manifest, fsync, and switch CURRENT to the build."""
    files = {}
    for p in sorted(tmp.iterdir()):
        if p.is_file() and p.name != MANIFEST:
            files[p.name] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest, "files": files}
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for p in tmp.iterdir():
        with open(p, "rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(tmp)
    final = tmp.parent / tmp.name.removeprefix(".tmp-")
    os.rename(tmp, final)
    _fsync_dir(tmp.parent)
    pointer_tmp = root / f".{POINTER}.{uuid.uuid4().hex[:8]}"
    with open(pointer_tmp, "w", encoding="utf-8") as f:
        f.write(f"builds/{final.name}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(pointer_tmp, root / POINTER)
    _fsync_dir(root)
    prune(root)
    return final


def prune(root: Path) -> None:
    """Remove unfinished builds and all but the newest KEEP_BUILDS finished ones."""
    builds = root / "builds"
    current = current_build(root)
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    keep = set(done[-KEEP_BUILDS:]) | ({current} if current else set())
    for p in builds.iterdir():
        stale_tmp = p.name.startswith(".tmp-") and time.time() - p.stat().st_mtime > 3600
        if p.is_dir() and (p not in keep and not p.name.startswith(".") or stale_tmp):
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(f".{POINTER}.*"):
        p.unlink(missing_ok=True)


def current_build(root: Path) -> Path | None:
    """The folder CURRENT points at; a folder holding a manifest is its own build."""
    if (root / MANIFEST).is_file():
        return root
    pointer = root / POINTER
    if not pointer.is_file():
        return None
    try:
        rel = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise IndexDamaged(f"{pointer} is unreadable: run `rag index` to rebuild the index") from None
    build = (root / rel).resolve()
    if not rel.startswith("builds/") or build.parent != (root / "builds").resolve() or not build.is_dir():
        raise IndexDamaged(f"{pointer} points at a missing build ({rel!r}): run `rag index` to rebuild the index")
    return build


def read_manifest(root: Path, verify: bool = True) -> tuple[Path, dict[str, Any]]:
    """Locate the current build and check its manifest (and, with verify, every file's checksum)."""
    build = current_build(root)
    if build is None:
        raise IndexMissing(f"no index at {root}: run `rag index` to build it")
    path = build / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not an object")
    except (OSError, ValueError, UnicodeDecodeError):
        raise IndexDamaged(f"{path} is missing or damaged: run `rag index` to rebuild the index") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"index at {root} has format {manifest.get('format')} v{manifest.get('format_version')}, "
            f"this version reads {FORMAT} v{FORMAT_VERSION}: run `rag index` to rebuild it"
        )
    for name, info in manifest.get("files", {}).items():
        check_file(build / name, info, verify)
    return build, manifest


def check_file(path: Path, info: dict[str, Any], verify: bool) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        raise IndexDamaged(f"index file {path} is missing: run `rag index` to rebuild the index") from None
    if size != info.get("bytes") or (verify and sha256_file(path) != info.get("sha256")):
        raise IndexDamaged(f"index file {path} is damaged (checksum mismatch): run `rag index` to rebuild the index")
