"""A write that fails mid-build (full disk, read-only folder) ends the build with one line, exit 2,
and the previous index keeps serving: a failed write is never committed.

Two injections: strace makes the kernel answer the Nth write(2) of a real `rag index` with
ENOSPC (what `np.save` to a path used to swallow, committing a truncated file), and a
pure-Python one makes `os.write` raise at the Nth call, at every write the build makes.
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rag.index.durable as durable
from rag.errors import RagError
from rag.index.build import build_index
from rag.index.store import POINTER

from reliability_helpers import Version, lexical_settings, make_corpus, served

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}


def _two_versions(tmp_path: Path) -> list[Version]:
    a = make_corpus(tmp_path / "old", 5, 111, seed=1, paragraphs=2)
    b = make_corpus(tmp_path / "new", 5, 222, seed=2, paragraphs=2)
    return [Version.of("old", a, 111), Version.of("new", b, 222)]


def _index_cmd(docs: Path, index: Path) -> list[str]:
    return [sys.executable, "-m", "rag.cli", "index", "--force", "--docs", str(docs), "--index", str(index),
            "--mode", "lexical", "-q"]


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (apt-get install strace)")
@pytest.mark.parametrize("when", [3, 5, 8, 12])
def test_enospc_injected_by_strace_leaves_the_previous_index_serving(tmp_path, when):
    versions = _two_versions(tmp_path)
    index = tmp_path / "index"
    build_index(lexical_settings(versions[0].docs, index))
    before = (index / POINTER).read_text()
    cmd = ["strace", "-f", "-o", os.devnull, "-e", f"inject=write:error=ENOSPC:when={when}",
           *_index_cmd(versions[1].docs, index)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=120)
    if "PTRACE" in proc.stderr or "Operation not permitted" in proc.stderr and proc.returncode != 2:
        pytest.skip(f"strace cannot trace here: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "Traceback" not in proc.stderr, lines
    assert (index / POINTER).read_text() == before
    assert served(index, versions) is versions[0]


class _FullDisk:
    """`os.write` that fails with ENOSPC from its `fail_at`-th call on (0: never), counting calls."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at, self.calls, self.real = fail_at, 0, os.write

    def __call__(self, fd: int, data) -> int:
        self.calls += 1
        if self.fail_at and self.calls >= self.fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real(fd, data)


def test_enospc_at_every_write_of_a_build_keeps_the_previous_index(tmp_path, monkeypatch):
    versions = _two_versions(tmp_path)
    index = tmp_path / "index"
    build_index(lexical_settings(versions[0].docs, index))
    counter = _FullDisk(0)
    monkeypatch.setattr(durable.os, "write", counter)
    build_index(lexical_settings(versions[1].docs, index), force=True)
    writes = counter.calls
    assert writes >= 10  # every index file goes through a checked write
    build_index(lexical_settings(versions[0].docs, index), force=True)
    for n in range(1, writes + 1):
        monkeypatch.setattr(durable.os, "write", _FullDisk(n))
        with pytest.raises(RagError) as err:
            build_index(lexical_settings(versions[1].docs, index), force=True)
        assert "No space left on device" in str(err.value) and "\n" not in str(err.value)
        assert served(index, versions) is versions[0], n
        assert not [p for p in (index / "builds").iterdir() if p.name.startswith(".tmp-")]


def test_a_short_file_on_disk_is_refused_before_the_switch(tmp_path, monkeypatch):
    """A write the kernel reports done but that did not reach the file (size on disk disagrees)."""
    versions = _two_versions(tmp_path)
    index = tmp_path / "index"
    build_index(lexical_settings(versions[0].docs, index))
    real = os.fstat

    def short_fstat(fd):
        st = real(fd)
        return os.stat_result((*st[:6], max(0, st.st_size - 1), *st[7:]))

    monkeypatch.setattr(durable.os, "fstat", short_fstat)
    with pytest.raises(RagError, match="cannot write the index"):
        build_index(lexical_settings(versions[1].docs, index), force=True)
    assert served(index, versions) is versions[0]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes to read-only folders")
def test_read_only_index_folder_is_one_line_exit_2(tmp_path):
    versions = _two_versions(tmp_path)
    index = tmp_path / "index"
    build_index(lexical_settings(versions[0].docs, index))
    os.chmod(index / "builds", 0o555)
    try:
        proc = subprocess.run(_index_cmd(versions[1].docs, index), capture_output=True, text=True, env=_env(),
                              timeout=120)
    finally:
        os.chmod(index / "builds", 0o755)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert served(index, versions) is versions[0]


def test_faiss_index_write_errors_raise(tmp_path, monkeypatch):
    import numpy as np

    from rag.index.vectors import _faiss, save_index

    faiss = _faiss()
    index = faiss.IndexFlatIP(8)
    index.add(np.random.default_rng(0).random((5000, 8), dtype=np.float32))
    save_index(index, tmp_path / "ok.faiss")
    assert (tmp_path / "ok.faiss").read_bytes() == faiss.serialize_index(index).tobytes()
    monkeypatch.setattr(durable.os, "write", _FullDisk(1))
    with pytest.raises(OSError, match="No space left"):
        save_index(index, tmp_path / "full.faiss")
