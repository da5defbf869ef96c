"""Symlinks in --docs are not followed out of the documents folder unless asked; loops and FIFOs are
reported as skipped, and a FIFO never blocks the build."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.ingest.corpus import load_corpus
from rag.settings import load_settings


@pytest.fixture()
def docs(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.txt").write_text("星河科技年度报告。营业收入为111亿元。", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:机密口令在这里", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.txt").write_text("外部文件夹的机密文件内容。", encoding="utf-8")
    os.symlink(secret, docs / "passwd.txt")  # a file link leading out
    os.symlink(outside, docs / "elsewhere")  # a folder link leading out
    os.symlink(docs / "a.txt", docs / "sub" / "same.txt")  # a link that stays inside
    os.symlink(docs, docs / "sub" / "loop")  # a loop
    os.symlink(tmp_path / "nothing.txt", docs / "broken.txt")
    os.mkfifo(docs / "pipe.txt")
    return docs


def test_links_leading_out_are_skipped_by_default(docs):
    corpus = load_corpus([str(docs)])
    texts = " ".join(d.text for d in corpus.documents)
    assert "机密" not in texts and "111亿元" in texts
    why = "\n".join(corpus.skipped)
    assert "passwd.txt" in why and "elsewhere" in why and "--follow-links" in why
    assert "pipe.txt" in why and "FIFO" in why
    assert "broken.txt" in why


def test_follow_links_reads_them_and_reports_the_loop(docs):
    corpus = load_corpus([str(docs)], follow_links=True)
    texts = " ".join(d.text for d in corpus.documents)
    assert "机密口令" in texts and "外部文件夹" in texts
    assert any("loop" in line for line in corpus.skipped)
    assert any("pipe.txt" in line for line in corpus.skipped)


def test_follow_links_is_a_setting(tmp_path):
    assert load_settings({}, env={}).follow_links is False
    assert load_settings({}, env={"RAG_FOLLOW_LINKS": "1"}).follow_links is True
    assert load_settings({"follow_links": True}, env={}).follow_links is True
