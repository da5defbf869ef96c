"""Short answers: the typed span with its measure word, names whole, mirrored phrases, and the lead."""
import pytest

from rag.answer.answer_type import typed_spans
from rag.answer.check import check_answer
from rag.answer.short_answer import lead, mirror_span
from ui.render import answer_markdown


def _texts(text, kind):
    return [s.text for s in typed_spans(text) if s.kind == kind]


@pytest.mark.parametrize("text, kind, expected", [
    ("体长可达50公分，藏书81.6万册。", "quantity", ["50公分", "81.6万册"]),  # measure words kept
    ("他在比赛中获得第3名。", "quantity", ["第3名"]),  # ordinal keeps 第
    ("生长于海拔900米至1,900米的地区。", "quantity", ["900米至1,900米"]),  # a range is one answer
    ("陆地面积为1750.33km²。", "quantity", ["1750.33km²"]),
    ("他出生于台湾台北市。", "place", ["台湾台北市"]),  # adjacent place pieces merged
    ("这个概念由保罗·塞里诺提出。", "person", ["保罗·塞里诺"]),  # a transliterated name whole
    ("当时越南正受法国统治。", "time", []),  # a relative time word answers no "when"
])
def test_typed_spans_keep_whole_answers(text, kind, expected):
    assert _texts(text, kind) == expected


@pytest.mark.parametrize("question, sentence, expected", [
    ("天生三桥位于什么地方？", "天生三桥位于重庆武隆县仙女山镇，是国家级景区。", "重庆武隆县仙女山镇"),
    ("李晨因参加什么综艺节目而走红？", "李晨因参加综艺节目《奔跑吧兄弟》而走红。", "《奔跑吧兄弟》"),
    ("莎莉公司初时主要售卖什么？", "初时主要售卖食糖、咖啡和茶叶等。", "食糖、咖啡和茶叶等"),
    ("迦楼罗是什么样子的？", "迦楼罗是人面鸟身。", None),  # a description, not a phrase
    ("天生三桥位于什么地方？", "这里风景很好。", None),  # the sentence does not mirror the question
])
def test_mirror_span_takes_the_question_words_place(question, sentence, expected):
    span = mirror_span(question, sentence)
    assert (span.text if span else None) == expected


def test_lead_passes_the_citation_checker_and_keeps_the_quote():
    quote = "天猫“双11”从开启到10月31日24时，累计373个品牌成交额破亿元。"
    text = lead("373个", quote + "[1]")
    assert quote in text  # the quote itself stays verbatim
    assert check_answer(text, {1: quote}).ok
    # a lead the passage does not hold is caught like any figure
    assert not check_answer(lead("374个", quote + "[1]"), {1: quote}).ok


def test_lead_renders_bold_in_the_chat():
    md = answer_markdown(lead("373个", "累计373个品牌成交额破亿元。[1]"))
    assert md.startswith("**373个**：") and "[1]" in md
