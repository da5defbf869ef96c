"""Any OpenAI-compatible chat-completions server (vLLM, Ollama, LM Studio, DeepSeek,
DashScope, Azure OpenAI), spoken through the official `openai` client (the `llm` extra),
imported on the first question so `rag ask` without it starts fast.

The client does HTTP, Server-Sent Events, authentication and timeouts; this module
keeps the policy: `timeout_s` bounds the connect and every wait for more bytes, not
the whole answer, because a long answer that keeps arriving is fine. Connection
failures, 429, 5xx and a stream closed before any text are retried (with backoff)
only while no text has been yielded, so the caller never sees the start of an
answer twice; the client's own retries are off because they cannot know that.
A server that cannot be reached is remembered for a while (`breaker.DOWN`), so the
next questions fail at once instead of each paying for the retries. A server that
answers a streaming request with plain JSON is read as a whole.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from rag.errors import BackendError, MissingDependency, RagError
from rag.types import Message
from rag.llm.base import GenerationSettings, as_chat, one_line
from rag.llm.breaker import DOWN, DownServers
from rag.llm.chunks import delta_text, malformed

_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class _TransientError(Exception):
    """A failure worth retrying while nothing has been yielded yet."""


class _Unreachable(_TransientError):
    """No connection at all: worth remembering, so the next question does not wait for it."""


def openai_options_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """`base_url`, `model` and `api_key` from RAG_OPENAI_* (the key also from OPENAI_API_KEY)."""
    options = {"base_url": env.get("RAG_OPENAI_BASE_URL", ""), "model": env.get("RAG_OPENAI_MODEL", ""),
               "api_key": env.get("RAG_OPENAI_API_KEY") or env.get("OPENAI_API_KEY") or "",
               "azure_api_version": env.get("RAG_OPENAI_AZURE_API_VERSION", "")}
    return {k: v for k, v in options.items() if v}


def chat_completions_url(base_url: str) -> str:
    """'http://h:8000/v1' -> 'http://h:8000/v1/chat/completions'; a full endpoint is kept."""
    base = base_url.strip().rstrip("/")
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


class OpenAIGenerator:
    """`Generator` for an OpenAI-compatible server at `base_url` (usually ending in /v1).
    With `azure_api_version` the server is Azure OpenAI: `base_url` is the resource endpoint
    (https://NAME.openai.azure.com) and `model` the deployment name."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, *, timeout_s: float = 60.0,
                 retries: int = 2, max_new_tokens: int = 512, temperature: float = 0.0,
                 stream: bool = True, backoff_s: float = 0.25, azure_api_version: str | None = None,
                 down: DownServers | None = None) -> None:
        if not base_url or not model:
            raise RagError("the openai backend needs a server and a model: "
                           "set RAG_OPENAI_BASE_URL (e.g. http://localhost:8000/v1) and RAG_OPENAI_MODEL")
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RagError(f"RAG_OPENAI_BASE_URL must be an http(s) URL such as http://localhost:8000/v1, "
                           f"got '{base_url}'")
        if timeout_s <= 0 or retries < 0:
            raise RagError(f"timeout_s must be positive and retries not negative, got {timeout_s} and {retries}")
        base = base_url.strip().rstrip("/")
        # The client appends /chat/completions itself; a full endpoint given by the user is trimmed back.
        self.base_url = base.removesuffix("/chat/completions")
        self.url = chat_completions_url(base_url)
        self.model = model
        self.api_key = api_key or None
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.use_stream = stream
        self.azure_api_version = azure_api_version or None
        self.down = down if down is not None else DOWN
        self.settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature)
        self.name = f"openai:{model}"
        self._loopback = parts.hostname in _LOOPBACK
        self._client: Any = None

    def _openai(self) -> Any:
        """The client, built on first use (importing `openai` takes 1-3 s)."""
        if self._client is None:
            openai = _module()
            # A proxy set for the outside world must not swallow a server on this machine.
            http = openai.DefaultHttpxClient(trust_env=False) if self._loopback else None
            common: dict[str, Any] = {"api_key": self.api_key or "unused", "max_retries": 0,
                                      "timeout": self.timeout_s, "http_client": http,
                                      "default_headers": {"User-Agent": "rag-chatbot"}}
            if self.azure_api_version:
                self._client = openai.AzureOpenAI(azure_endpoint=self.base_url, api_version=self.azure_api_version,
                                                  **common)
            else:
                self._client = openai.OpenAI(base_url=self.base_url, **common)
        return self._client

    def stream(self, messages: list[Message]) -> Iterator[str]:
        chat = as_chat(messages)
        self.down.check(self.base_url)
        attempt = 0
        while True:
            started = False
            try:
                for piece in self._pieces(chat):
                    started = True
                    yield piece
                return
            except _TransientError as exc:
                if started or attempt >= self.retries:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    if isinstance(exc, _Unreachable):
                        self.down.mark(self.base_url, f"{exc}{tries}")
                    raise BackendError(f"{exc}{tries}") from None
            time.sleep(self.backoff_s * 2 ** attempt)
            attempt += 1

    def _open(self, chat: list[dict[str, str]]) -> Any:
        """The raw response to one request; its body is not read yet when streaming."""
        openai = _module()

        # Without a key no Authorization header is sent (local servers need none).
        headers = {} if self.api_key else {"Authorization": openai.omit}
        try:
            return self._openai().chat.completions.with_raw_response.create(
                model=self.model, messages=chat, stream=self.use_stream, extra_headers=headers,
                max_tokens=self.settings.max_new_tokens, temperature=self.settings.temperature)
        except openai.APITimeoutError:
            raise BackendError(f"the server at {self.base_url} did not answer within {self.timeout_s:g}s "
                               f"(model '{self.model}'); is it overloaded or still loading the model?") from None
        except openai.APIConnectionError as exc:  # refused, unknown host, reset
            raise _Unreachable(f"cannot reach the OpenAI-compatible server at {self.base_url}: "
                               f"{_reason(exc)}; is it running?") from None
        except openai.APIStatusError as exc:
            raise self._http_error(exc.status_code, exc.response.content) from None

    def _http_error(self, code: int, body: bytes) -> Exception:
        detail = _error_detail(body)
        status = f"HTTP {code}" + (f": {detail}" if detail else "")
        if code in (401, 403):
            return BackendError(f"the server at {self.base_url} refused the request ({status}); "
                                "check RAG_OPENAI_API_KEY (or OPENAI_API_KEY)")
        if code == 404:
            return BackendError(f"the server at {self.base_url} has no such endpoint or model ({status}); "
                                f"check the base URL (usually ends in /v1) and the model '{self.model}'")
        if code == 429 or code >= 500:
            return _TransientError(f"the server at {self.base_url} failed ({status})")
        return BackendError(f"the server at {self.base_url} rejected the request ({status})")

    def _pieces(self, chat: list[dict[str, str]]) -> Iterator[str]:
        """Text deltas of one request, streamed (SSE) or whole (JSON)."""
        raw = self._open(chat)
        content_type = raw.headers.get("content-type") or ""
        if not self.use_stream or "json" in content_type:
            content = _message_content(_parse_json(raw.http_response.read(), self.base_url), self.base_url)
            if content:
                yield content
            return
        if "html" in content_type:  # a web page where the API should be (LM Studio's welcome page)
            raw.http_response.close()
            raise malformed(self.base_url, f"it answered {content_type.split(';')[0]}, not an event stream")
        yield from self._events(raw)

    def _events(self, raw: Any) -> Iterator[str]:
        openai = _module()

        seen_data = finished = False
        try:
            with raw.parse() as events:
                for chunk in events:
                    seen_data = True
                    text, done = delta_text(chunk, self.base_url)
                    finished = finished or done
                    if text:
                        yield text
        except openai.APITimeoutError:
            raise BackendError(f"the server at {self.base_url} stopped sending for {self.timeout_s:g}s "
                               "in the middle of an answer") from None
        except openai.APIConnectionError:
            raise _TransientError(f"the connection to {self.base_url} broke during the answer") from None
        except openai.APIError as exc:  # an {"error": …} event
            raise BackendError(f"the server at {self.base_url} reported an error mid-answer: "
                               f"{one_line(exc.message, 160)}") from None
        except json.JSONDecodeError as exc:
            raise malformed(self.base_url, f"a data line is not JSON: {one_line(exc.doc[:60], 60)!r}") from None
        if not finished:
            # A finish_reason without [DONE] is complete (some servers omit [DONE]); nothing at all,
            # or text that stops mid-way, means the connection was cut.
            what = "before sending anything" if not seen_data else "in the middle of the answer"
            raise _TransientError(f"the server at {self.base_url} closed the stream {what}")


def _module() -> Any:
    try:
        import openai
    except ImportError:
        raise MissingDependency("openai", "llm") from None
    return openai


def _reason(exc: BaseException) -> str:
    """'Connection refused' out of the client's 'Connection error.' and its cause."""
    cause = exc.__cause__
    while cause is not None and cause.__cause__ is not None and not str(cause):
        cause = cause.__cause__
    text = str(cause) if cause is not None and str(cause) else str(exc)
    if text.startswith("[Errno"):
        text = text.split("]", 1)[-1]
    return one_line(text.strip() or "timed out", 120)


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
