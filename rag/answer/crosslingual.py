"""Questions in another language than the documents (an English question over Chinese news).

Word overlap cannot judge them: no English word is in a Chinese sentence. The multilingual
embedding model can. Every sentence of the top passages is embedded as a passage and compared
with the question; the closest one is quoted when it is close enough (`min_cosine`) and, for a
question that asks for a figure ("how many", "how much"), when it gives one. Otherwise the
question is refused: the documents do not say.

The quote stays in the documents' language, with its citation; the cost is one small batch of
sentence embeddings (~10-20 sentences) for such a question only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from rag.answer.answer_type import QUANTITY, expected_type
from rag.text.numbers import extract_quantities
from rag.text.sentences import Sentence, split_sentences
from rag.types import Chunk, Hit

Embed = Callable[[list[str]], np.ndarray]
# e5-small question-sentence cosine. Measured on the gold set's 10 English questions and 6 off-topic ones:
# answerable 0.75-0.81, off-topic 0.72-0.78; 0.78 refuses every off-topic one and answers 4 of 10.
MIN_COSINE = 0.78
_MIN_CHARS = 6


@dataclass(frozen=True)
class Match:
    chunk: Chunk
    sentence: Sentence
    cosine: float


class CrossLingual:
    """`CrossLingual(embed, "query: ", "passage: ").best(question, hits) -> Match | None`."""

    def __init__(self, embed: Embed, query_prefix: str = "", passage_prefix: str = "",
                 min_cosine: float = MIN_COSINE, passages: int = 3) -> None:
        self.embed, self.query_prefix, self.passage_prefix = embed, query_prefix, passage_prefix
        self.min_cosine, self.passages = min_cosine, passages

    def best(self, question: str, hits: Sequence[Hit]) -> Match | None:
        wants_figure = expected_type(question) == QUANTITY
        pool = [(h.chunk, s) for h in hits[: self.passages]
                for s in split_sentences(h.chunk.text, offset=h.chunk.start)
                if len(s.text.strip()) >= _MIN_CHARS and (not wants_figure or extract_quantities(s.text))]
        if not pool:
            return None
        vecs = self.embed([self.query_prefix + question] + [self.passage_prefix + s.text for _, s in pool])
        scores = vecs[1:] @ vecs[0]
        i = int(np.argmax(scores))
        chunk, sentence = pool[i]
        match = Match(chunk, sentence, float(scores[i]))
        return match if match.cosine >= self.min_cosine else None
