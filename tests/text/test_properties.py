"""Property-based tests (hypothesis) of decoding, parsing, sentence splitting and chunking.

Any input: no exception, and every offset slices back to its text. The strategies mix
Chinese, ASCII, digits, the punctuation the splitter cuts at, quotes, newlines, control
and zero-width characters, markup and emoji, so the rare paths are tried often.
"""
from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from rag.ingest.chunking import ChunkSettings, chunk_document
from rag.ingest.documents import build_document, html_to_text
from rag.ingest.loader import SourceFile, _is_text, _plausibility, decode, display_path
from rag.pipeline import clean_question
from rag.text.sentences import MAX_SENTENCE, split_sentences
from rag.index.store import manifest_digest
from rag.types import Document, Section

PIECES = [
    "双11", "成交额", "破亿元", "京东", "天猫“双11”", "21.6亿", "3.5%", "１２３", "他说：“好。”", "我们走吧！",
    "。", "，", "！", "？", "；", "…", "……", "...", ".", "!", "?", ";", ":", "、", "”", "」", "）", "\n", "\n\n",
    " ", "\t", "\u3000", "\x00", "\x0b", "\u200b", "\ufeff", "\r\n", "#", "## 小节", "标题:", "总结:", "关键词:",
    "<p>", "</p>", "<script>", "</script>", "&amp;", "&#0;", "**", "😀", "👍🏽", "𠀀", "A.", "U.S.", "e.g.", "1.", "2024.",
]
texty = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=80).map("".join)
any_text = st.one_of(texty, st.text(max_size=400))
fast = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(st.binary(max_size=2000))
@example(b"\xff\xfe\x00")  # a UTF-16 BOM with an odd byte after it
@example(b"\x00" * 10)
@example("双11".encode("utf-16-le"))
def test_decode_never_raises(data):
    out = decode(data)
    assert out is None or (isinstance(out[0], str) and _is_text(out[0]))


@fast
@given(any_text, st.sampled_from(["utf-8", "gb18030", "utf-16", "utf-8-sig"]))
def test_text_survives_its_encoding(text, encoding):
    data = text.encode(encoding, "ignore")
    assume(data and _is_text(text) and "\ufeff" not in text and not text.startswith("\x00"))  # FF FE 00 00 is UTF-32
    out = decode(data)
    assume(out is not None)
    original = data.decode(encoding)
    if encoding in ("utf-16", "utf-8-sig"):  # a BOM says it
        assert out[0] == original
    else:  # bytes valid in two encodings are read the way that looks most like text
        assert out[0] == original or _plausibility(out[0]) >= _plausibility(original)


@fast
@given(st.lists(st.sampled_from(PIECES[:10]), min_size=2, max_size=40).map("".join),
       st.sampled_from(["utf-8", "gb18030", "utf-16-le", "utf-16-be"]))
def test_chinese_text_is_read_back_exactly(text, encoding):
    assert decode(text.encode(encoding))[0] == text


@fast
@given(st.binary(max_size=60))
def test_display_path_is_one_printable_line(raw):
    import os

    shown = display_path(os.fsdecode(raw))
    assert "\n" not in shown and "\r" not in shown
    shown.encode("utf-8")  # no lone surrogates


def _check_document(doc: Document) -> None:
    last = 0
    for sec in doc.sections:
        assert 0 <= last <= sec.start < sec.end <= len(doc.text)
        assert doc.text[sec.start:sec.end].strip()
        last = sec.end


@fast
@given(any_text, st.sampled_from(["a.txt", "b.md", "c.html", "d.htm", "e.markdown"]))
def test_parser_accepts_any_string(text, name):
    doc = build_document(SourceFile(f"/docs/{name}", text, "utf-8", "0" * 64))
    _check_document(doc)
    assert isinstance(doc.title, str) and len(doc.title) <= 200 or doc.metadata.get("format") == "seed"


@fast
@given(any_text)
def test_html_to_text_accepts_any_string(markup):
    text = html_to_text(markup)
    assert "<script>" not in markup or "alert" not in text or "alert" in markup.replace("<script>", "", 1)


@fast
@given(any_text, st.integers(0, 50), st.integers(10, 300))
def test_sentences_slice_back_and_lose_nothing(text, offset, max_len):
    sents = split_sentences(text, offset=offset, max_len=max_len)
    pos = offset
    for s in sents:
        assert text[s.start - offset:s.end - offset] == s.text and s.text == s.text.strip() and s.text
        assert s.start >= pos and len(s.text) <= max_len
        pos = s.end
    kept = "".join(s.text for s in sents)
    assert [c for c in kept if not c.isspace()] == [c for c in text if not c.isspace()]


@st.composite
def documents(draw) -> Document:
    parts = draw(st.lists(any_text, min_size=1, max_size=5))
    text, sections = "", []
    for i, part in enumerate(parts):
        if text:
            text += "\n\n"
        start = len(text)
        text += part
        if part.strip():
            sections.append(Section(f"s{i}", start, len(text)))
    return Document("doc-1", "t", "", text, tuple(sections))


@fast
@given(documents(), st.integers(20, 400), st.data())
def test_chunks_slice_back_stay_in_their_section_and_cover_it(doc, size, data):
    overlap = data.draw(st.integers(0, size - 1))
    chunks = chunk_document(doc, ChunkSettings(size, overlap))
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text and c.text.strip()
        sec = next(s for s in doc.sections if s.title == c.section)
        assert sec.start <= c.start < c.end <= sec.end
        assert len(c.text) <= max(size, MAX_SENTENCE)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for sec in doc.sections:  # every non-space character of a section is in some chunk
        covered = set()
        for c in chunks:
            if c.section == sec.title:
                covered.update(range(c.start, c.end))
        assert all(i in covered for i in range(sec.start, sec.end) if not doc.text[i].isspace())


@fast
@given(any_text, st.sampled_from(["a.txt", "b.md", "c.html"]), st.integers(20, 300))
def test_parse_then_chunk_any_string(text, name, size):
    doc = build_document(SourceFile(f"/docs/{name}", text, "utf-8", "0" * 64))
    for c in chunk_document(doc, ChunkSettings(size, size // 3)):
        assert doc.text[c.start:c.end] == c.text


@fast
@given(st.text(max_size=3000), st.integers(1, 2000))
def test_clean_question_bounds_any_input(question, limit):
    q, notes = clean_question(question, limit)
    assert len(q) <= limit and q == q.lstrip()
    assert not any(ch in q for ch in "\x00\x0b\u200b\ufeff")
    assert not notes or len(q) == limit  # a note only when the question was cut


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(alphabet=string.printable + "中文"),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@fast
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=8))
def test_manifest_checksum_survives_a_json_round_trip(manifest):
    again = json.loads(json.dumps(manifest, ensure_ascii=False, indent=1))
    assert manifest_digest(again) == manifest_digest(manifest)


def test_one_stray_nul_after_short_utf8_is_not_utf16():
    # Found by hypothesis: "双11\x00" (valid UTF-8) was read as UTF-16, "迥ㆌ1".
    text, _ = decode("双11\x00".encode("utf-8"))
    assert text.replace("\x00", "") == "双11"
