"""Dangerous index locations are refused with one line, exit 2, and nothing is written there."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.index.build import build_index
from rag.index.location import BadIndexLocation, check_index_location

from reliability_helpers import lexical_settings, make_corpus

ROOT = Path(__file__).resolve().parents[2]


def _rag(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=120)


@pytest.fixture()
def world(tmp_path):
    docs = make_corpus(tmp_path / "docs", 3, 111, seed=1, paragraphs=2)
    other = tmp_path / "other"
    build_index(lexical_settings(docs, other))
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    return {"docs": docs, "other": other, "file": a_file, "tmp": tmp_path}


CASES = {
    "root": lambda w: (["--index", "/"], {}),
    "RAG_INDEX=/": lambda w: ([], {"RAG_INDEX": "/"}),
    "RAG_INDEX empty": lambda w: ([], {"RAG_INDEX": ""}),
    "a file": lambda w: (["--index", str(w["file"])], {}),
    "a build of another index": lambda w: (["--index", str(next((w["other"] / "builds").iterdir()))], {}),
    "inside builds/ of another index": lambda w: (["--index", str(w["other"] / "builds" / "new")], {}),
    "the documents folder": lambda w: (["--index", str(w["docs"])], {}),
    "inside the documents": lambda w: (["--index", str(w["docs"] / "index")], {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_dangerous_index_location_is_refused(world, case):
    args, env = CASES[case](world)
    before = sorted(str(p) for p in world["tmp"].rglob("*"))
    r = _rag("index", "--docs", str(world["docs"]), "--mode", "lexical", *args, env=env, cwd=world["tmp"])
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.stderr, r.stderr
    assert sorted(str(p) for p in world["tmp"].rglob("*")) == before  # nothing written anywhere


def test_ordinary_locations_are_accepted(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    assert check_index_location(str(tmp_path / "index"), [str(docs)]) == tmp_path / "index"
    assert check_index_location(str(tmp_path / "new" / "deeper"), [str(docs)])
    with pytest.raises(BadIndexLocation):
        check_index_location("   ", [str(docs)])
