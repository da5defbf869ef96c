"""Knowledge bases: separate documents and indexes by name, one-line errors for what does not exist,
and the demo documents inside a built wheel."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rag import kb
from rag.errors import RagError
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def rag(*args, home: Path):
    env = {k: v for k, v in os.environ.items() if k != "RAG_CONFIG"}
    env["RAG_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=ROOT)


def test_names_and_locations(tmp_path):
    env = {"RAG_HOME": str(tmp_path)}
    assert kb.names(env) == ["default"]
    assert kb.kb_dir("新闻", env) == tmp_path / "kb" / "新闻"
    for bad in ("", "../x", ".hidden", "a/b", "x" * 65):
        with pytest.raises(RagError, match="not a valid knowledge base name"):
            kb.kb_dir(bad, env)
    kb.create("news", (str(ROOT / "eval" / "distractors"),), env=env)
    assert kb.names(env) == ["default", "news"]
    with pytest.raises(RagError, match="already exists"):
        kb.create("news", env=env)
    with pytest.raises(RagError, match="existing ones are default, news"):
        kb.get("nws", env)


def test_settings_follow_the_knowledge_base(tmp_path):
    env = {"RAG_HOME": str(tmp_path)}
    kb.create("news", (str(ROOT / "eval" / "distractors"),), {"k": 7}, env=env)
    s = load_settings({"kb": "news"}, env=env)
    assert s.index == str(tmp_path / "kb" / "news")
    assert s.docs == (str((ROOT / "eval" / "distractors").resolve()),) and s.k == 7
    assert load_settings({"kb": "news", "k": 3}, env=env).k == 3  # the command line still wins
    assert load_settings({}, env=env).docs == (str(kb.seeds_dir()),)  # default: the demo article
    assert load_settings({"kb": "new"}, env=env).docs == ()  # not created: no documents, not the demo


def test_delete_only_marked_folders(tmp_path):
    env = {"RAG_HOME": str(tmp_path)}
    with pytest.raises(RagError, match="cannot be deleted"):
        kb.delete("default", env)
    stray = tmp_path / "kb" / "mine"
    stray.mkdir(parents=True)
    (stray / "keep.txt").write_text("user data")
    with pytest.raises(RagError, match="no knowledge base 'mine'"):
        kb.delete("mine", env)
    assert (stray / "keep.txt").exists()


def test_cli_index_ask_list_delete(tmp_path):
    r = rag("index", "--kb", "news", "--docs", str(ROOT / "eval" / "distractors"), "-q", home=tmp_path)
    assert r.returncode == 0, r.stderr
    r = rag("kb", "list", home=tmp_path)
    assert r.returncode == 0 and "news\t7 documents" in r.stdout
    r = rag("ask", "--kb", "news", "--json", "天猫双11有多少品牌成交额破亿？", home=tmp_path)
    out = json.loads(r.stdout)
    assert all(c["doc_id"] != "000_63f0bc8c7ce5e8c2" for c in out["citations"])  # the demo is not in this base
    info = json.loads(rag("kb", "info", "news", "--json", home=tmp_path).stdout)
    assert info["index"]["documents"] == 7
    assert rag("kb", "delete", "news", home=tmp_path).returncode == 0
    assert "news" not in rag("kb", "list", home=tmp_path).stdout


@pytest.mark.parametrize("args, message", [
    (("ask", "--kb", "nws", "问题"), "no knowledge base 'nws': existing ones are default"),
    (("ask", "--index", "{tmp}/typo", "问题"), "no index at"),
    (("index", "--kb", "empty"), "no knowledge base 'empty'"),
    (("kb", "delete", "default"), "cannot be deleted"),
    (("kb", "create", "../x"), "not a valid knowledge base name"),
])
def test_mistakes_are_one_line_and_build_nothing(tmp_path, args, message):
    r = rag(*[a.replace("{tmp}", str(tmp_path)) for a in args], home=tmp_path / "home")
    assert r.returncode == 2 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "typo").exists() and not (tmp_path / "home" / "kb").exists()


def test_a_wheel_carries_the_demo_documents(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                        "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        pytest.skip(f"pip wheel failed here: {r.stderr.strip().splitlines()[-1:]}")
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    seeds = sorted(p.name for p in (ROOT / "seeds").glob("*.txt"))
    assert seeds and all(f"rag/seeds/{n}" in names for n in seeds)
