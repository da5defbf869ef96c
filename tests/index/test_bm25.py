"""BM25 speed structures against oracles: MaxScore top-k == brute force, the hashed
vocabulary == a dict, parallel bags of words == tokenizing in this process."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import rag.index.bm25 as bm25_module
from rag.index.bm25 import BM25, HASH_FILE, MAX_WEIGHT_FILE, ORDER_FILE, PARAMS_FILE
from rag.index.bm25_builder import build_bm25
from rag.index.bm25_builder import BM25Builder
from rag.index.parallel import ParallelTokenizer, bags_of_words
from rag.text.tokenize import Tokenizer
from rag.index.vocab import HashedVocab, TermVocab, term_hashes


def _zipf_corpus(seed: int = 1, n_docs: int = 4000, n_terms: int = 800) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, n_terms + 1)
    p /= p.sum()
    return [[f"t{x}" for x in rng.choice(n_terms, rng.integers(0, 50), p=p)] for _ in range(n_docs)]


def _oracle_top(index: BM25, query: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every document scored, positive scores only, best first, ties by document id."""
    s = index.scores(query)
    order = np.lexsort((np.arange(len(s)), -s))
    order = order[s[order] > 0][:k]
    return order, s[order]


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    return _zipf_corpus()


@pytest.fixture(scope="module")
def index(corpus) -> BM25:
    return build_bm25(corpus)


@pytest.mark.parametrize("big_term", [4096, 20])  # 20: prune at every common term
def test_top_k_equals_brute_force(index, monkeypatch, big_term):
    monkeypatch.setattr(bm25_module, "_BIG_TERM", big_term)
    rng = np.random.default_rng(7)
    p = 1 / np.arange(1, 801)
    p /= p.sum()
    for q in range(300):
        query = [f"t{x}" for x in rng.choice(800, rng.integers(1, 9), p=p if q % 2 else None)] + ["never-seen"]
        k = int(rng.integers(1, 40))
        ids, scores = index.top(query, k)
        want_ids, want_scores = _oracle_top(index, query, k)
        np.testing.assert_allclose(scores, want_scores, rtol=1e-5)
        np.testing.assert_allclose(index.scores(query)[ids], want_scores, rtol=1e-5)
        assert len(set(ids.tolist())) == len(ids)
        # Scores tied with the k-th (summed in another order, float32) may swap; all above it may not.
        above = want_scores > want_scores[-1] + 1e-4 if len(want_scores) else want_scores > 0
        assert set(ids[above].tolist()) == set(want_ids[above].tolist())


def test_scores_match_the_bm25_formula():
    docs = [["a", "b", "a"], ["b", "c"], ["c", "c", "c", "d"], []]
    idx = build_bm25(docs)
    n, avgdl, k1, b = 4, 9 / 4, 1.2, 0.75
    df_a, tf, dl = 1, 2, 3
    idf = np.log1p((n - df_a + 0.5) / (df_a + 0.5))
    want = idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
    assert idx.scores(["a"])[0] == pytest.approx(want, rel=1e-6)
    # a: 1.514 (doc 0); c: 0.934 (doc 2, tf 3, longer) > 0.726 (doc 1)
    assert list(idx.top(["a", "c"], 10)[0]) == [0, 2, 1]


def test_empty_queries_and_corpora():
    idx = build_bm25([])
    assert idx.n_docs == 0 and len(idx.top(["a"], 5)[0]) == 0
    idx = build_bm25([["a"], []])
    assert len(idx.top([], 5)[0]) == 0 and len(idx.top(["zzz"], 5)[0]) == 0 and len(idx.top(["a"], 0)[0]) == 0


def test_save_load_fast_and_legacy_paths(index, corpus, tmp_path):
    index.save(tmp_path)
    fast = BM25.load(tmp_path)
    assert isinstance(fast.vocab, HashedVocab) and len(fast.vocab) == len(index.vocab)
    for name in (HASH_FILE, ORDER_FILE, PARAMS_FILE, MAX_WEIGHT_FILE):  # an index written before them
        (tmp_path / name).unlink()
    legacy = BM25.load(tmp_path)
    assert isinstance(legacy.vocab, dict)
    np.testing.assert_allclose(legacy.max_weight, index.max_weight)
    for query in (["t0", "t5", "t300"], ["t799", "nope"], ["t1"] * 3):
        for other in (fast, legacy):
            a, b = index.top(query, 15), other.top(query, 15)
            assert list(a[0]) == list(b[0]) and np.allclose(a[1], b[1])
    assert fast.idf_of("t3") == pytest.approx(index.idf_of("t3")) and fast.idf_of("nope") is None


