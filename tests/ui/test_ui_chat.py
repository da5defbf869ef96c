"""One chat turn of the page (ui.chat.respond) over a real pipeline, without a server."""
from __future__ import annotations

import pytest

from rag.errors import RagError
from rag.pipeline import EMPTY_REPLY, Pipeline
from rag.types import Message
from ui.inputs import parse_history, parse_k
from ui.backends import Backends
from ui.chat import Turn, history, respond, turn_sources
from ui_helpers import FOLLOWUP, REFUSAL_QUESTION, corpus_settings, gold


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    return Pipeline.open(corpus_settings(tmp_path_factory.mktemp("chat")), build_if_missing=False)


def last(updates):
    *_, final = updates
    return final


def test_a_turn_streams_then_shows_the_answer_and_its_sources(pipeline) -> None:
    question = gold()["q008"][0]
    updates = list(respond(pipeline, question, []))
    chat, sources, turns = updates[0]
    assert chat[-1]["content"].endswith("▍") and "正在检索" in sources and turns == []
    chat, sources, turns = updates[-1]
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "373" in chat[1]["content"] and "。[1]" in chat[1]["content"] and "来源：" in chat[1]["content"]
    assert "<mark>" in sources and "373" in sources and "来源（1）" in sources
    assert len(turns) == 1 and turns[0].answer is not None and turns[0].question == question


def test_followup_is_retrieved_with_the_conversation(pipeline) -> None:
    first_q, followup, facts = FOLLOWUP
    _, _, turns = last(respond(pipeline, first_q, []))
    chat, _, turns = last(respond(pipeline, followup, turns))
    assert len(chat) == 4 and any(v in chat[3]["content"] for v in facts), chat[3]["content"]
    assert history(turns) == [Message("user", first_q), Message("assistant", turns[0].answer.answer),
                              Message("user", followup), Message("assistant", turns[1].answer.answer)]
    assert "30亿" in turn_sources(turns, 1) and "10亿" in turn_sources(turns, 3)  # clicking an old answer
    assert turn_sources(turns, 99) is None


def test_refusal_shows_no_sources(pipeline) -> None:
    chat, sources, turns = last(respond(pipeline, REFUSAL_QUESTION, []))
    assert "无法回答" in chat[1]["content"] and "来源：" not in chat[1]["content"]
    assert "没有找到能支持回答的段落" in sources and turns[0].answer.refused


@pytest.mark.parametrize("message", ["", "\x00\x1b\u200b", None])
def test_empty_message_gets_a_polite_reply_and_stays_out_of_the_history(pipeline, message) -> None:
    chat, _, turns = last(respond(pipeline, message, []))
    assert chat[0]["content"] == "*（空消息）*" and EMPTY_REPLY[:6] in chat[1]["content"]
    assert history(turns) == []


def test_huge_message_is_shown_cut_and_answered(pipeline) -> None:
    chat, _, turns = last(respond(pipeline, gold()["q008"][0] + "啊" * 100_000, []))
    assert len(chat[0]["content"]) < 2200 and "100,0" in chat[0]["content"]
    assert "注：" in chat[1]["content"] and turns[0].answer is not None


def test_a_mode_that_is_not_available_is_a_message_not_an_error(pipeline) -> None:
    chat, sources, turns = last(respond(pipeline, "天猫", [], mode="dense"))
    assert chat[1]["content"].startswith("⚠️") and "embedding model" in chat[1]["content"]
    assert turns[0].answer is None and history(turns) == []


def test_an_unexpected_failure_is_a_message_not_a_traceback(pipeline, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ValueError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(pipeline, "stream", broken)
    chat, _, turns = last(respond(pipeline, "天猫", [Turn("q", "a")]))
    assert "内部错误" in chat[-1]["content"] and "boom" not in chat[-1]["content"] and len(turns) == 2


def test_backends_offer_extractive_beside_another_answerer(pipeline, monkeypatch) -> None:
    backends = Backends(lambda: pipeline)
    assert backends.names() == ["extractive"] and backends.get("extractive") is pipeline
    monkeypatch.setattr(pipeline.answerer, "name", "openai", raising=False)
    assert backends.names() == ["openai", "extractive"]
    twin = backends.get("extractive")
    assert twin is not pipeline and twin.index is pipeline.index and backends.get("extractive") is twin
    assert backends.get("openai") is pipeline and backends.get(None) is pipeline


def test_api_history_and_k_parsing() -> None:
    gradio_style = [{"role": "user", "content": [{"type": "text", "text": "问"}]},
                    {"role": "assistant", "content": "答", "metadata": {"title": "思考"}},
                    {"role": "assistant", "content": "答[1]"}]
    assert parse_history(gradio_style) == [Message("user", "问"), Message("assistant", "答[1]")]
    assert len(parse_history([["q", "a"]] * 50)) == 20
    with pytest.raises(RagError):
        parse_history([{"role": "user"}, 3])
    assert parse_k("5") == 5 and parse_k(None) is None and parse_k(5.0) == 5
    for bad in (0, 51, 2.5, "x", [1], True, {"k": 5}):
        with pytest.raises(RagError):
            parse_k(bad)
