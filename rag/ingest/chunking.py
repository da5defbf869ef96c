"""Pack sentences into overlapping chunks that never cross a section boundary.

Each chunk is a run of whole sentences of at most `size` characters (a single
longer sentence becomes its own chunk); the next chunk starts with the trailing
sentences of the previous one that fit in `overlap` characters. Offsets index the
document text, so `doc.text[c.start:c.end] == c.text`.
"""
from __future__ import annotations

from dataclasses import dataclass

from rag.ingest.location import where
from rag.text.sentences import Sentence, split_sentences
from rag.types import Chunk, Document


@dataclass(frozen=True)
class ChunkSettings:
    size: int = 240
    overlap: int = 80

    def __post_init__(self) -> None:
        if self.size < 20:
            raise ValueError("chunk size must be at least 20 characters")
        if not 0 <= self.overlap < self.size:
            raise ValueError("chunk overlap must be between 0 and the chunk size")


def chunk_document(doc: Document, settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    chunks: list[Chunk] = []
    fmt = str(doc.metadata.get("format", ""))
    for sec in doc.sections:
        location, page = where(fmt, sec.title)
        sents = split_sentences(doc.text[sec.start:sec.end], offset=sec.start)
        for group in pack(sents, settings):
            start, end = group[0].start, group[-1].end
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}:{len(chunks)}",
                    doc_id=doc.doc_id,
                    title=doc.title,
                    url=doc.url,
                    section=sec.title,
                    text=doc.text[start:end],
                    start=start,
                    end=end,
                    path=doc.path,
                    location=location,
                    page=page,
                )
            )
    return chunks


def pack(sents: list[Sentence], settings: ChunkSettings) -> list[list[Sentence]]:
    """Group consecutive sentences; each group after the first repeats an overlap tail."""
    groups: list[list[Sentence]] = []
    i = 0
    while i < len(sents):
        group = [sents[i]]
        j = i + 1
        while j < len(sents) and sents[j].end - group[0].start <= settings.size:
            group.append(sents[j])
            j += 1
        groups.append(group)
        if j >= len(sents):
            break
        # Step back over trailing sentences that fit the overlap, but always advance.
        k = j
        while k - 1 > i and group[-1].end - sents[k - 1].start <= settings.overlap:
            k -= 1
        i = k
    return groups
