"""PDF reader: pages as sections, Chinese extraction repairs, scanned/encrypted/damaged files."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pypdf")
pytest.importorskip("reportlab")

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from rag.errors import RagError  # noqa: E402
from rag.ingest.formats import UnreadableDocument, read_document, sniff  # noqa: E402
from rag.ingest.formats.pdf import PdfReader, fix_cjk_spacing, join_wrapped_lines, strip_running_lines  # noqa: E402

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def check_offsets(doc) -> None:
    for s in doc.sections:
        body = doc.text[s.start:s.end]
        assert body and body == body.strip()
        if s.start:
            assert doc.text[s.start - 1] == "\n"  # the heading (or a blank line) sits outside the span
    assert [s.start for s in doc.sections] == sorted(s.start for s in doc.sections)


def make_report(path: Path, **kw) -> Path:
    """A 3-page Chinese report: running header and page-number footer on each page;
    the fact about 营业收入 only on page 3, wrapped over two lines."""
    c = canvas.Canvas(str(path), pagesize=A4, **kw)
    c.setTitle("星河科技2023年度报告")
    pages = [
        ["第一章 公司概况", "星河科技成立于二〇一〇年，总部位于杭州，主要从事智能仓储机器人的研发与销售，员工约三千人。"],
        ["第二章 业务回顾", "报告期内公司推出了第三代分拣机器人，并在华东地区新建两座生产基地，产能提升明显。"],
        ["第三章 财务摘要", "二〇二三年公司实现营业收入一百二十八亿元，同比增长百分之二十三，净利润十一亿元。"],
    ]
    for n, (heading, para) in enumerate(pages, 1):
        c.setFont(FONT, 9)
        c.drawString(72, 800, "星河科技股份有限公司 2023年年度报告")
        c.setFont(FONT, 14)
        c.drawString(72, 740, heading)
        c.setFont(FONT, 12)
        y = 710
        for i in range(0, len(para), 26):  # hard-wrapped like a typeset paragraph
            c.drawString(72, y, para[i:i + 26])
            y -= 18
        c.setFont(FONT, 9)
        c.drawString(290, 40, f"- {n} -")
        c.showPage()
    c.save()
    return path


def test_pages_become_sections_and_the_fact_is_on_page_3(tmp_path):
    doc = read_document(make_report(tmp_path / "年报.pdf"))
    check_offsets(doc)
    assert [s.title for s in doc.sections] == ["第1页", "第2页", "第3页"]
    assert doc.metadata["pages"] == 3 and doc.metadata["section_pages"] == [1, 2, 3]
    assert doc.metadata["format"] == "pdf"
    assert doc.title == "星河科技2023年度报告" and doc.url == ""
    fact = "二〇二三年公司实现营业收入一百二十八亿元"
    hits = [s for s in doc.sections if fact in doc.text[s.start:s.end]]
    assert [s.title for s in hits] == ["第3页"]
    assert doc.section_at(doc.text.index(fact)) == "第3页"
    # the wrapped paragraph is one line again; heading keeps its own line
    assert "第三章 财务摘要\n二〇二三年" in doc.text
    assert "同比增长百分之二十三，净利润十一亿元。" in doc.text
    # running header and page numbers are gone
    assert "年度报告" not in doc.text.replace(doc.title, "") and "- 3 -" not in doc.text
    assert doc.metadata["running_lines_removed"] == 6


def test_doc_id_is_stable_and_title_falls_back(tmp_path):
    a = PdfReader().read(make_report(tmp_path / "a.pdf"))
    b = PdfReader().read(make_report(tmp_path / "a.pdf"))
    assert a.doc_id == b.doc_id and a.doc_id.startswith("a-") and len(a.doc_id) == len("a-") + 8


def test_pdf_renamed_txt_is_sniffed_as_pdf(tmp_path):
    path = make_report(tmp_path / "report.pdf").rename(tmp_path / "report.txt")
    assert sniff(path) == "pdf"
    doc = read_document(path)
    assert doc.metadata["format"] == "pdf" and len(doc.sections) == 3


def test_scanned_pdf_is_reported(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    img = tmp_path / "scan.png"
    Image.new("RGB", (200, 100), "white").save(img)
    path = tmp_path / "扫描件.pdf"
    c = canvas.Canvas(str(path))
    c.drawImage(str(img), 72, 600, 200, 100)
    c.showPage()
    c.drawImage(str(img), 72, 600, 200, 100)
    c.save()
    with pytest.raises(UnreadableDocument) as e:
        read_document(path)
    assert str(e.value) == "scanned PDF: no text layer (OCR is not supported)"
    assert isinstance(e.value, RagError)


def test_encrypted_pdf(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption

    locked = make_report(tmp_path / "locked.pdf", encrypt=StandardEncryption("secret", "owner"))
    with pytest.raises(UnreadableDocument, match=r"^encrypted PDF: it needs a password"):
        read_document(locked)
    # only an owner password (no password to open it): readable
    opened = make_report(tmp_path / "owner.pdf", encrypt=StandardEncryption("", "owner", canPrint=0))
    assert len(read_document(opened).sections) == 3


@pytest.mark.parametrize("data, reason", [
    (bytes(range(256)) * 8, "not a valid PDF: no PDF header"),
    (b"", "not a valid PDF: no PDF header"),
])
def test_random_bytes_named_pdf(tmp_path, data, reason):
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(UnreadableDocument) as e:
        read_document(path)
    assert str(e.value) == reason


def test_truncated_pdf_is_one_line_error(tmp_path):
    good = make_report(tmp_path / "good.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(good[:300])
    with pytest.raises(UnreadableDocument) as e:
        read_document(path)
    msg = str(e.value)
    assert "\n" not in msg and (msg.startswith("not a valid PDF") or msg.startswith("scanned PDF"))


def test_spaced_out_cjk_and_ligatures(tmp_path):
    path = tmp_path / "spaced.pdf"
    c = canvas.Canvas(str(path))
    c.setFont(FONT, 12)
    c.drawString(72, 700, "营 业 收 入 达 到 1 2 0 亿 元 ， 同 比 增 长")
    c.drawString(72, 680, "第一章 总则")
    c.drawString(72, 660, "\u2f47\u2f49\u5149\u660e\uff0c\ufb01le")  # ⽇⽉ (Kangxi radicals) 光明，ﬁle
    for i, ch in enumerate("逐字放置的标题"):  # one glyph at a time: pypdf gives a line per glyph
        c.drawString(72 + 14 * i, 600, ch)
    c.save()
    doc = read_document(path)
    assert "\n逐字放置的标题" in doc.text
    assert "营业收入达到120亿元，同比增长" in doc.text
    assert "第一章 总则" in doc.text
    assert "日月光明，file" in doc.text


def test_helpers():
    assert fix_cjk_spacing("公 司 介 绍 Hello world") == "公司介绍 Hello world"
    assert fix_cjk_spacing("2023 年 报告") == "2023 年 报告"  # not mostly spaced out: left alone
    # a page of short lines: no joins
    assert join_wrapped_lines(["一、概况", "二、展望", "三、风险"]) == "一、概况\n二、展望\n三、风险"
    # English wraps join with a space
    long = "The company reported revenue of 12.8 billion yuan for the"
    assert join_wrapped_lines([long, "year, up 23 percent."]) == long + " year, up 23 percent."
    pages = [["公司年报", f"正文第{i * 7 % 5}条", f"年报 {i + 4}"] for i in range(1, 5)]
    cleaned, removed = strip_running_lines(pages)
    assert cleaned == [[f"正文第{i * 7 % 5}条"] for i in range(1, 5)] and removed == 8
    # edge lines that merely look alike (numbers not following the pages) stay
    pages = [[f"表{i}", f"正文{t}"] for i, t in zip((3, 1, 4, 1, 5), "甲乙丙丁戊")]
    assert strip_running_lines(pages)[0] == pages


def test_garbled_text_layer(tmp_path):
    path = tmp_path / "garbled.pdf"
    c = canvas.Canvas(str(path))
    c.setFont(FONT, 12)
    c.drawString(72, 700, "\ue001\ue002\ue003\ue004\ue005\ue006营业")  # glyphs without a Unicode mapping
    c.save()
    with pytest.raises(UnreadableDocument, match=r"^garbled PDF text layer"):
        read_document(path)
    few = tmp_path / "few.pdf"
    c = canvas.Canvas(str(few))
    c.setFont(FONT, 12)
    c.drawString(72, 700, "公司营业收入一百二十八亿元\ue001")
    c.save()
    doc = read_document(few)
    assert doc.text.endswith("公司营业收入一百二十八亿元") and doc.metadata["unmapped_glyphs"] == 1
