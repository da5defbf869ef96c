"""The Gradio API on a real server (127.0.0.1, in-process), called with gradio_client."""
from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("gradio")
from ui_helpers import FOLLOWUP, REFUSAL_QUESTION, corpus_settings, gold, has_facts, running  # noqa: E402  (first)
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from rag.live import LivePipeline  # noqa: E402
from rag.pipeline import EMPTY_REPLY, Pipeline  # noqa: E402
from rag.settings import PROJECT_ROOT  # noqa: E402

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    settings = corpus_settings(tmp_path_factory.mktemp("api"))
    live = LivePipeline(settings)
    with running(live) as url:
        yield url, live.current(), settings


@pytest.fixture(scope="module")
def client(served) -> Client:
    return Client(served[0], verbose=False)


def stable(d: dict) -> dict:
    """An answer object without its timings, which differ from run to run."""
    return {k: v for k, v in d.items() if k not in ("timings_ms", "done")}


def check_markers(answer: dict) -> None:
    numbers = {c["n"] for c in answer["citations"]}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert markers and markers <= numbers, (markers, numbers)
    for c in answer["citations"]:
        assert c["quote"] in c["text"] and c["title"] and c["url"].startswith("https://")


@pytest.mark.parametrize("qid", sorted(gold()))
def test_ask_answers_seed_questions_with_citations(client, served, qid) -> None:
    question, facts = gold()[qid]
    got = client.predict(question, api_name="/ask")
    assert has_facts(got["answer"], facts), got["answer"]
    assert not got["refused"]
    check_markers(got)
    assert stable(got) == stable(served[1].ask(question).to_dict())


def test_ask_returns_what_rag_ask_json_prints(client, served) -> None:
    settings = served[2]
    question = gold()["q008"][0]
    cli = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "--json", "--index", settings.index,
                          "--docs", *settings.docs, "--mode", "lexical", question],
                         capture_output=True, text=True, timeout=120, check=True)
    printed = json.loads(cli.stdout)
    got = client.predict(question, None, None, None, api_name="/ask")
    assert list(got) == list(printed) and stable(got) == stable(printed)


def test_chat_streams_then_ends_with_the_ask_object(client, served) -> None:
    question, facts = gold()["q005"]
    job = client.submit(question, api_name="/chat")
    updates = list(job)
    assert updates and all(not u["done"] for u in updates[:-1]) and updates[-1]["done"] is True
    assert all(u["question"] == question for u in updates)
    assert all(updates[i]["answer"].startswith(updates[i - 1]["answer"]) for i in range(1, len(updates) - 1))
    final = job.result()
    assert final == updates[-1] and has_facts(final["answer"], facts)
    assert stable(final) == stable(client.predict(question, api_name="/ask"))


def test_followup_uses_the_conversation(client) -> None:
    first_q, followup, facts = FOLLOWUP
    first = client.predict(first_q, api_name="/ask")
    history = [{"role": "user", "content": first_q}, {"role": "assistant", "content": first["answer"]}]
    second = client.predict(followup, history, api_name="/ask")
    assert any(v in second["answer"] for v in facts) and not second["refused"], second["answer"]
    # Gradio's tuple format works too, and the streamed endpoint agrees.
    pairs = client.predict(followup, [[first_q, first["answer"]]], api_name="/ask")
    streamed = client.submit(followup, history, api_name="/chat").result()
    assert stable(pairs) == stable(second) == stable(streamed)
    alone = client.predict(followup, api_name="/ask")
    assert alone["answer"] != second["answer"]  # without the history it is another question


def test_off_topic_question_is_refused_without_citations(client) -> None:
    got = client.predict(REFUSAL_QUESTION, api_name="/ask")
    assert got["refused"] and got["citations"] == [] and "无法回答" in got["answer"]
    assert not re.search(r"\d", got["answer"])  # no invented figure


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01\x1b\x7f\u200b\n\t", None])
def test_empty_or_control_only_question_gets_a_polite_reply(client, question) -> None:
    got = client.predict(question, api_name="/ask")
    assert got["refused"] and got["answer"] == EMPTY_REPLY


