"""Character-level closeness of a sentence to the question (rag/answer/surface.py)."""
from __future__ import annotations

import pytest

from rag.answer.surface import REFERS, around_wh, longest_shared, pair_share, question_text, title_share
from rag.text.tokenize import fold


def test_question_text_drops_punctuation_and_folds():
    assert question_text("天生三桥 位于什么地方？") == "天生三桥位于什么地方"


def test_longest_shared_run_skips_question_words():
    q = question_text("天生三桥位于什么地方？")
    assert longest_shared(q, fold("天生三桥位于重庆武隆县仙女山镇")) == pytest.approx(6 / 10)
    # "什么" is in the sentence but is a question word: it does not count
    assert longest_shared(q, fold("什么也没有")) == 0.0


def test_pairs_catch_a_paraphrase_the_words_miss():
    q = question_text("克伦贝格尔的出生地在哪里？")
    assert pair_share(q, fold("雅各布·克伦贝格尔，生于瑞士。")) > pair_share(q, fold("蔡敏籍贯湖北。"))


def test_words_around_the_question_word():
    q = question_text("硝酰氟首先被谁制成？")
    assert around_wh(q, fold("它首先被莫瓦桑制成。")) == (1.0, 1.0)
    assert around_wh(q, fold("硝酰氟是常见的硝酰盐。")) == (0.0, 0.0)
    assert around_wh(question_text("介绍一下"), "介绍") == (0.0, 0.0)  # no question word


def test_title_named_by_the_question_even_when_the_segmenter_splits_it():
    assert title_share(question_text("魏玩的弟弟是谁？"), fold("魏玩")) == 1.0
    assert title_share(question_text("魏玩的弟弟是谁？"), fold("憍陈如")) == 0.0


def test_sentence_that_refers_back():
    assert REFERS.match("它首先由莫瓦桑制得") and not REFERS.match("莫瓦桑制得")
