"""DOCX, PPTX and XLSX readers, on files built here."""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from rag.ingest.formats import UnreadableDocument, read_document, sniff


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


# ---------------------------------------------------------------- docx

def make_docx(path: Path) -> Path:
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.core_properties.title = "2024年第一季度经营简报"
    d.core_properties.author = "张三"
    d.add_paragraph("本简报供内部参考。")
    d.add_heading("一、销售情况", level=1)
    d.add_paragraph("第一季度华东区销售额同比增长18%。")
    t = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["产品", "销量", "地区"], ["扫地机器人", "1200台", "上海"], ["洗地机", "860台", "杭州"]]):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    d.add_heading("二、下季度计划", level=2)
    d.add_paragraph("计划在成都开设第三家\u200b体验店。")  # a zero-width space to clean away
    d.save(str(path))
    return path


def test_docx_headings_become_sections_and_tables_rows(tmp_path):
    doc = read_document(make_docx(tmp_path / "简报.docx"))
    check_offsets(doc)
    assert [s.title for s in doc.sections] == ["正文", "一、销售情况", "二、下季度计划"]
    assert doc.title == "2024年第一季度经营简报" and doc.url == ""
    assert doc.metadata["format"] == "docx" and doc.metadata["tables"] == 1 and doc.metadata["author"] == "张三"
    sales = body_of(doc, "一、销售情况")
    assert sales.split("\n") == [
        "第一季度华东区销售额同比增长18%。",
        "产品：扫地机器人；销量：1200台；地区：上海。",
        "产品：洗地机；销量：860台；地区：杭州。",
    ]
    assert body_of(doc, "二、下季度计划") == "计划在成都开设第三家体验店。"
    assert "\n一、销售情况\n" in doc.text  # headings on their own line, outside the spans
    assert doc.doc_id.startswith("简报-")


def test_docx_merged_cells_and_title_fallback(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_heading("项目进度", level=1)
    t = d.add_table(rows=2, cols=3)
    t.cell(0, 0).text, t.cell(0, 1).text, t.cell(0, 2).text = "项目", "状态", "负责人"
    t.cell(1, 0).text = "仓库改造"
    merged = t.cell(1, 1).merge(t.cell(1, 2))
    merged.text = "已完成"
    path = tmp_path / "进度.docx"
    d.save(str(path))
    doc = read_document(path)
    assert doc.title == "项目进度"  # no title property: the first heading
    assert body_of(doc, "项目进度") == "项目：仓库改造；状态：已完成。"


def test_truncated_docx_is_one_line_error(tmp_path):
    data = make_docx(tmp_path / "good.docx").read_bytes()
    path = tmp_path / "坏的.docx"
    path.write_bytes(data[: len(data) // 2])
    assert sniff(path) is None  # starts like a ZIP, but has no central directory
    with pytest.raises(UnreadableDocument) as e:
        read_document(path)
    assert str(e.value).startswith("not a valid DOCX: ") and "\n" not in str(e.value)


def test_zip_that_is_not_a_docx(tmp_path):
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "你好")
    assert sniff(path) is None
    with pytest.raises(UnreadableDocument, match=r"^not a valid DOCX: "):
        read_document(path)


def test_legacy_doc_is_explained(tmp_path):
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(UnreadableDocument, match=r"old binary Office file"):
        read_document(path)


# ---------------------------------------------------------------- pptx

def make_pptx(path: Path) -> Path:
    pptx = pytest.importorskip("pptx")
    from pptx.util import Inches

    prs = pptx.Presentation()
    s1 = prs.slides.add_slide(prs.slide_layouts[0])  # title slide
    s1.shapes.title.text = "新品发布会"
    s1.placeholders[1].text = "2024年春季"
    s2 = prs.slides.add_slide(prs.slide_layouts[1])  # title and content
    s2.shapes.title.text = "市场表现"
    body = s2.placeholders[1].text_frame
    body.text = "线上销量增长35%"
    body.add_paragraph().text = "复购率达到42%"
    s2.notes_slide.notes_text_frame.text = "强调复购率。"
    s3 = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    s3.shapes.title.text = "区域数据"
    table = s3.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([["区域", "销售额"], ["华北", "3.2亿元"], ["华南", "4.1亿元"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    prs.save(str(path))
    return path


def test_pptx_one_section_per_slide(tmp_path):
    path = make_pptx(tmp_path / "发布会.pptx")
    assert sniff(path) == "pptx"
    doc = read_document(path)
    check_offsets(doc)
    assert [s.title for s in doc.sections] == ["第1张幻灯片：新品发布会", "第2张幻灯片：市场表现", "第3张幻灯片：区域数据"]
    assert doc.title == "新品发布会" and doc.metadata["slides"] == 3
    assert body_of(doc, "第1张幻灯片：新品发布会") == "2024年春季"
    assert body_of(doc, "第2张幻灯片：市场表现") == "线上销量增长35%\n复购率达到42%\n备注：强调复购率。"
    assert body_of(doc, "第3张幻灯片：区域数据") == "区域：华北；销售额：3.2亿元。\n区域：华南；销售额：4.1亿元。"


# ---------------------------------------------------------------- xlsx

def make_xlsx(path: Path) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "销售"
    ws.append(["门店", "月份", "销售额（万元）", "完成率"])
    for i in range(1, 26):
        ws.append([f"门店{i:02d}", dt.datetime(2024, 3, 1), 100 + i * 0.5, 0.9 + i / 1000])
        ws.cell(ws.max_row, 4).number_format = "0.0%"
    ws.append([])  # a blank row, then one more: row numbers stay the sheet's
    ws.append(["门店99", None, 88, None])
    ws2 = wb.create_sheet("人员")
    ws2.append(["2024年3月人员表"])  # a caption above the header
    ws2.append(["姓名", "岗位"])
    ws2.append(["李四", "店长"])
    ws2.append(["王五", None])
    wb.create_sheet("空表")
    wb.save(str(path))
    return path


def test_xlsx_sheets_rows_and_row_ranges(tmp_path):
    path = make_xlsx(tmp_path / "门店.xlsx")
    assert sniff(path) == "xlsx"
    doc = read_document(path)
    check_offsets(doc)
    assert [s.title for s in doc.sections] == ["销售 第2–21行", "销售 第22–28行", "人员 第3–4行"]
    assert doc.metadata["sheets"] == ["销售", "人员", "空表"]
    assert doc.metadata["rows"] == {"销售": 26, "人员": 2, "空表": 0}
    assert doc.metadata["captions"] == {"人员": "2024年3月人员表"}
    first = body_of(doc, "销售 第2–21行").split("\n")
    assert len(first) == 20
    assert first[0] == "门店：门店01；月份：2024-03-01；销售额（万元）：100.5；完成率：90.1%。"
    last = body_of(doc, "销售 第22–28行").split("\n")
    assert last[-1] == "门店：门店99；销售额（万元）：88。"  # the row after the blank one is row 28
    assert body_of(doc, "人员 第3–4行") == "姓名：李四；岗位：店长。\n姓名：王五。"
    assert doc.title == "门店"


def test_xlsx_damaged(tmp_path):
    data = make_xlsx(tmp_path / "a.xlsx").read_bytes()
    path = tmp_path / "b.xlsx"
    path.write_bytes(data[:200])
    with pytest.raises(UnreadableDocument, match=r"^not a valid XLSX: "):
        read_document(path)
