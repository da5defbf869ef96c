"""Damaged text: mixed encodings are read line by line (no mojibake), a few bad bytes no longer skip a
file, charset-normalizer reads other legacy encodings, duplicate content is indexed once with both names,
and bidi/direction controls never reach the index (or an answer)."""
from __future__ import annotations

from rag.ingest.corpus import SAME_CONTENT, load_corpus
from rag.index.build import build_index
from rag.pipeline import Pipeline

from reliability_helpers import lexical_settings

UTF8_LINE = "星河科技2024年的营业收入为111亿元，同比增长12%。\n"
GBK_LINE = "公司总部位于杭州，员工超过三千人。\n"


def _texts(folder):
    corpus = load_corpus([str(folder)])
    return {d.path.rsplit("/", 1)[-1]: d for d in corpus.documents}, corpus


def test_mixed_utf8_and_gbk_lines_are_both_read(tmp_path):
    (tmp_path / "mixed.txt").write_bytes(("星河科技年度报告\n" + UTF8_LINE * 3).encode() + GBK_LINE.encode("gbk") * 2)
    docs, _ = _texts(tmp_path)
    text = docs["mixed.txt"].text
    assert "营业收入为111亿元" in text and "公司总部位于杭州" in text


def test_a_few_bad_bytes_do_not_skip_the_file(tmp_path):
    data = ("星河科技年度报告\n" + UTF8_LINE * 20).encode()
    data = data[:100] + b"\xff\xfe\xfa" + data[100:]  # damage inside the text
    (tmp_path / "damaged.txt").write_bytes(data)
    docs, corpus = _texts(tmp_path)
    assert "damaged.txt" in docs, corpus.skipped
    assert docs["damaged.txt"].text.count("营业收入为111亿元") >= 19


def test_big5_is_read_through_charset_normalizer(tmp_path):
    big5 = "臺灣積體電路製造股份有限公司於去年營業收入創下歷史新高，董事會決議發放現金股利。\n" * 5
    (tmp_path / "big5.txt").write_bytes(big5.encode("big5"))
    docs, corpus = _texts(tmp_path)
    assert "big5.txt" in docs and "營業收入" in docs["big5.txt"].text, corpus.skipped


def test_same_content_under_two_names_is_indexed_once_with_both(tmp_path):
    body = "星河科技年度报告\n" + UTF8_LINE * 3
    (tmp_path / "a.txt").write_text(body, encoding="utf-8")
    (tmp_path / "copy of a.txt").write_text(body, encoding="utf-8")
    docs, corpus = _texts(tmp_path)
    assert len(corpus.documents) == 1
    names = corpus.documents[0].metadata[SAME_CONTENT]
    assert [n.rsplit("/", 1)[-1] for n in names] == ["a.txt", "copy of a.txt"]


def test_bidi_controls_never_reach_the_index_or_answers(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    evil = "星河科技年度报告\n星河科技2024年的营业收入为\u202e111\u202c亿元\u2066，\u2067同比\u2068增长\u2069\u200e12%\u200f。\u202a\u202b\u202d\n"
    (docs / "bidi.txt").write_text(evil, encoding="utf-8")
    settings = lexical_settings(docs, tmp_path / "index")
    build_index(settings)
    answer = Pipeline.open(settings).ask("星河科技2024年的营业收入是多少？")
    bidi = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
    chunks = (tmp_path / "index").glob("builds/*/chunks.jsonl")
    assert not bidi & set(next(chunks).read_text(encoding="utf-8").encode().decode("unicode_escape"))
    assert "111" in answer.answer and not bidi & set(answer.answer)
    assert not bidi & set(str(answer.to_dict()))
