"""An OpenAI-compatible chat API on the same server: `POST /v1/chat/completions`, `GET /v1/models`.

Any OpenAI client can ask the documents: the last user message is the question, the
user/assistant turns before it are the conversation (system messages are ignored: the
answer rules are the server's). `model` names the knowledge base (`default`, or the
index folder's name); `k` and `mode` are optional extras. The answer carries `[n]`
markers, and the response (or the stream's last chunk) a top-level `citations` list.
Errors use OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
See docs/api.md. No `from __future__ import annotations`: FastAPI reads the handlers' type hints at run time.
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.types import Answer, Message

from .inputs import available_modes, parse_history, parse_k, parse_mode

DEFAULT_MODEL = "default"
ROLES = ("system", "developer", "user", "assistant", "tool")


class ApiError(RagError):
    """A request error with the HTTP status, OpenAI error type and the offending parameter."""

    def __init__(self, message: str, param: str | None = None, status: int = 400,
                 kind: str = "invalid_request_error", code: str | None = None) -> None:
        super().__init__(message)
        self.param, self.status, self.kind, self.code = param, status, kind, code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": str(self), "type": self.kind, "param": self.param, "code": self.code}}


@dataclass(frozen=True)
class ChatRequest:
    model: str
    question: str
    history: tuple[Message, ...]
    stream: bool
    k: int | None
    mode: str | None


def model_names(pipeline: Pipeline) -> list[str]:
    """Today one knowledge base: `default`, also reachable under its index folder's name."""
    return [DEFAULT_MODEL, Path(str(pipeline.index.path)).name]


def parse_request(body: Any, pipeline: Pipeline, names: list[str] | None = None) -> ChatRequest:
    """Check a chat-completions request; every problem is one ApiError naming its parameter.
    `names` are the models (knowledge bases) there are; by default only `pipeline`'s."""
    if not isinstance(body, dict):
        raise ApiError("the request body must be a JSON object")
    model = body.get("model", DEFAULT_MODEL)
    if model in (None, ""):
        model = DEFAULT_MODEL
    if not isinstance(model, str):
        raise ApiError("model must be a string", "model")
    if model not in (names or model_names(pipeline)):
        known = ", ".join(repr(n) for n in dict.fromkeys(names or [DEFAULT_MODEL]))
        raise ApiError(f"model {model!r} does not exist: use {known} (GET /v1/models lists them)",
                       "model", 404, code="model_not_found")
    stream = body.get("stream", False)
    if not isinstance(stream, bool) and stream is not None:
        raise ApiError("stream must be true or false", "stream")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError("messages must be a non-empty list of {\"role\": ..., \"content\": ...}", "messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise ApiError(f"messages[{i}] needs a role (user, assistant or system) and a content", "messages")
        if not isinstance(m.get("content"), (str, list)) and m.get("content") is not None:
            raise ApiError(f"messages[{i}].content must be a string or a list of text parts", "messages")
    if messages[-1]["role"] != "user":
        raise ApiError("the last message must be the user's question (role \"user\")", "messages")
    turns = _param("messages", parse_history, [m for m in messages if m["role"] in ("user", "assistant")])
    k = _param("k", _checked_k, body.get("k"))
    mode = _param("mode", parse_mode, body.get("mode"), available_modes(pipeline))
    question = _content_text(messages[-1]["content"])
    history = tuple(turns[:-1]) if turns and turns[-1].role == "user" else tuple(turns)
    return ChatRequest(model, question, history, bool(stream), k, mode)


def _param(name: str, parse: Callable[..., Any], *args: Any) -> Any:
    """`parse(*args)`, its RagError turned into an ApiError that names the parameter."""
    try:
        return parse(*args)
    except RagError as exc:
        raise ApiError(str(exc), name) from None


def _checked_k(k: Any) -> int | None:
    if isinstance(k, bool) or (k is not None and not isinstance(k, (int, float))):
        parse_k("not a number")  # raises the one k message
    return parse_k(k)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = content or []
    return " ".join(p.get("text", "") for p in parts if isinstance(p, dict) and p.get("type") == "text")


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [c.to_dict() for c in answer.citations]


def completion(answer: Answer, model: str, cid: str, created: int) -> dict[str, Any]:
    """The non-streamed response: OpenAI's chat.completion, plus `citations` and `rag` (what answered, how fast)."""
    return {
        "id": cid, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                     "finish_reason": "stop", "logprobs": None}],
        "citations": _citations(answer), "refused": answer.refused, "rag": _extra(answer),
    }


