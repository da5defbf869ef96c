"""The citation checker binds a figure to what it counts: the cited passage must state it in a clause
about the same thing (subject, what is measured, measure word), not only somewhere.

Each "swap" below was supported by the checker that only looked for the figure in the passage.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.check import check_answer
from rag.text.clauses import split_clauses
from rag.text.numbers import extract_quantities
from rag.text.sentences import split_sentences

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_63f0bc8c7ce5e8c2.txt"

GROWTH = "截至10月31日，京东平台订单量同比增长超3倍，另有589个品牌成交额破亿元。"
PLATFORMS = "10月18日至20日，抖音电商平台服饰品牌成交额同比增长92%；京东平台服饰品牌成交额同比增长75%。"
CITIES = "今年上半年，北京市新能源汽车销量同比增长35%，上海市新能源汽车销量同比增长28%。"
BRANDS = "天猫平台上，共有589个品牌成交破亿，其中国货品牌有243个。"
MEASURES = "京东超1.6万个品牌成交额同比增长超40%，订单量同比增长超3倍。"
GOODS = "活动期间，平台累计售出商品3亿件，成交额达5亿元。"
RATES = "订单量增长3倍，用户数增长3%。"
TEAM = "参加本届运动会的市代表团一行共计120人，其中运动员86人，教练18人。"
ELLIPSIS = "京东平台上，手机成交额增长50%，家电增长30%。"
BEAUTY = ("10月18日至20日，抖音电商平台服饰品牌成交额同比增长92%，订单量同比增长90%；10月8日至20日，"
          "抖音电商平台国际彩妆成交额同比增长175%，支付用户数同比增长90%，订单量同比增长100%。")
SERVICE = "京东云言犀智能客服累计咨询服务量超21.6亿次，云言犀数字人支持了超7500家品牌商家。"
FUND = "记者了解到，京东联合美的、格力等多家企业共同投入30亿元，持续升级绿色家电换新服务。"


def not_bound(answer: str, passage: str) -> list[dict]:
    """The checker's `not_bound` entries for `answer` citing `passage` as [1]; [] when it is kept."""
    r = check_answer(answer, {1: passage})
    dropped = r.to_dict()["dropped"]
    if not dropped:
        assert r.ok and r.kept_text == answer
        return []
    assert dropped[0]["reason"] == "figure_not_bound", dropped
    assert r.kept_text == "" and dropped[0]["numbers"] == [u["number"] for u in dropped[0]["not_bound"]]
    return dropped[0]["not_bound"]


@pytest.mark.parametrize("answer, passage, figure, words", [
    # the growth multiple of another thing: 3倍 is about 订单量, not the brands
    ("京东平台589个品牌成交额同比增长超3倍[1]。", GROWTH, "3倍", {"品牌"}),
    ("京东订单量同比增长超40%[1]。", MEASURES, "40%", {"订单量"}),
    ("京东品牌成交额同比增长超3倍[1]。", MEASURES, "3倍", {"品牌"}),
    # two platforms' or two cities' figures, subjects swapped
    ("京东服饰品牌成交额同比增长92%[1]。", PLATFORMS, "92%", {"京东"}),
    ("抖音服饰品牌成交额同比增长75%[1]。", PLATFORMS, "75%", {"抖音"}),
    ("上海市新能源汽车销量同比增长35%[1]。", CITIES, "35%", {"上海市"}),
    # two counts of brands: 243 is the 国货 brands, not those above 1亿
    ("天猫共有243个品牌成交破亿[1]。", BRANDS, "243", {"成交", "破亿"}),
    # the same subject, another measure: 92% is 成交额, 90% is 订单量
    ("抖音服饰品牌订单量同比增长92%[1]。", BEAUTY, "92%", {"订单量"}),
    ("抖音彩妆成交额同比增长100%[1]。", BEAUTY, "100%", {"成交额"}),
    ("市代表团有18名运动员[1]。", TEAM, "18", {"运动员"}),
    ("京东手机成交额增长30%[1]。", ELLIPSIS, "30%", {"手机"}),
    # units: the figure is there, with another measure word
    ("平台售出商品3亿元[1]。", GOODS, "3亿", {"元"}),
    ("平台成交额达3亿元[1]。", GOODS, "3亿", {"元"}),
    ("订单量增长3%[1]。", RATES, "3%", {"订单量"}),
], ids=["growth-of-orders", "rate-of-orders", "multiple-of-brands", "platform-92", "platform-75", "city",
        "brand-counts", "measure-92", "measure-100", "team-athletes", "ellipsis", "items-as-money",
        "amount-of-items", "multiple-as-percent"])
