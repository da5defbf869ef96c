"""Shared by every test folder: the helper modules beside this file (tiny_models, ui_helpers,
openai_server, reliability_helpers) are importable from tests/<stage>/ too."""
import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
