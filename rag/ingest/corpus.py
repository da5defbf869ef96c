"""Load a corpus: every supported file under the given paths becomes a Document.

Nothing here raises for a bad file: it is skipped with a one-line warning, and the
warnings are returned (whatever the log level) so the build report can count them.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rag.ingest.documents import build_document
from rag.ingest.loader import display_path, iter_paths, one_line, read_source, skip
from rag.types import Document

_WORD = re.compile(r"[^\W_]")  # a letter, digit or hanzi
SAME_CONTENT = "same_content_paths"  # metadata: every file that holds this document's text
log = logging.getLogger("rag")


def _content_key(doc: Document) -> str:
    return hashlib.sha256(f"{doc.title}\0{doc.text}".encode("utf-8", "surrogatepass")).hexdigest()


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
    same: dict[str, int] = {}  # content hash -> position in docs
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
        elif _content_key(doc) in same:
            # The same text under another name: indexed once, every name kept as a source.
            i = same[_content_key(doc)]
            first = docs[i]
            names = [*first.metadata.get(SAME_CONTENT, [first.path]), doc.path]
            docs[i] = dataclasses.replace(first, metadata={**first.metadata, SAME_CONTENT: names})
            log.warning("%s", f"{display_path(src.path)} has the same content as {display_path(first.path)}: "
                              "indexed once, both names kept as sources")
        else:
            seen.add(doc.doc_id)
            same[_content_key(doc)] = len(docs)
            docs.append(doc)
    return Corpus(tuple(docs), tuple(skipped), h.hexdigest(), fingerprint(roots, follow_links))

