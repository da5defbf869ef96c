"""One settings object: defaults <- file <- env <- flags."""
import pytest

from rag.errors import RagError
from rag.settings import Settings, load_settings


def test_precedence(tmp_path):
    cfg = tmp_path / "rag.toml"
    cfg.write_text('[rag]\nk = 3\nmode = "lexical"\nchunk_size = 300\n', encoding="utf-8")
    env = {"RAG_CONFIG": str(cfg), "RAG_K": "7"}
    s = load_settings({"chunk_size": None}, env=env)
    assert (s.k, s.mode, s.chunk_size) == (7, "lexical", 300)
    assert load_settings({"k": 9}, env=env).k == 9
    assert load_settings({}, env={}).k == Settings().k


def test_docs_from_env_is_a_path_list():
    s = load_settings({}, env={"RAG_DOCS": "/a:/b"})
    assert s.docs == ("/a", "/b")


@pytest.mark.parametrize("flags", [{"mode": "fuzzy"}, {"k": 0}, {"answerer": "magic"}])
def test_bad_values_are_one_line_errors(flags):
    with pytest.raises(RagError):
        load_settings(flags, env={})


def test_unknown_key_in_file(tmp_path):
    cfg = tmp_path / "rag.toml"
    cfg.write_text("colour = 'red'\n", encoding="utf-8")
    with pytest.raises(RagError, match="unknown setting 'colour'"):
        load_settings({}, env={"RAG_CONFIG": str(cfg)})


@pytest.mark.parametrize("k", [0, 51])
def test_k_has_one_range_everywhere(k) -> None:
    from rag.settings import MAX_K, MIN_K
    from ui.inputs import MAX_K as UI_MAX_K

    assert (MIN_K, MAX_K) == (1, 50) and UI_MAX_K == MAX_K
    with pytest.raises(RagError, match="k must be a whole number from 1 to 50"):
        Settings(k=k)
