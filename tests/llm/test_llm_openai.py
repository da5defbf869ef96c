"""OpenAIGenerator against a real HTTP server on 127.0.0.1 that speaks chat completions.

Each test gives the server (tests/openai_server.py) a plan: one behaviour per request
(the last one repeats), so retries, timeouts and broken streams are exercised over real sockets.
"""
from __future__ import annotations

import socket
import sys
import threading
import time

import pytest
from openai_server import FakeServer, Handler, closed_port_url, raw_stream, reply_json, server, sleep_then, sse, status

from rag.errors import BackendError, RagError
from rag.llm import make_generator
from rag.llm.breaker import DownServers
from rag.llm.openai_backend import OpenAIGenerator, chat_completions_url, openai_options_from_env
from rag.types import Message

__all__ = ["server"]  # the fixture, imported from openai_server

MESSAGES = [Message("system", "只根据资料回答。"), Message("user", "天宫一号什么时候发射？")]


def generator(srv: FakeServer, **options: object) -> OpenAIGenerator:
    options = {"timeout_s": 5.0, "backoff_s": 0.01, **options}
    return OpenAIGenerator(srv.base_url, "qwen2.5-7b-instruct", **options)


def test_streamed_text_arrives_in_pieces_as_it_is_sent(server: FakeServer) -> None:
    gate = threading.Event()
    server.plan = [sse(["天宫一号", "于2011年9月29日", "发射 [1]。"], gate=gate)]
    stream = generator(server, api_key="sk-test", max_new_tokens=64).stream(MESSAGES)
    first = next(stream)
    assert first == "天宫一号" and not gate.is_set()  # it came before the server sent the rest
    gate.set()
    assert [first, *stream] == ["天宫一号", "于2011年9月29日", "发射 [1]。"]
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["json"]["stream"] is True and request["json"]["max_tokens"] == 64
    assert request["json"]["temperature"] == 0.0 and request["json"]["model"] == "qwen2.5-7b-instruct"
    assert request["json"]["messages"][1] == {"role": "user", "content": "天宫一号什么时候发射？"}


def test_non_streaming_mode_reads_one_completion(server: FakeServer) -> None:
    server.plan = [reply_json("发射于2011年 [1]。")]
    assert list(generator(server, stream=False).stream(MESSAGES)) == ["发射于2011年 [1]。"]
    assert server.requests[0]["json"]["stream"] is False
    assert "Authorization" not in server.requests[0]["headers"]


def test_a_json_answer_to_a_streaming_request_is_accepted(server: FakeServer) -> None:
    server.plan = [reply_json("完整回答")]
    assert list(generator(server).stream(MESSAGES)) == ["完整回答"]


def test_a_finish_reason_without_done_is_a_complete_answer(server: FakeServer) -> None:
    server.plan = [sse(["甲", "乙"], done=False)]
    assert "".join(generator(server).stream(MESSAGES)) == "甲乙"


def test_the_answer_ends_at_done_while_the_connection_stays_open(server: FakeServer) -> None:
    def done_then_linger(h: Handler) -> None:
        sse(["甲", "乙"])(h)
        h.server.release.wait(10)  # a keep-alive server need not close the connection

    server.plan = [done_then_linger]
    start = time.monotonic()
    assert "".join(generator(server, timeout_s=3).stream(MESSAGES)) == "甲乙"
    assert time.monotonic() - start < 2


def test_a_server_that_is_down_fails_fast_with_a_clear_message() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    gen = OpenAIGenerator(f"http://127.0.0.1:{port}/v1", "m", timeout_s=2)
    start = time.monotonic()
    with pytest.raises(BackendError) as err:
        list(gen.stream(MESSAGES))
    assert time.monotonic() - start < 5
    message = str(err.value)
    assert message.startswith(f"cannot reach the OpenAI-compatible server at http://127.0.0.1:{port}/v1: ")
    assert "is it running?" in message and "(after 3 attempts)" in message and "\n" not in message


def test_a_silent_server_times_out_without_retrying(server: FakeServer) -> None:
    server.plan = [sleep_then(10, reply_json("太晚了"))]
    start = time.monotonic()
    with pytest.raises(BackendError, match=r"did not answer within 0.3s"):
        list(generator(server, timeout_s=0.3).stream(MESSAGES))
    assert time.monotonic() - start < 3
    assert len(server.requests) == 1


