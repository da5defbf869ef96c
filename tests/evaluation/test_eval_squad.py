"""`rag eval --squad`: a tiny hand-made SQuAD file, indexed apart and asked through the pipeline."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import RagError
from rag.evaluation import squad

TINY = Path(__file__).parent / "data" / "tiny_squad.json"


def test_load_and_split_are_fixed():
    s = squad.load_squad(TINY)
    assert len(s.passages) == 3 and len(s.questions) == 7
    fit, report = squad.select(s, "fit"), squad.select(s, "report")
    assert len(fit) + len(report) == 7 and not {q.qid for q in fit} & {q.qid for q in report}
    assert [squad.split_of(q.qid) for q in s.questions] == [squad.split_of(q.qid) for q in s.questions]
    assert squad.split_of("A1-q1") == squad.split_of("A1-q1")


def test_normalize_and_f1():
    assert squad.normalize("Ｈello， 世界！") == "hello世界"
    assert squad.char_f1("42平方公里", "42平方公里") == 1.0
    assert 0 < squad.char_f1("约42平方公里", "42平方公里") < 1
    assert squad.char_f1("", "42") == 0.0


def test_bad_file_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{\"data\": [{\"title\": \"x\"}]}", encoding="utf-8")
    with pytest.raises(RagError, match="SQuAD layout"):
        squad.load_squad(bad)
    with pytest.raises(RagError, match="cannot read"):
        squad.load_squad(tmp_path / "missing.json")


def test_run_answers_cites_and_refuses(tmp_path):
    result = squad.run_squad(TINY, "all", work=tmp_path)
    s = result["summary"]
    assert s["questions"] == 7
    assert s["hit@1"] >= 6 / 7 and s["hit@5"] == 1.0
    assert s["right"] >= 5 / 7 and s["cited"] >= 5 / 7
    assert s["answer_chars"] < 80
    rec = {r["qid"]: r for r in result["records"]}
    assert rec["A1-q1"]["right"] and "42" in rec["A1-q1"]["answer"]
    # questions about the articles left out of the second index are asked there, and refused
    if "unanswerable" in s:
        assert s["unanswerable_refused"] >= 0.5
    lines = squad.table(result)
    assert lines[0].startswith("| split") and "report" not in lines[2]


def test_cli_writes_squad_beside_gold(tmp_path):
    from rag.evaluation.cli import main

    gold = tmp_path / "gold"
    gold.mkdir()
    q = {"id": "g1", "question": "青石湖的面积约为多少平方公里？", "lang": "zh", "type": "fact",
         "facts": [["42"]], "evidence": "青石湖的面积约为42平方公里"}
    (gold / "questions.jsonl").write_text(json.dumps(q, ensure_ascii=False) + "\n", encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lake.txt").write_text("青石湖\n青石湖的面积约为42平方公里，最深处达到18米。\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["--gold", str(gold), "--docs", str(docs), "--out", str(out), "--modes", "lexical",
                 "--squad", str(TINY), "--split", "all", "-q"])
    assert code == 0
    assert "SQuAD layout" in (out / "report.md").read_text(encoding="utf-8")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["squad"]["summary"]["questions"] == 7
    assert (out / "squad.json").is_file()
