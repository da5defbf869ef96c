"""Find a model on this machine without touching the network.

`find_local_model` answers from the file system alone, in milliseconds: a folder
with `config.json`, or a complete snapshot in the Hugging Face cache. Asking the
hub instead would hang on retries here (no hub access), so a model that is not
on disk fails at once with a message that says how to get it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from rag.errors import MissingDependency, ModelUnavailable

# Where a user points the generator at a local folder instead of a hub name.
MODEL_SETTING = "RAG_LLM_MODEL"
_SINGLE_FILE_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
_SHARD_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


def _looks_like_path(name: str) -> bool:
    # Hub ids are 'name' or 'org/name'; anything else is meant as a folder.
    return name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1


def _how_to_get(name: str) -> str:
    return (f"download it with `hf download {name}` on a machine with network "
            f"(then copy the Hugging Face cache here), or set {MODEL_SETTING} to a local path")


def _missing_weights(folder: Path) -> list[str]:
    """Weight files `folder` lacks; [] when complete. A cache snapshot links to blobs, so a
    half-finished download shows up as a dangling link, which `exists()` reports as missing."""
    if any((folder / f).exists() for f in _SINGLE_FILE_WEIGHTS):
        return []
    for index in _SHARD_INDEXES:
        if (folder / index).exists():
            try:
                shards = set(json.loads((folder / index).read_text(encoding="utf-8"))["weight_map"].values())
            except (OSError, ValueError, KeyError, AttributeError):
                return [index]
            return sorted(s for s in shards if not (folder / s).exists())
    return [_SINGLE_FILE_WEIGHTS[0]]


def _check_folder(folder: Path, name: str) -> Path:
    if not (folder / "config.json").is_file():
        raise ModelUnavailable(f"'{folder}' has no config.json, so it is not a transformers model folder: "
                               f"point {MODEL_SETTING} at the folder that holds config.json")
    missing = _missing_weights(folder)
    if missing:
        raise ModelUnavailable(f"model '{name}' at {folder} is incomplete (missing {', '.join(missing[:3])}): "
                               + _how_to_get(name))
    return folder


def find_local_model(name_or_path: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The local folder holding `name_or_path`: the path itself, or the cached snapshot
    of a hub id ('Qwen/Qwen2.5-1.5B-Instruct'). Raises `ModelUnavailable` when absent."""
    name = name_or_path.strip()
    if not name:
        raise ModelUnavailable(f"no model given: set {MODEL_SETTING} to a hub name or a local path")
    path = Path(name).expanduser()
    if path.is_dir():
        return _check_folder(path.resolve(), name)
    if path.exists() or _looks_like_path(name):
        raise ModelUnavailable(f"no model folder at '{name}': set {MODEL_SETTING} to a folder with config.json")

    try:
        from huggingface_hub import try_to_load_from_cache  # only the cache lookup; no request is made
    except ImportError:
        raise MissingDependency("huggingface_hub", "models") from None

    try:
        config = try_to_load_from_cache(repo_id=name, filename="config.json", cache_dir=cache_dir)
    except ValueError:  # HFValidationError: not a valid repo id
        raise ModelUnavailable(f"'{name}' is neither a local folder nor a valid hub model name") from None
    if not isinstance(config, str):
        raise ModelUnavailable(f"model '{name}' is not available locally: " + _how_to_get(name))
    return _check_folder(Path(config).parent, name)
