"""Overview questions get a short numbered list of key points, each quoted and cited on its own;
list-of-names and fact questions keep the one-quote answer."""
import re
from pathlib import Path

import pytest

from rag.answer.candidates import Candidate
from rag.answer.overview import MAX_POINT_CHARS, choose_points, is_intro, is_overview, items_after, short_point
from rag.index.build import build_index
from rag.pipeline import Pipeline
from rag.settings import load_settings
from rag.text.sentences import Sentence
from rag.types import Chunk

ROOT = Path(__file__).resolve().parents[2]
_POINT = re.compile(r"^(\d+)\. (.+?)\[(\d+)\]$")


@pytest.mark.parametrize("question", [
    "双十一消费有哪些新趋势？",
    "以旧换新带来了哪些影响？",
    "人工智能在电商中有哪几个方面的作用？",
    "今年的新趋势有哪些？",
    "双十一的主要特点是什么？",
    "这篇文章主要讲了什么？",
    "请概括一下这篇报道",
    "总结一下跨境电商的情况",
    "What are the main trends of Double Eleven?",
    "Summarize the article.",
    "What is this article about?",
])
def test_overview_questions_are_detected(question):
    assert is_overview(question)


@pytest.mark.parametrize("question", [
    "哪些品牌成交破亿？",  # a concrete set of names
    "跨境品类里除了图书，还有哪些轻小件卖爆了？",
    "京东联手哪些家电企业做以旧换新？",
    "国潮品牌在哪些方面不断进步？",  # 在…方面: the scope of the verb, answered by a few nouns
    "国潮品牌在双11体现了哪两方面的提升？",  # a count
    "天猫双11有多少品牌成交额破亿？",
    "重大事件摘要里第6条讲的是什么？",  # one item, not the whole text
    "朱克力认为电商平台推以旧换新有什么好处？",
    "Which two countries were added as JD's overseas free-shipping zones?",
    "How many brands on Tmall passed 100 million yuan in sales?",
])
def test_fact_and_entity_list_questions_are_not_overviews(question):
    assert not is_overview(question)


def _points(answer: str) -> list[re.Match]:
    return [m for m in map(_POINT.match, answer.splitlines()) if m]


@pytest.mark.parametrize("question", ["双十一消费有哪些新趋势？", "人工智能在双十一中有哪些作用？", "这篇文章主要讲了什么？"])
def test_overview_gets_numbered_points_each_quoted_and_cited(pipe, question):
    a = pipe.ask(question)
    assert not a.refused, a.check
    points = _points(a.answer)
    assert 2 <= len(points) <= 4, a.answer
    assert len(a.citations) == len(points)
    doc_title = a.citations[0].title
    for i, (m, c) in enumerate(zip(points, a.citations), start=1):
        assert int(m[1]) == int(m[3]) == c.n == i  # one citation per point, in order
        doc = pipe.index.documents[c.doc_id]
        assert doc.text[c.start:c.end] == c.text
        assert doc.text[c.quote_start:c.quote_end] == c.quote and c.quote in c.text  # verbatim, exact offsets
        assert m[2].rstrip("…") == c.quote
        assert len(c.quote) <= MAX_POINT_CHARS + 30
        assert len(c.quote) >= 8 and c.quote not in doc_title  # no bare title line
        assert not c.quote.endswith(("：", ":"))  # no "包括以下几个方面：" lead-in
    spans = sorted((c.doc_id, c.quote_start, c.quote_end) for c in a.citations)
    assert all(x[0] != y[0] or x[2] <= y[1] for x, y in zip(spans, spans[1:])), "two points quote the same text"


def test_overview_points_are_about_the_topic(pipe):
    a = pipe.ask("人工智能在双十一中有哪些作用？")
    assert len(a.citations) >= 2, a.check
    assert all(re.search("人工智能|AI|智能", c.quote) for c in a.citations), a.answer


@pytest.mark.parametrize("question, expected", [
    ("跨境品类里除了图书，还有哪些轻小件卖爆了？", "小家电"),
    ("京东新增了哪些海外包邮区？", "马来西亚"),
    ("天猫双11有多少品牌成交额破亿？", "373"),
])
def test_fact_questions_keep_the_one_quote_answer(pipe, question, expected):
    a = pipe.ask(question)
    assert not a.refused and expected in a.answer
    assert not _points(a.answer) and "以下几点" not in a.answer


@pytest.mark.parametrize("question", ["今年楼市有哪些新变化？", "拼多多双11有哪些新趋势？"])
def test_overview_of_something_the_documents_do_not_cover_is_refused(pipe, question):
    a = pipe.ask(question)
    assert a.refused and not a.citations


def test_short_point_cuts_at_a_clause_and_stays_verbatim():
    doc = "前文。1. 个性化消费趋势增强：消费者越来越倾向于寻求个性化的产品和服务，电商平台通过大数据分析推出定制化优惠。"
    start = doc.index("1.")
    s = Sentence(doc[start:], start, len(doc))
    p = short_point(s, limit=30)
    assert p.text == "个性化消费趋势增强：消费者越来越倾向于寻求个性化的产品和服务"
    assert doc[p.start:p.end] == p.text
    assert short_point(Sentence("短句，没有必要切。", 0, 9)).text == "短句，没有必要切。"


def _cand(chunk: Chunk, text: str, score: float) -> Candidate:
    start = chunk.start + chunk.text.index(text)
    return Candidate(chunk, 0, Sentence(text, start, start + len(text)), score, score, (), score, 0, 1.0)


