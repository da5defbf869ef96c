"""The openai backend through the whole pipeline, against a scripted chat-completions server on 127.0.0.1.

The server reads the passages out of each request and writes the answer a model
might: correct, citing the wrong passage, inventing a figure, refusing, or failing.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from openai_server import FakeServer, closed_port_url, reply_json, scripted, server, sse, status

from rag.index.build import build_index
from rag.pipeline import Pipeline
from rag.answer.prompting import REFUSAL_ZH
from rag.prompts import fill
from rag.settings import load_settings
from rag.types import Answer, Message

__all__ = ["server"]  # the fixture
ROOT = Path(__file__).resolve().parents[2]
QUESTION = "天猫双11有多少品牌成交额破亿？"
TMALL = "天猫“双11”从开启到10月31日24时，累计373个品牌成交额破亿元"
_PASSAGE = re.compile(r'<passage id="(\d+)"[^>]*>\n(.*?)\n</passage>', re.DOTALL)


@pytest.fixture(scope="module")
def extractive(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    settings = load_settings({"docs": [str(ROOT / "seeds")], "index": str(tmp_path_factory.mktemp("idx")),
                              "mode": "lexical"}, env={})
    build_index(settings)
    return Pipeline.open(settings)


def openai_pipeline(extractive: Pipeline, base_url: str) -> Pipeline:
    settings = extractive.settings.replace(answerer="openai", openai_base_url=base_url, openai_model="qwen")
    return Pipeline(extractive.index, settings)


def passages(request: dict) -> dict[int, str]:
    """{n: text} of the passages in an answer request."""
    return {int(n): text for n, text in _PASSAGE.findall(request["messages"][-1]["content"])}


def with_figure(request: dict, figure: str) -> int:
    return next(n for n, text in passages(request).items() if figure in text)


def without_figure(request: dict, figure: str) -> int:
    return next(n for n, text in passages(request).items() if figure not in text)


def answering(write: Callable[[dict], str]) -> object:
    """A server whose answer is `write(request)`, streamed in pieces of five characters."""
    def choose(request: dict) -> object:
        text = write(request)
        return sse([text[i:i + 5] for i in range(0, len(text), 5)])
    return scripted(choose)


def run(pipe: Pipeline, question: str = QUESTION, history: list[Message] | None = None) -> tuple[list[str], Answer]:
    pieces = list(pipe.stream(question, history or []))
    assert isinstance(pieces[-1], Answer) and all(isinstance(p, str) for p in pieces[:-1])
    return pieces[:-1], pieces[-1]


def test_a_correct_cited_answer_streams_and_passes_unchanged(extractive: Pipeline, server: FakeServer) -> None:
    server.plan = [answering(lambda r: f"{TMALL}[{with_figure(r, '373')}]。")]
    pipe = openai_pipeline(extractive, server.base_url)
    deltas, a = run(pipe)
    n = with_figure(server.requests[0]["json"], "373")
    assert len(deltas) > 3 and "".join(deltas) == f"{TMALL}[{n}]。"  # streamed as the server sent it
    assert a.answer == f"{TMALL}[1]。" and not a.refused and not a.notes
    assert a.check["supported"] == 1 and a.check["dropped"] == [] and a.check["fallback"] is None
    assert a.check["checked_numbers"] == 3  # 10月31日, 24时, 373
    c = a.citations[0]
    assert c.n == 1 and "373" in c.quote and c.quote in c.text
    doc = pipe.index.documents[c.doc_id]
    assert doc.text[c.start:c.end] == c.text and doc.text[c.quote_start:c.quote_end] == c.quote
    assert a.mode["answerer"] == f"openai:qwen@{server.base_url}"
    system = server.requests[0]["json"]["messages"][0]["content"]
    assert system == fill("answer_zh.txt", refusal=REFUSAL_ZH)


def test_a_non_streamed_reply_is_read_whole(extractive: Pipeline, server: FakeServer) -> None:
    server.plan = [scripted(lambda r: reply_json(f"{TMALL}[{with_figure(r, '373')}]。"))]
    deltas, a = run(openai_pipeline(extractive, server.base_url))
    assert len(deltas) == 1 and a.answer == f"{TMALL}[1]。" and a.check["fallback"] is None


def test_a_wrong_passage_and_an_invented_number_are_dropped(extractive: Pipeline, server: FakeServer) -> None:
    def write(r: dict) -> str:
        right, wrong = with_figure(r, "373"), without_figure(r, "373")
        return (f"天猫累计373个品牌成交额破亿元[{wrong}]。{TMALL}[{right}]。"
                f"其中51个品牌成交额超过10亿元[{right}]。")

    server.plan = [answering(write)]
    deltas, a = run(openai_pipeline(extractive, server.base_url))
    assert "".join(deltas) == write(server.requests[0]["json"])
    assert a.answer == f"{TMALL}[1]。"
    assert [d["reason"] for d in a.check["dropped"]] == ["not_in_passage", "not_in_passage"]
    assert a.check["dropped"][0]["numbers"] == ["373"] and a.check["dropped"][1]["numbers"] == ["51", "10亿"]
    assert a.check["supported"] == 1 and a.check["fallback"] is None
    assert [c.n for c in a.citations] == [1] and "373" in a.citations[0].quote
    assert a.notes == ("2 unsupported sentence(s) removed from the generated answer",)


def test_markers_are_renumbered_in_order_of_first_use(extractive: Pipeline, server: FakeServer) -> None:
    def write(r: dict) -> str:
        ps = passages(r)
        n = with_figure(r, "373")
        other = max(k for k in ps if k != n)
        return f"{TMALL}[{n}][{other}][9]。"

    server.plan = [answering(write)]
    _, a = run(openai_pipeline(extractive, server.base_url))
    assert a.answer == f"{TMALL}[1][2]。"
    assert [c.n for c in a.citations] == [1, 2] and a.check["bad_markers"] == [9]
    assert "373" in a.citations[0].quote


def test_only_invented_numbers_fall_back_to_the_extractive_answer(extractive: Pipeline, server: FakeServer) -> None:
    server.plan = [answering(lambda r: f"天猫累计512个品牌成交额破亿元[{with_figure(r, '373')}]。")]
    deltas, a = run(openai_pipeline(extractive, server.base_url))
    expected = extractive.ask(QUESTION)
    assert "512" in "".join(deltas)  # what was streamed ...
    assert a.answer == expected.answer and a.citations == expected.citations  # ... is replaced
    assert a.check["fallback"] == "extractive" and a.check["dropped"][0]["numbers"] == ["512"]
    assert a.check["extractive"]["fallback"] is None and "support" in a.check
    assert any("no sentence of the generated answer was supported" in n for n in a.notes)


def test_an_uncited_answer_falls_back(extractive: Pipeline, server: FakeServer) -> None:
    server.plan = [answering(lambda r: "天猫今年表现很好，很多品牌成交额破亿。")]
    _, a = run(openai_pipeline(extractive, server.base_url))
    assert a.check["fallback"] == "extractive" and a.answer == extractive.ask(QUESTION).answer


def test_a_refusal_is_reported_refused(extractive: Pipeline, server: FakeServer) -> None:
    server.plan = [answering(lambda r: "抱歉，根据现有资料无法回答该问题。")]
    _, a = run(openai_pipeline(extractive, server.base_url), "拼多多双11有多少品牌成交额破亿？")
    assert a.refused and a.answer == REFUSAL_ZH and a.citations == ()
    assert a.check["refusal_reason"] and a.check["fallback"] is None


def test_a_server_that_is_down_gives_a_note_and_the_extractive_answer(extractive: Pipeline) -> None:
    url = closed_port_url()
    deltas, a = run(openai_pipeline(extractive, url))
    expected = extractive.ask(QUESTION)
    assert a.answer == expected.answer == "".join(deltas)  # nothing was generated: the fallback streams
    assert a.check["fallback"] == "extractive"
    assert len(a.notes) == 1 and a.notes[0].startswith(f"extractive answer: cannot reach the OpenAI-compatible "
                                                       f"server at {url}")
    assert "\n" not in a.notes[0] and "Traceback" not in a.notes[0]


def test_a_stream_cut_mid_answer_is_replaced_by_the_extractive_answer(extractive: Pipeline,
                                                                      server: FakeServer) -> None:
    server.plan = [sse(["天猫累计", "373个"], finish=False, done=False)]
    deltas, a = run(openai_pipeline(extractive, server.base_url))
    assert "".join(deltas) == "天猫累计373个"  # the fallback's text is not appended to a partial answer
    assert a.answer == extractive.ask(QUESTION).answer
    cut = f"the server at {server.base_url} closed the stream in the middle of the answer"
    assert a.notes == (f"extractive answer: {cut}",)


def test_a_garbage_stream_is_a_note(extractive: Pipeline, server: FakeServer) -> None:
    server.plan = [status(200, "<html><body>Welcome</body></html>\n", "text/html")]
    _, a = run(openai_pipeline(extractive, server.base_url))
    assert a.check["fallback"] == "extractive" and "malformed stream" in a.notes[0]


def test_a_bad_server_setting_is_reported_at_startup(extractive: Pipeline) -> None:
    pipe = openai_pipeline(extractive, "localhost:8000")
    assert pipe.mode_info()["answerer"] == "extractive"
    assert any(n.startswith("extractive answers: RAG_OPENAI_BASE_URL must be an http") for n in pipe.notes)


HISTORY = [Message("user", "京东平台AI学习机的成交额增长了多少？"),
           Message("assistant", "AI学习机、3D打印机成交额同比增长均超10倍。[1]")]
STANDALONE = "京东平台图书成交额同比增长了多少？"


def rewriting(rewrite: str, answer: Callable[[dict], str]) -> object:
    """A server that answers rewrite requests with `rewrite` and answer requests with `answer`."""
    def choose(request: dict) -> object:
        if "独立问题" in request["messages"][-1]["content"]:
            return reply_json(rewrite)
        return sse([answer(request)])
    return scripted(choose)


def test_a_follow_up_is_rewritten_by_the_model_for_retrieval(extractive: Pipeline, server: FakeServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    server.plan = [rewriting(f"独立问题：{STANDALONE}", lambda r: f"图书成交额增长超50倍[{with_figure(r, '50倍')}]。")]
    pipe = openai_pipeline(extractive, server.base_url)
    queries: list[str] = []
    search = pipe.lexical.search
    monkeypatch.setattr(pipe.lexical, "search", lambda q, k: queries.append(q) or search(q, k))
    _, a = run(pipe, "那图书呢？", HISTORY)
    assert queries == [STANDALONE]
    assert len(server.requests) == 2  # one rewrite, shared by retrieval and the prompt; one answer
    rewrite_prompt = server.requests[0]["json"]["messages"][-1]["content"]
    assert "后续问题：那图书呢？" in rewrite_prompt and "AI学习机" in rewrite_prompt
    assert server.requests[1]["json"]["messages"][-1]["content"].endswith(f"问题：{STANDALONE}")
    assert a.check["rewrite"] == {"by": "llm", "question": STANDALONE}
    assert a.answer == "图书成交额增长超50倍[1]。" and a.question == "那图书呢？"


def test_a_rewrite_off_the_conversation_is_replaced_by_the_rule(extractive: Pipeline, server: FakeServer) -> None:
    server.plan = [rewriting("乌鲁木齐明天的天气怎么样？", lambda r: f"图书成交额增长超50倍[{with_figure(r, '50倍')}]。")]
    _, a = run(openai_pipeline(extractive, server.base_url), "那图书呢？", HISTORY)
    assert a.check["rewrite"] == {"by": "rule", "question": "京东平台图书的成交额增长了多少？",
                                  "reason": "the model's rewrite was not about this conversation"}
    assert "50倍" in a.answer


def test_a_rewrite_failure_costs_one_note_and_no_second_attempt(extractive: Pipeline) -> None:
    _, a = run(openai_pipeline(extractive, closed_port_url()), "那图书呢？", HISTORY)
    assert len(a.notes) == 1 and a.notes[0].startswith("extractive answer: cannot reach")
    assert a.check["rewrite"]["by"] == "rule" and "50倍" in a.answer
