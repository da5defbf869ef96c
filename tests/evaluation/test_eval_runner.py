"""The runner and report of `rag eval`: a scripted asker gives a hand-worked table, and a tiny
synthetic gold set runs through the real pipeline and CLI (files written, exit codes)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import pytest

from rag.errors import RagError
from rag.evaluation.cli import main
from rag.evaluation.data import load_gold
from rag.evaluation.judge import EvidenceLocator
from rag.evaluation.metrics import summarize
from rag.evaluation.report import EvalReport, markdown, write
from rag.evaluation.runner import run_mode
from rag.types import Answer, Chunk, Citation, Hit, Message

CHUNKS = {c.chunk_id: c for c in (
    Chunk("s:0", "s", "双11", "https://news.cn/s", "正文", "天猫累计373个品牌成交额破亿元。", 0, 16),
    Chunk("s:1", "s", "双11", "https://news.cn/s", "正文", "京东超1.6万个品牌成交额同比增长超3倍。", 16, 37),
    Chunk("s:2", "s", "双11", "https://news.cn/s", "正文", "抖音超1万个品牌成交额实现同比翻倍。", 37, 55),
    Chunk("d:0", "d", "618", "https://example.com/618", "正文", "618期间天猫286个品牌破亿。", 0, 15),
)}
QUESTIONS = [
    {"id": "q1", "question": "天猫多少品牌破亿？", "facts": [["373"]], "evidence": "累计373个品牌成交额破亿元"},
    {"id": "q2", "question": "京东多少品牌增长超3倍？", "facts": [["1.6万", "16000"]], "evidence": "超1.6万个品牌成交额同比增长超3倍"},
    {"id": "q3", "question": "抖音多少品牌翻倍？", "facts": [["1万"]], "evidence": "抖音超1万个品牌成交额实现同比翻倍"},
    {"id": "u1", "question": "拼多多多少品牌破亿？", "type": "unanswerable", "facts": [], "evidence": ""},
    {"id": "u2", "question": "天猫总成交额是多少？", "type": "unanswerable", "facts": [], "evidence": ""},
    {"id": "e1", "question": "How many Tmall brands passed 100 million?", "lang": "en", "facts": [["373"]],
     "evidence": "累计373个品牌成交额破亿元"},
]
CONVERSATIONS = [{"id": "c1", "turns": [
    {"question": "天猫多少品牌破亿？", "facts": [["373"]], "evidence": "累计373个品牌成交额破亿元", "refuse": False},
    {"question": "那京东呢？", "facts": [["1.6万"]], "evidence": "超1.6万个品牌成交额同比增长超3倍", "refuse": False},
    {"question": "它是哪天发表的？", "facts": [], "evidence": "", "refuse": True},
]}]
FIRST_ANSWER = "天猫累计373个品牌成交额破亿元。[1]"
# question -> (ranked chunk ids, answer, refused, cited chunk ids)
SCRIPT = {
    "天猫多少品牌破亿？": (["s:0", "d:0"], FIRST_ANSWER, False, ["s:0"]),
    "京东多少品牌增长超3倍？": (["d:0", "s:1"], "618期间天猫286个品牌破亿。[1]京东的品牌增长显著。[2]", False, ["d:0", "s:1"]),
    "抖音多少品牌翻倍？": (["d:0"], "根据现有资料无法回答该问题。", True, []),
    "拼多多多少品牌破亿？": (["d:0"], "根据现有资料无法回答该问题。", True, []),
    "天猫总成交额是多少？": (["s:0"], FIRST_ANSWER, False, ["s:0"]),
    "How many Tmall brands passed 100 million?": (["s:0"], "373 brands[1]", False, ["s:0"]),
    "它是哪天发表的？": (["s:0"], "天猫累计373个品牌成交额破亿元。[1]", False, ["s:0"]),
}


def write_gold(folder: Path, questions=QUESTIONS, conversations=CONVERSATIONS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "questions.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions),
                                            encoding="utf-8")
    (folder / "conversations.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations), encoding="utf-8")
    return folder


class ScriptedAsker:
    """Answers from SCRIPT; the follow-up is right only when given the first answer as history."""

    def __init__(self) -> None:
        self.histories: list[tuple[str, tuple[Message, ...]]] = []

    def _script(self, question: str, history: Sequence[Message]):
        if question == "那京东呢？":
            ok = list(history) == [Message("user", "天猫多少品牌破亿？"), Message("assistant", FIRST_ANSWER)]
            return (["s:1"], "京东超1.6万个品牌[1]", False, ["s:1"]) if ok else (["d:0"], "不知道", False, [])
        return SCRIPT[question]

    def search(self, question, history=(), k=None, mode=None) -> list[Hit]:
        ids = self._script(question, history)[0]
        return [Hit(CHUNKS[c], 1.0 / (r + 1), r, "scripted") for r, c in enumerate(ids)][:k]

    def ask(self, question, history=(), k=None, mode=None) -> Answer:
        self.histories.append((question, tuple(history)))
        _, text, refused, cited = self._script(question, history)
        cites = tuple(Citation(n, CHUNKS[c].title, CHUNKS[c].url, CHUNKS[c].text, CHUNKS[c].doc_id, c, 0, 1)
                      for n, c in enumerate(cited, 1))
        return Answer(question, text, refused, cites, {}, {}, {"refusal_reason": "low support"} if refused else {})

    def mode_info(self, mode=None) -> dict:
        return {"retrieval": "scripted", "answerer": "script", "tokenizer": "none"}


@pytest.fixture
def scripted_run(tmp_path: Path):
    gold = load_gold(write_gold(tmp_path / "gold"))
    asker = ScriptedAsker()
    return run_mode(asker, "scripted", None, gold, EvidenceLocator(CHUNKS.values()), k=5), asker


def test_a_hand_worked_table(scripted_run) -> None:
    run, _ = scripted_run
    s = summarize(run)
    assert (s.n_fact, s.n_unanswerable, s.n_turns, s.n_english) == (3, 2, 3, 1)
    assert (s.hit1, s.hit3, s.hit5) == pytest.approx((1 / 3, 2 / 3, 2 / 3))
    assert s.mrr == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert s.answer == pytest.approx(1 / 3)  # q1 right; q2 lacks 1.6万 (quotes the 618 document); q3 refused
    assert s.citation_precision == pytest.approx(2 / 3)  # answered q1, q2: 3 citations, 2 hold the evidence
    assert s.citation_recall == 1.0  # both answered questions cite an evidence chunk
    assert (s.refusal_precision, s.refusal_recall) == (0.5, 0.5)  # TP u1, FP q3, FN u2
    assert s.multiturn == pytest.approx(2 / 3) and s.conversations == 0.0  # the last turn must be refused
    assert s.en_answer == 1.0 and s.en_hit1 == 1.0
    assert s.latency_p50_ms is not None and s.latency_p95_ms >= s.latency_p50_ms


def test_follow_ups_get_the_pipelines_own_earlier_answers(scripted_run) -> None:
    _, asker = scripted_run
    turns = [h for q, h in asker.histories if q in ("那京东呢？", "它是哪天发表的？")]
    assert turns[0] == (Message("user", "天猫多少品牌破亿？"), Message("assistant", FIRST_ANSWER))
    assert len(turns[1]) == 4 and turns[1][3] == Message("assistant", "京东超1.6万个品牌[1]")
    assert all(h == () for q, h in asker.histories if q in SCRIPT and q != "它是哪天发表的？")


def test_the_report_lists_what_is_still_wrong_and_why(scripted_run, tmp_path: Path) -> None:
    run, _ = scripted_run
    rep = EvalReport((run,), (summarize(run),), "scripted", (), {"folder": "gold", **load_gold(
        tmp_path / "gold").counts()}, {"documents": 2, "chunks": 4, "sources": ["x"], "index": "i"}, 5, 0.1, "now")
    text = markdown(rep)
    assert "| scripted | 33.3% | 66.7% | 66.7% | 0.500 | 33.3% | 66.7% | 100.0% | 50.0% | 50.0% | 66.7% |" in text
    assert "| q2 | 京东多少品牌增长超3倍？ | 1.6万 |" in text
    assert "wrong sentence chosen: the evidence passage is cited" in text
    assert "| u2 |" in text and "answered a question it must refuse" in text
    paths = write(rep, tmp_path / "out")
    failures = [json.loads(x) for x in paths["failures.jsonl"].read_text(encoding="utf-8").splitlines()]
    assert {f["qid"] for f in failures} == {"q2", "q3", "u2", "c1#3"}
    assert all(f["diagnosis"] and not f["correct"] for f in failures)
    assert len(paths["answers.jsonl"].read_text(encoding="utf-8").splitlines()) == len(run.records) == 9
    data = json.loads(paths["report.json"].read_text(encoding="utf-8"))
    assert data["modes"][0]["answer"] == pytest.approx(1 / 3, abs=1e-4) and data["wrong"]["scripted"][0] == "q2"


DOCS = {
    "space.txt": "天宫空间站的新闻\n\n天宫空间站于2021年4月29日发射天和核心舱。空间站由天和核心舱、问天实验舱和梦天实验舱组成。"
                 "空间站的设计寿命为10年以上。\n\n神舟十三号乘组在轨驻留了183天，创造了中国航天员连续在轨飞行时长的纪录。"
                 "乘组由翟志刚、王亚平和叶光富组成。\n",
    "panda.txt": "熊猫保护的报道\n\n大熊猫主要生活在四川、陕西和甘肃的山区。野生大熊猫数量约为1864只。"
                 "大熊猫的主要食物是竹子。\n\n成都大熊猫繁育研究基地成立于1987年。基地每年吸引数百万游客前来参观。\n",
}
SYN_QUESTIONS = [
    {"id": "q1", "question": "神舟十三号乘组在轨驻留了多少天？", "facts": [["183天"]], "evidence": "神舟十三号乘组在轨驻留了183天"},
    {"id": "q2", "question": "野生大熊猫数量约为多少只？", "facts": [["1864"]], "evidence": "野生大熊猫数量约为1864只"},
    {"id": "q3", "question": "成都大熊猫繁育研究基地哪年成立？", "facts": [["不可能出现的事实"]], "evidence": "成都大熊猫繁育研究基地成立于1987年"},
    {"id": "u1", "question": "火星探测器祝融号重多少公斤？", "type": "unanswerable", "facts": [], "evidence": ""},
    {"id": "e1", "question": "How many wild giant pandas are there?", "lang": "en", "facts": [["1864"]],
     "evidence": "野生大熊猫数量约为1864只"},
]
SYN_CONVERSATIONS = [{"id": "c1", "turns": [
    {"question": "神舟十三号乘组由哪些航天员组成？", "facts": [["王亚平"]], "evidence": "乘组由翟志刚、王亚平和叶光富组成", "refuse": False},
    {"question": "他们在轨驻留了多少天？", "facts": [["183"]], "evidence": "神舟十三号乘组在轨驻留了183天", "refuse": False},
]}]


@pytest.fixture
def synthetic(tmp_path: Path) -> dict[str, str]:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    gold = write_gold(tmp_path / "gold", SYN_QUESTIONS, SYN_CONVERSATIONS)
    return {"docs": str(docs), "gold": str(gold), "out": str(tmp_path / "out")}


def _args(paths: dict[str, str], *extra: str) -> list[str]:
    return ["--gold", paths["gold"], "--docs", paths["docs"], "--out", paths["out"], "-q", *extra]


def test_the_cli_writes_every_file_and_passes_met_thresholds(synthetic, capsys) -> None:
    assert main(_args(synthetic, "--min-answer", "0.3", "--min-refusal", "0")) == 0
    out = Path(synthetic["out"])
    for name in ("report.md", "report.json", "answers.jsonl", "failures.jsonl", "modes.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert (out / "modes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [m["label"] for m in data["modes"]] == ["lexical", "baseline"] and data["gate"] == "lexical"
    assert data["passed"] is True and data["corpus"]["documents"] == 2
    assert "q3" in data["wrong"]["lexical"]  # its fact can never appear
    assert data["models"]["lexical"]["answerer"] == "extractive"
    table = capsys.readouterr().out
    assert table.startswith("| mode | hit@1") and "| baseline |" in table


def test_the_cli_exits_1_with_one_line_per_missed_threshold(synthetic, capsys) -> None:
    assert main(_args(synthetic, "--min-answer", "1.0", "--min-refusal", "0.0", "--min-multiturn", "0")) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(err) == 1 and err[0].startswith("threshold not met: lexical: answer accuracy ")
    assert err[0].endswith("is below --min-answer 1.000")


def test_the_index_is_reused_when_up_to_date(synthetic, capsys) -> None:
    args = [a for a in _args(synthetic) if a != "-q"] + ["--modes", "lexical"]
    assert main(args) == 0
    assert "index built" in capsys.readouterr().err
    assert main(args) == 0
    assert "index reused" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--modes", "lexical,bm42"], "unknown mode bm42 in --modes"),
    (["--modes", "dense"], "dense cannot run without a local model: pass --embed-model PATH"),
    (["--embed-model", "/nonexistent/model"], "is not available locally"),
])
def test_bad_requests_are_one_line_errors(synthetic, extra: list[str], message: str, monkeypatch) -> None:
    if "--embed-model" in extra:
        monkeypatch.delenv("RAG_MODE", raising=False)  # the default mode: a model asked for must be found
    with pytest.raises(RagError, match=message.replace("(", r"\(")):
        main(_args(synthetic, *extra))


def test_bad_thresholds_are_usage_errors(synthetic, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(_args(synthetic, "--min-answer", "80"))
    assert exc.value.code == 2 and "expected a share between 0 and 1" in capsys.readouterr().err


def test_rag_eval_is_the_entry_point(synthetic, capsys) -> None:
    from rag.cli import main as rag_main

    assert rag_main(["eval", *_args(synthetic, "--modes", "baseline", "--min-answer", "0")]) == 0
    assert rag_main(["eval", "--gold", synthetic["out"] + "/nowhere"]) == 2
    assert "error: no gold questions at" in capsys.readouterr().err


@pytest.mark.parametrize("line, message", [
    ('{"id": "q1", "question": "x", "facts": [["a"]]}', "needs facts and evidence"),
    ('{"id": "u1", "question": "x", "type": "unanswerable", "facts": [["a"]], "evidence": ""}', "has no facts"),
    ('{"id": "q1", "question": "x", "facts": ["373"], "evidence": "e"}', "facts must be a list of lists"),
    ('{"id": "q1", "question": "x", "type": "opinion"}', "type must be one of fact, unanswerable"),
    ('{"id": "q1", "question": "x", "facts": [["a"]], "evidence": "e"}\n' * 2, "id 'q1' appears twice"),
    ("not json", "questions.jsonl:1: not valid JSON"),
])
def test_a_bad_gold_line_is_named(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "questions.jsonl").write_text(line, encoding="utf-8")
    with pytest.raises(RagError, match=message):
        load_gold(tmp_path)
