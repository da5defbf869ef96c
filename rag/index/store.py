"""The index on disk: a folder of plain files, a versioned manifest, an atomic switch.

    index/
      CURRENT                 one line: "builds/<id>", replaced atomically (os.replace)
      .lock                   held (flock) by the one build running; the kernel drops it if that build dies
      builds/<id>/
        manifest.json         format version, model, dimension, chunking, corpus hash, the size and
                              sha256 of every other file, and the sha256 of the manifest itself
        documents.jsonl  chunks.jsonl  words.txt
        bm25_*.npy  bm25_vocab.json
        embeddings.npy  vectors.faiss      (dense mode only)

A build is written to `builds/.tmp-<id>`, fsynced, renamed to `builds/<id>`, and
only then does CURRENT point at it. A crash at any moment (tests/test_reliability_crash.py
kills builds at every file operation) leaves CURRENT pointing at a complete build, the
old one or the new one. What a killed build leaves behind (a `.tmp-` folder, a
`.CURRENT.*` file, a finished build nobody points at) is never loaded, and the next
build removes it while it holds the lock. Old builds are removed after KEEP_BUILDS.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from rag.errors import IndexDamaged, IndexMismatch, IndexMissing, RagError
from rag.index.durable import write_bytes

try:
    import fcntl
except ImportError:  # not on POSIX: builds are not serialized, stale folders go by age
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("rag")

FORMAT = "rag-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
POINTER = "CURRENT"
LOCK = ".lock"
SELF_SHA = "manifest_sha256"
KEEP_BUILDS = 2
_BUILD_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,99}")
_FILE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,99}")
_BUILD_ID = re.compile(r"[0-9]{8}T[0-9]{12}-[0-9a-f]{8}")  # what new_build_dir names a build
_POINTER_TMP = re.compile(r"\.CURRENT\.[0-9a-f]{8}")
MARKER = "rag-build"  # in every build this program makes (checksummed): pruning removes no other folder
_locked: set[Path] = set()  # index roots whose build lock this process holds
REBUILD = "run `rag index` to rebuild the index"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest_digest(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest's canonical JSON, leaving out the digest itself."""
    body = {k: v for k, v in manifest.items() if k != SELF_SHA}
    canon = json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode("ascii")).hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LockTimeout(RagError):
    """Another build held the index lock for longer than the wait allowed."""


def lock_timeout_s() -> float:
    """How long a build waits for another to finish: RAG_LOCK_TIMEOUT_S (default 900 s)."""
    raw = os.environ.get("RAG_LOCK_TIMEOUT_S", "").strip()
    try:
        value = float(raw) if raw else 900.0
    except ValueError:
        raise RagError(f"RAG_LOCK_TIMEOUT_S={raw[:40]!r} is not a number of seconds") from None
    if not value >= 0:
        raise RagError(f"RAG_LOCK_TIMEOUT_S={raw[:40]!r} must be 0 or more seconds")
    return value


def build_running(root: Path) -> bool:
    """Whether another process holds the build lock of this index now (never waits)."""
    if fcntl is None or Path(root).resolve() in _locked:
        return False
    try:
        fd = os.open(Path(root) / LOCK, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


@contextmanager
def build_lock(root: Path, poll_s: float = 0.2, timeout_s: float | None = None) -> Iterator[None]:
    """Serialize builds of one index across processes; a dead holder's lock is released by the kernel.

    Waits at most `timeout_s` (default `lock_timeout_s()`), then raises LockTimeout."""
    root = Path(root)
    timeout_s = lock_timeout_s() if timeout_s is None else timeout_s
    root.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield
        return
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waited = False
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"another `rag index` has been building {root} for over {timeout_s:g} s: "
                                      "wait for it to finish, or stop it, then run this again "
                                      "(RAG_LOCK_TIMEOUT_S sets the wait)") from None
                if not waited:
                    log.warning("waiting for another `rag index` to finish building %s", root)
                    waited = True
                time.sleep(poll_s)
        _locked.add(root.resolve())
        try:
            yield
        finally:
            _locked.discard(root.resolve())
    finally:
        os.close(fd)  # closing the descriptor drops the lock


