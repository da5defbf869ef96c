"""Pick the answerer the settings ask for; fall back to extractive with a visible note.

    extractive    -> the offline answerer (quotes), its Draft carrying the checker's report
    transformers  -> a local chat model (settings.llm_model: hub name in the local cache, or a folder)
    openai        -> any OpenAI-compatible server (openai_base_url, openai_model, openai_api_key)

A model that is not on disk, a missing optional dependency or a bad server setting is
found here, at startup, in milliseconds (no model is loaded and no request is made),
and becomes the note "extractive answers: <reason>". The local model loads on the
first question; a server is first asked then, too.
"""
from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.answer.check import check_answer
from rag.errors import MissingDependency, RagError
from rag.answer.extractive import ExtractiveAnswerer
from rag.types import Draft, FollowUp, Hit, Message

if TYPE_CHECKING:
    from rag.answer.generated import Answerer
    from rag.llm.base import Generator
    from rag.index.loaded import LoadedIndex
    from rag.settings import Settings

DEFAULT_BUDGET_CHARS = 6000  # passages in the prompt; about 1 token per character of Chinese, or fewer
_RESERVED_TOKENS = 1200  # the rules, the recent turns and the question
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")


class CheckedAnswerer:
    """An answerer whose final Draft carries the citation check's report. Unsupported sentences
    are flagged, not dropped: the extractive answer quotes its passages verbatim, so a flag
    means the checker missed a paraphrase of a figure, not that the answer invented one."""

    def __init__(self, inner: Answerer) -> None:
        self.inner = inner
        self.name = inner.name

    def stream(self, question: str, hits: Sequence[Hit], history: Sequence[Message] = (),
               followup: FollowUp | None = None) -> Iterator[str | Draft]:
        for piece in self.inner.stream(question, hits, history, followup):
            yield with_check(piece) if isinstance(piece, Draft) else piece


def with_check(draft: Draft) -> Draft:
    """`draft` with the checker's report on its text and citations added to `draft.check`."""
    if draft.refused:
        report: dict[str, Any] = {"checked_sentences": 0, "checked_numbers": 0, "supported": 0,
                                  "dropped": [], "bad_markers": [], "flagged": []}
    else:
        report = check_answer(draft.text, {c.n: c.text for c in draft.citations}).to_dict()
        report["flagged"], report["dropped"] = report["dropped"], []
    return replace(draft, check={**report, "fallback": None, **draft.check})


def make_answerer(settings: Settings, index: LoadedIndex, notes: list[str], embedder=None) -> Answerer:
    """`embedder` (the query embedder, when the index has vectors) lets English questions be answered."""
    crosslingual = None
    if embedder is not None:
        from rag.answer.crosslingual import CrossLingual

        info = index.embedding or {}
        crosslingual = CrossLingual(embedder.embed, info.get("query_instruction", ""), info.get("passage_prefix", ""))
    extractive = CheckedAnswerer(ExtractiveAnswerer(index.tokenizer, index.bm25, settings.min_support,
                                                    chunks=index.chunks, crosslingual=crosslingual))
    if settings.answerer == "extractive":
        return extractive
    try:
        generator, name, budget = _generator(settings)
    except RagError as exc:  # ModelUnavailable, MissingDependency, a bad server setting
        notes.append(f"extractive answers: {exc}")
        return extractive
    from rag.answer.generated import GeneratedAnswerer

    return GeneratedAnswerer(generator, extractive, name, budget)


def _generator(settings: Settings) -> tuple[Generator, str, int]:
    """(generator, its name for Answer.mode, the passage budget in characters). The backend
    modules are cheap to import: torch and transformers load on the first question."""
    if settings.answerer == "transformers":
        from rag.llm.availability import find_local_model
        from rag.llm.transformers_backend import TransformersGenerator

        folder = find_local_model(settings.llm_model)  # the file system only: fails in milliseconds
        for module in ("torch", "transformers"):
            if importlib.util.find_spec(module) is None:  # found without importing it
                raise MissingDependency(module, "models")
        local = TransformersGenerator(settings.llm_model, device=settings.device,
                                      max_new_tokens=settings.max_new_tokens, temperature=settings.temperature)
        budget = passage_budget(folder, local.settings.max_new_tokens)
        return local, f"transformers:{settings.llm_model}", budget
    if settings.answerer == "openai":
        from rag.llm.openai_backend import OpenAIGenerator

        key = settings.openai_api_key or os.environ.get("OPENAI_API_KEY", "")
        server = OpenAIGenerator(settings.openai_base_url, settings.openai_model, key or None,
                                 timeout_s=settings.llm_timeout_s, max_new_tokens=settings.max_new_tokens,
                                 temperature=settings.temperature,
                                 azure_api_version=settings.openai_azure_api_version or None)
        return server, f"openai:{settings.openai_model}@{server.base_url}", DEFAULT_BUDGET_CHARS
    raise RagError(f"unknown answerer '{settings.answerer}': use extractive, transformers or openai")


def passage_budget(folder: Path, max_new_tokens: int) -> int:
    """Characters of passages that fit the model's context (config.json) with room for the
    rules, the conversation and the answer; counted as one token per character, which
    overestimates Chinese text for every common tokenizer, so the prompt always fits."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return DEFAULT_BUDGET_CHARS
    context = next((config[k] for k in _CONTEXT_KEYS if isinstance(config.get(k), int)), None)
    if context is None:
        return DEFAULT_BUDGET_CHARS
    return max(500, min(DEFAULT_BUDGET_CHARS, context - max_new_tokens - _RESERVED_TOKENS))
