"""Find the document files under the given folders, without being led out of them.

A symlink whose target leaves its documents folder (a link to /etc/passwd) is
skipped unless `follow_links` is set (`--follow-links`, `RAG_FOLLOW_LINKS=1`); a
link loop, a broken link and anything that is not a regular file (a FIFO, which
would block the read forever, a socket, a device) is skipped with a one-line warning.
Hidden files and folders are left out silently. Paths come sorted, as `rglob` gave them.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable, Iterator

Skip = Callable[[Path, str], None]


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def walk_files(root: Path, follow_links: bool, skip: Skip) -> Iterator[Path]:
    """Regular files under `root` (hidden ones left out), sorted; the rest reported through `skip`."""
    real_root = os.path.realpath(root)
    found: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()

    def visit(folder: Path) -> None:
        try:
            st = os.stat(folder)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skip(folder, f"cannot read the folder ({exc.strerror or exc})")
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            skip(folder, "a link loop (this folder was already read)")
            return
        seen_dirs.add(key)
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            is_link = entry.is_symlink()
            if is_link:
                target = os.path.realpath(path)
                if not os.path.exists(path):
                    skip(path, "a broken link or a link loop")
                    continue
                if not follow_links and not _inside(target, real_root):
                    skip(path, "a link that leads out of the documents folder (pass --follow-links to read it)")
                    continue
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                skip(path, f"cannot read it ({exc.strerror or exc})")
                continue
            if stat.S_ISDIR(mode):
                if is_link and not follow_links:
                    continue  # it leads back inside the folder, which is read anyway
                visit(path)
            elif stat.S_ISREG(mode):
                found.append(path)
            else:
                skip(path, "not a regular file (a FIFO, socket or device)")

    visit(Path(root))
    yield from sorted(found)
