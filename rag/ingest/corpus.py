"""Load a corpus: every supported file under the given paths becomes a Document.

Nothing here raises for a bad file: it is skipped with a one-line warning, and the
warnings are returned (whatever the log level) so the build report can count them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rag.ingest.documents import build_document
from rag.ingest.loader import iter_paths, one_line, read_source, skip
from rag.types import Document

_WORD = re.compile(r"[^\W_]")  # a letter, digit or hanzi


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    skipped: tuple[str, ...]  # one line per skipped file
    sha256: str  # hash of the contents of every file read, in path order
    fingerprint: str  # cheap: paths, sizes and mtimes (to notice changes without reading)


def fingerprint(roots: Iterable[str], follow_links: bool = False) -> str:
    h = hashlib.sha256()
    for p in iter_paths((Path(r) for r in roots), follow_links=follow_links):
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def load_corpus(roots: Iterable[str], follow_links: bool = False) -> Corpus:
    roots = list(roots)
    docs: list[Document] = []
    skipped: list[str] = []
    h = hashlib.sha256()
    seen: set[str] = set()
    for path in iter_paths((Path(r) for r in roots), skipped, follow_links):
        src = read_source(path, skipped)
        if src is None:
            continue
        h.update(f"{path}\0{src.sha256}\n".encode("utf-8", "surrogateescape"))
        try:
            doc = build_document(src)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop a build
            skip(src.path, f"could not parse it ({one_line(exc)})", skipped)
            continue
        if not doc.sections:
            skip(src.path, "no text left after cleaning", skipped)
        elif not _WORD.search(doc.text):
            skip(src.path, "no words to index (only punctuation or symbols)", skipped)
        elif doc.doc_id in seen:
            skip(src.path, "same content as a file already loaded", skipped)
        else:
            seen.add(doc.doc_id)
            docs.append(doc)
    return Corpus(tuple(docs), tuple(skipped), h.hexdigest(), fingerprint(roots, follow_links))