def test_choose_points_skips_headings_and_near_duplicates():
    a = Chunk("d:0", "d", "电商新趋势", "", "正文", "电商新趋势\n直播带货成为平台增长的重要动力。", 0, 22)
    b = Chunk("d:1", "d", "电商新趋势", "", "摘要", "直播带货成为各个平台增长的重要动力。以旧换新带动了家电销售的明显增长。", 30, 66)
    cands = [_cand(a, "电商新趋势", 0.9), _cand(a, "直播带货成为平台增长的重要动力。", 0.8),
             _cand(b, "直播带货成为各个平台增长的重要动力。", 0.8), _cand(b, "以旧换新带动了家电销售的明显增长。", 0.7)]
    chosen = choose_points(cands, lambda t: [t[i:i + 2] for i in range(len(t) - 1)])
    texts = [c.sentence.text for c in chosen]
    assert "电商新趋势" not in texts  # the title line
    assert texts[0] == "直播带货成为平台增长的重要动力。"
    assert texts[1:] == ["以旧换新带动了家电销售的明显增长。"]  # not the other wording of the first point


def _chunk(text: str, cid: str = "d:0", section: str = "") -> Chunk:
    return Chunk(cid, "d", "事故调查", "", section, text, 0, len(text))


def _at(chunk: Chunk, text: str) -> Candidate:
    return _cand(chunk, text, 0.5)


def test_an_intro_sentence_gives_the_points_it_announces():
    text = ("随后的调查发现有多种原因导致了本次事故。首先是轮胎检查不够严格。其次，机长放弃起飞的决定太晚。"
            "调查组还批评了刹车训练。\n事故之后，机场延长了跑道。")
    chunk = _chunk(text)
    points = items_after(_at(chunk, "随后的调查发现有多种原因导致了本次事故。"), [chunk])
    assert [p.sentence.text for p in points] == ["首先是轮胎检查不够严格。", "其次，机长放弃起飞的决定太晚。", "调查组还批评了刹车训练。"]
    assert all(text[p.sentence.start:p.sentence.end] == p.sentence.text for p in points)
    assert is_intro("随后的调查发现有多种原因导致了本次事故。", "原因")
    assert not is_intro("事故的原因仍在调查中。", "原因")  # announces no list


def test_numbered_items_after_an_intro_skip_their_continuation_lines():
    text = ("报告包括以下几个方面：\n\n1. 销售亮眼：成交额保持增长。京东的品牌数翻倍。\n\n"
            "2. 个性化消费增强：平台推出定制化优惠。\n\n这些事件展示了繁荣景象。")
    chunk = _chunk(text)
    points = items_after(_at(chunk, "报告包括以下几个方面："), [chunk])
    assert [p.sentence.text for p in points] == ["销售亮眼：成交额保持增长。", "个性化消费增强：平台推出定制化优惠。"]


@pytest.fixture(scope="module")
def plants(tmp_path_factory):
    """One short article on 茉莉花 (a single passage) among articles on other plants."""
    docs = tmp_path_factory.mktemp("plants")
    (docs / "茉莉.txt").write_text(
        "茉莉花\n茉莉花是木犀科素馨属的植物，原产印度。茉莉花枝条细长，夏季开白色花朵，香气浓郁。"
        "茉莉花在南方多用来布置庭院和窗台。茉莉花喜温暖湿润的气候。", encoding="utf-8")
    for name in ("玫瑰", "桂花", "荷花", "菊花", "兰花"):
        (docs / f"{name}.txt").write_text(f"{name}\n{name}是常见的观赏植物，在中国各地广泛栽培。"
                                          f"{name}的花期因品种而异，花色丰富。人们常用{name}装点庭院。", encoding="utf-8")
    settings = load_settings({"docs": [str(docs)], "index": str(tmp_path_factory.mktemp("idx")), "mode": "lexical"},
                             env={})
    build_index(settings)
    return Pipeline.open(settings)


def test_points_may_share_a_short_passage(plants):
    a = plants.ask("茉莉花有哪些特点？")
    assert len(_points(a.answer)) >= 2 and len({c.chunk_id for c in a.citations}) == 1, a.answer
    assert all("茉莉花" in c.quote for c in a.citations)


def test_an_overview_of_an_aspect_the_passages_never_mention_is_not_a_list_of_other_facts(plants):
    a = plants.ask("茉莉花对人的不良影响有哪些？")
    assert "以下几点" not in a.answer  # every sentence names 茉莉花, none says anything 不良


def test_english_overview_over_english_documents(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "solar.txt").write_text(
        "Solar power\nSolar power is growing fast in many countries. The cost of solar panels fell by half in "
        "ten years. Rooftop solar is now common in cities. Storage batteries make solar power usable at night.",
        encoding="utf-8")
    (docs / "wind.txt").write_text("Wind power\nWind farms are built offshore. Turbines are getting taller "
                                       "every year.", encoding="utf-8")
    (docs / "coal.txt").write_text("Coal\nCoal use is falling in Europe. Many coal plants closed last year.",
                                       encoding="utf-8")
    settings = load_settings({"docs": [str(docs)], "index": str(tmp_path / "idx"), "mode": "lexical"}, env={})
    build_index(settings)
    a = Pipeline.open(settings).ask("What are the main trends in solar power?")
    assert a.answer.startswith("The main points:\n"), a.answer
    points = _points(a.answer)
    assert len(points) >= 2 and all("solar" in m[2].lower() for m in points)
