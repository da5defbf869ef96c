"""The issue's acceptance test: a folder of the formats people have (a Chinese PDF, DOCX, PPTX,
XLSX, CSV, EML and a news .txt with a full-width-colon header) indexed into a new knowledge
base with `rag index --kb NAME --docs DIR`; `rag ask --kb NAME --json` answers a question
from each file, each cited to that file, the PDF's to the page that holds the fact (page 3).

Every file is made here; each holds one fact, asked in words of its own.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

pytest.importorskip("pypdf")
pytest.importorskip("reportlab")
docx = pytest.importorskip("docx")
pptx = pytest.importorskip("pptx")
openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parents[2]
FONT = "STSong-Light"

# question -> (file it must be cited to, what the answer must say)
QUESTIONS = {
    "星河科技2023年的研发投入是多少？": ("星河科技年报.pdf", "9.6亿元"),
    "青禾物流新的冷链仓库建在哪里？": ("经营会议纪要.docx", "成都"),
    "云帆X3智能手表首发卖多少钱？": ("新品发布.pptx", "1299元"),
    "蓝鲸咖啡在武汉开了几家门店？": ("门店分布.xlsx", "14"),
    "绿城客运在西安投放了多少辆电动大巴？": ("车辆统计.csv", "320"),
    "公司年会在哪家酒店办？": ("年会通知.eml", "金鸡湖"),
    "白鹭航空厦门到曼谷的航线每周飞几班？": ("白鹭航空新航线.txt", "四班"),
}


def make_pdf(path: Path) -> None:
    """Three pages; the research spending is only on page 3 (pages 1-2 talk about other things)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle("星河科技2023年度报告")
    pages = [
        ["公司概况", "星河科技成立于2010年，总部位于杭州，主要生产智能仓储机器人，员工约三千人。"],
        ["业务回顾", "报告期内公司推出第三代分拣机器人，并在华东新建两座生产基地。"],
        ["财务摘要", "2023年公司研发投入为9.6亿元，占营业收入的7.5%，主要用于视觉导航技术。"],
    ]
    for n, (heading, para) in enumerate(pages, 1):
        c.setFont(FONT, 14)
        c.drawString(72, 760, heading)
        c.setFont(FONT, 12)
        y = 730
        for i in range(0, len(para), 26):
            c.drawString(72, y, para[i:i + 26])
            y -= 18
        c.setFont(FONT, 9)
        c.drawString(290, 40, f"- {n} -")
        c.showPage()
    c.save()


def make_docx(path: Path) -> None:
    d = docx.Document()
    d.core_properties.title = "青禾物流第二季度经营会议纪要"
    d.add_paragraph("参会人员：各区域负责人。")
    d.add_heading("一、仓储建设", level=1)
    d.add_paragraph("会议决定青禾物流在成都新建一座冷链仓库，预计明年三月投入使用。")
    d.add_heading("二、人员安排", level=1)
    d.add_paragraph("华南区新招聘司机六十名，下月完成培训。")
    d.save(str(path))


def make_pptx(path: Path) -> None:
    prs = pptx.Presentation()
    for title, body in [("云帆X3智能手表发布会", "2024年秋季新品"),
                        ("价格与上市", "云帆X3智能手表的首发价格为1299元，9月20日起在各大平台开售。"),
                        ("续航", "一次充电可以使用十四天。")]:
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    prs.save(str(path))


def make_xlsx(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "门店"
    ws.append(["品牌", "城市", "门店数", "开业年份"])
    for row in [("蓝鲸咖啡", "上海", "32家", 2018), ("蓝鲸咖啡", "武汉", "14家", 2021), ("蓝鲸咖啡", "长沙", "9家", 2022)]:
        ws.append(list(row))
    wb.save(str(path))


def make_csv(path: Path) -> None:
    rows = ["公司,城市,电动大巴数量", "绿城客运,杭州,580辆", "绿城客运,西安,320辆", "绿城客运,合肥,150辆"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def make_eml(path: Path) -> None:
    msg = EmailMessage()
    msg["Subject"] = "关于2025年公司年会安排的通知"
    msg["From"] = "行政部 <admin@example.com>"
    msg["To"] = "all@example.com"
    msg["Date"] = "Mon, 06 Jan 2025 09:00:00 +0800"
    msg.set_content("各位同事：\n今年的公司年会定于1月18日晚在苏州金鸡湖酒店举行，请于1月10日前向部门助理报名。\n")
    path.write_bytes(bytes(msg))


def make_news(path: Path) -> None:
    path.write_text("标题：白鹭航空开通厦门至曼谷直飞航线\n链接：https://example.com/news/egret\n日期：2024年5月20日\n\n"
                    "白鹭航空宣布，自6月1日起开通厦门至曼谷的直飞航线，每周执飞四班，使用波音737机型。\n"
                    "这是该公司今年开通的第三条东南亚航线。\n", encoding="utf-8")


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    docs = tmp_path_factory.mktemp("my-docs")
    for make, name in [(make_pdf, "星河科技年报.pdf"), (make_docx, "经营会议纪要.docx"), (make_pptx, "新品发布.pptx"),
                       (make_xlsx, "门店分布.xlsx"), (make_csv, "车辆统计.csv"), (make_eml, "年会通知.eml"),
                       (make_news, "白鹭航空新航线.txt")]:
        make(docs / name)
    env = {k: v for k, v in os.environ.items() if k != "RAG_CONFIG"}
    env.update(RAG_HOME=str(home), HF_HUB_OFFLINE="1")

    def rag(*args):
        return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                              env=env, timeout=300, cwd=ROOT)

    built = rag("index", "--kb", "我的文档", "--docs", str(docs), "--mode", "lexical", "--quiet")
    assert built.returncode == 0, built.stderr
    assert "index built: 7 documents" in built.stdout and "skipped" not in built.stderr, built.stdout + built.stderr
    asked = rag("ask", "--kb", "我的文档", "--mode", "lexical", "--json", "--quiet", *QUESTIONS)
    assert asked.returncode == 0, asked.stderr
    rows = [json.loads(line) for line in asked.stdout.splitlines() if line.strip()]
    return {r["question"]: r for r in rows}


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_each_file_answers_its_question_cited_to_it(answers, question):
    file, fact = QUESTIONS[question]
    a = answers[question]
    assert not a["refused"] and fact in a["answer"], a["answer"]
    first = a["citations"][0]
    assert Path(first["file"]).name == file, [c["file"] for c in a["citations"]]
    assert fact in first["quote"]


def test_the_pdf_answer_cites_page_3(answers):
    (cite, *_) = answers["星河科技2023年的研发投入是多少？"]["citations"]
    assert cite["page"] == 3 and cite["location"] == "第3页"
    assert cite["url"] == ""  # a local file: no invented link


def test_locations_of_the_other_formats(answers):
    locations = {Path(c["file"]).name: c["location"] for a in answers.values() for c in a["citations"][:1]}
    assert locations["新品发布.pptx"] == "第2张幻灯片"
    assert locations["门店分布.xlsx"] == "门店 第2–4行"
    assert locations["车辆统计.csv"] == "第2–4行"
    assert locations["经营会议纪要.docx"] == "一、仓储建设"
    news = answers["白鹭航空厦门到曼谷的航线每周飞几班？"]["citations"][0]
    assert news["url"] == "https://example.com/news/egret" and news["title"] == "白鹭航空开通厦门至曼谷直飞航线"