@contextmanager
def staging(root: Path) -> Iterator[Path]:
    """Hold the build lock, clear what crashed builds left, and yield a fresh `.tmp-` folder.

    The folder is removed when the block raises; `commit_build` turns it into a build.
    """
    root = Path(root)
    with build_lock(root):
        prune(root)
        tmp = new_build_dir(root)
        try:
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def new_build_dir(root: Path) -> Path:
    builds = Path(root) / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    # Microseconds (UTC) make the names sort in creation order, which prune relies on.
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now * 1e6) % 1_000_000:06d}"
    tmp = builds / f".tmp-{stamp}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write_bytes(tmp / MARKER, b"made by rag index; removed with its build\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def commit_build(root: Path, tmp: Path, manifest: dict[str, Any]) -> Path:
    """Checksum the files, write the manifest, fsync, and switch CURRENT to the build."""
    root = Path(root)
    files = {}
    for p in sorted(tmp.iterdir()):
        if p.is_file() and p.name != MANIFEST:
            files[p.name] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest, "files": files}
    manifest[SELF_SHA] = manifest_digest(manifest)
    try:
        text = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    except UnicodeEncodeError:  # a path in undecodable bytes (it holds a lone surrogate): escape it
        text = json.dumps(manifest, ensure_ascii=True, indent=1).encode("ascii")
    write_bytes(tmp / MANIFEST, text)
    for p in tmp.iterdir():
        with open(p, "rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(tmp)
    final = tmp.parent / tmp.name.removeprefix(".tmp-")
    os.rename(tmp, final)
    _fsync_dir(tmp.parent)
    pointer_tmp = root / f".{POINTER}.{uuid.uuid4().hex[:8]}"
    write_bytes(pointer_tmp, f"builds/{final.name}\n".encode("utf-8"))  # fsynced, size checked
    os.replace(pointer_tmp, root / POINTER)
    _fsync_dir(root)
    prune(root)
    return final


def prune(root: Path) -> None:
    """Remove what crashed builds left and all but the newest KEEP_BUILDS finished builds.

    Holding the build lock, every `.tmp-` folder is a dead build's; without it (no
    fcntl), only those untouched for an hour are. The current build is always kept.
    Only folders this program made are removed (`ours`): a user's folder, file or
    symlink placed in builds/ is never touched, and no link is followed.
    """
    root = Path(root)
    builds = root / "builds"
    if not builds.is_dir() or builds.is_symlink():
        return
    locked = root.resolve() in _locked
    try:
        current = current_build(root)
    except IndexDamaged:
        current = None
    done = sorted((p for p in builds.iterdir() if _BUILD_ID.fullmatch(p.name) and ours(p)), key=lambda p: p.name)
    keep = set(done[-KEEP_BUILDS:]) | ({current} if current else set())
    for p in builds.iterdir():
        if p.name.startswith(".tmp-") and _BUILD_ID.fullmatch(p.name.removeprefix(".tmp-")) \
                and not p.is_symlink():
            try:
                stale = locked or time.time() - p.lstat().st_mtime > 3600
                if stale and not ours(p):
                    os.rmdir(p)  # killed before its marker was written: removed only if empty
            except OSError:
                continue
            if stale:
                shutil.rmtree(p, ignore_errors=True)
        elif p in done and p not in keep:
            shutil.rmtree(p, ignore_errors=True)
    if locked:
        for p in root.glob(f".{POINTER}.*"):
            if _POINTER_TMP.fullmatch(p.name) and not p.is_symlink() and p.is_file():
                p.unlink(missing_ok=True)


def ours(path: Path) -> bool:
    """A real folder (not a link) that this program made: it holds our marker or our manifest."""
    try:
        if path.is_symlink() or not path.is_dir():
            return False
        marker = path / MARKER
        if marker.is_file() and not marker.is_symlink():
            return True
        manifest = path / MANIFEST
        if manifest.is_symlink() or not manifest.is_file():
            return False
        with open(manifest, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return b'"format": "' + FORMAT.encode() + b'"' in head


def current_build(root: Path) -> Path | None:
    """The folder CURRENT points at; a folder holding a manifest is its own build."""
    root = Path(root)
    if (root / MANIFEST).is_file():
        return root
    pointer = root / POINTER
    if not pointer.is_file():
        return None
    try:
        with open(pointer, "rb") as f:
            raw = f.read(512)
        rel = raw.decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise IndexDamaged(f"{pointer} is unreadable: {REBUILD}") from None
    name = rel.removeprefix("builds/")
    # Check the text before using it as a path: a damaged pointer may hold NUL bytes or "..".
    if not rel.startswith("builds/") or not _BUILD_NAME.fullmatch(name) or ".." in name:
        shown = rel if len(rel) <= 60 else rel[:57] + "..."
        raise IndexDamaged(f"{pointer} is damaged (it holds {shown!r}): {REBUILD}")
    build = root / "builds" / name
    if not build.is_dir():
        raise IndexDamaged(f"{pointer} points at a missing build ({rel!r}): {REBUILD}")
    return build


def read_manifest(root: Path, verify: bool = True) -> tuple[Path, dict[str, Any]]:
    """Locate the current build and check its manifest (and, with verify, every file's checksum)."""
    root = Path(root)
    build = current_build(root)
    if build is None:
        raise IndexMissing(f"no index at {root}: run `rag index` to build it")
    path = build / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not an object")
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        raise IndexDamaged(f"index file {path} is missing or damaged: {REBUILD}") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"index at {root} has format {str(manifest.get('format'))[:40]} v{str(manifest.get('format_version'))[:10]} "
            f"({path}), this version reads {FORMAT} v{FORMAT_VERSION}: {REBUILD}"
        )
    if SELF_SHA not in manifest:  # written before manifests carried their own checksum
        raise IndexMismatch(f"index file {path} has no checksum (an older version wrote it): {REBUILD}")
    if manifest[SELF_SHA] != manifest_digest(manifest):
        raise IndexDamaged(f"index file {path} is damaged (checksum mismatch): {REBUILD}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(_FILE_NAME.fullmatch(str(n)) and isinstance(i, dict)
                                              for n, i in files.items()):
        raise IndexDamaged(f"index file {path} is damaged (bad file list): {REBUILD}")
    for name, info in files.items():
        check_file(build / name, info, verify)
    return build, manifest


def check_file(path: Path, info: dict[str, Any], verify: bool) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        raise IndexDamaged(f"index file {path} is missing: {REBUILD}") from None
    if size != info.get("bytes"):
        raise IndexDamaged(f"index file {path} is damaged ({size} bytes, the manifest says {info.get('bytes')}): "
                           f"{REBUILD}")
    if verify and sha256_file(path) != info.get("sha256"):
        raise IndexDamaged(f"index file {path} is damaged (checksum mismatch): {REBUILD}")
