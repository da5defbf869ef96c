"""Question (+ conversation) -> retrieve -> answer -> Answer. What the CLI, UI and API call."""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

from rag.errors import IndexMismatch, IndexMissing, ModelUnavailable, RagError
from rag.retrieve.followup import FollowUpResolver, resolve
from rag.answer.support import weigher
from rag.index.loaded import LoadedIndex, load_index
from rag.index.store import build_running
from rag.retrieve.retrievers import DenseRetriever, HybridRetriever, LexicalRetriever, RerankedRetriever, Retriever
from rag.settings import Settings
from rag.types import Answer, Draft, FollowUp, Hit, Message

log = logging.getLogger("rag")
# Controls, zero-width and bidi-override characters, and lone surrogates (which no encoder accepts).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
EMPTY_REPLY = "请输入一个问题（关于已加载的文档）。"


def clean_question(question: str, limit: int) -> tuple[str, list[str]]:
    """Strip control characters and cut overlong input; notes say what was done."""
    notes = []
    q = _CONTROL.sub(" ", question or "").strip()
    q = re.sub(r"\s+", " ", q)
    if len(q) > limit:
        q = q[:limit]
        notes.append(f"the question was cut to its first {limit} characters")
    return q, notes


_TAG = re.compile(r"<(script|style)\b[^<>]{0,300}>.{0,2000}?</\1\s*>|</?[A-Za-z][^<>]{0,300}>", re.I | re.S)


def without_markup(question: str) -> str:
    """The question with HTML tags taken out (they are shown back as text, never searched for).

    >>> without_markup("<img src=x onerror=alert(1)>火星快递配送了多少件包裹？<script>x</script>")
    '火星快递配送了多少件包裹？'
    """
    return re.sub(r"\s+", " ", _TAG.sub(" ", question)).strip()


class Pipeline:
    def __init__(self, index: LoadedIndex, settings: Settings, embedder=None, reranker=None,
                 notes: Sequence[str] = ()) -> None:
        from rag.answer.answerers import make_answerer

        self.index, self.settings = index, settings
        self.embedder, self.reranker = embedder, reranker
        self.notes = list(notes)
        self.answerer = make_answerer(settings, index, self.notes, embedder)
        self.followup = _resolver(self.answerer, index)
        self.lexical = LexicalRetriever(index.bm25, index.tokenizer, index.chunks)
        self.default_mode = "hybrid" if embedder is not None else "lexical"
        if settings.mode in ("dense", "hybrid") and embedder is not None:
            self.default_mode = settings.mode

    @classmethod
    def open(cls, settings: Settings, build_if_missing: bool = True,
             progress: Callable[[str, int, int], None] | None = None) -> "Pipeline":
        root = Path(settings.index)
        try:
            index = load_index(root)
            if build_if_missing and _sources_changed(index, settings):
                if build_running(root):  # one rebuild at a time: answer from the current index meanwhile
                    log.warning("documents changed and another process is rebuilding the index: "
                                "answering from the current one")
                else:
                    log.warning("documents or ingestion rules changed since the index was built: rebuilding")
                    raise IndexMissing("stale")
        except IndexMissing:
            if not build_if_missing:
                raise
            from rag.index.build import build_index

            build_index(settings, progress=progress)
            index = load_index(root)
        except IndexMismatch:
            # An index from an older version of this program over the same documents is
            # rebuilt rather than refused; one built from other documents is left alone.
            if not (build_if_missing and _same_sources(root, settings)):
                raise
            from rag.index.build import build_index

            log.warning("the index was built by another version of rag: rebuilding it")
            build_index(settings, force=True, progress=progress)
            index = load_index(root)
        embedder, reranker, notes = _load_models(index, settings)
        notes = list(index.manifest.get("notes", [])) + notes
        return cls(index, settings, embedder, reranker, notes)

    def retriever(self, mode: str | None = None) -> Retriever:
        mode = self.default_mode if mode in (None, "auto") else mode
        if mode == "lexical":
            base: Retriever = self.lexical
        elif self.embedder is None:
            raise RagError(f"{mode} retrieval needs the embedding model, which is not available: use --mode lexical")
        else:
            dense = DenseRetriever(self.index.vectors, self.embedder, self.index.chunks,
                                   self.index.embedding.get("query_instruction", ""))
            base = dense if mode == "dense" else HybridRetriever([self.lexical, dense])
        return RerankedRetriever(base, self.reranker) if self.reranker is not None else base

    def mode_info(self, mode: str | None = None) -> dict:
        mode = self.default_mode if mode in (None, "auto") else mode
        return {
            "retrieval": mode + ("+rerank" if self.reranker is not None else ""),
            "answerer": getattr(self.answerer, "name", "extractive"),
            "embedding_model": self.embedder.name if self.embedder is not None else None,
            "reranker": self.reranker.name if self.reranker is not None else None,
            "tokenizer": self.index.tokenizer.engine,
            "documents": len(self.index.documents),
            "chunks": len(self.index.chunks),
            "notes": list(self.notes),
        }

    def search(self, question: str, history: Sequence[Message] = (), k: int | None = None,
               mode: str | None = None, followup: FollowUp | None = None) -> list[Hit]:
        fu = followup or self.followup(question, history)
        return self.retriever(mode).search(fu.retrieval, k or self.settings.k)

    def stream(self, question: str, history: Sequence[Message] = (), k: int | None = None,
               mode: str | None = None) -> Iterator[str | Answer]:
        """Yield answer text deltas, then the final Answer."""
        t0 = time.perf_counter()
        q, notes = clean_question(question, self.settings.max_question_chars)
        info = self.mode_info(mode)
        if not q:
            yield EMPTY_REPLY
            yield Answer(question, EMPTY_REPLY, True, (), info, {"total_ms": 0.0}, {"refusal_reason": "empty question"})
            return
        # History comes from callers as it is (the API takes it from JSON): same cleaning, a looser cut.
        history = [Message(m.role, _CONTROL.sub(" ", m.content or "")[: 2 * self.settings.max_question_chars])
                   for m in history]
        asked = without_markup(q) or q  # pasted tags are not what the question is about
        followup = self.followup(asked, history)  # once per turn, for retrieval and the answer alike
        hits = self.search(asked, history, k, mode, followup)
        t1 = time.perf_counter()
        draft: Draft | None = None
        for piece in self.answerer.stream(asked, hits, history, followup):
            if isinstance(piece, Draft):
                draft = piece
            else:
                yield piece
        if draft is None:
            raise RagError("the answerer produced no final answer")
        t2 = time.perf_counter()
        timings = {"retrieve_ms": (t1 - t0) * 1000, "answer_ms": (t2 - t1) * 1000, "total_ms": (t2 - t0) * 1000}
        yield Answer(q, draft.text, draft.refused, draft.citations, info, timings, draft.check,
                     tuple(notes) + draft.notes)

    def ask(self, question: str, history: Sequence[Message] = (), k: int | None = None,
            mode: str | None = None) -> Answer:
        final = None
        for piece in self.stream(question, history, k, mode):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None  # stream always ends with an Answer
        return final


