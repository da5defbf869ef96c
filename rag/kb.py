"""Knowledge bases: named, separate sets of documents, each with its own index and settings.

Where they live:
- `$RAG_HOME/kb/<name>/` when RAG_HOME is set;
- run from a checkout (this file under `<repo>/rag/`): `<repo>/index/` for `default` (where the
  index has always been) and `<repo>/index/kb/<name>/` for the others;
- otherwise the platform's user data folder (`~/.local/share/rag-zh/kb/<name>/` on Linux).

A knowledge base folder holds the index (`CURRENT`, `builds/`), `kb.json` (its name, documents and
settings: the marker that makes it a knowledge base) and `docs/` (files uploaded into it).
`default` always exists: its documents are the demo article (`seeds/`) until told otherwise.

>>> valid_name("新闻2024"), valid_name("../etc")
(True, False)
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from rag.errors import RagError

DEFAULT = "default"
MARKER = "kb.json"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff.-]{0,63}$")


@dataclass(frozen=True)
class KnowledgeBase:
    name: str
    path: Path  # the folder: index, kb.json, docs/
    docs: tuple[str, ...]  # the document files or folders it is built from
    settings: Mapping[str, Any] = field(default_factory=dict)  # its own settings (k, mode, ...)
    created: str = ""

    @property
    def uploads(self) -> Path:
        return self.path / "docs"


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name)) and ".." not in name


def in_checkout() -> bool:
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "rag" / "kb.py").is_file()


def seeds_dir() -> Path:
    """The demo documents: `<repo>/seeds` in a checkout, else the copy installed inside the package."""
    repo = PROJECT_ROOT / "seeds"
    return repo if repo.is_dir() else Path(__file__).resolve().parent / "seeds"


def data_home(env: Mapping[str, str] | None = None) -> Path:
    """The folder holding knowledge bases (see the module docstring)."""
    env = os.environ if env is None else env
    if env.get("RAG_HOME"):
        return Path(env["RAG_HOME"]).expanduser()
    if in_checkout():
        return PROJECT_ROOT / "index"
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "rag-zh"


def kb_dir(name: str, env: Mapping[str, str] | None = None) -> Path:
    if not valid_name(name):
        raise RagError(f"'{name}' is not a valid knowledge base name: use letters, digits, Chinese, '.', '_' or '-' "
                       "(at most 64, not starting with '.' or '-')")
    env = os.environ if env is None else env
    home = data_home(env)
    if name == DEFAULT and not env.get("RAG_HOME") and in_checkout():
        return home
    return home / "kb" / name


def _read(path: Path, name: str) -> KnowledgeBase | None:
    marker = path / MARKER
    if not marker.is_file():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as exc:
        raise RagError(f"knowledge base '{name}' has a damaged {marker}: {exc}") from None
    docs = tuple(str(d) for d in data.get("docs", []))
    settings = data.get("settings", {})
    return KnowledgeBase(name, path, docs, settings if isinstance(settings, dict) else {}, str(data.get("created", "")))


def _write(kb: KnowledgeBase) -> None:
    kb.path.mkdir(parents=True, exist_ok=True)
    data = {"name": kb.name, "docs": list(kb.docs), "settings": dict(kb.settings), "created": kb.created}
    tmp = kb.path / f".{MARKER}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, kb.path / MARKER)


def names(env: Mapping[str, str] | None = None) -> list[str]:
    """Every knowledge base there is, `default` first."""
    found = {DEFAULT}
    root = data_home(env) / "kb"
    if root.is_dir():
        found |= {p.name for p in root.iterdir() if (p / MARKER).is_file() and valid_name(p.name)}
    return sorted(found, key=lambda n: (n != DEFAULT, n))


def get(name: str, env: Mapping[str, str] | None = None) -> KnowledgeBase:
    """The knowledge base `name`; a missing one is a one-line error listing those that exist."""
    path = kb_dir(name, env)
    kb = _read(path, name)
    if kb is not None:
        return kb if kb.docs or name != DEFAULT else KnowledgeBase(name, path, (str(seeds_dir()),), kb.settings,
                                                                    kb.created)
    if name == DEFAULT:
        return KnowledgeBase(DEFAULT, path, (str(seeds_dir()),))
    raise RagError(f"no knowledge base '{name}': existing ones are {', '.join(names(env))} "
                   f"(create it with `rag kb create {name}` or `rag index --kb {name} --docs DIR`)")


def exists(name: str, env: Mapping[str, str] | None = None) -> bool:
    return name == DEFAULT or (kb_dir(name, env) / MARKER).is_file()


def create(name: str, docs: tuple[str, ...] = (), settings: Mapping[str, Any] | None = None,
           env: Mapping[str, str] | None = None, exist_ok: bool = False) -> KnowledgeBase:
    path = kb_dir(name, env)
    old = _read(path, name)
    if old is not None and not exist_ok:
        raise RagError(f"knowledge base '{name}' already exists at {path}")
    docs = tuple(str(Path(d).expanduser().resolve()) for d in docs) or (old.docs if old else ())
    kb = KnowledgeBase(name, path, docs, dict(settings or (old.settings if old else {})),
                       old.created if old else time.strftime("%Y-%m-%dT%H:%M:%S"))
    (path / "docs").mkdir(parents=True, exist_ok=True)
    _write(kb)
    return kb


def delete(name: str, env: Mapping[str, str] | None = None) -> Path:
    """Remove a knowledge base folder: only one that carries the marker, never `default`."""
    if name == DEFAULT:
        raise RagError("the default knowledge base cannot be deleted (delete its index with `rag index --force`)")
    kb = get(name, env)
    if kb.path.is_symlink() or not (kb.path / MARKER).is_file():
        raise RagError(f"{kb.path} is not a knowledge base folder: not deleting it")
    shutil.rmtree(kb.path)
    return kb.path


def info(name: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What `rag kb info` prints: where it is, its documents and what its index holds."""
    kb = get(name, env)
    out: dict[str, Any] = {"name": kb.name, "path": str(kb.path), "docs": list(kb.docs),
                           "settings": dict(kb.settings), "created": kb.created, "index": None}
    try:
        current = (kb.path / "CURRENT").read_text(encoding="utf-8").strip()
        manifest = json.loads((kb.path / current / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return out
    out["index"] = {"build": current, "documents": manifest.get("documents"), "chunks": manifest.get("chunks"),
                    "embedding": (manifest.get("embedding") or {}).get("model"),
                    "created": manifest.get("created")}
    return out
