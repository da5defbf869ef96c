"""Parsing and cleaning: the seed's fields, duplicated headings, boilerplate, encodings."""
from pathlib import Path

import pytest

from rag.ingest.clean import split_headings, split_names, strip_byline
from rag.ingest.corpus import load_corpus
from rag.ingest.documents import build_document, html_to_text
from rag.ingest.loader import decode, read_source
from rag.ingest.seedformat import is_seed_format, parse_fields

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_63f0bc8c7ce5e8c2.txt"


@pytest.fixture(scope="module")
def seed_doc():
    return build_document(read_source(SEED))


def test_seed_fields_are_all_parsed():
    fields = parse_fields(SEED.read_text(encoding="utf-8"))
    assert list(fields) == ["标题", "链接", "总结", "关键词", "AI技术", "行业", "重大事件摘要"]
    assert fields["重大事件摘要"].rstrip().endswith("新的消费趋势。")
    assert "7. **政策支持**" in fields["重大事件摘要"]


def test_seed_document_metadata(seed_doc):
    assert seed_doc.title == "个性定制、AI赋能……“双十一”消费展现新趋势"
    assert seed_doc.url.startswith("https://baijiahao.baidu.com/")
    assert seed_doc.metadata["source"] == "经济日报"
    assert seed_doc.metadata["authors"] == ["赖奇春", "黄鑫"]
    assert seed_doc.metadata["关键词"] == ["个性定制", "人工智能", "以旧换新", "国潮品牌"]


def test_duplicated_headings_become_sections(seed_doc):
    titles = [s.title for s in seed_doc.sections]
    assert titles[:4] == ["正文", "个性化消费趋势增强", "人工智能赋能作用凸显", "以旧换新促销力度加大"]
    assert "个性化消费趋势增强个性化消费趋势增强" not in seed_doc.text
    assert "人工智能赋能作用凸显人工智能" not in seed_doc.text
    sec = seed_doc.sections[1]
    assert seed_doc.text[sec.start:sec.end].startswith("性价比是不少消费者")


def test_boilerplate_is_stripped_and_kept_as_metadata(seed_doc):
    body = seed_doc.text[: seed_doc.sections[3].end]
    assert body.endswith("高品质商品的需求。")
    assert "举报" not in seed_doc.text and "来源：经济日报来源" not in seed_doc.text
    assert "来源：经济日报" in seed_doc.text and "作者：赖奇春、黄鑫" in seed_doc.text


def test_summary_is_citable_text(seed_doc):
    summary = seed_doc.sections[-1]
    assert summary.title == "内容摘要"
    assert "天猫有373个品牌成交额破亿元" in seed_doc.text[summary.start:summary.end]


def test_split_headings_hand_example():
    parts = split_headings("导语。标题甲乙标题甲乙正文一。哈哈哈哈哈哈哈哈笑。")
    assert [(p.heading, p.text) for p in parts] == [("", "导语。"), ("标题甲乙", "正文一。哈哈哈哈哈哈哈哈笑。")]


def test_byline_variants():
    body, by = strip_byline("正文结束。来源：人民日报 作者：张三 李四 责任编辑：王五")
    assert body == "正文结束。" and by.source == "人民日报" and by.authors == ("张三", "李四") and by.editor == "王五"
    body, by = strip_byline("数据来源：国家统计局的统计显示增长很快，这是正文的一部分内容。")
    assert by.source == "" and body.endswith("一部分内容。")
    assert split_names("赖奇春 黄 鑫") == ["赖奇春", "黄鑫"]


def test_unknown_and_missing_fields_are_tolerated(tmp_path, caplog):
    p = tmp_path / "odd.txt"
    p.write_text("标题: 测试\n作者: 某人\n总结: 第一句。第二句。\n", encoding="utf-8")
    doc = build_document(read_source(p))
    assert doc.title == "测试" and doc.url == ""
    assert "unknown fields" in caplog.text and "作者" in caplog.text
    assert "第一句。第二句。" in doc.text


def test_plain_text_and_markdown(tmp_path):
    (tmp_path / "a.txt").write_text("一篇普通文章\n正文第一句。正文第二句！", encoding="utf-8")
    (tmp_path / "b.md").write_text("# 标题\n\n## 小节\n内容。\n", encoding="utf-8")
    corpus = load_corpus([str(tmp_path)])
    by_title = {d.title: d for d in corpus.documents}
    assert by_title["一篇普通文章"].text == "正文第一句。正文第二句！"
    assert by_title["标题"].sections[0].title == "小节"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "utf-8-sig"])
def test_encodings(tmp_path, encoding):
    p = tmp_path / "x.txt"
    p.write_bytes("标题: 编码测试\n总结: 双11成交额破亿。\n".encode(encoding))
    doc = build_document(read_source(p))
    assert doc.title == "编码测试" and "双11成交额破亿。" in doc.text


def test_binary_file_is_skipped_with_one_line_warning(tmp_path, caplog):
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "ok.txt").write_text("好文章\n内容。", encoding="utf-8")
    corpus = load_corpus([str(tmp_path)])
    assert [d.title for d in corpus.documents] == ["好文章"]
    assert len(corpus.skipped) == 1 and "bin.txt" in corpus.skipped[0] and "\n" not in corpus.skipped[0]


def test_decode_prefers_utf8_then_gb18030():
    assert decode("双十一".encode("utf-8")) == ("双十一", "utf-8")
    assert decode("双十一".encode("gb18030")) == ("双十一", "gb18030")
    assert decode(b"\x00\x01\x02\x03" * 100) is None


def test_html_scripts_never_reach_text():
    text = html_to_text("<html><title>T</title><script>alert(1)</script><p>正文&amp;内容</p><style>p{}</style></html>")
    assert "alert" not in text and "正文&内容" in text and "p{}" not in text


def test_is_seed_format():
    assert is_seed_format(SEED.read_text(encoding="utf-8"))
    assert not is_seed_format("专家表示：这不是字段。\n另一行。")
