"""The OpenAI-compatible API (/v1) on a real server, called with the official `openai` client and raw HTTP."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

pytest.importorskip("gradio")
openai = pytest.importorskip("openai")
from ui_helpers import FOLLOWUP, REFUSAL_QUESTION, corpus_settings, gold, has_facts, running  # noqa: E402

from rag.live import LivePipeline  # noqa: E402
from ui.openai_api import ApiError, parse_request  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    settings = corpus_settings(tmp_path_factory.mktemp("oai"), hostile=False)
    live = LivePipeline(settings)
    with running(live) as url:
        yield url.rstrip("/"), live.current()


@pytest.fixture(scope="module")
def client(served) -> "openai.OpenAI":
    return openai.OpenAI(base_url=served[0] + "/v1", api_key="unused", max_retries=0, timeout=60)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_models_lists_the_knowledge_base(client) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["default"]


def test_answer_with_citations_in_text_and_as_a_field(client, served) -> None:
    question, facts = gold()["q008"]
    got = client.chat.completions.create(model="default", messages=user(question))
    text = got.choices[0].message.content
    assert has_facts(text, facts) and got.choices[0].finish_reason == "stop"
    citations = got.model_extra["citations"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert markers and markers <= {c["n"] for c in citations}
    for c in citations:
        assert c["url"].startswith("https://") and c["title"] and c["doc_id"] and c["quote"] in c["text"]
        assert c["quote_end"] - c["quote_start"] == len(c["quote"])
    assert text == served[1].ask(question).answer


def test_streamed_answer_ends_with_citations(client, served) -> None:
    question, facts = gold()["q005"]
    stream = client.chat.completions.create(model="default", messages=user(question), stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert has_facts(text, facts) and text == served[1].ask(question).answer
    assert chunks[0].choices[0].delta.role == "assistant"
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.model_extra["citations"]
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_earlier_turns_are_the_conversation_and_extras_are_honoured(client) -> None:
    first_q, followup, facts = FOLLOWUP
    first = client.chat.completions.create(model="default", messages=user(first_q)).choices[0].message.content
    messages = [{"role": "system", "content": "ignored"}, *user(first_q),
                {"role": "assistant", "content": first}, *user(followup)]
    second = client.chat.completions.create(model="default", messages=messages, extra_body={"k": 1, "mode": "lexical"})
    assert any(v in second.choices[0].message.content for v in facts), second.choices[0].message.content
    assert len(second.model_extra["citations"]) == 1 and second.model_extra["rag"]["mode"]["retrieval"] == "lexical"


def test_refusal_has_no_citations(client) -> None:
    got = client.chat.completions.create(model="default", messages=user(REFUSAL_QUESTION))
    assert got.model_extra["refused"] is True and got.model_extra["citations"] == []
    assert "无法回答" in got.choices[0].message.content
    streamed = list(client.chat.completions.create(model="default", messages=user(REFUSAL_QUESTION), stream=True))
    assert streamed[-1].model_extra["refused"] is True and streamed[-1].model_extra["citations"] == []


@pytest.mark.parametrize("kwargs, param, message", [
    ({"messages": []}, "messages", "non-empty list"),
    ({"messages": [{"role": "assistant", "content": "hi"}]}, "messages", "last message must be the user"),
    ({"messages": user("q"), "extra_body": {"k": 0}}, "k", "k must be a whole number from 1 to 50"),
    ({"messages": user("q"), "extra_body": {"k": "5"}}, "k", "k must be"),
    ({"messages": user("q"), "extra_body": {"k": True}}, "k", "k must be"),
    ({"messages": user("q"), "extra_body": {"mode": "dense"}}, "mode", "not available"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages", "content must be"),
])
def test_bad_requests_get_openai_errors(client, kwargs, param, message) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="default", **kwargs)
    err = info.value.body
    assert err["param"] == param and err["type"] == "invalid_request_error" and message in err["message"]
    assert "\n" not in err["message"] and "&#x27;" not in err["message"] and "&lt;" not in err["message"]


def test_unknown_model_is_404(client) -> None:
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-4o", messages=user("q"))


def test_invalid_json_is_an_openai_error(served) -> None:
    req = urllib.request.Request(served[0] + "/v1/chat/completions", data=b"{not json",
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=30)
    assert info.value.code == 400
    assert json.loads(info.value.read())["error"]["type"] == "invalid_request_error"


def test_parse_request_reads_content_parts(served) -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "天猫"}, {"type": "text", "text": "品牌"}]}]
    req = parse_request({"messages": messages}, served[1])
    assert req.question == "天猫 品牌" and req.history == () and req.model == "default" and not req.stream
    with pytest.raises(ApiError, match="stream must be"):
        parse_request({"messages": messages, "stream": "yes"}, served[1])
