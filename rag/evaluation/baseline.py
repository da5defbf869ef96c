"""A deliberately naive answerer, so the report shows what the real pipeline adds.

BM25 over character bigrams (no word segmentation, synonyms, titles or
conversation history), the top chunk, its first sentence, never a refusal.
It answers like the pipeline (`search`, `ask`, `mode_info`), so the runner
treats both alike.

>>> bigrams("天猫373个")
['天猫', '猫3', '37', '73', '3个']
"""
from __future__ import annotations

import time
import unicodedata
from typing import Sequence

from rag.index.bm25 import BM25
from rag.index.bm25_builder import build_bm25
from rag.text.sentences import split_sentences
from rag.types import Answer, Chunk, Citation, Hit, Message

NAME = "baseline"
DESCRIPTION = "naive baseline: bigram BM25, top chunk, first sentence, never refuses"


def bigrams(text: str) -> list[str]:
    chars = [ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum()]
    return [a + b for a, b in zip(chars, chars[1:])] or chars


class NaiveBaseline:
    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        self.bm25 = build_bm25(bigrams(c.text) for c in self.chunks)

    def search(self, question: str, history: Sequence[Message] = (), k: int | None = None,
               mode: str | None = None) -> list[Hit]:
        ids, scores = self.bm25.top(bigrams(question), k or 5)
        return [Hit(self.chunks[int(i)], float(s), r, "bm25-bigram") for r, (i, s) in enumerate(zip(ids, scores))]

    def ask(self, question: str, history: Sequence[Message] = (), k: int | None = None,
            mode: str | None = None) -> Answer:
        t0 = time.perf_counter()
        hits = self.search(question, k=1)
        if not hits:
            return Answer(question, "", True, (), self.mode_info(), {"total_ms": 0.0})
        c = hits[0].chunk
        first = split_sentences(c.text, offset=c.start)[0]
        cite = Citation(1, c.title, c.url, c.text, c.doc_id, c.chunk_id, c.start, c.end, c.section,
                        first.text, first.start, first.end, c.path, c.location, c.page)
        ms = (time.perf_counter() - t0) * 1000
        return Answer(question, f"{first.text}[1]", False, (cite,), self.mode_info(), {"total_ms": ms})

    def mode_info(self, mode: str | None = None) -> dict:
        return {"retrieval": NAME, "answerer": "first sentence", "embedding_model": None,
                "reranker": None, "tokenizer": "character bigrams"}
