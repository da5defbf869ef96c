"""The knowledge bases the page and /v1 can answer from: one live pipeline per base, opened on first use.

The base the server was started with is the source given to `create_app`; the others
(`rag.kb.names()`) share its settings (answerer, mode, models) with their own index
folder and documents. A base keeps its uploads in `<index folder>/docs/`; after an
upload or a delete `reindex` rebuilds it and the live pipeline serves the new build
on the next question, without a restart.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from rag import kb
from rag.errors import RagError
from rag.index.build import BuildReport, build_index
from rag.live import LivePipeline
from rag.pipeline import Pipeline
from rag.settings import Settings

from .backends import Backends
from .examples import example_questions
from .uploads import Limits, document_files, kind_of, size_text

Source = Pipeline | LivePipeline
Progress = Callable[[str, int, int], None]
_COUNTED_CHUNKS = 200_000  # past this, counting chunks per document for the table is not worth a scan


class EmptyBase(RagError):
    """A knowledge base without documents yet."""


class Library:
    def __init__(self, source: Source) -> None:
        self.default = source.settings.kb or kb.DEFAULT
        self._base = source.settings
        self._sources: dict[str, Source] = {self.default: source}
        self._backends: dict[str, Backends] = {}
        self._examples: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.RLock()
        self._building: set[str] = set()

    def names(self) -> list[str]:
        found = kb.names()
        return [self.default, *[n for n in found if n != self.default]]

    def settings(self, name: str) -> Settings:
        """The settings of base `name`: the server's, with the base's index folder and documents."""
        if name == self.default:
            settings = self._base
        else:
            base = kb.get(name)  # a one-line error for a base that does not exist
            settings = self._base.replace(kb=name, index=str(base.path), docs=tuple(base.docs))
        uploads = str(self.uploads(name, settings))
        if Path(uploads).is_dir() and any(Path(uploads).iterdir()) and uploads not in settings.docs:
            settings = settings.replace(docs=(*settings.docs, uploads))
        return settings

    def uploads(self, name: str, settings: Settings | None = None) -> Path:
        return Path((settings or self.settings(name)).index) / "docs"

    def source(self, name: str) -> Source:
        with self._lock:
            if name not in self._sources:
                settings = self.settings(name)
                if not document_files(settings.docs):
                    raise EmptyBase(f"知识库“{name}”还没有文档：请先在“知识库”里上传文件")
                self._sources[name] = LivePipeline(settings, Pipeline.open(settings))
            return self._sources[name]

    def current(self, name: str | None = None) -> Pipeline:
        source = self.source(name or self.default)
        return source.current() if isinstance(source, LivePipeline) else source

    def backends(self, name: str | None = None) -> Backends:
        name = name or self.default
        with self._lock:
            if name not in self._backends:
                self._backends[name] = Backends(lambda: self.current(name))
            return self._backends[name]

    def examples(self, name: str) -> list[str]:
        try:
            pipeline = self.current(name)
        except RagError:
            return []
        key = (name, str(pipeline.index.path))
        if key not in self._examples:
            self._examples[key] = example_questions(list(pipeline.index.documents.values()),
                                                    lambda q: pipeline.search(q))
        return self._examples[key]

    def create(self, name: str) -> kb.KnowledgeBase:
        name = name.strip()
        if name in self.names():
            raise RagError(f"知识库“{name}”已经存在")
        base = kb.create(name)
        return kb.create(name, docs=(str(base.uploads),), exist_ok=True)

    def limits(self) -> Limits:
        return Limits(self._base.upload_max_files, self._base.upload_max_mb)

    def reindex(self, name: str, progress: Progress | None = None) -> BuildReport | None:
        """Rebuild base `name` from its documents; None when it has none left."""
        with self._lock:
            if name in self._building:
                raise RagError(f"知识库“{name}”正在建索引，请稍候")
            self._building.add(name)
        try:
            settings = self.settings(name)
            if not document_files(settings.docs):
                with self._lock:
                    self._sources.pop(name, None)
                    self._backends.pop(name, None)
                return None
            report = build_index(settings, progress=progress)
            self._remember_docs(name, settings)
            with self._lock:
                source = self._sources.get(name)
                if source is None or not isinstance(source, LivePipeline) or source.settings.docs != settings.docs:
                    # A plain pipeline (tests) or new documents roots: open the new build afresh.
                    self._sources[name] = LivePipeline(settings, Pipeline.open(settings, build_if_missing=False))
                    self._backends.pop(name, None)
            return report
        finally:
            with self._lock:
                self._building.discard(name)

    def _remember_docs(self, name: str, settings: Settings) -> None:
        """Keep the uploads folder among the base's documents for the next `rag serve`."""
        try:
            base = kb.get(name)
        except RagError:
            return
        if Path(base.path).resolve() == Path(settings.index).resolve() and tuple(base.docs) != settings.docs:
            kb.create(name, docs=settings.docs, exist_ok=True)

    def document_rows(self, name: str) -> list[list[str | int]]:
        """[name, type, size, chunks, status] for each file the base is built from."""
        settings = self.settings(name)
        files = document_files(settings.docs)
        per_file: Counter[str] = Counter()
        indexed: set[str] = set()
        try:
            pipeline = self.current(name)
            paths = {d.doc_id: str(Path(d.path).resolve()) for d in pipeline.index.documents.values() if d.path}
            indexed = set(paths.values())
            if len(pipeline.index.chunks) <= _COUNTED_CHUNKS:
                per_file = Counter(paths.get(c.doc_id, "") for c in pipeline.index.chunks)
        except RagError:
            pass
        rows: list[list[str | int]] = []
        for f in files:
            key = str(f.resolve())
            status = "已索引" if key in indexed else "未索引（重新索引，或文件无法读取）"
            rows.append([f.name, kind_of(f), size_text(f.stat().st_size), per_file.get(key, 0), status])
        return rows
