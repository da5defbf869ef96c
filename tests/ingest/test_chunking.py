"""Sentence boundaries and chunk offsets."""
from pathlib import Path

import pytest

from rag.ingest.chunking import ChunkSettings, chunk_document, pack
from rag.ingest.documents import build_document
from rag.ingest.loader import read_source
from rag.text.sentences import split_sentences
from rag.types import Document, Section

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_63f0bc8c7ce5e8c2.txt"


def texts(s):
    return [x.text for x in split_sentences(s)]


def test_closing_quote_stays_with_its_sentence():
    assert texts("他说：“好。”我们走吧！") == ["他说：“好。”", "我们走吧！"]


def test_never_split_inside_a_number():
    assert texts("咨询量超21.6亿次。增长3.5%。") == ["咨询量超21.6亿次。", "增长3.5%。"]


def test_all_chinese_enders_and_ellipsis():
    assert texts("一；二？三！四……五") == ["一；", "二？", "三！", "四……", "五"]


def test_long_run_without_punctuation_is_cut_outside_numbers():
    s = "甲" * 230 + "12345.678" + "乙" * 100
    parts = split_sentences(s, max_len=240)
    assert "".join(p.text for p in parts) == s
    assert all(len(p.text) <= 240 for p in parts)
    assert any("12345.678" in p.text for p in parts)


def test_offsets_slice_back(seed=None):
    doc = build_document(read_source(SEED))
    chunks = chunk_document(doc)
    assert len(chunks) > 10
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        assert c.doc_id == doc.doc_id and c.title == doc.title and c.url == doc.url
        assert c.section


def test_chunks_respect_size_and_overlap():
    doc = build_document(read_source(SEED))
    chunks = chunk_document(doc, ChunkSettings(size=120, overlap=40))
    for c in chunks:
        # a single sentence longer than the size is its own chunk
        assert len(c.text) <= 120 or len(split_sentences(c.text)) == 1
    same_section = [(a, b) for a, b in zip(chunks, chunks[1:]) if a.section == b.section]
    assert any(b.start < a.end for a, b in same_section), "consecutive chunks should overlap"


def test_chunks_never_cross_sections():
    text = "第一节一句。第一节二句。\n\n第二节一句。"
    doc = Document("d", "t", "", text, (Section("一", 0, 12), Section("二", 14, len(text))))
    chunks = chunk_document(doc, ChunkSettings(size=200, overlap=0))
    assert [c.section for c in chunks] == ["一", "二"]
    assert chunks[0].text == "第一节一句。第一节二句。"


def test_pack_hand_example():
    # Three 8-character sentences, chunks of at most 20 characters, overlap of one sentence.
    sents = split_sentences("一二三四五六七。八九十百千万亿。甲乙丙丁戊己庚。")
    groups = pack(sents, ChunkSettings(size=20, overlap=8))
    assert [[s.text for s in g] for g in groups] == [
        ["一二三四五六七。", "八九十百千万亿。"], ["八九十百千万亿。", "甲乙丙丁戊己庚。"]]


def test_bad_chunk_settings():
    with pytest.raises(ValueError):
        ChunkSettings(size=100, overlap=100)
