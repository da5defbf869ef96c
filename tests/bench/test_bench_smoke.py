"""`rag bench` at 10k chunks as a smoke test (outputs exist, planted facts are found; no
timings asserted), the synthetic corpus, the report, and a cold lexical `rag ask`
that never imports torch."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.bench.cli import main as bench_main
from rag.bench.corpus import generate
from rag.bench.report import markdown

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "sentence_transformers", "transformers", "scipy")


@pytest.fixture(scope="module")
def bench_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    assert bench_main(["--sizes", "10000", "--out", str(out), "--queries", "100", "--no-seed", "--no-embedding"]) == 0
    return out


@pytest.mark.timeout(300)
def test_bench_writes_its_table_json_and_plot(bench_out):
    for name in ("bench.md", "bench.json", "latency.png"):
        assert (bench_out / name).stat().st_size > 0
    table = (bench_out / "bench.md").read_text(encoding="utf-8")
    assert "| 10k |" in table and "speed-up vs baseline, lexical" in table and "Where the figures come from" in table
    size = json.loads((bench_out / "bench.json").read_text(encoding="utf-8"))["sizes"][0]
    assert 8_000 <= size["chunks"] <= 14_000
    assert set(size["build"]["stage_ms"]) >= {"parse_ms", "chunk_ms", "tokenize_ms", "bm25_ms", "embed_ms",
                                              "faiss_ms", "total_ms"}
    assert set(size["latency_ms"]) >= {"lexical", "dense_search", "hybrid", "answer"}
    assert size["baseline"]["lexical"]["n"] > 0 and size["baseline"]["dense"]["n"] > 0


def test_bench_finds_the_planted_facts(bench_out):
    size = json.loads((bench_out / "bench.json").read_text(encoding="utf-8"))["sizes"][0]
    planted = size["planted"]
    assert planted["facts"] == 100
    assert planted["lexical_hit@10"] >= 0.95 and planted["hybrid_hit@10"] >= 0.9
    assert planted["answer_correct"] >= 0.9  # the answer quotes the planted figure
    assert size["recall"]["questions"] >= 0.98 and size["recall"]["sentences"] >= 0.98


def test_report_puts_sizes_side_by_side(bench_out):
    result = json.loads((bench_out / "bench.json").read_text(encoding="utf-8"))
    bigger = json.loads(json.dumps(result["sizes"][0]))
    bigger["label"], bigger["baseline"]["scale"], bigger["baseline"]["measured_chunks"] = "1M", 10.0, 100_000
    result["sizes"].append(bigger)
    table = markdown(result)
    assert "| 10k | 1M | target at 1M |" in table and "(measured on 100,000, ×10)" in table


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*.txt")):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def test_synthetic_corpus_is_deterministic_with_facts_in_place(tmp_path):
    a, b = generate(tmp_path / "a", 2000, n_facts=20), generate(tmp_path / "b", 2000, n_facts=20)
    assert _digest(a.docs) == _digest(b.docs) and len(a.facts) == 20
    for fact in a.facts:
        text = Path(fact.path).read_text(encoding="utf-8")
        assert text.count(fact.sentence) == 1 and fact.value in fact.sentence
    assert generate(tmp_path / "a", 2000, n_facts=20).facts == a.facts  # reused, not regenerated


def test_lexical_ask_never_imports_torch(tmp_path):
    index = tmp_path / "index"
    subprocess.run([sys.executable, "-m", "rag.cli", "index", "--index", str(index), "--docs", str(ROOT / "seeds"),
                    "--mode", "lexical"], check=True, capture_output=True, timeout=300)
    code = (
        "import json, sys\n"
        "from rag.cli import main\n"
        f"rc = main(['ask', '-q', '天猫双11有多少品牌成交额破亿？', '--mode', 'lexical', '--index', {str(index)!r}, "
        f"'--docs', {str(ROOT / 'seeds')!r}])\n"
        f"print(json.dumps([rc, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    rc, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    assert rc == 0 and heavy == []
