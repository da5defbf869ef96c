"""Text (header parser, Markdown, seed-format hand-off), CSV and e-mail readers."""
from __future__ import annotations

import base64
from email.header import Header
from email.message import EmailMessage
from pathlib import Path

import pytest

from rag.ingest.formats import UnreadableDocument, read_document, sniff
from rag.ingest.formats.text import parse_header, parse_text


def check_offsets(doc) -> None:
    for s in doc.sections:
        body = doc.text[s.start:s.end]
        assert body and body == body.strip()
        if s.start:
            assert doc.text[s.start - 1] == "\n"
    assert [s.start for s in doc.sections] == sorted(s.start for s in doc.sections)


def body_of(doc, title: str) -> str:
    (sec,) = [s for s in doc.sections if s.title == title]
    return doc.text[sec.start:sec.end]


NEWS = """标题：个性定制、AI赋能……“双十一”消费展现新趋势
链接：https://example.com/news/1
日期：2024年11月1日
作者：新华社记者 王某
关键词：双十一，个性定制、人工智能

今年“双11”电商购物节开启以来，各平台销售数据亮眼。
专家表示：消费热情持续升温。
"""


# ---------------------------------------------------------------- text

def test_news_txt_with_full_width_header(tmp_path):
    path = tmp_path / "news.txt"
    path.write_text(NEWS, encoding="utf-8")
    doc = read_document(path)
    check_offsets(doc)
    assert doc.title == "个性定制、AI赋能……“双十一”消费展现新趋势"
    assert doc.url == "https://example.com/news/1"
    assert doc.metadata["date"] == "2024年11月1日" and doc.metadata["author"] == "新华社记者 王某"
    assert doc.metadata["keywords"] == ["双十一", "个性定制", "人工智能"]
    assert doc.metadata["format"] == "text"
    assert [s.title for s in doc.sections] == ["正文"]
    assert body_of(doc, "正文") == "今年“双11”电商购物节开启以来，各平台销售数据亮眼。\n专家表示：消费热情持续升温。"
    assert "链接" not in doc.text and "标题" not in doc.text


