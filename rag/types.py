"""The data that flows between modules: a handful of frozen dataclasses.

Offsets (`start`, `end`) always index into `Document.text`, the cleaned text of
the whole document, so `doc.text[c.start:c.end] == c.text` for every chunk.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    """A titled span of a document's cleaned text."""

    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One parsed, cleaned source file."""

    doc_id: str
    title: str
    url: str
    text: str
    sections: tuple[Section, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    def section_at(self, offset: int) -> str:
        for sec in self.sections:
            if sec.start <= offset < sec.end:
                return sec.title
        return ""


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: consecutive sentences of one section.

    Where it is: `path` (the file, as given), `location` (the place in it a reader can
    find: "第3页", "第2张幻灯片", "Sheet1 第2–21行", a heading; "" for none) and, in a
    PDF, `page` (1-based), so a viewer can open the file at it."""

    chunk_id: str
    doc_id: str
    title: str
    url: str
    section: str
    text: str
    start: int
    end: int
    path: str = ""
    location: str = ""
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Chunk":
        # Rows written before chunks said where they are lack path/location/page: the defaults.
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a retriever, with its score and 0-based rank."""

    chunk: Chunk
    score: float
    rank: int
    source: str  # "bm25", "dense", "hybrid", "rerank"


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer. `text` is the cited passage (the chunk);
    `quote` is the sentence that supports the claim, at `quote_start:quote_end`
    of the document (equal to `start:end` when no single sentence is singled out)."""

    n: int
    title: str
    url: str
    text: str
    doc_id: str
    chunk_id: str
    start: int
    end: int
    section: str = ""
    quote: str = ""
    quote_start: int = -1
    quote_end: int = -1
    # Where the cited chunk is (see `Chunk`). Not named `path`: gradio_client takes any dict
    # with a "path" key in an API answer for a file to download.
    file: str = ""
    location: str = ""
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Message:
    """One chat turn: role is "system", "user" or "assistant"."""

    role: str
    content: str


@dataclass(frozen=True)
class FollowUp:
    """A question made standalone, once per turn, by `rag.retrieve` (rule or LLM) for every
    later stage: `question` is what to answer, `retrieval` what to search for, `context`
    earlier words that may help (weighed lightly). `by` says who made it standalone:
    "none" (not a follow-up), "rule" or "llm"; `reason` why a model's rewrite was not
    used; `error` is set when the backend failed, so the answer does not try it again."""

    question: str
    retrieval: str
    context: str = ""
    by: str = "none"
    reason: str = ""
    error: str = ""

    def report(self) -> dict[str, str]:
        out = {"by": self.by, "question": self.question}
        return {**out, "reason": self.reason} if self.reason else out


@dataclass(frozen=True)
class Answer:
    """What `rag ask --json` prints and the `/ask` API returns."""

    question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    mode: dict[str, Any] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "mode": dict(self.mode),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "check": dict(self.check),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Draft:
    """An answerer's final result, before the pipeline adds mode and timings.
    Markers `[n]` in `text` refer to `citations[i].n`."""

    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    check: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
