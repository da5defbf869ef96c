"""The store benchmark's own logic: reading the news file, overlap, the question fragments."""
import lzma
from types import SimpleNamespace

import pytest

from rag.bench.stores import overlap, questions_from, write_news
from rag.errors import RagError


def _hits(*ids):
    return [SimpleNamespace(chunk=SimpleNamespace(chunk_id=i)) for i in ids]


def test_overlap_counts_shared_top_k():
    assert overlap(_hits("a", "b", "c", "d", "e"), _hits("e", "d", "x", "y", "z")) == pytest.approx(0.4)
    assert overlap(_hits("a"), _hits("b")) == 0.0


def test_write_news_stops_at_about_n_chunks(tmp_path):
    src = tmp_path / "news.txt.xz"
    line = "2023-01-01 10:00:00，正文：" + "今天天猫双十一成交额再创新高，多个品牌破亿。" * 20
    with lzma.open(src, "wt", encoding="utf-8") as f:
        f.write("短\n" + (line + "\n") * 50)
    n = write_news(tmp_path / "docs", 10, src)
    assert n == 4  # ~460 characters an article, 160 a chunk: the 4th article passes 10 chunks
    assert sorted(p.name for p in (tmp_path / "docs").iterdir())[0] == "000000.txt"
    with pytest.raises(RagError, match="not at"):
        write_news(tmp_path / "docs", 10, tmp_path / "missing.xz")


def test_questions_are_fragments_of_chunks():
    chunks = [SimpleNamespace(text="天猫双十一累计373个品牌成交额破亿元，京东超1.6万个品牌增长超3倍。")] * 3
    qs = questions_from(chunks, 3)
    assert len(qs) == 3 and all(10 <= len(q) <= 20 and q in chunks[0].text for q in qs)
