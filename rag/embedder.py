"""Dense embeddings: `Embedder.embed(texts) -> float32 array`, rows L2-normalized.

Loading never touches the network: a model is used only when it is a local folder
or already in the local Hugging Face cache, which `locate_model` checks by looking
at the disk (milliseconds) instead of asking the hub (which retries for about 70 s
when there is no network).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import MissingDependency, ModelUnavailable

BGE_ZH_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def offline_env() -> None:
    """Keep the hub client and telemetry quiet; call before importing HF libraries."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _cache_roots() -> list[Path]:
    roots = []
    if os.environ.get("HF_HUB_CACHE"):
        roots.append(Path(os.environ["HF_HUB_CACHE"]))
    hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    roots.append(hf_home / "hub")
    if os.environ.get("SENTENCE_TRANSFORMERS_HOME"):
        roots.append(Path(os.environ["SENTENCE_TRANSFORMERS_HOME"]))
    return roots


def locate_model(name_or_path: str) -> Path | None:
    """The local folder holding the model, or None. Never uses the network.

    A hub id `org/name` is found in `<cache>/models--org--name/snapshots/<rev>/`.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir() and ((path / "config.json").is_file() or (path / "modules.json").is_file()):
        return path
    if "/" not in name_or_path or name_or_path.startswith((".", "/", "~")):
        return None
    folder = "models--" + name_or_path.replace("/", "--")
    for root in _cache_roots():
        snaps = root / folder / "snapshots"
        if snaps.is_dir():
            for snap in sorted(snaps.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
                if (snap / "config.json").is_file():
                    return snap
        flat = root / name_or_path.replace("/", "_")
        if (flat / "config.json").is_file():
            return flat
    return None


def default_instruction(model: str) -> str:
    """BGE Chinese models expect an instruction before short queries."""
    low = model.lower()
    return BGE_ZH_INSTRUCTION if "bge" in low and "zh" in low and "m3" not in low else ""


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local path or the local cache."""

    def __init__(self, model: str, device: str = "auto", batch_size: int = 32) -> None:
        path = locate_model(model)
        if path is None:
            raise ModelUnavailable(
                f"embedding model '{model}' is not available locally: copy it to this machine and set "
                "RAG_EMBED_MODEL to its folder (or pre-download it with network); using lexical retrieval"
            )
        offline_env()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingDependency("sentence_transformers", "models") from None
        kwargs = {} if device == "auto" else {"device": device}
        try:
            self.model = SentenceTransformer(str(path), local_files_only=True, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any load failure means "not usable"
            raise ModelUnavailable(f"embedding model '{model}' could not be loaded from {path}: {exc}") from None
        self.name = model
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or len(self.embed(["x"])[0]))
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        vecs = self.model.encode(
            list(texts), batch_size=getattr(self, "batch_size", 32), normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)
