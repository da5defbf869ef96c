"""Add files to a knowledge base and bring its index up to date: what an upload calls.

`add_files(kb, paths)` checks each file (type by content and suffix, size, how many at
once), copies the good ones into the knowledge base's `docs/` folder, and runs an
incremental build: only the new or changed files are parsed and only their new chunks
embedded (`build.py`). A refused file is a one-line reason in the report, never an
exception; nothing already stored is touched by a refused file. The web page calls this
with the uploaded temporary files; it needs no UI.

Limits come from the settings: `upload_max_mb` per file, `upload_max_files` per call.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from rag import kb as kbs
from rag.errors import RagError
from rag.index.build import BuildReport, Progress, build_index
from rag.ingest.formats import SUPPORTED_SUFFIXES, UnreadableDocument, read_document
from rag.settings import load_settings

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass(frozen=True)
class AddReport:
    """What became of each file: stored names, and one-line reasons for those refused."""

    added: tuple[str, ...] = ()  # new names in docs/
    replaced: tuple[str, ...] = ()  # names whose content changed
    unchanged: tuple[str, ...] = ()  # same name, same bytes: nothing to do
    refused: tuple[str, ...] = ()  # "name: reason"
    build: BuildReport | None = None  # the incremental build (None when nothing changed)
    skipped: tuple[str, ...] = field(default=())  # files the build could not read (its one-line warnings)


def safe_name(name: str) -> str:
    """A file name that stays inside docs/: no folders, no control characters, not hidden.

    >>> safe_name("../../etc/passwd"), safe_name(".年报.pdf"), safe_name("a\\nb.txt")
    ('passwd', '年报.pdf', 'a_b.txt')
    """
    base = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip().lstrip(".")
    return base[:200] or "document"


def add_files(kb_name: str, paths: Iterable[str | Path], env: Mapping[str, str] | None = None,
              names: Iterable[str] | None = None, progress: Progress | None = None) -> AddReport:
    """Copy `paths` into knowledge base `kb_name` (created if new) and update its index.

    `names` are the names to store them under (an upload's original names; default: the
    paths' own). Raises `RagError` only for a bad knowledge base name or a failed build.
    """
    paths = [Path(p) for p in paths]
    shown = [safe_name(n) for n in names] if names is not None else [safe_name(p.name) for p in paths]
    if len(shown) != len(paths):
        raise RagError("add_files: give one name per file")
    base = _knowledge_base(kb_name, env)
    settings = load_settings({"kb": kb_name}, env=env)
    limit = int(settings.upload_max_mb * 1024 * 1024)
    added, replaced, unchanged, refused = [], [], [], []
    if len(paths) > settings.upload_max_files:
        refused = [f"{n}: more than {settings.upload_max_files} files at once (add the rest next time)"
                   for n in shown[settings.upload_max_files:]]
        paths, shown = paths[:settings.upload_max_files], shown[:settings.upload_max_files]
    for path, name in zip(paths, shown):
        reason = _check(path, name, limit)
        if reason:
            refused.append(f"{name}: {reason}")
            continue
        target = base.uploads / name
        if target.is_file() and _sha256(target) == _sha256(path):
            unchanged.append(name)
            continue
        (replaced if target.exists() else added).append(name)
        _copy(path, target)
    if not (added or replaced):
        return AddReport(tuple(added), tuple(replaced), tuple(unchanged), tuple(refused))
    report = build_index(load_settings({"kb": kb_name}, env=env), progress=progress)
    mine = tuple(line for line in report.skipped if any(n in line for n in added + replaced))
    return AddReport(tuple(added), tuple(replaced), tuple(unchanged), tuple(refused), report, mine)


def _knowledge_base(name: str, env: Mapping[str, str] | None) -> kbs.KnowledgeBase:
    """The knowledge base, created if new, with its docs/ folder among its documents."""
    base = kbs.get(name, env) if kbs.exists(name, env) else kbs.create(name, env=env)
    uploads = str(base.uploads.resolve())
    if uploads not in {str(Path(d).resolve()) for d in base.docs}:
        base = kbs.create(name, base.docs + (uploads,), env=env, exist_ok=True)
    base.uploads.mkdir(parents=True, exist_ok=True)
    return base


def _check(path: Path, name: str, limit: int) -> str:
    """Why a file cannot be added ("" when it can): its type, size, and whether its reader can read it."""
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        return f"not a document type this reads ({' '.join(SUPPORTED_SUFFIXES)})"
    try:
        size = path.stat().st_size
        if not path.is_file():
            return "not a file"
        if size > limit:
            return f"{size >> 20} MB is larger than the {limit >> 20} MB limit per file"
        if size == 0:
            return "empty file"
        # Read it now: an .exe renamed .pdf, a scanned or encrypted PDF is refused here, and
        # never replaces a readable file of the same name.
        read_document(path)
    except UnreadableDocument as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    except Exception as exc:  # noqa: BLE001 - a reader's bug is this file's problem, not the upload's
        return f"could not parse it ({' '.join(str(exc).split())[:200]})"
    return ""


def _copy(src: Path, target: Path) -> None:
    # Copy beside the target, then rename: a crash never leaves half a file where the index looks.
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
