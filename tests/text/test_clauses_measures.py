"""Clause splitting and measure words, the two text pieces the citation checker binds figures with."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.text.clauses import split_clauses
from rag.text.measures import measure_after, same_measure


def texts(text: str) -> list[str]:
    return [c.text for c in split_clauses(text)]


def test_clauses_keep_numbers_and_lists_whole() -> None:
    assert texts("咨询服务量超21.6亿次，共1,000家；AI学习机、3D打印机增长超10倍") == [
        "咨询服务量超21.6亿次", "共1,000家", "AI学习机、3D打印机增长超10倍"]
    assert texts("晚上10:30开始，价格3，400元") == ["晚上10:30开始", "价格3", "400元"]


def test_clauses_know_their_sentence() -> None:
    cs = split_clauses("天猫平台上，共有589个品牌。其中国货品牌有243个！\n抖音：近8000个")
    assert [(c.text, c.sentence) for c in cs] == [
        ("天猫平台上", 0), ("共有589个品牌", 0), ("其中国货品牌有243个", 1), ("抖音", 2), ("近8000个", 2)]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("京东1.6万个，,；。！、:： \n3倍%")), max_size=50))
def test_clauses_are_in_order_and_point_into_the_text(text: str) -> None:
    cs = split_clauses(text)
    assert all(text[c.start:c.end] == c.text and c.text.strip() == c.text and c.text for c in cs)
    assert all(a.end <= b.start and a.sentence <= b.sentence for a, b in zip(cs, cs[1:]))


@pytest.mark.parametrize("text, end, word", [
    ("3亿元", 2, "元"), ("3亿件", 2, "件"), ("3亿 美元", 2, "美元"), ("3个月", 1, "个月"), ("21.6亿人次", 5, "人次"),
    ("100 km", 3, "km"), ("100 kms", 3, ""), ("3亿", 2, ""), ("589家品牌", 3, "家"),
])
def test_measure_after(text: str, end: int, word: str) -> None:
    assert measure_after(text, end) == word


@pytest.mark.parametrize("a, b, same", [
    ("个", "家", True), ("件", "台", True), ("元", "块", True), ("", "元", True), ("km", "公里", True),
    ("元", "件", False), ("元", "美元", False), ("次", "个", False), ("年", "天", False), ("个月", "月", True),
])
def test_same_measure(a: str, b: str, same: bool) -> None:
    assert same_measure(a, b) is same
