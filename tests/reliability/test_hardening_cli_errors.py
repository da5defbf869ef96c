"""Bad input through the real CLI: exactly one line on stderr, exit code 2, never a traceback.

Table-driven: each case is (command line, environment, files in the working folder). The full-disk
case lives in test_hardening_disk.py (it needs strace or an injected os.write).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reliability_helpers import make_corpus

ROOT = Path(__file__).resolve().parents[2]

# name: (argv after `rag`, extra environment, {file name: text} written in the working folder)
CASES = {
    "--index is a file": (["index", "--index", "{file}"], {}, {}),
    "--index in /proc (cannot be created)": (["index", "--index", "/proc/rag-hardening-index"], {}, {}),
    "chunk size equal to overlap": (["index", "--chunk-size", "80", "--chunk-overlap", "80"], {}, {}),
    "chunk size below overlap": (["index", "--chunk-size", "50"], {}, {}),
    "chunk size zero": (["index", "--chunk-size", "0"], {}, {}),
    "chunk size negative": (["index", "--chunk-size", "-5"], {}, {}),
    "negative overlap": (["index", "--chunk-overlap", "-1"], {}, {}),
    "rag.toml: rag = 5": (["index"], {}, {"rag.toml": "rag = 5\n"}),
    "rag.toml: k is text": (["ask", "星河"], {}, {"rag.toml": '[rag]\nk = "many"\n'}),
    "rag.toml: k = 1e400": (["ask", "星河"], {}, {"rag.toml": "[rag]\nk = 1e400\n"}),
    "rag.toml: k = true": (["ask", "星河"], {}, {"rag.toml": "[rag]\nk = true\n"}),
    "rag.toml: docs = 5": (["index"], {}, {"rag.toml": "[rag]\ndocs = 5\n"}),
    "rag.toml: not TOML": (["index"], {}, {"rag.toml": "rag = [\n"}),
    "--k 1e400": (["ask", "--k", "1e400", "星河"], {}, {}),
    "--k 0": (["ask", "--k", "0", "星河"], {}, {}),
    "unknown flag": (["index", "--bogus"], {}, {}),
    "unknown command": (["frobnicate"], {}, {}),
    "--port 99999": (["serve", "--port", "99999"], {}, {}),
    "--port 0": (["serve", "--port", "0"], {}, {}),
    "RAG_CONCURRENCY=abc": (["serve", "--port", "1"], {"RAG_CONCURRENCY": "abc"}, {}),
    "RAG_MAX_BODY_BYTES=1e9": (["serve", "--port", "1"], {"RAG_MAX_BODY_BYTES": "1e9"}, {}),
    "--auth without a password": (["serve", "--port", "1", "--auth", "ann"], {}, {}),
    "RAG_K=abc": (["ask", "星河"], {"RAG_K": "abc"}, {}),
    "RAG_FOLLOW_LINKS=maybe": (["index"], {"RAG_FOLLOW_LINKS": "maybe"}, {}),
    "RAG_TEMPERATURE=nan": (["ask", "星河"], {"RAG_TEMPERATURE": "nan"}, {}),
    "no documents (quiet)": (["index", "-q", "--docs", "{missing}"], {}, {}),
}


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("docs"), 2, 111, seed=1, paragraphs=2)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2(tmp_path, docs, case):
    argv, env, files = CASES[case]
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    argv = [a.format(file=a_file, missing=tmp_path / "missing") for a in argv]
    if argv[0] in ("index", "ask", "serve") and "--docs" not in argv and "rag.toml" not in files:
        argv += ["--docs", str(docs)]
    if argv[0] in ("index", "ask", "serve") and "--index" not in argv and "rag.toml" not in files:
        argv += ["--index", str(tmp_path / "index"), "--mode", "lexical"]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    full_env.update({"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", **env})
    r = subprocess.run([sys.executable, "-m", "rag.cli", *argv], capture_output=True, text=True, env=full_env,
                       cwd=tmp_path, timeout=120, stdin=subprocess.DEVNULL)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
