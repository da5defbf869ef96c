"""Pruning old builds removes only folders `rag index` made: never a user's folder, file or symlink."""
from __future__ import annotations

import os
from pathlib import Path

from rag.index.build import build_index
from rag.index.store import KEEP_BUILDS, MARKER

from reliability_helpers import Version, lexical_settings, make_corpus, served


def test_pruning_leaves_user_folders_links_and_look_alikes(tmp_path):
    docs = make_corpus(tmp_path / "docs", 3, 111, seed=1, paragraphs=2)
    index = tmp_path / "index"
    build_index(lexical_settings(docs, index))
    builds = index / "builds"
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "thesis.txt").write_text("do not delete")
    user = {
        "notes": "a folder of the user's",
        "20200101T000000000000-deadbeef": "named like a build, but not made by rag",
        ".tmp-20200101T000000000000-deadbeef": "named like a crashed build, but not made by rag",
        ".tmp-mine": "a hidden folder of the user's",
    }
    for name, text in user.items():
        (builds / name).mkdir()
        (builds / name / "keep.txt").write_text(text)
    os.symlink(outside, builds / "20190101T000000000000-cafebabe")  # sorts oldest: first to be pruned
    os.symlink(outside, builds / ".tmp-20190101T000000000000-cafebabe")
    (builds / "readme.txt").write_text("a file")
    (index / ".CURRENT.notes").write_text("a user's file that looks like a pointer leftover")
    for _ in range(KEEP_BUILDS + 2):
        build_index(lexical_settings(docs, index), force=True)
    for name, text in user.items():
        assert (builds / name / "keep.txt").read_text() == text, name
    assert (outside / "thesis.txt").read_text() == "do not delete"
    assert (builds / "20190101T000000000000-cafebabe").is_symlink()
    assert (builds / "readme.txt").is_file() and (index / ".CURRENT.notes").is_file()
    made = [p for p in builds.iterdir() if (p / MARKER).is_file() and not p.is_symlink()]
    assert len(made) == KEEP_BUILDS, sorted(p.name for p in made)
    assert served(index, [Version.of("v", docs, 111)]).name == "v"


def test_builds_of_an_older_version_without_the_marker_are_still_pruned(tmp_path):
    docs = make_corpus(tmp_path / "docs", 3, 111, seed=1, paragraphs=2)
    index = tmp_path / "index"
    for _ in range(KEEP_BUILDS + 1):
        build_index(lexical_settings(docs, index), force=True)
    for p in (index / "builds").iterdir():
        (p / MARKER).unlink()  # as an index written before the marker existed
    build_index(lexical_settings(docs, index), force=True)
    assert len(list((index / "builds").iterdir())) == KEEP_BUILDS
