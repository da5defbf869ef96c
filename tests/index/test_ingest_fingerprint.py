"""The build signature must see every file that decides what an index holds: a moved or renamed
file would silently stop stale indexes from being rebuilt."""
from pathlib import Path

import rag.index.build as build


def test_every_ingest_file_exists():
    base = Path(build.__file__).resolve().parent.parent
    missing = [name for name in build._INGEST_FILES if not (base / name).is_file()]
    assert missing == []


def test_the_fingerprint_changes_with_a_file(tmp_path, monkeypatch):
    before = build.ingest_fingerprint()
    monkeypatch.setattr(build, "_INGEST_FILES", build._INGEST_FILES[:-1])
    assert build.ingest_fingerprint() != before