def test_a_stream_that_stalls_mid_answer_times_out(server: FakeServer) -> None:
    def stall(h: Handler) -> None:
        sse(["第一段"], finish=False, done=False)(h)
        h.server.release.wait(10)

    server.plan = [stall]
    stream = generator(server, timeout_s=0.3).stream(MESSAGES)
    assert next(stream) == "第一段"
    with pytest.raises(BackendError, match=r"stopped sending for 0\.3s in the middle of an answer"):
        next(stream)


@pytest.mark.parametrize("body, expected", [
    ("data: this is not json\n\n", "a data line is not JSON: 'this is not json'"),
    ('data: {"id": "x", "object": "chat.completion.chunk"}\n\n', "a chunk has no 'choices'"),
    ('data: {"choices": [{"delta": "oops"}]}\n\n', "a choice has no 'delta' object"),
    ('data: ["a", "list"]\n\n', "a data line is list, not an object"),
])
def test_a_garbage_stream_is_a_one_line_backend_error(server: FakeServer, body: str, expected: str) -> None:
    server.plan = [raw_stream(body)]
    with pytest.raises(BackendError) as err:
        list(generator(server).stream(MESSAGES))
    assert "malformed stream" in str(err.value) and expected in str(err.value)
    assert "\n" not in str(err.value)
    assert len(server.requests) == 1  # garbage is not retried


def test_a_web_page_where_the_api_should_be_is_a_one_line_backend_error(server: FakeServer) -> None:
    server.plan = [status(200, "<html><body>Welcome to LM Studio</body></html>\n", "text/html")]
    with pytest.raises(BackendError) as err:
        list(generator(server).stream(MESSAGES))
    assert "malformed stream (it answered text/html, not an event stream)" in str(err.value)
    assert len(server.requests) == 1


def test_an_error_event_mid_stream_is_reported(server: FakeServer) -> None:
    server.plan = [raw_stream('data: {"error": {"message": "CUDA out of memory"}}\n\n')]
    with pytest.raises(BackendError, match="reported an error mid-answer: CUDA out of memory"):
        list(generator(server).stream(MESSAGES))


def test_http_500_is_retried_then_succeeds(server: FakeServer) -> None:
    server.plan = [status(500, '{"error": {"message": "warming up"}}'), sse(["好", "了"])]
    assert list(generator(server, retries=2).stream(MESSAGES)) == ["好", "了"]
    assert len(server.requests) == 2


def test_a_server_that_keeps_failing_gives_up_with_status_and_detail(server: FakeServer) -> None:
    server.plan = [status(503, "<html>\n<h1>Service Unavailable</h1>\n</html>", "text/html")]
    with pytest.raises(BackendError) as err:
        list(generator(server, retries=1).stream(MESSAGES))
    assert str(err.value) == (f"the server at {server.base_url} failed (HTTP 503: <html> <h1>Service Unavailable"
                              "</h1> </html>) (after 2 attempts)")
    assert len(server.requests) == 2


def test_401_says_to_check_the_api_key(server: FakeServer) -> None:
    server.plan = [status(401, '{"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}')]
    with pytest.raises(BackendError) as err:
        list(generator(server, api_key="wrong").stream(MESSAGES))
    assert "refused the request (HTTP 401: Incorrect API key provided)" in str(err.value)
    assert "RAG_OPENAI_API_KEY" in str(err.value)
    assert len(server.requests) == 1


def test_404_points_at_the_base_url_and_model(server: FakeServer) -> None:
    server.plan = [status(404, '{"object": "error", "message": "The model `x` does not exist."}')]
    with pytest.raises(BackendError, match=r"HTTP 404: The model `x` does not exist.*ends in /v1"):
        list(generator(server).stream(MESSAGES))


def test_400_is_not_retried(server: FakeServer) -> None:
    server.plan = [status(400, '{"detail": "max_tokens is too large"}')]
    with pytest.raises(BackendError, match=r"rejected the request \(HTTP 400: max_tokens is too large\)"):
        list(generator(server).stream(MESSAGES))
    assert len(server.requests) == 1


def test_a_stream_cut_after_text_is_an_error_and_not_retried(server: FakeServer) -> None:
    server.plan = [sse(["半句"], finish=False, done=False), sse(["不该出现"])]
    stream = generator(server).stream(MESSAGES)
    assert next(stream) == "半句"
    with pytest.raises(BackendError, match="closed the stream in the middle of the answer"):
        next(stream)
    assert len(server.requests) == 1


