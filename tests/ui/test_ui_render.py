"""Rendering answers for the page, without a browser: escaping, links, highlights, the mode line, examples."""
from __future__ import annotations

import doctest
import re

import pytest

import ui.examples
import ui.inputs
import ui.render

from rag.pipeline import Pipeline
from rag.types import Answer, Citation
from ui.examples import cloze, example_questions
from ui.render import answer_markdown, highlight, md_escape, safe_url, sources_html, user_markdown
from ui.status import index_html, mode_html
from ui_helpers import HOSTILE_QUESTION, corpus_settings

EVIL = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "<a href=\"javascript:alert(1)\">x</a>",
        "[x](javascript:alert(1))", "![x](https://evil.example/i.png)", "<https://evil.example>",
        "https://evil.example/x", "www.evil.example", "a@evil.example", "```mermaid\ngraph TD; A-->B\n```",
        "~~~mermaid\ngraph\n~~~", "$$x$$", "&lt;script&gt;", "<svg/onload=alert(1)>", "<iframe src=//evil>"]


def cite(n: int = 1, title: str = "标题", url: str = "https://example.com/a", text: str = "前文。关键句。后文。",
         quote: str = "关键句。", start: int = 10, section: str = "正文") -> Citation:
    qs = start + text.find(quote) if quote in text else -1
    return Citation(n=n, title=title, url=url, text=text, doc_id="d", chunk_id="d:0", start=start,
                    end=start + len(text), section=section, quote=quote, quote_start=qs, quote_end=qs + len(quote))


@pytest.mark.parametrize("evil", EVIL)
def test_markdown_escape_leaves_no_tag_link_or_fence(evil: str) -> None:
    out = md_escape(evil)
    assert "<" not in out and ">" not in out  # every angle bracket is an entity
    bare = re.sub(r"\[\d+\]", "", out)  # citation markers stay as typed
    assert not re.search(r"(?<!\\)[\[\]()`~$:@]", bare)  # link, image, code fence, math, autolink syntax escaped
    assert not re.search(r"www\.", out, re.I)


def test_markdown_escape_keeps_plain_chinese_numbers_and_markers() -> None:
    assert md_escape("超1.6万个品牌，同比增长超40%。[1][2]") == "超1.6万个品牌，同比增长超40%。[1][2]"
    # A marker cannot be turned into a link: what follows it is escaped, and no definition can be written.
    assert md_escape("[1](javascript:x)") == "[1]\\(javascript\\:x\\)"
    assert md_escape("[1]: javascript:x") == "[1]\\: javascript\\:x"
    assert md_escape("a\x00b\u202ec\x1bd") == "abcd"  # control and bidi characters removed


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)",
                                 "java\tscript:alert(1)", "data:text/html,<script>", "vbscript:x", "file:///etc/passwd",
                                 "//evil.example/x", "https://", "https://a b", 'https://a"onmouseover=x', ""])
def test_only_plain_http_urls_are_links(url: str) -> None:
    assert safe_url(url) is None


def test_http_urls_are_links() -> None:
    assert safe_url("http://example.com/x?a=1&b=2") == "http://example.com/x?a=1&b=2"
    assert safe_url("HTTPS://example.com") == "HTTPS://example.com"


def test_sources_link_http_titles_and_show_other_schemes_as_text() -> None:
    page = sources_html(Answer("q", "a[1][2]", False, (cite(1), cite(2, title="<b>坏</b>", url="javascript:alert(1)"))))
    assert page.count("<a ") == 1 and 'href="https://example.com/a"' in page and 'rel="noopener noreferrer nofollow"' in page
    assert "&lt;b&gt;坏&lt;/b&gt;" in page and "<b>" not in page
    assert 'href="javascript' not in page and "javascript:alert(1)" in page  # shown, not linked
    assert "章节：正文" in page and "来源（2）" in page


def test_hostile_citation_renders_inert() -> None:
    evil = "".join(EVIL)
    page = sources_html(Answer("q", evil, False, (cite(1, title=evil, url=evil, text=evil + "。", quote=evil + "。",
                                                       section=evil),)))
    tags = set(re.findall(r"<\s*([a-zA-Z]+)", page))
    assert tags <= {"div", "ol", "li", "span", "blockquote", "mark"}  # no img, script, a, svg, iframe


def test_supporting_sentence_is_highlighted() -> None:
    assert highlight(cite()) == "前文。<mark>关键句。</mark>后文。"
    # Offsets that disagree with the text fall back to finding the quote; no quote, no mark.
    moved = Citation(1, "t", "", "前文。关键句。", "d", "c", 0, 7, quote="关键句。", quote_start=99, quote_end=103)
    assert highlight(moved) == "前文。<mark>关键句。</mark>"
    assert "<mark>" not in highlight(cite(quote=""))


def test_answer_markdown_lists_sources_and_streams_with_a_cursor() -> None:
    done = answer_markdown("答案[1]", (cite(1, title="<i>t</i>"),))
    assert done.startswith("答案[1]") and "来源：[1] &lt;i&gt;t&lt;/i&gt; · 正文" in done
    assert answer_markdown("答", pending=True).endswith("▍")
    assert "正在检索" in answer_markdown("", pending=True)


def test_overlong_user_message_is_shown_cut_with_its_length() -> None:
    shown = user_markdown("问" * 100_000, 2000)
    assert len(shown) < 2100 and "100,000" in shown


def test_mode_line_and_index_table_escape_everything() -> None:
    info = {"retrieval": "lexical", "answerer": "extractive", "documents": 2, "chunks": 22, "embedding_model": None,
            "notes": ["lexical retrieval only: <b>model</b> not available"], "tokenizer": "jieba", "reranker": None}
    line = mode_html(info)
    assert "词法检索" in line and "抽取式回答" in line and "2 篇文档" in line and "22 个片段" in line
    assert "&lt;b&gt;model&lt;/b&gt;" in line and "<b>" not in line
    table = index_html(info, {"created": "<script>", "sources": ["/d/<img>"], "documents": 2, "chunks": 22}, "/i")
    assert "<script>" not in table and "<img>" not in table and "&lt;script&gt;" in table


def test_cloze_turns_a_figure_into_a_question() -> None:
    assert cloze("截至10月20日，抖音电商平台已有近8000个品牌的成交额同比增长超200%。") \
        == "截至10月20日，抖音电商平台已有多少个品牌的成交额同比增长超200%？"
    assert cloze("<b>x</b>公司共有300个员工。") is None  # markup never becomes an example


def test_examples_come_from_the_loaded_corpus_and_are_answerable(tmp_path) -> None:
    settings = corpus_settings(tmp_path)
    pipe = Pipeline.open(settings, build_if_missing=False)
    examples = example_questions(list(pipe.index.documents.values()), lambda q: pipe.search(q))
    assert 2 <= len(examples) <= 4
    corpus = "".join(d.text for d in pipe.index.documents.values())
    for q in examples:
        assert "多少" in q and q.endswith("？")
        assert q.replace("多少", "")[:6] in corpus  # its words are the corpus's words
        assert not pipe.ask(q).refused
    assert all("<" not in q for q in examples) and HOSTILE_QUESTION not in examples


@pytest.mark.parametrize("module", [ui.render, ui.examples, ui.inputs])
def test_docstring_examples(module) -> None:
    # pyproject's doctest run covers tests/ and rag/; these are the ui's worked examples.
    assert doctest.testmod(module).failed == 0
