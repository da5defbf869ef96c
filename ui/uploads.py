"""Files uploaded through the page into a knowledge base's `docs/` folder, and the table of its documents.

`save_files` is the page's stand-in for the UI-independent `add_files(kb, paths)` being
written for ingestion: it checks each file (type, size, count), unpacks a .zip (member
names reduced to their base name, so nothing lands outside the folder), copies what
passes and says, one line a file, what happened. Indexing is `ui.library.Library.reindex`.

>>> [check_name("报告.PDF", SUFFIXES), check_name("a.exe", SUFFIXES)][1][:18]
'不支持的文件类型 .exe（可上传 '
"""
from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

try:  # the readers of PDF/Office files, where ingestion has them
    from rag.ingest.formats import SUFFIX_KINDS, SUPPORTED_SUFFIXES
    SUFFIXES: tuple[str, ...] = tuple(SUPPORTED_SUFFIXES)
except ImportError:  # pragma: no cover - older ingestion
    SUFFIX_KINDS = {}
    SUFFIXES = (".txt", ".md", ".html", ".pdf", ".docx", ".pptx", ".xlsx", ".csv", ".eml")


@dataclass(frozen=True)
class Limits:
    max_files: int
    max_mb: float


@dataclass(frozen=True)
class Saved:
    """What became of one uploaded file (or .zip member)."""

    name: str
    ok: bool
    message: str


def check_name(name: str, suffixes: Sequence[str]) -> str | None:
    """Why a file name is refused, or None."""
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        return f"不支持的文件类型 {suffix or '（无后缀）'}（可上传 {' '.join(suffixes)} 或 .zip）"
    if name.startswith("."):
        return "隐藏文件不上传"
    return None


def _too_big(size: int, limits: Limits) -> str | None:
    if size > limits.max_mb * 1024 * 1024:
        return f"文件 {size / 1024 / 1024:.1f} MB，超过上限 {limits.max_mb:g} MB（RAG_UPLOAD_MAX_MB）"
    return None


def _members(path: Path) -> Iterable[tuple[str, int, zipfile.ZipInfo | None]]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.is_dir():
                yield Path(info.filename).name, info.file_size, info


def save_files(paths: Sequence[str | Path], dest: Path, limits: Limits,
               suffixes: Sequence[str] = SUFFIXES) -> list[Saved]:
    """Copy the acceptable files among `paths` (and inside .zip files) into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Saved] = []
    accepted = 0
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() == ".zip":
            try:
                entries = list(_members(path))
            except (zipfile.BadZipFile, OSError) as exc:
                out.append(Saved(path.name, False, f"不是有效的 zip 文件（{type(exc).__name__}）"))
                continue
        else:
            entries = [(path.name, path.stat().st_size if path.exists() else 0, None)]
        for name, size, member in entries:
            problem = check_name(name, suffixes) or _too_big(size, limits)
            if problem is None and accepted >= limits.max_files:
                problem = f"一次最多上传 {limits.max_files} 个文件（RAG_UPLOAD_MAX_FILES）"
            if problem:
                out.append(Saved(name, False, problem))
                continue
            target = dest / name
            replaced = target.exists()
            if member is None:
                shutil.copyfile(path, target)
            else:
                with zipfile.ZipFile(path) as archive, archive.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            accepted += 1
            out.append(Saved(name, True, "已保存（替换了同名文件）" if replaced else "已保存"))
    return out


def remove_file(dest: Path, name: str) -> bool:
    """Delete `name` from the uploads folder; only a plain file directly inside it."""
    target = dest / Path(name).name
    if Path(name).name != name or not target.is_file() or target.is_symlink():
        return False
    target.unlink()
    return True


def document_files(roots: Iterable[str | Path], suffixes: Sequence[str] = SUFFIXES) -> list[Path]:
    """The files a build would read under `roots` (a root may be a file), sorted."""
    found: list[Path] = []
    for root in roots:
        r = Path(root)
        if r.is_file():
            found.append(r)
        elif r.is_dir():
            found.extend(p for p in r.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                         and not any(part.startswith(".") for part in p.relative_to(r).parts))
    return sorted(set(found))


def size_text(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KB" if size < 1024 ** 2 else f"{size / 1024 ** 2:.1f} MB"


def kind_of(path: Path) -> str:
    return SUFFIX_KINDS.get(path.suffix.lower(), path.suffix.lower().lstrip("."))
