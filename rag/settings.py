"""One settings object: defaults <- config file <- RAG_* environment <- command-line flags.

The config file is `rag.toml` in the working directory, or the file named by
`RAG_CONFIG`; keys are the field names below (top level or under `[rag]`).
Environment variables are the upper-cased names with a `RAG_` prefix
(`RAG_K=8`, `RAG_EMBED_MODEL=/models/bge-small-zh`, `RAG_DOCS=a:b`).
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from rag.errors import RagError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODES = ("auto", "lexical", "dense", "hybrid")
ANSWERERS = ("extractive", "transformers", "openai")


def _default_docs() -> tuple[str, ...]:
    return (str(PROJECT_ROOT / "seeds"),)


@dataclass(frozen=True)
class Settings:
    docs: tuple[str, ...] = field(default_factory=_default_docs)
    index: str = str(PROJECT_ROOT / "index")
    k: int = 5
    mode: str = "auto"
    embed_model: str = "BAAI/bge-small-zh-v1.5"
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
    device: str = "auto"
    max_new_tokens: int = 512
    temperature: float = 0.0
    llm_timeout_s: float = 60.0
    min_support: float = 0.4
    max_question_chars: int = 2000
    host: str = "127.0.0.1"
    port: int = 7860
    follow_links: bool = False  # read symlinks that lead out of the documents folder

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RagError(f"unknown retrieval mode '{self.mode}': use one of {', '.join(MODES)}")
        if self.answerer not in ANSWERERS:
            raise RagError(f"unknown answerer '{self.answerer}': use one of {', '.join(ANSWERERS)}")
        if self.k < 1 or self.k > 100:
            raise RagError("k must be between 1 and 100")

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(name: str, value: Any, kind: Any) -> Any:
    kind = str(kind)
    try:
        if "tuple" in kind:
            if isinstance(value, str):
                return tuple(p for p in value.split(os.pathsep) if p)
            return tuple(str(v) for v in value)
        if kind == "bool":
            return _boolean(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise RagError(f"setting '{name}' has a bad value {value!r}: expected {kind}") from None


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
        values.update(_from_mapping(data.get("rag", data), str(path)))
    elif "RAG_CONFIG" in env:
        raise RagError(f"config file {path} (from RAG_CONFIG) does not exist")
    names = {f.name for f in fields(Settings)}
    env_values = {k[4:].lower(): v for k, v in env.items() if k.startswith("RAG_") and k[4:].lower() in names}
    values.update(_from_mapping(env_values, "the environment"))
    values.update(_from_mapping({k: v for k, v in (flags or {}).items() if v is not None}, "the command line"))
    return Settings(**values)
