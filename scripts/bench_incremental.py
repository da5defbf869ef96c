"""How much an incremental build redoes: a 10,000-document knowledge base, then one PDF added.

    PYTHONPATH=. python scripts/bench_incremental.py [--docs 10000] [--out /tmp/bench-inc]

Writes synthetic Chinese documents (company news of 6-12 sentences), builds the index with a
counting embedder (the benchmark's hashing embedder: microseconds a text, so the figure is the
build's own work; a real model's time is `embedded` × its per-chunk cost), adds a 5-page Chinese
PDF, builds again, then rebuilds everything (--force) for comparison. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

from rag.bench.hashing import HashingEmbedder
from rag.index.build import build_index
from rag.settings import load_settings

CITIES = "北京 上海 广州 深圳 杭州 成都 武汉 南京 西安 重庆 苏州 长沙 郑州 青岛 厦门 合肥".split()
WHAT = "智能手表 扫地机器人 新能源汽车 冷链仓库 咖啡门店 光伏组件 无人机 电动大巴 云服务 芯片".split()
TEMPLATES = [
    "{c}在{city}新开了{n}家{w}体验店，预计年内再增加{m}家。",
    "今年第{q}季度，{c}的{w}销量同比增长{p}%，高于行业平均水平。",
    "{c}宣布投资{n}亿元在{city}建设{w}生产基地，计划{y}年投产。",
    "据{c}介绍，{w}业务的员工人数已经达到{n}00人，其中研发人员占{p}%。",
    "{c}与{city}市政府签署合作协议，双方将在{w}领域开展为期{m}年的合作。",
    "受原材料价格影响，{c}的{w}毛利率下降了{q}个百分点。",
]


class CountingEmbedder:
    def __init__(self) -> None:
        self.inner = HashingEmbedder(dim=256)
        self.dim = self.inner.dim
        self.chunks = 0

    def embed(self, texts):
        self.chunks += sum("\n" in t for t in texts)  # chunk texts carry title and section lines
        return self.inner.embed(texts)


def write_docs(folder: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    for i in range(n):
        c = f"{rng.choice('星河 青禾 云帆 蓝鲸 绿城 白鹭 金石 远航 晨光 天衡'.split())}{rng.choice(['科技', '集团', '物流', '能源'])}"
        lines = [rng.choice(TEMPLATES).format(c=c, city=rng.choice(CITIES), w=rng.choice(WHAT), n=rng.randint(2, 90),
                                              m=rng.randint(2, 9), q=rng.randint(1, 4), p=rng.randint(3, 60),
                                              y=rng.randint(2025, 2030)) for _ in range(rng.randint(6, 12))]
        path = folder / f"{i // 1000:03d}" / f"新闻{i:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{c}动态第{i}期\n" + "".join(lines) + "\n", encoding="utf-8")


def write_pdf(path: Path, pages: int = 5) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    rng = random.Random(7)
    for n in range(1, pages + 1):
        c.setFont("STSong-Light", 12)
        y = 780
        for _ in range(20):
            c.drawString(60, y, rng.choice(TEMPLATES).format(c="极光航天", city=rng.choice(CITIES), w="卫星", n=n,
                                                             m=3, q=2, p=12, y=2027)[:38])
            y -= 20
        c.showPage()
    c.save()


def run(settings, force: bool = False) -> dict:
    emb = CountingEmbedder()
    t = time.perf_counter()
    r = build_index(settings, force=force, embedder=emb)
    return {"s": round(time.perf_counter() - t, 2), "documents": r.documents, "chunks": r.chunks,
            "parsed": r.parsed, "embedded": r.embedded, "embedder_saw": emb.chunks, "kept": r.reused_vectors,
            "stages_s": {k.removesuffix("_ms"): round(v / 1000, 2) for k, v in r.stage_ms.items()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--out", default="/tmp/bench-incremental")
    args = ap.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    docs = out / "docs"
    write_docs(docs, args.docs)
    settings = load_settings({"docs": [str(docs)], "index": str(out / "index"), "mode": "hybrid",
                              "embed_model": "counting-hash"}, env={})
    result = {"first_build": run(settings)}
    write_pdf(docs / "新增报告.pdf")
    result["add_one_pdf"] = run(settings)
    result["force_reparse_all"] = run(settings, force=True)  # every file parsed again; vectors still kept
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
