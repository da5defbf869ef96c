"""The fitted answer selector: which sentence answers, and the short answer inside it.

Small documents written here (not from any evaluation set): the sentence that answers
does not repeat the article's subject ("本鱼…"), while the first sentence does; a quantity
question must be answered with the sentence that has the figure.
"""
from __future__ import annotations

import json

import pytest

from rag.answer.answer_type import PERSON, QUANTITY, TIME, expected_type, typed_spans
from rag.answer.selector import FEATURES, REFUSAL_FEATURES, WEIGHTS, Selector, load_refusal, load_selector
from rag.index.build import build_index
from rag.pipeline import Pipeline
from rag.settings import load_settings

DOCS = {
    "fish.txt": "蓝斑石鲈\n蓝斑石鲈，又称蓝点石鲈，为辐鳍鱼纲鲈形目石鲈科的其中一个种。"
                "本鱼栖息在珊瑚礁外缘的沙质海域，属肉食性，以小虾和蟹类为食。"
                "本鱼体长可达45厘米，体呈灰褐色。",
    "tower.txt": "望江塔\n望江塔是临川市的一座古塔，建于明代，是当地的地标。"
                 "望江塔历经多次修缮，塔身由青砖砌成。"
                 "塔高约38米，共有七层，每层都有木制回廊。",
    "shops.txt": "两家平台年终促销\n今年的年终促销中，甲平台与乙平台都公布了成交数据。"
                 "甲平台的促销从12月1日开始，累计有280个商家成交额破千万元。"
                 "乙平台累计有95个商家成交额破千万元，比去年多了两成。",
}


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    root = tmp_path_factory.mktemp("selector")
    docs = root / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = load_settings({"docs": [str(docs)], "index": str(root / "index"), "mode": "lexical"}, env={})
    build_index(settings)
    return Pipeline.open(settings, build_if_missing=False)


def test_weights_ship_with_the_package_and_load_without_sklearn():
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == FEATURES and len(data["coef"]) == len(FEATURES)
    sel = load_selector()
    assert sel is not None and 0.0 < sel.prob([0.5] * len(FEATURES)) < 1.0


def test_selector_prob_is_logistic():
    sel = Selector(("a",), (0.0,), (1.0,), (2.0,), 0.0, 0.5)
    assert sel.prob([0.0]) == pytest.approx(0.5)
    assert sel.prob([10.0]) > 0.99 and sel.prob([-10.0]) < 0.01


def test_expected_types_and_spans():
    assert expected_type("塔高约多少米？") == QUANTITY
    assert expected_type("这座塔建于哪一年？") == TIME
    assert expected_type("这本书的作者是谁？") == PERSON
    assert expected_type("它有什么特点？") == ""
    spans = typed_spans("塔高约38米，共有七层。")
    assert [s.text for s in spans if s.kind == QUANTITY][:1] == ["38米"]


def test_answer_sentence_without_the_subject_is_chosen(pipe):
    # the first sentence repeats every name of the question; the one that answers says "本鱼"
    a = pipe.ask("蓝斑石鲈以什么为食？")
    assert not a.refused and "小虾" in a.answer and a.citations


def test_quantity_question_gets_the_sentence_with_the_figure(pipe):
    a = pipe.ask("望江塔有多高？")
    assert not a.refused and "38米" in a.answer
    assert a.check.get("short_answer") == "38米"


def test_figure_of_the_platform_asked_about(pipe):
    a = pipe.ask("乙平台有多少个商家成交额破千万元？")
    assert not a.refused and "95个" in a.answer and "280个" not in a.answer
    b = pipe.ask("甲平台有多少个商家成交额破千万元？")
    assert not b.refused and "280个" in b.answer and "95个" not in b.answer


def test_refusal_model_ships_with_the_weights():
    ref = load_refusal()
    assert ref is not None and ref.names == REFUSAL_FEATURES and 0.0 < ref.threshold < 1.0


def test_question_about_an_article_not_indexed_is_refused(pipe):
    # no document is about 黄尾鲷; the fish article's "以小虾和蟹类为食" matches every other word
    a = pipe.ask("黄尾鲷以什么为食？")
    assert a.refused, a.answer
    assert "probability" in a.check.get("refusal_reason", "")
    # the same words about the fish that is indexed are answered
    assert not pipe.ask("蓝斑石鲈以什么为食？").refused
