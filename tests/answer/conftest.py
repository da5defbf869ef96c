"""Fixtures shared by the answer tests."""
from pathlib import Path

import pytest

from rag.index.build import build_index
from rag.pipeline import Pipeline
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    """A lexical pipeline over the seed article (a module may define its own `pipe` over other documents)."""
    settings = load_settings({"docs": [str(ROOT / "seeds")], "index": str(tmp_path_factory.mktemp("idx")),
                              "mode": "lexical"}, env={})
    build_index(settings)
    return Pipeline.open(settings)
