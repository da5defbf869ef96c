"""`rag eval` with embedding and reranking models: every row (lexical, dense, hybrid, hybrid+rerank,
baseline) runs, on a tiny random BERT embedder and cross-encoder built here (no download, seconds).

The scores of random models mean nothing; what is checked is that the dense path runs
end to end, the table has a row per mode, the models are named, and the thresholds
apply to the mode the API uses by default (hybrid+rerank).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("sentence_transformers")

from rag.evaluation.cli import main  # noqa: E402

from test_eval_runner import DOCS, SYN_CONVERSATIONS, SYN_QUESTIONS, write_gold  # noqa: E402

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _tokenizer(texts: list[str]):
    chars = set("".join(texts).lower()) | set("abcdefghijklmnopqrstuvwxyz0123456789")
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for ch in sorted(chars - set(" \n")):
        vocab.setdefault(ch, len(vocab))
    return transformers.BertTokenizerFast(vocab=vocab, do_lower_case=True, tokenize_chinese_chars=True)


def _config(vocab_size: int, **kw):
    return transformers.BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=64, max_position_embeddings=512, **kw)


def build_tiny_embedder(folder: Path, texts: list[str]) -> Path:
    """A sentence-transformers folder: random 1-layer BERT, mean pooling, L2 normalization."""
    try:
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Normalize, Pooling, Transformer
    from sentence_transformers import SentenceTransformer

    tok = _tokenizer(texts)
    torch.manual_seed(0)
    bert = transformers.BertModel(_config(len(tok)))
    bert.save_pretrained(folder / "bert")
    tok.save_pretrained(folder / "bert")
    word = Transformer(str(folder / "bert"), max_seq_length=256)
    dim = word.get_embedding_dimension() if hasattr(word, "get_embedding_dimension") else word.get_word_embedding_dimension()
    SentenceTransformer(modules=[word, Pooling(dim, "mean"), Normalize()]).save(str(folder / "embedder"))
    return folder / "embedder"


def build_tiny_reranker(folder: Path, texts: list[str]) -> Path:
    """A cross-encoder folder: random 1-layer BERT with a single relevance logit."""
    tok = _tokenizer(texts)
    torch.manual_seed(1)
    model = transformers.BertForSequenceClassification(_config(len(tok), num_labels=1))
    model.save_pretrained(folder / "reranker")
    tok.save_pretrained(folder / "reranker")
    return folder / "reranker"


@pytest.fixture(autouse=True)
def default_mode(monkeypatch) -> None:
    monkeypatch.delenv("RAG_MODE", raising=False)  # these runs ask for dense rows: the default (auto) mode


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("models")
    texts = list(DOCS.values()) + [q["question"] for q in SYN_QUESTIONS]
    return {"embedder": str(build_tiny_embedder(folder, texts)), "reranker": str(build_tiny_reranker(folder, texts))}


def test_every_mode_gets_a_row_with_a_dense_model(models: dict[str, str], tmp_path: Path, capsys) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    gold = write_gold(tmp_path / "gold", SYN_QUESTIONS, SYN_CONVERSATIONS)
    out = tmp_path / "out"
    code = main(["--gold", str(gold), "--docs", str(docs), "--out", str(out), "-q",
                 "--embed-model", models["embedder"], "--reranker", models["reranker"], "--min-answer", "0"])
    assert code == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [m["label"] for m in data["modes"]] == ["lexical", "dense", "hybrid", "hybrid+rerank", "baseline"]
    assert data["gate"] == "hybrid+rerank" and data["thresholds"][0]["mode"] == "hybrid+rerank"
    assert data["models"]["dense"]["embedding_model"] == models["embedder"]
    assert data["models"]["dense"]["reranker"] is None and data["models"]["lexical"]["embedding_model"] is None
    assert data["models"]["hybrid+rerank"]["reranker"] == models["reranker"]
    rows = {m["label"]: m for m in data["modes"]}
    assert "embedder" not in rows["lexical"]["models"]
    assert rows["dense"]["models"].endswith("embedder · extractive")
    assert rows["hybrid+rerank"]["models"].endswith("embedder · reranker · extractive")
    for label in ("dense", "hybrid", "hybrid+rerank"):
        assert rows[label]["n_fact"] == 3 and rows[label]["hit5"] is not None and rows[label]["en_hit5"] is not None
    answers = [json.loads(x) for x in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {a["mode"] for a in answers} == set(rows) and len(answers) == 5 * 7
    table = capsys.readouterr().out
    assert "| dense |" in table and "| hybrid+rerank |" in table


def test_asking_for_one_dense_row_runs_only_it(models: dict[str, str], tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    gold = write_gold(tmp_path / "gold", SYN_QUESTIONS, SYN_CONVERSATIONS)
    out = tmp_path / "out"
    assert main(["--gold", str(gold), "--docs", str(docs), "--out", str(out), "-q", "--modes", "dense",
                 "--embed-model", models["embedder"]]) == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [m["label"] for m in data["modes"]] == ["dense"] and data["gate"] == "dense"
