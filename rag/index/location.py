"""Where an index may be built: refused, with a one-line reason, before anything is written.

A build writes CURRENT, .lock and builds/ into the index folder and prunes inside
builds/, so a folder that is the filesystem root, the home folder, a file, a build
of another index, or inside the documents (whose next build would index the index's
own words.txt) is refused.

    >>> check_index_location("", ())
    Traceback (most recent call last):
    ...
    rag.index.location.BadIndexLocation: the index location is empty (--index or RAG_INDEX): pass a folder, e.g. --index ./index
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from rag.errors import RagError

_INDEX_FILES = ("CURRENT", ".lock")


class BadIndexLocation(RagError):
    """The --index folder is somewhere an index must not be written."""


def check_index_location(index: str, docs: Iterable[str]) -> Path:
    """The index folder, resolved; raises BadIndexLocation for a dangerous or impossible one."""
    if not str(index).strip():
        raise BadIndexLocation("the index location is empty (--index or RAG_INDEX): pass a folder, e.g. --index ./index")
    path = Path(os.path.abspath(os.path.expanduser(str(index))))
    real = Path(os.path.realpath(path))
    shown = str(index)
    if real.parent == real:
        raise BadIndexLocation(f"refusing to build an index in the filesystem root ({shown}): pass a folder of its own, "
                               "e.g. --index ./index")
    if real == Path(os.path.realpath(Path.home())):
        raise BadIndexLocation(f"refusing to build an index directly in the home folder ({shown}): "
                               "pass a folder of its own, e.g. --index ~/rag-index")
    if path.exists() and not path.is_dir():
        raise BadIndexLocation(f"--index {shown} is a file, not a folder: pass a folder (it is created if missing)")
    for up in [real, *real.parents]:
        if up.name == "builds" and any((up.parent / n).exists() for n in _INDEX_FILES):
            raise BadIndexLocation(f"--index {shown} is inside the builds of the index at {up.parent}: "
                                   f"pass --index {up.parent} or another folder")
    for d in docs:
        folder = Path(os.path.realpath(os.path.expanduser(d)))
        if folder.is_dir() and (real == folder or folder in real.parents):
            raise BadIndexLocation(f"--index {shown} is inside the documents folder {d}: "
                                   "keep the index outside the documents (its files would be indexed)")
    return path
