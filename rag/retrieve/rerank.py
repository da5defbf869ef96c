"""Optional cross-encoder reranking (e.g. BAAI/bge-reranker-base), used only when local."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from rag.index.embedder import locate_model, offline_env
from rag.errors import MissingDependency, ModelUnavailable


class CrossEncoderReranker:
    """`score(query, passages) -> array` of relevance scores, higher is better."""

    def __init__(self, model: str, device: str = "auto") -> None:
        path = locate_model(model)
        if path is None:
            raise ModelUnavailable(f"reranker '{model}' is not available locally: set RAG_RERANKER to a local folder")
        offline_env()
        try:
            from sentence_transformers import CrossEncoder
        except ImportError:
            raise MissingDependency("sentence_transformers", "models") from None
        kwargs = {} if device == "auto" else {"device": device}
        self.model = CrossEncoder(str(path), local_files_only=True, **kwargs)
        self.name = model

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.model.predict([(query, p) for p in passages], show_progress_bar=False), dtype=np.float32)
