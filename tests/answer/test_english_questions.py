"""English questions over the Chinese seed, lexical mode (no embedding model): translated with CC-CEDICT,
retrieved with BM25 and answered on the Chinese path; the quote stays Chinese, refusals are English."""
import pytest

from rag.answer.prompting import REFUSAL_EN
from rag.text import cedict


@pytest.mark.parametrize("question, expected", [
    ("How many brands on Tmall had sales of more than 100 million yuan?", "373"),
    ("Which countries did JD add as overseas free-shipping zones?", "马来西亚"),
    ("How much higher is the conversion rate of AI digital-human livestreams?", "30%"),
])
def test_english_questions_are_answered_with_a_chinese_quote_in_lexical_mode(pipe, question, expected):
    a = pipe.ask(question, mode="lexical")
    assert not a.refused, a.check
    assert expected in a.answer and "[1]" in a.answer
    c = a.citations[0]
    assert pipe.index.documents[c.doc_id].text[c.quote_start:c.quote_end] == c.quote
    assert a.check.get("translated_question")


@pytest.mark.parametrize("question", [
    "How many parcels did SF Express deliver during Double 11?",
    "What did Pinduoduo's CEO say about Temu's profits?",
    "Who won the Nobel Prize in literature?",
])
def test_english_questions_the_documents_do_not_cover_are_refused_in_english(pipe, question):
    a = pipe.ask(question, mode="lexical")
    assert a.refused and a.answer == REFUSAL_EN


def test_without_the_dictionary_english_questions_are_refused_as_before(pipe, monkeypatch):
    cedict.reverse_index.cache_clear()
    monkeypatch.setattr(cedict.importlib.util, "find_spec", lambda name: None)
    try:
        a = pipe.ask("How many brands on Tmall had sales of more than 100 million yuan?", mode="lexical")
        assert a.refused and a.answer == REFUSAL_EN
    finally:
        cedict.reverse_index.cache_clear()
