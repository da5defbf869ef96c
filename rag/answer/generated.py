"""Generated answers: prompt -> the model's text, streamed as it comes -> every claim checked.

The final Draft is what survives the citation check (`check.check_answer`), not
necessarily what was streamed: a sentence whose figures are not in the passages it
cites is dropped, markers are renumbered 1..m in order of first use, and when no
supported sentence is left the extractive answer is given instead. Consumers show
the deltas while they arrive and replace them with `Draft.text` at the end.

A refusal by the model is a refusal (Draft.refused). A backend that fails (server
down, timeout, garbage stream, model missing) becomes a one-line note and the
extractive answer; a model that cannot be loaded is not tried again.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any, Protocol

from rag.answer.check import MARKER, CheckResult, check_answer, cited_markers, renumber
from rag.errors import MissingDependency, ModelUnavailable, RagError
from rag.llm.base import Generator, one_line
from rag.text.numbers import extract_quantities, same_quantity
from rag.answer.prompting import REFUSALS, Passage, Prompt, build_prompt, is_refusal
from rag.text.sentences import Sentence, split_sentences
from rag.types import Chunk, Citation, Draft, FollowUp, Hit, Message

log = logging.getLogger("rag")


def empty_report() -> dict[str, Any]:
    """The check report of an answer with nothing checked yet."""
    return {"checked_sentences": 0, "checked_numbers": 0, "supported": 0, "dropped": [], "bad_markers": [],
            "flagged": [], "fallback": None}


class Answerer(Protocol):
    name: str

    def stream(self, question: str, hits: Sequence[Hit], history: Sequence[Message] = ()) -> Iterator[str | Draft]:
        ...


class GeneratedAnswerer:
    """Answers written by `generator` from the retrieved passages, checked against them."""

    def __init__(self, generator: Generator, fallback: Answerer, name: str, budget_chars: int = 6000) -> None:
        self.generator, self.fallback, self.name = generator, fallback, name
        self.budget_chars = budget_chars
        self._disabled = ""  # why the model cannot be used at all (it failed to load)

    def ready(self) -> bool:
        """Load a local model on first use; one that fails to load is not tried again."""
        load = getattr(self.generator, "load", None)
        if self._disabled or load is None:
            return not self._disabled
        try:
            load()
        except RagError as exc:
            self._disabled = str(exc)
        except Exception as exc:  # a loader's bug or a library's own error type: still one line
            log.exception("loading %s failed", self.name)
            self._disabled = f"cannot load {self.name}: {type(exc).__name__}: {one_line(exc)}"
        return not self._disabled

    def stream(self, question: str, hits: Sequence[Hit], history: Sequence[Message] = (),
               followup: FollowUp | None = None) -> Iterator[str | Draft]:
        ready = self.ready()
        rw = followup or FollowUp(question, question)
        report = {**empty_report(), **({"rewrite": rw.report()} if rw.by != "none" else {})}
        failure = "" if ready and not rw.error else self._disabled or rw.error
        if failure or not hits:
            reason = "the backend failed" if failure else "nothing retrieved"
            note = f"extractive answer: {failure}" if failure else ""
            yield from self._fallback(question, hits, history, rw, report, reason, note, streamed=False)
            return
        prompt = build_prompt(rw.question, hits, history, self.budget_chars)
        text, note = "", ""
        stream = self.generator.stream(list(prompt.messages))
        try:
            for piece in stream:
                text += piece
                yield piece
        except (ModelUnavailable, MissingDependency) as exc:
            self._disabled = note = str(exc)
        except RagError as exc:
            note = str(exc)
        except Exception as exc:  # a backend's bug: logged, and the user gets an answer, not a stack trace
            log.exception("generation with %s failed", self.name)
            note = f"generation with {self.name} failed ({type(exc).__name__})"
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # ends a local model's generation thread when the consumer stops early
        if note:
            yield from self._fallback(question, hits, history, rw, report, "the backend failed",
                                      f"extractive answer: {note}", streamed=bool(text))
            return
        yield from self._finish(text, prompt, question, hits, history, rw, report)

    def _finish(self, text: str, prompt: Prompt, question: str, hits: Sequence[Hit],
                history: Sequence[Message], rw: FollowUp, report: dict[str, Any]) -> Iterator[str | Draft]:
        if not text.strip():
            yield from self._fallback(question, hits, history, rw, report, "the model wrote nothing",
                                      "extractive answer: the model returned an empty answer", streamed=False)
            return
        if is_refusal(text):
            yield Draft(REFUSALS[prompt.language], True, (),
                        {**report, "refusal_reason": "the model found no answer in the passages"})
            return
        passages = {p.n: p for p in prompt.passages}
        result = check_answer(text, {n: p.text for n, p in passages.items()})
        report = {**report, **result.to_dict()}
        if report["supported"] == 0:
            yield from self._fallback(question, hits, history, rw, report, "no supported sentence was left",
                                      "extractive answer: no sentence of the generated answer was supported "
                                      "by the passages it cited", streamed=True)
            return
        body, citations = cite(result, passages)
        notes = (f"{len(result.dropped)} unsupported sentence(s) removed from the generated answer",) \
            if result.dropped else ()
        yield Draft(body, False, citations, report, notes)

    def _fallback(self, question: str, hits: Sequence[Hit], history: Sequence[Message], rw: FollowUp,
                  report: dict[str, Any],
                  reason: str, note: str, streamed: bool) -> Iterator[str | Draft]:
        """The extractive answer, with the generated answer's report. Its text is streamed only when
        nothing was: after a partial generated answer the final Draft replaces what was shown."""
        draft = None
        for piece in self.fallback.stream(question, hits, history, rw):
            if isinstance(piece, Draft):
                draft = piece
            elif not streamed:
                yield piece
        if draft is None:
            raise RagError("the extractive answerer produced no final answer")
        check = {**report, "fallback": "extractive", "fallback_reason": reason, "extractive": dict(draft.check)}
        check.update({k: draft.check[k] for k in ("refusal_reason", "support") if k in draft.check})
        yield Draft(draft.text, draft.refused, draft.citations, check, draft.notes + ((note,) if note else ()))


def cite(result: CheckResult, passages: Mapping[int, Passage]) -> tuple[str, tuple[Citation, ...]]:
    """The kept text with markers renumbered 1..m in order of first use, and its citations.

    "甲[3]。乙[1][3]。" with passages 1 and 3 -> "甲[1]。乙[2][1]。", citations (3 -> 1, 1 -> 2).
    """
    order = [n for n in cited_markers(result.kept_text) if n in passages]
    mapping = {old: new for new, old in enumerate(order, 1)}
    claims = {n: " ".join(s.text for s in result.sentences if s.status == "supported" and n in s.markers)
              for n in order}
    citations = tuple(citation(mapping[n], passages[n].hit.chunk, claims[n]) for n in order)
    return renumber(result.kept_text, mapping), citations


def citation(n: int, chunk: Chunk, claim: str) -> Citation:
    """Citation `n` of `chunk`, quoting the chunk's sentence that best matches `claim`
    (the whole chunk when no sentence shares enough with it)."""
    best = best_sentence(chunk, claim)
    quote, start, end = (best.text, best.start, best.end) if best else (chunk.text, chunk.start, chunk.end)
    return Citation(n=n, title=chunk.title, url=chunk.url, text=chunk.text, doc_id=chunk.doc_id,
                    chunk_id=chunk.chunk_id, start=chunk.start, end=chunk.end, section=chunk.section,
                    quote=quote, quote_start=start, quote_end=end, file=chunk.path, location=chunk.location,
                    page=chunk.page)


def best_sentence(chunk: Chunk, claim: str) -> Sentence | None:
    """The sentence of `chunk` sharing most character bigrams with `claim`, a shared figure
    counting as four; None when the best shares fewer than two."""
    claim = MARKER.sub("", claim)
    grams = _bigrams(claim)
    figures = extract_quantities(claim)
    best, best_score = None, 1.0
    for s in split_sentences(chunk.text, offset=chunk.start):
        found = extract_quantities(s.text, loose=True)
        score = len(grams & _bigrams(s.text)) + 4 * sum(any(same_quantity(f, q) for q in found) for f in figures)
        if score > best_score:
            best, best_score = s, score
    return best


def _bigrams(text: str) -> set[str]:
    chars = [ch for ch in text.lower() if ch.isalnum()]
    return {a + b for a, b in pairwise(chars)}