def test_hashed_vocab_is_a_mapping(index, tmp_path):
    index.save(tmp_path)
    vocab = BM25.load(tmp_path).vocab
    assert "t3" in vocab and "nope" not in vocab and 3 not in vocab
    assert vocab["t3"] == index.vocab["t3"]
    with pytest.raises(KeyError):
        vocab["nope"]
    assert sorted(vocab) == sorted(index.vocab)  # iterating reads the term list
    assert list(vocab.lookup(["t3", "nope"])) == [index.vocab["t3"], -1]


def test_builder_batches_equal_documents_one_by_one(corpus):
    one = build_bm25(corpus)
    batched = BM25Builder()
    for start in range(0, len(corpus), 700):
        batched.add_bags(bags_of_words(lambda d: d, corpus[start:start + 700]))
    two = batched.finish()
    for query in (["t0"], ["t2", "t40", "t700"]):
        assert list(one.top(query, 20)[0]) == list(two.top(query, 20)[0])
        np.testing.assert_allclose(one.scores(query), two.scores(query), rtol=1e-6)


def test_parallel_tokenizer_equals_in_process():
    tok = Tokenizer(["以旧换新"])
    texts = ["天猫双11有373个品牌成交额破亿。", "以旧换新带动家电消费。", "", "京东超1.6万个品牌成交额同比增长超3倍。"] * 30
    pool = ParallelTokenizer(tok, ["以旧换新"], workers=2, batch_size=16)
    here, there = BM25Builder(), BM25Builder()
    for bags in pool.map(texts, parallel=False):
        here.add_bags(bags)
    for bags in pool.map(texts, parallel=True):
        there.add_bags(bags)
    a, b = here.finish(), there.finish()
    assert a.vocab == b.vocab and np.array_equal(a.indices, b.indices) and np.allclose(a.data, b.data)
    assert "以旧换新" in a.vocab and a.n_docs == len(texts)


def test_concurrent_queries_agree(index):
    queries = [["t0", "t9"], ["t3", "t77", "t1"], ["t500"], ["t2", "t2", "t30"]] * 25
    want = [list(index.top(q, 10)[0]) for q in queries]
    got: dict[int, list[int]] = {}

    def worker(offset: int) -> None:
        for i in range(offset, len(queries), 4):
            got[i] = list(index.top(queries[i], 10)[0])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(len(queries))] == want


def test_parallel_build_equals_serial_build(tmp_path, monkeypatch):
    """The build's worker processes (chunking + tokenizing) give the same index files as one process."""
    import rag.index.build as build
    from rag.bench.corpus import generate
    from rag.settings import Settings

    corpus = generate(tmp_path / "corpus", 1500, n_facts=5)
    files = {}
    for name, threshold in (("serial", 10**12), ("parallel", 0)):
        monkeypatch.setattr(build, "PARALLEL_FROM_CHARS", threshold)
        report = build.build_index(Settings(docs=(str(corpus.docs),), index=str(tmp_path / name), mode="lexical"))
        folder = Path(report.path)
        files[name] = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "manifest.json"}
    assert files["serial"].keys() == files["parallel"].keys()
    for name, data in files["serial"].items():
        assert files["parallel"][name] == data, name


def test_term_hashes_are_stable_and_distinct():
    terms = [f"#{chr(0x4E00 + i % 3000)}{chr(0x4E00 + i // 3000)}" for i in range(200_000)] + ["", "a", "ab", "双11"]
    h = term_hashes(terms)
    assert len(np.unique(h)) == len(terms) and np.array_equal(h, term_hashes(terms))
    assert not np.array_equal(h, term_hashes(terms, 1))
    assert int(term_hashes(["双11"])[0]) == int(h[-1])  # batch or alone: the same hash


def test_vocab_falls_back_to_a_dict_on_a_hash_collision(monkeypatch):
    import rag.index.vocab as vocab_module

    real = vocab_module.term_hashes
    monkeypatch.setattr(vocab_module, "term_hashes",  # every term collides on the first hash
                        lambda terms, seed=0: real(terms, seed) if seed else np.zeros(len(terms), np.uint64))
    v = TermVocab()
    assert v.add(["a"]).tolist() == [0]
    assert v.add(["b", "a", "c"]).tolist() == [1, 0, 2]
    frozen = v.frozen()
    assert frozen == {"a": 0, "b": 1, "c": 2} and isinstance(frozen, dict)


def test_vocab_ids_equal_a_dict_across_many_batches():
    rng = np.random.default_rng(3)
    universe = [f"w{i}" for i in range(300_000)]
    v, want = TermVocab(), {}
    for _ in range(60):  # enough new terms to merge the recent run into the main one several times
        batch = list(dict.fromkeys(universe[i] for i in rng.integers(0, len(universe), 9000)))
        got = v.add(batch)
        expect = [want.setdefault(t, len(want)) for t in batch]
        assert got.tolist() == expect
    frozen = v.frozen()
    assert len(frozen) == len(want)
    sample = list(want)[::997] + ["never"]
    assert frozen.lookup(sample).tolist() == [want.get(t, -1) for t in sample]