def test_a_figure_stated_about_something_else_is_dropped(answer: str, passage: str, figure: str,
                                                         words: set[str]) -> None:
    found = not_bound(answer, passage)
    assert [u["number"] for u in found] == [figure]
    assert words <= set(found[0]["words"]), found


@pytest.mark.parametrize("answer, passage", [
    ("京东订单量同比增长超3倍，另有589个品牌成交额破亿元[1]。", GROWTH),
    ("截至10月31日，京东有589个品牌的成交额突破1亿元[1]。", GROWTH),
    ("抖音服饰品牌成交额同比增长92%，京东同比增长75%[1]。", PLATFORMS),
    ("上海市新能源汽车销量同比增长28%[1]。", CITIES),
    # the subject stands in the clause before ("天猫平台上，…")
    ("天猫平台有589个品牌成交额破亿[1]。", BRANDS),
    ("天猫平台上的国货品牌有243个[1]。", BRANDS),
    # figures written otherwise (三倍, 百分之四十), verbs paraphrased
    ("京东订单量同比增长超三倍[1]。", MEASURES),
    ("京东超过一万六千个品牌的成交额同比增长百分之四十以上[1]。", MEASURES),
    ("云言犀数字人服务了7500多家品牌[1]。", SERVICE),
    ("京东智能客服接待的咨询超过21.6亿次[1]。", SERVICE),
    # classifiers of things stand for each other: 3亿个 / 3亿件
    ("平台售出商品3亿个[1]。", GOODS),
    ("用户数增长3%，订单量增长三倍[1]。", RATES),
    # the sentence's subject is named once at its start ("…市代表团一行共计120人，其中…")
    ("市代表团有18名教练[1]。", TEAM),
    ("市代表团运动员共86人[1]。", TEAM),
    # a subject carried over from an earlier clause of the sentence ("家电增长30%")
    ("京东家电成交额增长30%[1]。", ELLIPSIS),
    ("抖音国际彩妆支付用户数增长90%[1]。", BEAUTY),
    # words that elaborate the sentence ("持续升级…服务") do not belong to another figure
    ("京东等企业投入30亿元升级绿色家电换新服务[1]。", FUND),
    # nothing to bind: no word besides the figure
    ("同比增长超40%[1]。", MEASURES),
], ids=["two-clauses", "subject-paraphrased", "both-platforms", "city", "subject-before", "subject-before-2",
        "cn-numeral", "cn-numerals-2", "verb-paraphrase", "verb-paraphrase-2", "classifiers", "both-rates",
        "sentence-subject", "sentence-subject-2", "ellipsis", "measure", "elaboration", "nothing-to-bind"])
def test_a_figure_stated_about_the_same_thing_is_kept(answer: str, passage: str) -> None:
    assert not_bound(answer, passage) == []


def test_names_the_passage_never_uses_are_not_contradicted() -> None:
    # Binding is about where in the passage a figure stands; a name the passage lacks is not a clash.
    assert not_bound("拼多多平台售出商品3亿件[1]。", GOODS) == []


def test_union_of_cited_passages_binds_each_clause_to_its_own() -> None:
    answer = "北京市新能源汽车销量同比增长35%，平台售出商品3亿件[1][2]。"
    assert check_answer(answer, {1: CITIES, 2: GOODS}).ok
    swapped = "北京市新能源汽车销量同比增长28%，平台售出商品3亿件[1][2]。"
    assert check_answer(swapped, {1: CITIES, 2: GOODS}).to_dict()["dropped"][0]["not_bound"][0]["number"] == "28%"


def test_every_figure_of_the_seed_binds_to_its_own_paragraph() -> None:
    """A verbatim clause or sentence of the article, cited against its paragraph, is never unbound."""
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n") if extract_quantities(p)]
    checked = 0
    for p in paragraphs:
        for part in [c.text for c in split_clauses(p)] + [s.text.rstrip("。") for s in split_sentences(p)]:
            if extract_quantities(part):
                dropped = check_answer(f"{part}[1]。", {1: p}).to_dict()["dropped"]
                assert not any(d["reason"] == "figure_not_bound" for d in dropped), dropped
                checked += 1
    assert checked > 40


def test_dates_frame_a_sentence_and_are_not_bound() -> None:
    # 10月31日 stands in the opening clause, apart from what is counted: still supported.
    assert not_bound("京东平台10月31日有589个品牌成交额破亿元[1]。", GROWTH) == []