def test_huge_question_is_cut_with_a_note(client) -> None:
    question = gold()["q008"][0] + "啊" * 100_000
    got = client.predict(question, api_name="/ask")
    assert len(got["question"]) == 2000 and any("cut" in n for n in got["notes"])
    streamed = client.submit("\x00" + question, api_name="/chat").result()
    assert streamed["done"] and streamed["question"] == got["question"]


@pytest.mark.parametrize("args, message", [(("q", None, 0), "k must be"), (("q", None, 51), "k must be"),
                                           (("q", None, None, "dense"), "not available"),
                                           (("q", "not a list"), "history must be")])
def test_bad_arguments_get_a_one_line_error(client, args, message) -> None:
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/ask")


def test_k_and_mode_are_honoured(client) -> None:
    question = gold()["q001"][0]
    one = client.predict(question, None, 1, "lexical", api_name="/ask")
    assert len(one["citations"]) == 1 and one["mode"]["retrieval"] == "lexical"


def test_twenty_concurrent_clients_are_all_answered_correctly(served) -> None:
    url, pipeline = served[0], served[1]
    questions = [gold()[qid] for qid in sorted(gold())] * 4
    expected = {q: stable(pipeline.ask(q).to_dict()) for q, _ in questions}

    def one(i: int) -> tuple[str, dict]:
        question = questions[i][0]
        c = Client(url, verbose=False)
        answer = c.predict(question, api_name="/ask") if i % 2 else c.submit(question, api_name="/chat").result()
        return question, answer

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(20)))
    assert len(results) == 20
    for (question, answer), (_, facts) in zip(results, questions):
        assert stable(answer) == expected[question] and has_facts(answer["answer"], facts)


class SlowOnRequest(Pipeline):
    """Takes 3 seconds over questions that contain 慢: one slow answer among fast ones."""

    def stream(self, question, *args, **kwargs):
        if "慢" in (question or ""):
            time.sleep(3)
        yield from super().stream(question, *args, **kwargs)


def test_a_slow_answer_does_not_block_the_others(served) -> None:
    slow_pipeline = SlowOnRequest.open(served[2], build_if_missing=False)
    question = gold()["q008"][0]
    with running(slow_pipeline) as url:
        slow = Client(url, verbose=False).submit("慢" + question, api_name="/ask")
        time.sleep(0.3)
        t0 = time.perf_counter()
        fast = Client(url, verbose=False).predict(question, api_name="/ask")
        waited = time.perf_counter() - t0
        assert not slow.done() and waited < 2.5 and "373" in fast["answer"]
        assert "373" in slow.result(timeout=30)["answer"]


def test_api_latency(client) -> None:
    """Time to the first streamed update and to the full answer (median of 20); saved as an artifact."""
    question = gold()["q008"][0]
    client.predict(question, api_name="/ask")  # warm up
    first, full, ask = [], [], []
    for _ in range(20):
        t0 = time.perf_counter()
        job = client.submit(question, api_name="/chat")
        for i, _update in enumerate(job):
            if i == 0:
                first.append(time.perf_counter() - t0)
        full.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        client.predict(question, api_name="/ask")
        ask.append(time.perf_counter() - t0)
    ms = lambda xs: round(statistics.median(xs) * 1000, 1)  # noqa: E731
    report = {"chat_first_update_ms": ms(first), "chat_full_answer_ms": ms(full), "ask_ms": ms(ask), "n": 20}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "api_latency.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(report)
    assert report["chat_first_update_ms"] < 1500 and report["chat_full_answer_ms"] < 2000 and report["ask_ms"] < 2000


def snippets(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "gradio_client" in b]


def test_docs_snippets_run_as_written(served, capsys) -> None:
    blocks = snippets(PROJECT_ROOT / "docs" / "api.md") + snippets(PROJECT_ROOT / "README.md")
    assert len(blocks) >= 2
    for block in blocks:
        assert "127.0.0.1:7860" in block
        exec(compile(re.sub(r"http://127\.0\.0\.1:7860/?", served[0], block), "docs/api.md", "exec"), {})
    out = capsys.readouterr().out
    assert "30亿元" in out and "10亿" in out and "373" in out and "True" in out
