"""One contract every store keeps: the local index folder and Milvus (Lite, a `.db` file here).

Both are built from the seeds with a tiny embedding model made here, and must answer the
same questions with full Chunks, ranked from 0, in every mode. Milvus cases skip (with the
reason) only where Milvus Lite cannot start.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexMissing, RagError
from rag.index.build import build_index, index_text
from rag.index.embedder import SentenceTransformerEmbedder
from rag.settings import load_settings
from tiny_models import make_tiny_sentence_transformer

ROOT = Path(__file__).resolve().parents[2]
SEED_TEXT = (ROOT / "seeds" / "000_63f0bc8c7ce5e8c2.txt").read_text(encoding="utf-8")
QUESTION = "天猫双十一有多少品牌成交额破亿？"
MODES = ("lexical", "dense", "hybrid")


def _milvus_or_skip(path: Path) -> None:
    try:
        from rag.index.milvus import connect

        connect(str(path)).close()
    except Exception as exc:  # noqa: BLE001 - any reason Milvus Lite cannot start here
        pytest.skip(f"Milvus Lite cannot start here: {exc}")


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    model = make_tiny_sentence_transformer(tmp_path_factory.mktemp("tiny"), SEED_TEXT)
    work = tmp_path_factory.mktemp("stores")
    return load_settings({"docs": [str(ROOT / "seeds")], "index": str(work / "index"), "embed_model": str(model),
                          "mode": "hybrid", "store": str(work / "kb.db")}, env={})


@pytest.fixture(scope="module")
def embedder(settings):
    return SentenceTransformerEmbedder(settings.embed_model, "cpu")


@pytest.fixture(scope="module", params=["local", "milvus"])
def store(request, settings, embedder):
    from rag.retrieve.stores import open_store

    if request.param == "local":
        build_index(settings, embedder=embedder)
        s = open_store(settings.index)
    else:
        _milvus_or_skip(Path(settings.store))
        from rag.index.milvus_build import build_milvus

        build_milvus(settings, embedder=embedder)
        s = open_store(settings.store)
    yield s
    s.close()


def _query_vector(embedder, q: str) -> np.ndarray:
    return embedder.embed([q])[0]


@pytest.mark.parametrize("mode", MODES)
def test_search_returns_full_chunks_ranked(store, embedder, mode):
    hits = store.search(QUESTION, _query_vector(embedder, QUESTION), 5, mode)
    assert 0 < len(hits) <= 5
    assert [h.rank for h in hits] == list(range(len(hits)))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for h in hits:
        c = h.chunk
        assert c.chunk_id.startswith(c.doc_id) and c.text and c.title and c.url.startswith("http")
        assert 0 <= c.start < c.end and c.end - c.start == len(c.text)  # offsets survive the store
    assert len({h.chunk.chunk_id for h in hits}) == len(hits)


def test_lexical_finds_the_answer(store):
    hits = store.search(QUESTION, None, 3, "lexical")
    assert any("373个品牌成交额破亿" in h.chunk.text for h in hits)
    assert store.search("", None, 3, "lexical") == []


def test_info_says_what_it_is(store):
    info = store.info()
    assert info["kind"] in ("local", "milvus-lite", "milvus")
    assert info["chunks"] == 18 and info["dense"] is True


def test_bad_mode_is_one_line(store):
    with pytest.raises(RagError, match="unknown retrieval mode"):
        store.search(QUESTION, None, 3, "fuzzy")


def test_add_and_delete_by_document(store, embedder):
    from rag.types import Chunk

    if store.info()["kind"] == "local":
        with pytest.raises(RagError, match="run `rag index`"):
            store.delete(["x"])
        assert store.info()["chunks"] == 18
        return
    texts = ["拼多多年货节订单量增长了五成。", "拼多多的百亿补贴覆盖更多农产品。"]
    new = [Chunk(f"new-doc:{i}", "new-doc", "拼多多年货节", "https://example.com/n", "正文", t, 0, len(t))
           for i, t in enumerate(texts)]
    vecs = embedder.embed([index_text(c) for c in new])
    assert store.add(new, vecs) == 2
    assert store.info()["chunks"] == 20
    top = store.search("拼多多年货节订单量", None, 1, "lexical")[0]
    assert top.chunk == new[0]  # every field back as it went in
    assert store.add(new[:1], vecs[:1]) == 1 and store.info()["chunks"] == 20  # same chunk again: replaced
    assert store.delete(["new-doc"]) == 2
    assert store.info()["chunks"] == 18
    assert all(h.chunk.doc_id != "new-doc" for h in store.search("拼多多年货节", None, 5, "lexical"))
    assert store.delete(["new-doc"]) == 0


def test_milvus_schema_and_term_weights_match_the_local_index(settings, store):
    if store.info()["kind"] == "local":
        pytest.skip("Milvus only")
    from rag.index.loaded import load_index
    from rag.index.milvus import SCHEMA_VERSION

    local = load_index(Path(settings.index))
    assert store.info()["schema_version"] == SCHEMA_VERSION
    assert store.max_idf == pytest.approx(local.bm25.max_idf)
    for t in local.tokenizer.terms(QUESTION) + ["从未出现的词"]:
        a, b = local.bm25.idf_of(t), store.idf_of(t)
        assert (a is None and b is None) or a == pytest.approx(b, rel=1e-5), t


def test_milvus_crash_mid_build_leaves_the_old_build(settings, embedder, monkeypatch, tmp_path):
    from rag.index import milvus
    from rag.index.milvus_build import build_milvus
    from rag.retrieve.stores import open_store

    db = tmp_path / "crash.db"
    _milvus_or_skip(db)
    s = settings.replace(store=str(db))
    with pytest.raises(IndexMissing, match="run `rag index --store"):
        open_store(s.store)
    build_milvus(s, embedder=embedder)
    with open_store(s.store) as st:
        before = st.collection

    def boom(*a, **k):
        raise RuntimeError("killed mid-build")

    monkeypatch.setattr(milvus, "insert_terms", boom)
    assert build_milvus(s, embedder=embedder).up_to_date  # same documents, same settings: nothing to do
    with pytest.raises(RuntimeError):
        build_milvus(s, embedder=embedder, force=True)
    monkeypatch.undo()
    with open_store(s.store) as st:
        assert st.collection == before and st.info()["chunks"] == 18
        assert st.search(QUESTION, None, 1, "lexical")
    build_milvus(s.replace(mode="lexical"), embedder=embedder)
    with open_store(s.store) as st:
        names = set(st.client.list_collections())
        assert st.collection != before and not st.dense
        assert names == {"rag_catalog", st.collection, st.meta["terms"]}  # the old build is gone


def test_cli_answers_from_milvus(settings, tmp_path, capsys):
    from rag.cli import main

    db = tmp_path / "cli.db"
    _milvus_or_skip(db)
    argv = ["--docs", str(ROOT / "seeds"), "--store", str(db), "--mode", "lexical"]
    assert main(["index", *argv]) == 0
    assert main(["index", *argv]) == 0
    assert "index up to date" in capsys.readouterr().out.splitlines()[-1]  # same documents: nothing rebuilt
    assert main(["ask", *argv, "--json", QUESTION]) == 0
    import json

    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["mode"]["store"] == "milvus-lite" and out["mode"]["store_uri"] == str(db)
    assert "373" in out["answer"] and out["citations"] and not out["refused"]


def test_uri_picks_the_store():
    from rag.index.stores import is_milvus

    assert is_milvus("demo.db") and is_milvus("http://127.0.0.1:19530") and is_milvus("https://m.example:19530")
    assert not is_milvus("index/") and not is_milvus("") and not is_milvus("kb.dbx")


def test_without_pymilvus_the_message_names_the_extra(monkeypatch, tmp_path):
    import sys

    from rag.errors import MissingDependency
    from rag.index.milvus import connect

    monkeypatch.setitem(sys.modules, "pymilvus", None)  # import pymilvus now raises ImportError
    with pytest.raises(MissingDependency, match=r"\[milvus\]"):
        connect(str(tmp_path / "x.db"))


def test_bad_knowledge_base_name_is_one_line(tmp_path):
    from rag.index.milvus import check_kb

    assert check_kb("default") == "default"
    for bad in ("", "1kb", "a-b", "知识库", "x" * 60):
        with pytest.raises(RagError, match="not allowed"):
            check_kb(bad)


def test_pipeline_answers_hybrid_from_milvus(settings, store):
    if store.info()["kind"] == "local":
        pytest.skip("Milvus only")
    from rag.store_pipeline import open_any

    pipe = open_any(settings)
    try:
        answer = pipe.ask(QUESTION)
        assert answer.mode["retrieval"] == "hybrid" and answer.mode["store"] == "milvus-lite"
        assert answer.mode["embedding_model"] == settings.embed_model
        assert "373" in answer.answer and answer.citations and not answer.refused
        assert pipe.search(QUESTION, mode="dense")[0].source == "dense"
        refused = pipe.ask("拼多多的年货节成交额是多少？")  # no document talks about 拼多多
        assert refused.refused
    finally:
        pipe.close()
