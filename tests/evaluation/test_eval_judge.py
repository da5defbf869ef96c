"""The judge of `rag eval`: normalization, key facts, evidence chunks, ranks, refusal scores,
thresholds and diagnoses, each against a hand-worked answer."""
from __future__ import annotations

import pytest

from rag.evaluation.judge import (EvidenceLocator, RefusalScores, evidence_key, first_rank, hit_at,
                                  missing_facts, mrr, normalize, overlaps_evidence)
from rag.evaluation.metrics import describe_models, percentile
from rag.evaluation.records import Record
from rag.evaluation.thresholds import check
from rag.types import Chunk


@pytest.mark.parametrize("raw, expected", [
    ("黄 鑫", "黄鑫"),
    ("４０％", "40%"),
    ("ＧＭＶ　增长", "gmv增长"),
    ("作者：赖奇春\n黄鑫", "作者:赖奇春黄鑫"),
    ("Lai Qichun", "laiqichun"),
])
def test_normalize_folds_width_space_and_case(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_a_fact_is_present_when_any_variant_is_a_substring() -> None:
    facts = (("1.6万", "16000", "一万六"), ("40%", "四成"))
    assert missing_facts("超１.６万个品牌，破亿品牌数同比增长超４０％[1]", facts) == []
    assert missing_facts("超16000个品牌[1]", facts) == ["40%"]
    assert missing_facts("根据现有资料无法回答该问题。", facts) == ["1.6万", "40%"]


def test_names_match_across_spaces_and_case() -> None:
    assert missing_facts("作者：赖奇春 黄 鑫", (("黄鑫",), ("赖奇春",))) == []
    assert missing_facts("Written by HUANG XIN.", (("黄鑫", "Huang Xin"),)) == []


def test_citation_markers_never_count_as_facts() -> None:
    assert missing_facts("摘要共列了若干条[1][7]", (("1", "一"), ("7",))) == ["1", "7"]


def _chunk(i: int, text: str, doc: str = "seed", url: str = "https://news.cn/a") -> Chunk:
    return Chunk(f"{doc}:{i}", doc, "标题", url, "正文", text, 0, len(text))


def test_evidence_matches_the_cleaned_text_despite_punctuation() -> None:
    seed = _chunk(0, "标题：个性定制\n关键词：个性定制、人工智能、以旧换新\n作者：赖奇春、黄鑫")
    loc = EvidenceLocator([seed, _chunk(1, "另一段话。")])
    assert loc.chunk_ids("关键词: 个性定制, 人工智能, 以旧换新") == {"seed:0"}
    assert loc.chunk_ids("作者: 赖奇春 黄 鑫") == {"seed:0"}
    assert evidence_key("7. **政策支持**") == "7政策支持"


def test_evidence_straddling_two_chunks_counts_the_chunk_holding_most_of_it() -> None:
    a = _chunk(0, "京东超1.6万个品牌成交额同比增长超3倍，成交额破亿元的品牌数量")
    b = _chunk(1, "同比增长超40%。截至10月20日，抖音电商平台已有近8000个品牌")
    loc = EvidenceLocator([a, b])
    assert loc.chunk_ids("成交额破亿元的品牌数量同比增长超40%") == {"seed:0"}  # 11 of 16 characters in a
    assert loc.locate("品牌数量同比增长超40%。截至10月20日") == ({"seed:1"}, "split")
    assert loc.chunk_ids("拼多多百亿补贴") == frozenset()


def test_evidence_naming_a_link_points_at_that_documents_chunks() -> None:
    chunks = [_chunk(0, "正文一。"), _chunk(1, "正文二。"), _chunk(0, "别的。", doc="other", url="https://x.org/b")]
    loc = EvidenceLocator(chunks)
    assert loc.locate("链接: https://news.cn/a") == ({"seed:0", "seed:1"}, "link")
    assert loc.locate("正文一") == ({"seed:0"}, "text") and loc.locate("别处") == (frozenset(), "")


def test_a_quote_overlaps_the_evidence_only_when_one_contains_the_other() -> None:
    ev = "京东联合美的、格力等多家企业共同投入30亿元"
    assert overlaps_evidence("记者了解到，京东联合美的、格力等多家企业共同投入30亿元，持续升级。", ev)
    assert overlaps_evidence("京东联合美的、格力等多家企业，", ev)  # a clause of a longer evidence
    assert not overlaps_evidence("京东联合海尔、海信等企业共同投入20亿元。", ev)  # the distractor's look-alike
    assert not overlaps_evidence("任何文字", "")


def test_ranks_hit_at_k_and_mrr_on_a_hand_worked_example() -> None:
    ranks = [first_rank(ids, {"e"}) for ids in (["e", "x"], ["x", "e"], ["x", "y", "z", "e"], ["x"])]
    assert ranks == [0, 1, 3, None]
    assert (hit_at(ranks, 1), hit_at(ranks, 3), hit_at(ranks, 5)) == (0.25, 0.5, 0.75)
    assert mrr(ranks) == pytest.approx((1 + 1 / 2 + 1 / 4 + 0) / 4)
    assert hit_at([], 5) is None and mrr([]) is None


def test_refusal_precision_and_recall_on_a_hand_worked_example() -> None:
    # 4 unanswerable: 3 refused; 6 answerable: 1 refused by mistake.
    pairs = [(True, True)] * 3 + [(True, False)] + [(False, True)] + [(False, False)] * 5
    s = RefusalScores.of(pairs)
    assert (s.tp, s.fp, s.fn, s.tn) == (3, 1, 1, 5)
    assert s.precision == 0.75 and s.recall == 0.75
    never = RefusalScores.of([(True, False), (False, False)])
    assert never.precision is None and never.recall == 0.0


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 95) == 95 and percentile(values, 50) == 50 and percentile([7.0], 95) == 7.0


