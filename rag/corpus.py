"""Load a corpus: every supported file under the given paths becomes a Document.

Nothing here raises for a bad file: it is skipped with a one-line warning, and the
warnings are returned so the build report can count them.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .documents import build_document
from .loader import iter_paths, read_source
from .types import Document

log = logging.getLogger("rag")
_WORD = re.compile(r"[^\W_]")  # a letter, digit or hanzi


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    skipped: tuple[str, ...]  # one line per skipped file
    sha256: str  # hash of the contents of every file read, in path order
    fingerprint: str  # cheap: paths, sizes and mtimes (to notice changes without reading)


def fingerprint(roots: Iterable[str]) -> str:
    h = hashlib.sha256()
    for p in iter_paths(Path(r) for r in roots):
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def load_corpus(roots: Iterable[str]) -> Corpus:
    roots = list(roots)
    docs: list[Document] = []
    skipped: list[str] = []
    h = hashlib.sha256()
    seen: set[str] = set()
    handler = _Collect()
    log.addHandler(handler)
    try:
        for path in iter_paths((Path(r) for r in roots), warn=True):
            src = read_source(path)
            if src is None:
                continue
            h.update(f"{path}\0{src.sha256}\n".encode("utf-8", "surrogateescape"))
            try:
                doc = build_document(src)
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop a build
                log.warning("skipped %s: could not parse it (%s)", path, exc)
                continue
            if not doc.sections:
                log.warning("skipped %s: no text left after cleaning", path)
                continue
            if not _WORD.search(doc.text):
                log.warning("skipped %s: no words to index (only punctuation or symbols)", path)
                continue
            if doc.doc_id in seen:
                log.warning("skipped %s: same content as a file already loaded", path)
                continue
            seen.add(doc.doc_id)
            docs.append(doc)
    finally:
        log.removeHandler(handler)
    skipped = [m for m in handler.messages if m.startswith("skipped ")]
    return Corpus(tuple(docs), tuple(skipped), h.hexdigest(), fingerprint(roots))


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
