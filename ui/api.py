"""The Gradio API: `/ask` returns one answer as JSON; `/chat` streams it.

`/ask` returns exactly what `rag ask --json` prints (`Answer.to_dict()`). `/chat`
yields `{"question", "answer", "done": false}` while the answer grows (`answer` is
the text so far), then the same object as `/ask` with `"done": true`.

No `from __future__ import annotations` here: Gradio reads these signatures'
type hints at run time to describe the endpoints.
"""
from typing import Any, Callable, Iterator, Literal

from . import offline  # noqa: F401 - before gradio: no analytics, version checks or telemetry
import gradio as gr

from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.types import Answer

from .inputs import available_modes, parse_history, parse_k, parse_mode

Mode = Literal["auto", "lexical", "dense", "hybrid"]
# gr.Error renders its message as HTML in the page, and it may quote the caller's input; escaping it would
# show API callers "&lt;" and "&#x27;". Look-alike characters keep the message plain text in both places.


def api_error(exc: RagError) -> gr.Error:
    # Only API callers see these (the page has its own handlers): JSON text, not HTML, so not escaped.
    return gr.Error(str(exc), print_exception=False)


def question_text(question: Any, name: str = "question") -> str:
    if question is None or isinstance(question, str):
        return question or ""
    raise RagError(f"{name} must be text, not {type(question).__name__}")


class Api:
    """The two endpoints, over whatever pipeline `current()` returns at call time."""

    def __init__(self, current: Callable[[], Pipeline]) -> None:
        self.current = current

    def _prepare(self, question: Any, history: Any, k: Any, mode: Any) -> tuple:
        pipeline = self.current()
        q = question_text(question)
        return pipeline, q, parse_history(history), parse_k(k), parse_mode(mode, available_modes(pipeline))

    def ask(self, question: str, history: list | None = None, k: int | None = None, mode: Mode = "auto") -> dict:
        """Answer a question about the documents, with numbered citations.

        Args:
            question: the question (Chinese or English)
            history: earlier turns, [{"role": "user"|"assistant", "content": "..."}, ...], for follow-ups
            k: passages to retrieve (1-50; default from the server's settings)
            mode: retrieval mode: auto, lexical, dense or hybrid (what the server has)
        """
        try:
            pipeline, q, hist, k_, mode_ = self._prepare(question, history, k, mode)
            return pipeline.ask(q, hist, k_, mode_).to_dict()
        except RagError as exc:
            raise api_error(exc) from None

    def chat(self, message: str, history: list | None = None, k: int | None = None,
             mode: Mode = "auto") -> Iterator[dict]:
        """Like /ask, streamed: {"question", "answer" (text so far), "done": false} updates, then the /ask object with "done": true.

        Args:
            message: the question
            history: earlier turns, [{"role": "user"|"assistant", "content": "..."}, ...]
            k: passages to retrieve (1-50)
            mode: retrieval mode: auto, lexical, dense or hybrid
        """
        try:
            pipeline, q, hist, k_, mode_ = self._prepare(message, history, k, mode)
            text = ""
            for piece in pipeline.stream(q, hist, k_, mode_):
                if isinstance(piece, Answer):
                    yield {**piece.to_dict(), "done": True}
                else:
                    text += piece
                    yield {"question": q, "answer": text, "done": False}
        except RagError as exc:
            raise api_error(exc) from None
