"""Generation backends behind one interface, `Generator.stream(messages) -> Iterator[str]`.

    gen = make_generator("openai", base_url="http://localhost:8000/v1", model="qwen2.5")
    gen = make_generator("transformers", model="/models/Qwen2.5-1.5B-Instruct", device="cpu")
    "".join(gen.stream(messages))

Importing this package is cheap: torch and transformers load on the first `stream`.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from rag.errors import RagError
from rag.llm.base import GenerationSettings, Generator

__all__ = ["GENERATOR_KINDS", "GenerationSettings", "Generator", "make_generator"]

# The "extractive" answerer needs no generator and is chosen by the pipeline, not here.
GENERATOR_KINDS = ("transformers", "openai")


def _constructor(kind: str) -> Callable[..., Generator]:
    if kind == "transformers":
        from rag.llm.transformers_backend import TransformersGenerator

        return TransformersGenerator
    if kind == "openai":
        from rag.llm.openai_backend import OpenAIGenerator

        return OpenAIGenerator
    raise RagError(f"unknown generator '{kind}': use one of {', '.join(GENERATOR_KINDS)}")


def make_generator(kind: str, **options: Any) -> Generator:
    """The generator of `kind` built from `options` (the constructor's keyword arguments).
    Options set to None are left at their defaults, so settings can pass every field."""
    cls = _constructor(kind)
    accepted = set(inspect.signature(cls).parameters)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise RagError(f"unknown option {', '.join(unknown)} for the {kind} generator: "
                       f"use {', '.join(sorted(accepted))}")
    given = {k: v for k, v in options.items() if v is not None}
    if kind == "openai" and not (given.get("base_url") and given.get("model")):
        raise RagError("the openai generator needs a server and a model: "
                       "set RAG_OPENAI_BASE_URL (e.g. http://localhost:8000/v1) and RAG_OPENAI_MODEL")
    return cls(**given)
