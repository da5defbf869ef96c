"""Tokenization (domain words, synonyms, stopwords) and the sparse BM25 against an oracle."""
import math

import numpy as np
import pytest

from rag.index.bm25 import BM25, BM25Params
from rag.index.bm25_builder import build_bm25
from rag.retrieve.fusion import rrf
from rag.text.tokenize import Tokenizer, cn_to_int


@pytest.fixture(scope="module")
def tok():
    return Tokenizer()


@pytest.mark.parametrize("word", ["双11", "以旧换新", "国潮", "数字人", "成交额", "跨境电商"])
def test_domain_words_survive(tok, word):
    assert word in tok.tokens(f"今年的{word}表现很好")


def test_synonyms_meet_in_one_form(tok):
    assert "双11" in tok.tokens("双十一") and "双11" in tok.tokens("双11")
    assert tok.tokens("销售额过亿") == tok.tokens("成交额破亿")
    assert "翻倍" in tok.tokens("翻了一番")


def test_stopwords_punctuation_and_question_words_removed(tok):
    toks = tok.tokens("请问，天猫的品牌有多少个？！")
    assert toks == ["天猫", "品牌"]


def test_numbers_stay_whole(tok):
    assert "21.6" in tok.tokens("超21.6亿次")
    assert "3" in tok.tokens("增长了三倍") and cn_to_int("二百三十") == 230


def test_full_width_folds(tok):
    assert tok.tokens("ＡＩ学习机１０倍") == tok.tokens("AI学习机10倍")


def _oracle_bm25(docs, query, k1=1.2, b=0.75):
    n = len(docs)
    avgdl = sum(map(len, docs)) / n
    out = []
    for d in docs:
        s = 0.0
        for t in set(query):
            df = sum(t in x for x in docs)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = d.count(t)
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
        out.append(s)
    return out


def test_bm25_matches_oracle():
    docs = [["天猫", "品牌", "破亿"], ["京东", "品牌", "品牌", "增长"], ["抖音", "服饰"], ["天猫", "天猫", "国潮"]]
    idx = build_bm25(docs, BM25Params())
    for q in (["天猫"], ["品牌", "天猫"], ["国潮", "增长", "未知"]):
        np.testing.assert_allclose(idx.scores(q), _oracle_bm25(docs, q), rtol=1e-5)


def test_bm25_top_and_roundtrip(tmp_path):
    docs = [["a", "b"], ["b", "c"], ["c"], []]
    idx = build_bm25(docs)
    ids, scores = idx.top(["c"], 3)
    assert list(ids) == [2, 1] and scores[0] > scores[1] > 0
    idx.save(tmp_path)
    again = BM25.load(tmp_path)
    np.testing.assert_allclose(again.scores(["c", "a"]), idx.scores(["c", "a"]))
    assert again.idf_of("zzz") is None and again.idf_of("a") == pytest.approx(idx.idf_of("a"))


def test_rrf_hand_example():
    fused = rrf([["a", "b", "c"], ["c", "a"]], k0=1)
    # a: 1/2 + 1/3; c: 1/4 + 1/2; b: 1/3
    assert [k for k, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 2 + 1 / 3)
