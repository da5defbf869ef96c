"""Damage: every file of a built index truncated, zero-filled or bit-flipped in turn.

Loading must then fail with a one-line `RagError` that names the file and says to run
`rag index` (the manifest holds the size and sha256 of every file, and its own
sha256), `rag ask` must print exactly that line and exit 2, and `rag index` must
repair it. Never a crash, a hang or a silently different answer. The only damage
allowed to load is damage that changes nothing (a flipped newline in CURRENT that
strip() removes): then the answers must be those of the intact index.
"""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from rag.index.build import build_index
from rag.errors import IndexDamaged, IndexMismatch, IndexMissing, RagError
from rag.index.loaded import load_index
from rag.pipeline import Pipeline
from rag.settings import Settings, load_settings
from rag.index.store import MANIFEST, POINTER, SELF_SHA, current_build

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
QUESTIONS = ["天猫双11有多少品牌成交额破亿？", "京东有多少品牌成交额同比增长超3倍？", "以旧换新的效果怎么样？"]


def _flip(pos: Callable[[int], int], bit: int = 0) -> Callable[[bytes], bytes]:
    def damage(data: bytes) -> bytes:
        if not data:
            return b"\x01"
        b = bytearray(data)
        b[pos(len(b))] ^= 1 << bit
        return bytes(b)
    return damage


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated to half": lambda b: b[: len(b) // 2],
    "truncated to nothing": lambda b: b"",
    "one byte short": lambda b: b[:-1],
    "zero-filled": lambda b: bytes(len(b)),
    "zero-filled tail": lambda b: b[: len(b) // 2] + bytes(len(b) - len(b) // 2),
    "first bit flipped": _flip(lambda n: 0),
    "middle bit flipped": _flip(lambda n: n // 2, 3),
    "last bit flipped": _flip(lambda n: n - 1, 6),
    "garbage appended": lambda b: b + b"\x00garbage",
}


def _answers(index_root: Path, settings: Settings) -> list[tuple[str, bool, tuple[str, ...]]]:
    pipe = Pipeline(load_index(index_root), settings.replace(mode="lexical"))
    return [(a.answer, a.refused, tuple(c.chunk_id for c in a.citations)) for a in map(pipe.ask, QUESTIONS)]


class Index:
    """A built index and what intact answers look like."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = Path(settings.index)
        build_index(settings, force=True)
        self.build = current_build(self.root)
        self.files = sorted(p.name for p in self.build.iterdir()) + [POINTER]
        self.intact = _answers(self.root, settings)

    def path(self, name: str) -> Path:
        return self.root / POINTER if name == POINTER else self.build / name

    def check(self, name: str, damage: Callable[[bytes], bytes], label: str) -> str:
        """Damage one file, load, restore; returns "refused" or "harmless"."""
        path = self.path(name)
        original = path.read_bytes()
        path.write_bytes(damage(original))
        try:
            try:
                load_index(self.root)
            except RagError as exc:
                msg = str(exc)
                assert "\n" not in msg and "rag index" in msg, (name, label, msg)
                assert name in msg, (name, label, msg)
                return "refused"
            # Loaded: only a change that means nothing may load, and it must answer as before.
            assert name == POINTER, f"{name} {label}: damaged index loaded"
            assert _answers(self.root, self.settings) == self.intact, f"{name} {label}: answers changed"
            return "harmless"
        finally:
            path.write_bytes(original)


@pytest.fixture(scope="module")
def lexical(tmp_path_factory) -> Index:
    tmp = tmp_path_factory.mktemp("damage-lexical")
    return Index(load_settings({"docs": [str(SEEDS)], "index": str(tmp / "index"), "mode": "lexical"}, env={}))


@pytest.fixture(scope="module")
def dense(tmp_path_factory) -> Index:
    pytest.importorskip("sentence_transformers")
    from tiny_models import make_tiny_sentence_transformer

    tmp = tmp_path_factory.mktemp("damage-dense")
    model = make_tiny_sentence_transformer(tmp / "model", (SEEDS / "000_63f0bc8c7ce5e8c2.txt").read_text("utf-8"))
    return Index(load_settings({"docs": [str(SEEDS)], "index": str(tmp / "index"), "mode": "hybrid",
                                "embed_model": str(model)}, env={}))


@pytest.mark.parametrize("label", list(DAMAGE))
def test_every_file_of_a_lexical_index(lexical, label):
    assert {"manifest.json", "chunks.jsonl", "bm25_data.npy", POINTER} <= set(lexical.files)
    outcomes = {name: lexical.check(name, DAMAGE[label], label) for name in lexical.files}
    print(f"\nlexical index, {label}: {len(outcomes)} files, {sum(o == 'refused' for o in outcomes.values())} refused")
    assert all(o == "refused" for n, o in outcomes.items() if n != POINTER), outcomes


@pytest.mark.parametrize("label", list(DAMAGE))
def test_every_file_of_a_dense_index(dense, label):
    assert {"vectors.faiss", "embeddings.npy", "vector_keys.json"} <= set(dense.files)
    outcomes = {name: dense.check(name, DAMAGE[label], label) for name in dense.files}
    print(f"\ndense index, {label}: {len(outcomes)} files, {sum(o == 'refused' for o in outcomes.values())} refused")
    assert all(o == "refused" for n, o in outcomes.items() if n != POINTER), outcomes


def test_every_bit_of_current(lexical):
    n = len(lexical.path(POINTER).read_bytes())
    outcomes = [lexical.check(POINTER, _flip(lambda _, i=i: i, bit), f"byte {i} bit {bit}")
                for i in range(n) for bit in range(8)]
    print(f"\nCURRENT: {len(outcomes)} single-bit flips, {outcomes.count('refused')} refused, "
          f"{outcomes.count('harmless')} harmless (same build, same answers)")
    assert outcomes.count("refused") >= len(outcomes) - 8  # only the newline's flips may be harmless


def test_random_bits_of_the_manifest(lexical):
    rng = random.Random(7)
    n = len(lexical.path(MANIFEST).read_bytes())
    for _ in range(300):
        i, bit = rng.randrange(n), rng.randrange(8)
        assert lexical.check(MANIFEST, _flip(lambda _: i, bit), f"byte {i} bit {bit}") == "refused"


def test_missing_files(lexical):
    for name in lexical.files:
        path = lexical.path(name)
        saved = path.read_bytes()
        path.unlink()
        try:
            with pytest.raises((IndexDamaged, IndexMissing)) as err:
                load_index(lexical.root)
            msg = str(err.value)
            assert "\n" not in msg and "rag index" in msg and (name in msg or name == POINTER)
        finally:
            path.write_bytes(saved)


def test_a_manifest_edited_by_hand_is_caught(lexical):
    path = lexical.path(MANIFEST)
    saved = path.read_bytes()
    m = json.loads(saved)
    m["chunks"] += 1  # consistent JSON, wrong content
    path.write_text(json.dumps(m), encoding="utf-8")
    try:
        with pytest.raises(IndexDamaged, match="manifest.json"):
            load_index(lexical.root)
        del m[SELF_SHA]  # a manifest without its checksum is not trusted either (an older version's)
        m["chunks"] -= 1
        path.write_text(json.dumps(m), encoding="utf-8")
        with pytest.raises(IndexMismatch, match="manifest.json.*rag index"):
            load_index(lexical.root)
    finally:
        path.write_bytes(saved)


def _rag(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, timeout=timeout)


def test_cli_prints_one_line_and_exits_2(lexical):
    for name in lexical.files:
        path = lexical.path(name)
        saved = path.read_bytes()
        path.write_bytes(DAMAGE["middle bit flipped"](saved))
        try:
            r = _rag("ask", QUESTIONS[0], "--index", str(lexical.root), "--docs", *lexical.settings.docs,
                     "--mode", "lexical")
        finally:
            path.write_bytes(saved)
        assert r.returncode == 2, (name, r.returncode, r.stdout, r.stderr)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and name in lines[0] and "rag index" in lines[0], \
            (name, r.stderr)
        assert r.stdout == ""


@pytest.mark.parametrize("name", ["chunks.jsonl", "bm25_data.npy", "manifest.json", POINTER])
def test_rag_index_repairs_the_damage(tmp_path, name):
    settings = load_settings({"docs": [str(SEEDS)], "index": str(tmp_path / "index"), "mode": "lexical"}, env={})
    build_index(settings)
    intact = _answers(tmp_path / "index", settings)
    build = current_build(tmp_path / "index")
    path = tmp_path / "index" / POINTER if name == POINTER else build / name
    path.write_bytes(DAMAGE["zero-filled"](path.read_bytes()))
    with pytest.raises(RagError):
        load_index(tmp_path / "index")
    r = _rag("index", "--index", str(tmp_path / "index"), "--docs", str(SEEDS), "--mode", "lexical", "-q")
    assert r.returncode == 0 and "index built" in r.stdout, r.stdout + r.stderr  # not "up to date"
    assert _answers(tmp_path / "index", settings) == intact


def test_leftovers_of_crashed_builds_are_never_loaded(tmp_path):
    settings = load_settings({"docs": [str(SEEDS)], "index": str(tmp_path / "index"), "mode": "lexical"}, env={})
    good = Path(build_index(settings).path)
    builds = good.parent
    # A crashed build's folder, with a valid-looking manifest copied in, and a stray pointer file.
    shutil.copytree(good, builds / ".tmp-20990101T000000000000-deadbeef")
    (tmp_path / "index" / ".CURRENT.deadbeef").write_text("builds/.tmp-20990101T000000000000-deadbeef\n")
    assert load_index(tmp_path / "index").path == good
    (tmp_path / "index" / POINTER).write_text("builds/.tmp-20990101T000000000000-deadbeef\n")
    with pytest.raises(IndexDamaged, match="rag index"):
        load_index(tmp_path / "index")  # a pointer at an unfinished build is refused
    build_index(settings)  # repairs, and clears what crashed builds left
    assert load_index(tmp_path / "index").path.name != ".tmp-20990101T000000000000-deadbeef"
    assert not list(builds.glob(".tmp-*")) and not list((tmp_path / "index").glob(".CURRENT.*"))
