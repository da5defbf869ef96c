"""Rebuild while serving: the server answers throughout a rebuild and switches to the new build without a restart.

Users keep asking while `rag index --force` rebuilds the index from a corpus whose
planted fact differs. Every answer must be complete and come from one build: the old
one until the new one is committed, then the new one (never back), with no error and
no request stalled. A new build that does not load is not served; the old keeps serving.
"""
from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag.index.build import build_index
from rag.live import LivePipeline
from rag.index.store import POINTER, current_build

from reliability_helpers import QUESTION, lexical_settings, make_corpus

OLD, NEW = "111亿元", "222亿元"


@pytest.fixture()
def corpora(tmp_path):
    return make_corpus(tmp_path / "old", 300, 111, seed=1), make_corpus(tmp_path / "new", 300, 222, seed=2)


def _rebuild(docs: Path, index: Path) -> float:
    """Run `rag index --force` as another process would; returns when it has finished."""
    subprocess.run([sys.executable, "-m", "rag.cli", "index", "--docs", str(docs), "--index", str(index),
                    "--mode", "lexical", "--force", "-q"], check=True, capture_output=True, timeout=300)
    return time.monotonic()


class Users:
    """Threads asking QUESTION until stopped; each records (time sent, seconds taken, fact seen or error)."""

    def __init__(self, ask, n: int) -> None:
        self.ask, self.stop = ask, threading.Event()
        self.log: list[list[tuple[float, float, str]]] = [[] for _ in range(n)]
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)]

    def _run(self, i: int) -> None:
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                answer = self.ask()
                seen = "old" if OLD in answer and NEW not in answer else "new" if NEW in answer and OLD not in answer \
                    else f"wrong: {answer[:80]}"
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                seen = f"error: {type(exc).__name__}: {exc}"
            self.log[i].append((t, time.monotonic() - t, seen))

    def __enter__(self) -> "Users":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def wait_past(self, switched_at, timeout: float = 30.0) -> None:
        """Until every user has sent a request after the switch (`switched_at()`, None before it): a
        fixed sleep left a slow user (a loaded machine) with none, which `check` reads as a failure."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            t = switched_at()
            if t is not None and all(any(sent > t for sent, _, _ in list(log)) for log in self.log):
                return
            time.sleep(0.05)

    def check(self, switched_at: float, first: str, then: str) -> dict:
        """Every answer is `first` or `then`, each user sees `first` then `then` (never back),
        and every request sent after the switch got `then`."""
        for log in self.log:
            seen = [s for _, _, s in log]
            assert all(s in (first, then) for s in seen), [s for s in seen if s not in (first, then)][:3]
            assert seen == sorted(seen, key=lambda s: s == then), "a user went back to the old build"
            late = [s for t, _, s in log if t > switched_at]
            assert late and all(s == then for s in late), "requests after the rebuild still got the old build"
        took = sorted(d for log in self.log for _, d, _ in log)
        return {"requests": len(took), "max_s": took[-1], "p95_s": took[int(0.95 * (len(took) - 1))],
                "old": sum(s == first for log in self.log for *_, s in log)}


def test_live_pipeline_switches_without_restart(corpora, tmp_path):
    old, new = corpora
    index = tmp_path / "index"
    build_index(lexical_settings(old, index))
    live = LivePipeline(lexical_settings(old, index))
    first_build = live.build
    with Users(lambda: live.current().ask(QUESTION).answer, 8) as users:
        time.sleep(0.3)
        started = time.monotonic()
        done = _rebuild(new, index)
        users.wait_past(lambda: live.switched_at)
    assert live.switches == 1 and started < live.switched_at < done + 2  # the first request after the commit switched
    stats = users.check(live.switched_at, "old", "new")
    print(f"\nin-process, 8 users through a rebuild: {stats}")
    assert stats["old"] > 0 and live.build != first_build
    assert live.build == (index / POINTER).read_text().strip()
    assert stats["max_s"] < 5, stats  # nobody waited for the new build to load
    with Users(lambda: live.current().ask(QUESTION).answer, 4) as users:  # and back again
        started = time.monotonic()
        done = _rebuild(old, index)
        users.wait_past(lambda: live.switched_at if live.switches == 2 else None)
    assert live.switches == 2 and started < live.switched_at < done + 2
    users.check(live.switched_at, "new", "old")


def test_a_new_build_that_does_not_load_is_not_served(corpora, tmp_path, caplog):
    old, new = corpora
    index = tmp_path / "index"
    build_index(lexical_settings(old, index))
    live = LivePipeline(lexical_settings(old, index))
    served = live.build
    # A "new build" whose chunks file is damaged, pointed at as if a rebuild had committed it.
    bad = index / "builds" / "20990101T000000000000-broken00"
    shutil.copytree(current_build(index), bad)
    with open(bad / "chunks.jsonl", "r+b") as f:
        f.write(b"X")
    (index / POINTER).write_text(f"builds/{bad.name}\n")
    with caplog.at_level(logging.WARNING, logger="rag"):
        answers = [live.current().ask(QUESTION).answer for _ in range(5)]
    assert all(OLD in a for a in answers) and live.build == served
    warnings = [r.getMessage() for r in caplog.records if "not loaded" in r.getMessage()]
    assert len(warnings) == 1 and "chunks.jsonl" in warnings[0]
    _rebuild(new, index)  # a good build after the bad one is picked up
    assert NEW in live.current().ask(QUESTION).answer and live.switches == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gradio_server_answers_throughout_a_rebuild(corpora, tmp_path):
    pytest.importorskip("gradio")
    from gradio_client import Client

    from ui.app import create_app, serve

    old, new = corpora
    index = tmp_path / "index"
    build_index(lexical_settings(old, index))
    live = LivePipeline(lexical_settings(old, index))
    demo = create_app(live)
    url = serve(demo, "127.0.0.1", _free_port())
    try:
        clients = [Client(url, verbose=False) for _ in range(6)]
        local = threading.local()
        pool = iter(clients)
        lock = threading.Lock()

        def ask() -> str:
            if not hasattr(local, "client"):
                with lock:
                    local.client = next(pool)
            return local.client.predict(QUESTION, api_name="/ask")["answer"]

        with Users(ask, len(clients)) as users:
            time.sleep(0.5)
            started = time.monotonic()
            done = _rebuild(new, index)
            users.wait_past(lambda: live.switched_at)
        assert live.switches == 1 and started < live.switched_at < done + 2
        stats = users.check(live.switched_at, "old", "new")
        print(f"\ngradio server, 6 clients through a rebuild: {stats}")
        assert stats["old"] > 0
        assert stats["max_s"] < 10, stats
    finally:
        demo.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count open files")
def test_many_rebuilds_leak_no_files(tmp_path):
    old, new = make_corpus(tmp_path / "old", 20, 111, seed=1), make_corpus(tmp_path / "new", 20, 222, seed=2)
    index = tmp_path / "index"
    build_index(lexical_settings(old, index))
    live = LivePipeline(lexical_settings(old, index))
    counts = []
    for i in range(12):
        docs, fact = (new, NEW) if i % 2 == 0 else (old, OLD)
        build_index(lexical_settings(docs, index), force=True)
        assert fact in live.current().ask(QUESTION).answer
        counts.append(_open_fds())
    assert live.switches == 12
    assert counts[-1] <= counts[2] + 2, counts  # old builds' open files are closed, not kept
    assert len(list((index / "builds").iterdir())) <= 2
