"""The real dense path on a tiny sentence-transformers model built here: embed, FAISS, hybrid, reuse."""
import time
from pathlib import Path

import numpy as np
import pytest

from rag.index.build import build_index
from rag.index.embedder import SentenceTransformerEmbedder, locate_model
from rag.errors import IndexMismatch, ModelUnavailable
from rag.pipeline import Pipeline
from rag.settings import load_settings
from tiny_models import make_tiny_sentence_transformer

ROOT = Path(__file__).resolve().parents[2]
SEED_TEXT = (ROOT / "seeds" / "000_63f0bc8c7ce5e8c2.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return make_tiny_sentence_transformer(tmp_path_factory.mktemp("tiny"), SEED_TEXT)


@pytest.fixture(scope="module")
def dense_settings(tiny_model, tmp_path_factory):
    index = tmp_path_factory.mktemp("dense-index")
    return load_settings({"docs": [str(ROOT / "seeds")], "index": str(index), "embed_model": str(tiny_model),
                          "mode": "hybrid"}, env={})


def test_missing_model_is_detected_fast():
    t = time.monotonic()
    assert locate_model("nobody/no-such-model-xyz") is None
    with pytest.raises(ModelUnavailable, match="not available locally"):
        SentenceTransformerEmbedder("nobody/no-such-model-xyz")
    assert time.monotonic() - t < 5


def test_embeddings_are_normalized(tiny_model):
    emb = SentenceTransformerEmbedder(str(tiny_model))
    v = emb.embed(["天猫双11", "京东以旧换新", ""])
    assert v.shape == (3, emb.dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-4)


def test_dense_and_hybrid_retrieval(dense_settings):
    report = build_index(dense_settings, force=True)
    assert report.dense and not report.notes
    pipe = Pipeline.open(dense_settings)
    assert pipe.default_mode == "hybrid" and pipe.embedder is not None
    chunk = pipe.index.chunks[3]
    # A chunk's own text is its nearest neighbour in the dense index.
    hits = pipe.retriever("dense").search(chunk.text, 3)
    assert hits[0].chunk.chunk_id == chunk.chunk_id and hits[0].source == "dense"
    hybrid = pipe.retriever("hybrid").search("天猫双11有多少品牌成交额破亿", 5)
    assert hybrid and all(h.source == "hybrid" for h in hybrid)
    assert any("373" in h.chunk.text for h in hybrid)
    answer = pipe.ask("天猫双11有多少品牌成交额破亿？")
    assert "373" in answer.answer and answer.mode["retrieval"] == "hybrid"
    assert answer.mode["embedding_model"] == dense_settings.embed_model


def test_unchanged_chunks_are_not_re_embedded(dense_settings):
    build_index(dense_settings, force=True)
    report = build_index(dense_settings, force=True)
    assert report.reused_vectors == report.chunks


def test_model_mismatch_says_what_to_run(dense_settings):
    build_index(dense_settings)
    other = dense_settings.replace(embed_model="some/other-model")
    with pytest.raises(IndexMismatch, match="rag index --force"):
        Pipeline.open(other, build_if_missing=False)


def test_hybrid_questions_need_no_torch(dense_settings):
    """A hybrid `rag ask` embeds the question with the numpy encoder: torch is never imported."""
    build_index(dense_settings)
    code = ("import sys, rag.cli; rag.cli.main(['ask', '--json', '天猫双11有多少品牌成交额破亿？', '--index', %r, "
            "'--embed-model', %r, '--mode', 'hybrid']);"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')" % (dense_settings.index, dense_settings.embed_model))
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "NO-TORCH" in r.stdout, r.stdout + r.stderr
    answer = __import__("json").loads(r.stdout.splitlines()[0])
    assert answer["mode"]["retrieval"] == "hybrid" and "373" in answer["answer"]
