"""Any OpenAI-compatible chat-completions server (vLLM, Ollama, LM Studio, DeepSeek,
DashScope), spoken with the standard library: no `openai` or `httpx` dependency.

Streaming reads Server-Sent Events (`data: {json}` lines, ending with `data: [DONE]`);
a server that answers a streaming request with plain JSON is read as a whole.
`timeout_s` bounds the connect and every wait for more bytes, not the whole answer,
because a long answer that keeps arriving is fine. Connection failures, 429 and 5xx
are retried (with backoff) only while no text has been yielded, so the caller never
sees the start of an answer twice.
"""
from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from rag.errors import BackendError, RagError
from rag.types import Message
from rag.llm.base import GenerationSettings, as_chat, one_line
from rag.llm.sse import StreamEndedError, read_events

_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class _TransientError(Exception):
    """A failure worth retrying while nothing has been yielded yet."""


def openai_options_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """`base_url`, `model` and `api_key` from RAG_OPENAI_* (the key also from OPENAI_API_KEY)."""
    options = {"base_url": env.get("RAG_OPENAI_BASE_URL", ""), "model": env.get("RAG_OPENAI_MODEL", ""),
               "api_key": env.get("RAG_OPENAI_API_KEY") or env.get("OPENAI_API_KEY") or ""}
    return {k: v for k, v in options.items() if v}


def chat_completions_url(base_url: str) -> str:
    """'http://h:8000/v1' -> 'http://h:8000/v1/chat/completions'; a full endpoint is kept."""
    base = base_url.strip().rstrip("/")
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


class OpenAIGenerator:
    """`Generator` for an OpenAI-compatible server at `base_url` (usually ending in /v1)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, *, timeout_s: float = 60.0,
                 retries: int = 2, max_new_tokens: int = 512, temperature: float = 0.0,
                 stream: bool = True, backoff_s: float = 0.25) -> None:
        if not base_url or not model:
            raise RagError("the openai backend needs a server and a model: "
                           "set RAG_OPENAI_BASE_URL (e.g. http://localhost:8000/v1) and RAG_OPENAI_MODEL")
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RagError(f"RAG_OPENAI_BASE_URL must be an http(s) URL such as http://localhost:8000/v1, "
                           f"got '{base_url}'")
        if timeout_s <= 0 or retries < 0:
            raise RagError(f"timeout_s must be positive and retries not negative, got {timeout_s} and {retries}")
        self.base_url = base_url.strip().rstrip("/")
        self.url = chat_completions_url(base_url)
        self.model = model
        self.api_key = api_key or None
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.use_stream = stream
        self.settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature)
        self.name = f"openai:{model}"
        # A proxy set for the outside world must not swallow a server on this machine.
        handlers = [urllib.request.ProxyHandler({})] if parts.hostname in _LOOPBACK else []
        self._opener = urllib.request.build_opener(*handlers)

    def _request(self, messages: list[Message]) -> urllib.request.Request:
        body = {"model": self.model, "messages": as_chat(messages), "stream": self.use_stream,
                "max_tokens": self.settings.max_new_tokens, "temperature": self.settings.temperature}
        headers = {"Content-Type": "application/json", "User-Agent": "rag-chatbot",
                   "Accept": "text/event-stream" if self.use_stream else "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return urllib.request.Request(self.url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                      headers=headers, method="POST")

    def stream(self, messages: list[Message]) -> Iterator[str]:
        request = self._request(messages)
        attempt = 0
        while True:
            started = False
            try:
                with self._open(request) as response:
                    for piece in self._pieces(response):
                        started = True
                        yield piece
                return
            except _TransientError as exc:
                if started or attempt >= self.retries:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise BackendError(f"{exc}{tries}") from None
            time.sleep(self.backoff_s * 2 ** attempt)
            attempt += 1

    def _open(self, request: urllib.request.Request) -> http.client.HTTPResponse:
        try:
            response: http.client.HTTPResponse = self._opener.open(request, timeout=self.timeout_s)
            return response
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from None
        except urllib.error.URLError as exc:  # refused, unknown host, connect timeout
            reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
            raise _TransientError(f"cannot reach the OpenAI-compatible server at {self.base_url}: "
                                  f"{one_line(reason or 'timed out', 120)}; is it running?") from None
        except TimeoutError:
            raise BackendError(f"the server at {self.base_url} did not answer within {self.timeout_s:g}s "
                               f"(model '{self.model}'); is it overloaded or still loading the model?") from None
        except (ConnectionError, http.client.HTTPException) as exc:
            raise _TransientError(f"the connection to {self.base_url} failed: {type(exc).__name__}") from None

    def _http_error(self, exc: urllib.error.HTTPError) -> Exception:
        try:
            detail = _error_detail(exc.read(2000))
        except (OSError, http.client.HTTPException):
            detail = exc.reason or ""
        finally:
            exc.close()
        status = f"HTTP {exc.code}" + (f": {detail}" if detail else "")
        if exc.code in (401, 403):
            return BackendError(f"the server at {self.base_url} refused the request ({status}); "
                                "check RAG_OPENAI_API_KEY (or OPENAI_API_KEY)")
        if exc.code == 404:
            return BackendError(f"the server at {self.base_url} has no such endpoint or model ({status}); "
                                f"check the base URL (usually ends in /v1) and the model '{self.model}'")
        if exc.code == 429 or exc.code >= 500:
            return _TransientError(f"the server at {self.base_url} failed ({status})")
        return BackendError(f"the server at {self.base_url} rejected the request ({status})")

    def _pieces(self, response: http.client.HTTPResponse) -> Iterator[str]:
        """Text deltas from a response, streamed (SSE) or whole (JSON)."""
        try:
            if "json" in (response.headers.get("Content-Type") or ""):
                content = _message_content(_parse_json(response.read(), self.base_url), self.base_url)
                if content:
                    yield content
                return
            yield from read_events(response, self.base_url)
        except TimeoutError:
            raise BackendError(f"the server at {self.base_url} stopped sending for {self.timeout_s:g}s "
                               "in the middle of an answer") from None
        except (ConnectionError, http.client.HTTPException) as exc:
            raise _TransientError(f"the connection to {self.base_url} broke during the answer: "
                                  f"{type(exc).__name__}") from None
        except StreamEndedError as exc:
            raise _TransientError(str(exc)) from None


def _error_detail(body: bytes) -> str:
    """The human part of an error body: OpenAI's error.message, FastAPI's detail, or the text."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return one_line(text, 160)
    if isinstance(data, dict):
        err = data.get("error")
        for candidate in (err.get("message") if isinstance(err, dict) else err, data.get("message"),
                          data.get("detail")):
            if candidate:
                return one_line(candidate, 160)
    return one_line(text, 160)


def _parse_json(body: bytes, base_url: str) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:
        raise BackendError(f"the server at {base_url} sent a body that is not JSON: "
                           f"{one_line(body[:80].decode('utf-8', 'replace'), 80)!r}") from None


def _message_content(data: Any, base_url: str) -> str:
    """`choices[0].message.content` of a non-streamed completion."""
    if isinstance(data, dict) and "error" in data:
        raise BackendError(f"the server at {base_url} reported an error: {_error_detail(json.dumps(data).encode())}")
    try:
        content = data["choices"][0]["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise BackendError(f"the server at {base_url} sent a completion without choices[0].message; "
                           "is it an OpenAI-compatible chat-completions endpoint?") from None
    if content is not None and not isinstance(content, str):
        raise BackendError(f"the server at {base_url} sent a message content that is not text")
    return content or ""