def test_body_line_with_a_colon_stays_body(tmp_path):
    path = tmp_path / "meeting.txt"
    path.write_text("标题：周例会通知\n\n时间：上午九点开会\n地点：三楼会议室\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "周例会通知" and "date" not in doc.metadata
    assert body_of(doc, "正文") == "时间：上午九点开会\n地点：三楼会议室"


def test_no_header_first_line_is_title(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("会议纪要\n时间：上午九点开会\n大家讨论了预算。", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "会议纪要" and doc.url == "" and "header" not in doc.metadata
    assert body_of(doc, "正文") == "时间：上午九点开会\n大家讨论了预算。"


@pytest.mark.parametrize("text, fields, body", [
    ("Title: Hello\nURL: https://a.example/x\nDate: 2024-01-02\n\nBody: text", {"title": "Hello", "url": "https://a.example/x", "date": "2024-01-02"}, "\nBody: text"),
    ("来源：https://a.example/y\n正文", {"url": "https://a.example/y"}, "正文"),
    ("来源：新华社\n正文", {"source": "新华社"}, "正文"),
    ("链接：见附件\n正文", {}, "链接：见附件\n正文"),  # not a URL: not a header
    ("日期：下周再定\n正文", {}, "日期：下周再定\n正文"),  # not a date
    ("时间：上午九点开会", {}, "时间：上午九点开会"),
    ("专家表示：消费热情持续升温。", {}, "专家表示：消费热情持续升温。"),
    ("---\ntitle: \"周报\"\ntags: a, b\n---\n# 进展\n内容", {"title": "周报", "keywords": "a, b"}, "# 进展\n内容"),
])
def test_parse_header(text, fields, body):
    h = parse_header(text)
    assert h.fields == fields
    assert text[h.body_start:] == body


def test_markdown_headings_become_sections(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text("# 使用指南\n\n简介文字。\n\n## 安装\n\n运行 pip install。\n\n## 配置\n\n编辑配置文件。\n", encoding="utf-8")
    doc = read_document(path)
    check_offsets(doc)
    assert doc.title == "使用指南" and doc.metadata["format"] == "markdown"
    assert [s.title for s in doc.sections] == ["使用指南", "安装", "配置"]
    assert body_of(doc, "安装") == "运行 pip install。"


def test_seed_format_goes_to_the_existing_reader(tmp_path):
    seed = "标题: 双11战报\n链接: https://example.com/s\n总结: 今年双11成交额创新高。\n关键词: 双11, 电商\n"
    assert parse_text(seed, "seed.txt") is None
    path = tmp_path / "seed.txt"
    path.write_text(seed, encoding="utf-8")
    doc = read_document(path)
    assert doc.metadata["format"] == "seed"
    assert doc.title == "双11战报" and doc.url == "https://example.com/s"
    assert "今年双11成交额创新高。" in doc.text


def test_invisible_characters_are_removed_full_width_kept(tmp_path):
    path = tmp_path / "bidi.txt"
    path.write_text("说明\n价格\u202e１２３\u202c元\u200b，\u2066库存\u2069充足\u200e。\x07", encoding="utf-8")
    doc = read_document(path)
    assert body_of(doc, "正文") == "价格１２３元，库存充足。"


def test_gbk_text_and_undecodable_bytes(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("标题：国潮服饰\n\n国潮品牌销量上涨。".encode("gbk"))
    doc = read_document(path)
    assert doc.title == "国潮服饰" and doc.metadata["encoding"] == "gb18030"
    bad = tmp_path / "bad.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnreadableDocument, match=r"^binary or undecodable"):
        read_document(bad)


# ---------------------------------------------------------------- csv

CSV_ROWS = [["城市", "门店数", "备注"]] + [[f"城市{i}", str(i * 3), "新开" if i % 2 else ""] for i in range(1, 23)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_and_gbk(tmp_path, encoding):
    path = tmp_path / "门店.csv"
    path.write_bytes("\r\n".join(",".join(r) for r in CSV_ROWS).encode(encoding))
    doc = read_document(path)
    check_offsets(doc)
    assert [s.title for s in doc.sections] == ["第2–21行", "第22–23行"]
    lines = body_of(doc, "第2–21行").split("\n")
    assert lines[0] == "城市：城市1；门店数：3；备注：新开。"
    assert lines[1] == "城市：城市2；门店数：6。"
    assert doc.metadata["header"] == ["城市", "门店数", "备注"]
    assert doc.metadata["rows"] == 22 and doc.title == "门店"
    assert doc.metadata["encoding"] == ("utf-8" if encoding == "utf-8" else "utf-8-sig" if encoding == "utf-8-sig" else "gb18030")


def test_tsv_and_quoted_newlines(tmp_path):
    path = tmp_path / "a.tsv"
    path.write_text("问题\t答案\n退货期限？\t\"七天内\n无理由\"\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.text == "第2行\n问题：退货期限？；答案：七天内 无理由。"


# ---------------------------------------------------------------- eml

def make_eml(path: Path) -> Path:
    msg = EmailMessage()
    msg["Subject"] = Header("关于五一假期值班安排的通知", "utf-8").encode()  # RFC 2047 encoded
    msg["From"] = "行政部 <admin@example.com>"
    msg["To"] = "all@example.com"
    msg["Date"] = "Mon, 22 Apr 2024 09:30:00 +0800"
    msg.set_content("各位同事：\n五一假期期间，5月1日由张三值班。\n请知悉。", charset="utf-8")
    msg.add_alternative("<html><body><p>各位同事：</p><p><b>五一</b>假期期间……（HTML版）</p></body></html>", subtype="html")
    msg.add_attachment("排班表内容".encode("utf-8"), maintype="application", subtype="octet-stream", filename="排班表.xlsx")
    path.write_bytes(msg.as_bytes())
    return path


def test_eml_subject_headers_plain_body_and_attachments(tmp_path):
    path = make_eml(tmp_path / "notice.eml")
    raw = path.read_bytes().decode("utf-8")
    assert "=?utf-8?" in raw  # the subject is really encoded
    assert sniff(path) == "eml"
    doc = read_document(path)
    check_offsets(doc)
    assert doc.title == "关于五一假期值班安排的通知"
    assert doc.metadata["from"] == "行政部 <admin@example.com>"
    assert doc.metadata["date_iso"] == "2024-04-22T09:30:00+08:00"
    assert doc.metadata["body_type"] == "text/plain"
    assert doc.metadata["attachments"] == [
        {"filename": "排班表.xlsx", "content_type": "application/octet-stream", "size": len("排班表内容".encode())}]
    assert [s.title for s in doc.sections] == ["邮件信息", "正文"]
    assert body_of(doc, "正文") == "各位同事：\n五一假期期间，5月1日由张三值班。\n请知悉。"
    assert "发件人：行政部 <admin@example.com>" in body_of(doc, "邮件信息")


def test_eml_html_only_and_gb2312(tmp_path):
    html = "<html><head><style>p{color:red}</style></head><body><p>季度会议改到</p><p>周五下午三点。</p></body></html>"
    raw = (
        "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?gb2312?B?"
        + base64.b64encode("会议通知".encode("gb2312")).decode()
        + "?=\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=gb2312\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(html.encode("gbk")).decode() + "\r\n"
    )
    path = tmp_path / "mail.txt"  # an e-mail saved as .txt is still an e-mail
    path.write_bytes(raw.encode("ascii"))
    doc = read_document(path)
    assert doc.metadata["format"] == "eml" and doc.title == "会议通知"
    assert body_of(doc, "正文") == "季度会议改到\n周五下午三点。"