def _resolver(answerer, index: LoadedIndex) -> FollowUpResolver:
    """Follow-ups made standalone by the answerer's model when it has one, else by rule."""
    weight = weigher(index.bm25)

    def rule(question: str, history: Sequence[Message]) -> FollowUp:
        return resolve(question, history, index.tokenizer, weight)

    generator = getattr(answerer, "generator", None)
    if generator is None:
        return FollowUpResolver(rule)
    from rag.retrieve.rewrite import Rewriter

    return FollowUpResolver(rule, Rewriter(generator, rule), answerer.ready)


def _same_sources(root: Path, settings: Settings) -> bool:
    import json

    from rag.index.store import MANIFEST, current_build

    try:
        build = current_build(root)
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8")) if build else {}
    except (RagError, OSError, ValueError):
        return False
    return manifest.get("sources") == list(settings.docs)


def _sources_changed(index: LoadedIndex, settings: Settings) -> bool:
    from rag.ingest.corpus import fingerprint

    from rag.index.build import ingest_fingerprint
    from rag.index.freshness import known

    m = index.manifest
    if m.get("sources") != list(settings.docs):
        return False  # an index built from other documents: use it as it is
    stale_code = m.get("signature", {}).get("ingest") != ingest_fingerprint()
    now = fingerprint(settings.docs, settings.follow_links)
    return stale_code or (now != m.get("corpus_fingerprint") and now not in known(Path(settings.index),
                                                                                  index.path.name))


def _load_models(index: LoadedIndex, settings: Settings):
    """Load the embedder (and reranker) the index needs; fall back to lexical with a note."""
    notes: list[str] = []
    embedder = reranker = None
    info = index.embedding
    if settings.mode == "lexical":
        return None, None, notes
    if info is None:
        from rag.index.embedder import locate_model

        if index.manifest.get("notes"):
            pass  # the build already said why it has no embeddings
        elif locate_model(settings.embed_model) is None:
            notes.append(f"lexical retrieval only: embedding model '{settings.embed_model}' is not available locally")
        else:
            notes.append("lexical retrieval only: the index has no embeddings (run `rag index --force` to add them)")
        return None, None, notes
    if info["model"] != settings.embed_model and settings.mode in ("dense", "hybrid"):
        raise IndexMismatch(f"index was built with embedding model '{info['model']}', not '{settings.embed_model}': "
                            "run `rag index --force` to rebuild it")
    from rag.index.embedder import query_embedder

    try:
        embedder = query_embedder(info["model"], settings.device)
    except ModelUnavailable as exc:
        notes.append(f"lexical retrieval only: {exc}")
        return None, None, notes
    if embedder.dim != info["dim"]:
        raise IndexMismatch(f"embedding model '{info['model']}' now has dimension {embedder.dim}, the index "
                            f"{info['dim']}: run `rag index --force` to rebuild it")
    if settings.reranker:
        from rag.retrieve.rerank import CrossEncoderReranker

        try:
            reranker = CrossEncoderReranker(settings.reranker, settings.device)
        except ModelUnavailable as exc:
            notes.append(f"no reranking: {exc}")
    return embedder, reranker, notes
