"""No rebuild storms: a touched-but-unchanged file is re-checked once, not on every question; a build
that waited for another one's lock uses that build instead of building again; questions asked while
a rebuild runs are answered from the current index; a lock wait has a limit and a clear message."""
from __future__ import annotations

import os
import time

import pytest

import rag.index.build as build_module
from rag.index.build import build_index
from rag.index.store import LockTimeout, build_lock, build_running
from rag.pipeline import Pipeline

from reliability_helpers import QUESTION, lexical_settings, make_corpus


class _Counter:
    def __init__(self, real):
        self.real, self.calls = real, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.real(*args, **kwargs)


def test_touch_is_checked_once_then_questions_stop_rechecking(tmp_path, monkeypatch):
    docs = make_corpus(tmp_path / "docs", 3, 111, seed=1, paragraphs=2)
    settings = lexical_settings(docs, tmp_path / "index")
    first = build_index(settings)
    later = time.time() + 5
    for f in docs.iterdir():
        os.utime(f, (later, later))  # touched: new mtimes, same bytes
    builds = _Counter(build_module.build_index)
    monkeypatch.setattr(build_module, "build_index", builds)
    commits = _Counter(build_module.commit_build)
    monkeypatch.setattr(build_module, "commit_build", commits)
    for _ in range(3):
        pipe = Pipeline.open(settings)
        assert "111" in pipe.ask(QUESTION).answer
    assert builds.calls == 1, builds.calls  # one content check after the touch, then none
    assert commits.calls == 0  # and it built nothing
    assert pipe.index.path.name == os.path.basename(first.path)
    (docs / "xinghe.txt").write_text("星河科技年度报告\n星河科技2024年的营业收入为333亿元。", encoding="utf-8")
    pipe = Pipeline.open(settings)  # a real change is still noticed
    assert "333" in pipe.ask(QUESTION).answer and commits.calls == 1


def test_a_build_that_waited_for_the_lock_does_not_build_again(tmp_path, monkeypatch):
    docs = make_corpus(tmp_path / "docs", 3, 111, seed=1, paragraphs=2)
    settings = lexical_settings(docs, tmp_path / "index")
    build_index(settings)
    (docs / "new.txt").write_text("新增的一篇报告，内容是营业收入。", encoding="utf-8")
    stale_previous = build_module._previous(tmp_path / "index")
    other = build_index(settings)  # "another process" finishes first, while this one waits
    real_previous = build_module._previous
    answers = iter([stale_previous])  # what this build saw before it waited; then what is on disk
    monkeypatch.setattr(build_module, "_previous", lambda root: next(answers, None) or real_previous(root))
    commits = _Counter(build_module.commit_build)
    monkeypatch.setattr(build_module, "commit_build", commits)
    report = build_index(settings)
    assert report.up_to_date and report.path == other.path and commits.calls == 0



def test_questions_during_a_rebuild_use_the_current_index(tmp_path):
    docs = make_corpus(tmp_path / "docs", 3, 111, seed=1, paragraphs=2)
    settings = lexical_settings(docs, tmp_path / "index")
    build_index(settings)
    (docs / "xinghe.txt").write_text("星河科技年度报告\n星河科技2024年的营业收入为333亿元。", encoding="utf-8")
    pid = os.fork()
    if pid == 0:  # another process holds the build lock for a while
        with build_lock(tmp_path / "index"):
            time.sleep(3)
        os._exit(0)
    try:
        deadline = time.time() + 2
        while not build_running(tmp_path / "index") and time.time() < deadline:
            time.sleep(0.05)
        t = time.perf_counter()
        pipe = Pipeline.open(settings)
        assert time.perf_counter() - t < 2.5  # did not wait for the lock
        assert "111" in pipe.ask(QUESTION).answer
    finally:
        os.waitpid(pid, 0)


def test_lock_wait_has_a_limit_and_a_message(tmp_path, monkeypatch):
    index = tmp_path / "index"
    pid = os.fork()
    if pid == 0:
        with build_lock(index):
            time.sleep(3)
        os._exit(0)
    try:
        deadline = time.time() + 2
        while not build_running(index) and time.time() < deadline:
            time.sleep(0.05)
        monkeypatch.setenv("RAG_LOCK_TIMEOUT_S", "0.5")
        t = time.perf_counter()
        with pytest.raises(LockTimeout, match="RAG_LOCK_TIMEOUT_S"):
            with build_lock(index):
                pass
        assert time.perf_counter() - t < 2
    finally:
        os.waitpid(pid, 0)