def _extra(answer: Answer) -> dict[str, Any]:
    d = answer.to_dict()
    return {"mode": d["mode"], "timings_ms": d["timings_ms"], "check": d["check"], "notes": d["notes"]}


def chunks(pieces: Iterator[str | Answer], model: str, cid: str, created: int) -> Iterator[dict[str, Any]]:
    """The streamed response: a role chunk, content deltas, then a last chunk with finish_reason and citations."""
    base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
    yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    for piece in pieces:
        if isinstance(piece, Answer):
            yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                   "citations": _citations(piece), "refused": piece.refused, "rag": _extra(piece)}
        elif piece:
            yield {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}


def sse(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    """Server-sent events as OpenAI sends them; a failure mid-stream becomes an `error` event, then [DONE]."""
    try:
        for event in events:
            yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
    except RagError as exc:
        yield f"data: {json.dumps(ApiError(str(exc), kind='server_error', status=500).body(), ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def busy_error(limit: int) -> ApiError:
    return ApiError(f"the server is answering {limit} questions already (RAG_CONCURRENCY={limit}): retry shortly",
                    status=429, kind="rate_limit_exceeded", code="rate_limit_exceeded")


def guarded(events: Iterator[str], release: Callable[[], None]) -> Iterator[str]:
    """`events`, then the slot given back: at the end, on an error or when the client goes away."""
    try:
        yield from events
    finally:
        release()


def openai_router(current: Callable[[], Pipeline], library: Any = None, limit: int = 8) -> Any:
    """The FastAPI router, mounted on Gradio's app by `ui.app.serve()`. With a `ui.library.Library`
    every knowledge base is a model and `model` picks the base; without, `default` is the only one."""
    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse, StreamingResponse

    router = APIRouter(prefix="/v1")
    # The page's queue holds answers beyond the limit; an API client is told to retry instead
    # (OpenAI clients retry a 429 with back-off by themselves).
    slots = threading.BoundedSemaphore(limit)

    def error(exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    def names() -> list[str]:
        """Every model id accepted: `default` and the index folder's name (the first base), then each base."""
        return [*model_names(current()), *(library.names()[1:] if library is not None else [])]

    def base_of(model: Any) -> str | None:
        """The knowledge base a model id names; None for the one the server started with."""
        if library is None or not isinstance(model, str) or model in model_names(current()) or not model:
            return None
        return model if model in library.names() else None

    def describe(name: str | None) -> dict[str, Any]:
        info = (current() if name is None else library.current(name)).mode_info()
        return {"id": name or DEFAULT_MODEL, "object": "model", "created": int(time.time()), "owned_by": "rag-zh",
                "index": model_names(current())[1] if name is None else name,
                "documents": info.get("documents", 0), "retrieval": info.get("retrieval"),
                "answerer": info.get("answerer")}

    @router.get("/models")
    def models() -> JSONResponse:
        data = [describe(None)]
        for name in (library.names()[1:] if library is not None else []):
            try:
                data.append(describe(name))
            except RagError:  # a base without documents yet: listed, not answerable
                data.append({"id": name, "object": "model", "created": int(time.time()), "owned_by": "rag-zh",
                             "index": name, "documents": 0, "retrieval": None, "answerer": None})
        return JSONResponse({"object": "list", "data": data})

    @router.post("/chat/completions")
    async def chat_completions(request: Request) -> Any:
        try:
            body = await request.json()
        except ValueError:
            return error(ApiError("the request body is not valid JSON"))
        from starlette.concurrency import run_in_threadpool

        base = base_of(body.get("model") if isinstance(body, dict) else None)
        try:
            pipeline = current() if base is None else library.current(base)
        except RagError as exc:
            return error(ApiError(str(exc), "model", 400, code="model_not_ready"))
        try:
            req = parse_request(body, pipeline, names())
        except ApiError as exc:
            return error(exc)
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if not slots.acquire(blocking=False):
            return error(busy_error(limit))
        if req.stream:
            pieces = pipeline.stream(req.question, req.history, req.k, req.mode)
            events = guarded(sse(chunks(pieces, req.model, cid, created)), slots.release)
            return StreamingResponse(events, media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            answer = await run_in_threadpool(pipeline.ask, req.question, req.history, req.k, req.mode)
        except RagError as exc:
            return error(ApiError(str(exc), status=500, kind="server_error"))
        finally:
            slots.release()
        return JSONResponse(completion(answer, req.model, cid, created))

    return router