def test_models_are_named_short() -> None:
    info = {"tokenizer": "jieba", "embedding_model": "/tmp/models/bge-small-zh", "reranker": None,
            "answerer": "extractive"}
    assert describe_models(info) == "jieba · bge-small-zh · extractive"
    assert describe_models({"embedding_model": "BAAI/bge-m3"}) == "BAAI/bge-m3"


def test_thresholds_report_one_line_per_failure() -> None:
    checks = check({"answer": 0.7, "refusal_recall": 0.9, "multiturn": None},
                   {"answer": 0.75, "refusal_recall": 0.9, "multiturn": 0.5, "hit5": None}, "lexical")
    assert [c.passed for c in checks] == [False, True, False]
    assert checks[0].message == "lexical: answer accuracy 0.700 is below --min-answer 0.750"
    assert checks[2].message == "lexical: multi-turn accuracy not measured is below --min-multiturn 0.500"


def _record(**kw) -> Record:
    base = dict(mode="lexical", set="fact", qid="q1", question="?", must_refuse=False, facts=(("373",),),
                answer="", refused=False, missing=("373",), evidence_chunks=1, evidence_found="text", evidence_rank=0, cited=(),
                cited_evidence=0, quoted_evidence=False, other_docs=(), latency_ms=1.0, k=5)
    return Record(**{**base, **kw})


@pytest.mark.parametrize("kw, start", [
    (dict(missing=()), ""),
    (dict(refused=True, evidence_rank=None), "retrieval miss, then refused"),
    (dict(refused=True, evidence_rank=7), "retrieval miss, then refused: evidence retrieved at rank 8"),
    (dict(refused=True, evidence_rank=1, reason="covers 40%"), "wrong refusal: evidence retrieved at rank 2; covers 40%"),
    (dict(evidence_rank=None), "retrieval miss"),
    (dict(cited=("s:1",), cited_evidence=1, quoted_evidence=True), "the evidence sentence is quoted"),
    (dict(cited=("s:1",), cited_evidence=1), "wrong sentence chosen: the evidence passage is cited"),
    (dict(cited=("d:1",), other_docs=("618",)), "wrong sentence chosen: evidence retrieved at rank 1, but the answer quotes other passages, citing 《618》"),
    (dict(evidence_chunks=0, evidence_found="", evidence_rank=None), "gold evidence not found"),
    (dict(evidence_chunks=9, evidence_found="link", refused=True), "the evidence is the document's link"),
    (dict(must_refuse=True, facts=(), missing=(), reason="support 0.9"), "answered a question it must refuse (support 0.9)"),
    (dict(must_refuse=True, facts=(), missing=(), refused=True), ""),
])
def test_every_wrong_answer_gets_a_diagnosis(kw: dict, start: str) -> None:
    r = _record(**kw)
    assert r.correct == (start == "")
    assert r.diagnosis.startswith(start) if start else r.diagnosis == ""