def test_a_stream_closed_before_any_text_is_retried(server: FakeServer) -> None:
    server.plan = [raw_stream(""), sse(["第二次成功"])]
    assert list(generator(server).stream(MESSAGES)) == ["第二次成功"]
    assert len(server.requests) == 2


def test_options_from_env_accept_either_api_key_variable() -> None:
    env = {"RAG_OPENAI_BASE_URL": "http://h:8000/v1", "RAG_OPENAI_MODEL": "qwen", "OPENAI_API_KEY": "sk-1"}
    assert openai_options_from_env(env) == {"base_url": "http://h:8000/v1", "model": "qwen", "api_key": "sk-1"}
    assert openai_options_from_env({**env, "RAG_OPENAI_API_KEY": "sk-2"})["api_key"] == "sk-2"
    assert openai_options_from_env({}) == {}


def test_endpoint_and_settings_validation() -> None:
    assert chat_completions_url("http://h:8000/v1/") == "http://h:8000/v1/chat/completions"
    assert chat_completions_url("https://h/v1/chat/completions") == "https://h/v1/chat/completions"
    with pytest.raises(RagError, match="must be an http"):
        OpenAIGenerator("localhost:8000", "m")
    with pytest.raises(RagError, match="RAG_OPENAI_MODEL"):
        make_generator("openai", base_url="http://h/v1", model=None)
    with pytest.raises(RagError, match="max_new_tokens must be positive"):
        OpenAIGenerator("http://h/v1", "m", max_new_tokens=0)


def test_make_generator_builds_and_rejects() -> None:
    gen = make_generator("openai", base_url="http://h/v1", model="m", api_key=None, timeout_s=3)
    assert isinstance(gen, OpenAIGenerator) and gen.timeout_s == 3 and gen.name == "openai:m"
    with pytest.raises(RagError, match="unknown generator 'extractive': use one of transformers, openai"):
        make_generator("extractive")
    with pytest.raises(RagError, match="unknown option tempreature"):
        make_generator("openai", base_url="http://h/v1", model="m", tempreature=0.2)


def test_a_server_found_down_is_remembered_so_the_next_question_fails_at_once() -> None:
    down = DownServers(hold_s=0.5)
    url = closed_port_url()
    gen = OpenAIGenerator(url, "m", timeout_s=2, backoff_s=0.05, down=down)
    with pytest.raises(BackendError, match=r"is it running\? \(after 3 attempts\)$"):
        list(gen.stream(MESSAGES))
    start = time.monotonic()
    with pytest.raises(BackendError) as err:
        list(OpenAIGenerator(url, "m", down=down).stream(MESSAGES))  # another generator, same server
    assert time.monotonic() - start < 0.05
    assert str(err.value).startswith(f"cannot reach the OpenAI-compatible server at {url}: ")
    assert str(err.value).endswith("(after 3 attempts) (still down, next try in 1s)")
    time.sleep(0.55)
    start = time.monotonic()
    with pytest.raises(BackendError, match=r"\(after 3 attempts\)$"):  # tried again, not remembered
        list(gen.stream(MESSAGES))
    assert time.monotonic() - start > 0.1


def test_a_server_that_is_up_is_not_held_back_by_another_that_is_down(server: FakeServer) -> None:
    down = DownServers(hold_s=30)
    down.mark(closed_port_url(), "cannot reach it")
    server.plan = [sse(["好"])]
    assert list(generator(server, down=down).stream(MESSAGES)) == ["好"]


def test_azure_endpoints_use_the_deployment_path_and_api_key_header(server: FakeServer) -> None:
    server.plan = [sse(["云"])]
    root = server.base_url.removesuffix("/v1")
    gen = OpenAIGenerator(root, "my-deployment", "az-key", azure_api_version="2024-06-01", timeout_s=5)
    assert list(gen.stream(MESSAGES)) == ["云"]
    request = server.requests[0]
    assert request["path"] == "/openai/deployments/my-deployment/chat/completions?api-version=2024-06-01"
    assert request["headers"]["Api-Key"] == "az-key"


def test_without_the_openai_package_the_first_question_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # an import of it now fails
    gen = OpenAIGenerator("http://127.0.0.1:9/v1", "m")  # building it needs no package
    with pytest.raises(RagError, match=r"'openai' is not installed.*\.\[llm\]"):
        list(gen.stream(MESSAGES))
