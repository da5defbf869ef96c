"""Pick the answerer the settings ask for; fall back to extractive with a visible note."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .extractive import ExtractiveAnswerer

if TYPE_CHECKING:
    from .loaded import LoadedIndex
    from .settings import Settings


def make_answerer(settings: "Settings", index: "LoadedIndex", notes: list[str]):
    extractive = ExtractiveAnswerer(index.tokenizer, index.bm25, settings.min_support, chunks=index.chunks)
    if settings.answerer == "extractive":
        return extractive
    notes.append(f"extractive answers: the '{settings.answerer}' answerer is not available in this build")
    return extractive
