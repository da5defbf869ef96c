"""The few things the readers take from the existing ingestion modules.

Those modules are moving from `rag/` to `rag/ingest/`; each is imported where it is
(`rag.ingest.<name>` first, then `rag.<name>`), and only when a reader runs, so this
package imports nothing heavy and no import cycle can form. Once the move has landed
these can become plain relative imports (`from ..loader import decode`).
"""
from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from types import ModuleType

from rag.types import Document


def _module(name: str) -> ModuleType:
    for full in (f"rag.ingest.{name}", f"rag.{name}"):
        try:
            return importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name not in (full, "rag.ingest"):
                raise  # the module is there but something it needs is not
    raise ModuleNotFoundError(f"no module rag.ingest.{name} or rag.{name}", name=name)


def decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) of text bytes (BOMs, UTF-8, GB18030, UTF-16), None for binary."""
    return _module("loader").decode(data)


def display_path(path: Path | str) -> str:
    return _module("loader").display_path(path)


def doc_id_for(path: Path | str, text: str) -> str:
    """`<file stem>-<sha1 of text, 8 hex>`: the id `rag/documents.py` gives."""
    return _module("documents").doc_id_for(str(path), text)


def html_to_text(markup: str) -> str:
    return _module("documents").html_to_text(markup)


def is_seed_format(text: str) -> bool:
    return _module("seedformat").is_seed_format(text)


def build_existing(path: Path, text: str, encoding: str, data: bytes) -> Document:
    """The existing reader of decoded text (seed format, HTML, plain text)."""
    loader = _module("loader")
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")  # as loader.read_source does
    src = loader.SourceFile(loader.display_path(path), text, encoding, hashlib.sha256(data).hexdigest())
    return _module("documents").build_document(src)
