"""Load a corpus: every supported file under the given paths becomes a Document.

Each file is read by its format's reader (`rag.ingest.formats.read_document`: PDF, DOCX,
PPTX, XLSX, CSV, EML, text, Markdown, HTML, the seed format). Nothing here raises for a
bad file: it is skipped with a one-line warning, and the warnings are returned (whatever
the log level) so the build report can count them.

A file whose bytes (sha256) are those of a Document the caller already has (the previous
build's, `previous`) is not parsed again: adding one PDF to 10,000 files parses one file.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from rag.ingest.formats import SUPPORTED_SUFFIXES, UnreadableDocument, read_document
from rag.ingest.loader import display_path, iter_paths, one_line, skip, too_big
from rag.types import Document

_WORD = re.compile(r"[^\W_]")  # a letter, digit or hanzi
SHA_KEY = "sha256"  # Document.metadata key: the sha256 of the file's bytes
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
    parsed: int = 0  # files read by their reader this time (the others came from `previous`)


def fingerprint(roots: Iterable[str], follow_links: bool = False) -> str:
    h = hashlib.sha256()
    for p in iter_paths((Path(r) for r in roots), suffixes=SUPPORTED_SUFFIXES, follow_links=follow_links):
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def reusable(docs: Iterable[Document]) -> dict[tuple[str, str], Document]:
    """Documents by (path, sha256 of the file): what `load_corpus` may take instead of parsing."""
    return {(d.path, d.metadata[SHA_KEY]): d for d in docs if isinstance(d.metadata.get(SHA_KEY), str)}


def load_corpus(roots: Iterable[str], previous: Mapping[tuple[str, str], Document] | None = None,
                follow_links: bool = False) -> Corpus:
    roots = list(roots)
    docs: list[Document] = []
    skipped: list[str] = []
    h = hashlib.sha256()
    seen: set[str] = set()
    parsed = 0
    same: dict[str, int] = {}  # content hash -> position in docs
    for path in iter_paths((Path(r) for r in roots), skipped, SUPPORTED_SUFFIXES, follow_links):
        try:
            if too_big(path, skipped):
                continue
            with open(path, "rb") as f:
                sha = hashlib.file_digest(f, "sha256").hexdigest()
        except OSError as exc:
            skip(path, f"cannot read it ({one_line(exc.strerror or exc)})", skipped)
            continue
        h.update(f"{path}\0{sha}\n".encode("utf-8", "surrogateescape"))
        doc = (previous or {}).get((display_path(path), sha))
        if doc is None:
            doc = _read(path, sha, skipped)
            parsed += 1
        if doc is None:
            continue
        if not doc.sections:
            skip(doc.path, "no text left after cleaning", skipped)
        elif not _WORD.search(doc.text):
            skip(doc.path, "no words to index (only punctuation or symbols)", skipped)
        elif doc.doc_id in seen:
            skip(doc.path, "same content as a file already loaded", skipped)
        elif _content_key(doc) in same:
            # The same text under another name: indexed once, every name kept as a source.
            i = same[_content_key(doc)]
            first = docs[i]
            names = [*first.metadata.get(SAME_CONTENT, [first.path]), doc.path]
            docs[i] = dataclasses.replace(first, metadata={**first.metadata, SAME_CONTENT: names})
            log.warning("%s", f"{display_path(doc.path)} has the same content as {display_path(first.path)}: "
                              "indexed once, both names kept as sources")
        else:
            seen.add(doc.doc_id)
            same[_content_key(doc)] = len(docs)
            docs.append(doc)
    return Corpus(tuple(docs), tuple(skipped), h.hexdigest(), fingerprint(roots, follow_links), parsed)


def _read(path: Path, sha: str, skipped: list[str]) -> Document | None:
    """Read one file with its format's reader, or warn in one line and return None."""
    try:
        if path.stat().st_size == 0:
            skip(path, "empty file: no text to index", skipped)
            return None
        doc = read_document(path)
    except UnreadableDocument as exc:
        skip(path, str(exc), skipped)
        return None
    except OSError as exc:
        skip(path, f"cannot read it ({one_line(exc.strerror or exc)})", skipped)
        return None
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a build
        skip(path, f"could not parse it ({one_line(exc)})", skipped)
        return None
    return dataclasses.replace(doc, metadata={**doc.metadata, SHA_KEY: sha})
