"""The command line: index, ask (text, JSON, file), help, one-line errors."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# A machine without the embedding model: retrieval falls back to BM25 and says so.
NO_MODEL = {"RAG_MODE": "auto", "RAG_EMBED_MODEL": "nobody/no-such-model"}


def rag(*args, env_extra=None, stdin=None):
    env = {**os.environ, "RAG_CONFIG": "", **(env_extra or {})}
    env.pop("RAG_CONFIG")
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                          env=env, input=stdin, timeout=120, cwd=ROOT)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli") / "index"
    r = rag("index", "--index", str(d), "--docs", str(ROOT / "seeds"), "--mode", "lexical")
    assert r.returncode == 0, r.stderr
    assert "1 documents" in r.stdout
    return d


def test_ask_text_output(index_dir):
    r = rag("ask", "天猫双11有多少品牌成交额破亿？", "--index", str(index_dir), "--mode", "lexical")
    assert r.returncode == 0, r.stderr
    assert "373" in r.stdout and "[1]" in r.stdout and "https://" in r.stdout


def test_ask_json_one_object_per_question(index_dir, tmp_path):
    qfile = tmp_path / "q.txt"
    qfile.write_text("天猫双11有多少品牌成交额破亿？\n\n拼多多双11成交额是多少？\n", encoding="utf-8")
    r = rag("ask", "--json", "--file", str(qfile), "这篇文章的作者是谁？", "--index", str(index_dir))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["question"] for row in rows] == ["这篇文章的作者是谁？", "天猫双11有多少品牌成交额破亿？", "拼多多双11成交额是多少？"]
    assert rows[1]["refused"] is False and rows[2]["refused"] is True
    assert rows[1]["citations"][0]["text"] and rows[1]["mode"]["retrieval"] == "lexical"


def test_ask_builds_the_index_when_missing(tmp_path):
    r = rag("ask", "天猫双11有多少品牌成交额破亿？", "--index", str(tmp_path / "new"), "--docs", str(ROOT / "seeds"),
            env_extra=NO_MODEL)
    assert r.returncode == 0, r.stderr
    assert "373" in r.stdout and "lexical retrieval only" in r.stderr


def test_offline_default_says_so_and_is_quick(index_dir):
    r = rag("ask", "天猫双11有多少品牌成交额破亿？", "--index", str(index_dir), env_extra=NO_MODEL)
    assert "lexical retrieval only" in r.stderr and "not available locally" in r.stderr


@pytest.mark.parametrize("cmd", [["--help"], ["index", "--help"], ["ask", "--help"], ["serve", "--help"]])
def test_help(cmd):
    r = rag(*cmd)
    assert r.returncode == 0 and "usage:" in r.stdout


def test_errors_are_one_line(tmp_path):
    r = rag("ask", "问题", "--index", str(tmp_path / "x"), "--docs", str(tmp_path / "empty"))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 2 or r.stderr.strip().startswith("warning")  # a skip warning may precede
    assert r.stderr.strip().splitlines()[-1].startswith("error: ") and "Traceback" not in r.stderr
    r = rag("ask", "--index", str(tmp_path))
    assert r.returncode == 2 and "no question given" in r.stderr and "Traceback" not in r.stderr


def test_bad_setting_is_one_line(tmp_path):
    r = rag("ask", "问题", env_extra={"RAG_K": "many"})
    assert r.returncode == 2 and "setting 'k'" in r.stderr and "Traceback" not in r.stderr


def test_lexical_ask_does_not_import_torch(index_dir):
    code = ("import sys, rag.cli; rag.cli.main(['ask', '-q', '天猫双11有多少品牌成交额破亿？', '--index', %r]);"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')" % str(index_dir))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert "NO-TORCH" in r.stdout, r.stdout + r.stderr


def test_question_after_docs_is_still_a_question(tmp_path):
    r = rag("ask", "--index", str(tmp_path / "i"), "--docs", str(ROOT / "seeds"), "天猫双11有多少品牌成交额破亿？")
    assert r.returncode == 0, r.stderr
    assert "373" in r.stdout


def test_feedback_prints_stored_ratings(tmp_path, capsys, monkeypatch) -> None:
    from rag.cli import main
    from rag.evaluation.feedback import add_feedback, feedback_path

    monkeypatch.delenv("RAG_HOME", raising=False)
    path = feedback_path(tmp_path / "index")
    add_feedback(path, "up", "天猫有多少品牌？", "373个[1]", "", ["https://example.com/a"])
    add_feedback(path, "down", "京东呢？", "无法回答", "应该能答")
    with path.open("a", encoding="utf-8") as f:
        f.write('{"cut sh')  # a write cut short is skipped, not an error
    assert main(["feedback", "--index", str(tmp_path / "index")]) == 0
    out, err = capsys.readouterr()
    assert "👍 天猫有多少品牌？" in out and "👎 京东呢？" in out and "意见：应该能答" in out
    assert "2 ratings (1 up, 1 down)" in err
    assert main(["feedback", "--json", "--index", str(tmp_path / "index")]) == 0
    assert [json.loads(line)["rating"] for line in capsys.readouterr().out.splitlines()] == ["up", "down"]
