"""The package layout holds: no import circles, stages import only upstream, pure stages stay light.

The import graph is read from the source (every `import`, also those inside functions,
except under `if TYPE_CHECKING:`), so a lazy import that closes a circle is caught too.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"torch", "faiss", "gradio", "sentence_transformers", "transformers", "scipy", "gradio_client"}
# What each stage may not import (rag.* prefixes and third-party top-level names).
FORBIDDEN = {
    "rag.text": {"rag.ingest", "rag.index", "rag.retrieve", "rag.answer", "rag.llm", "rag.pipeline", "rag.live",
                 "rag.cli", "rag.settings", "ui", *HEAVY},
    "rag.ingest": {"rag.index", "rag.retrieve", "rag.answer", "rag.llm", "rag.pipeline", "rag.live", "rag.cli",
                   "ui", *HEAVY},
    "rag.index": {"rag.retrieve", "rag.answer", "rag.llm", "rag.pipeline", "rag.live", "rag.cli", "ui", "gradio"},
    "rag.retrieve": {"rag.answer", "rag.pipeline", "rag.live", "rag.cli", "ui", "gradio"},
    "rag.answer": {"rag.retrieve", "rag.ingest", "rag.pipeline", "rag.live", "rag.cli", "ui", "gradio", "faiss"},
    "rag.llm": {"rag.index", "rag.retrieve", "rag.answer", "rag.pipeline", "rag.cli", "ui", "gradio"},
    "rag.models": {"rag.ingest", "rag.text", "rag.index", "rag.retrieve", "rag.answer", "rag.llm", "rag.pipeline",
                   "rag.cli", "ui", "gradio", "faiss"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports (absolute names), from any depth of its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    return found


def graph() -> dict[str, set[str]]:
    files = [p for d in ("rag", "ui") for p in (ROOT / d).rglob("*.py")]
    mods = {module_name(p): p for p in files}
    return {m: {i for i in imports_of(p) if i in mods and i != m} for m, p in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_in_rag_or_ui() -> None:
    assert cycles(graph()) == []


def test_stages_import_only_what_their_docstring_allows() -> None:
    bad = []
    for p in (ROOT / "rag").rglob("*.py"):
        mod = module_name(p)
        for stage, forbidden in FORBIDDEN.items():
            if mod == stage or mod.startswith(stage + "."):
                for imp in imports_of(p):
                    if any(imp == f or imp.startswith(f + ".") for f in forbidden):
                        bad.append(f"{mod} imports {imp}")
    assert bad == []


def test_at_most_twelve_modules_directly_in_rag_and_every_stage_says_what_it_is() -> None:
    assert len(list((ROOT / "rag").glob("*.py"))) <= 12
    for stage in ("ingest", "text", "index", "retrieve", "answer"):
        doc = ast.get_docstring(ast.parse((ROOT / "rag" / stage / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "Takes in" in doc and "Must never import" in doc, stage


@pytest.mark.parametrize("stage", ["rag.text", "rag.ingest"])
def test_pure_stages_load_no_heavy_library(stage: str) -> None:
    """Importing every module of the stage (in a fresh interpreter) leaves torch, faiss, gradio... unloaded."""
    names = sorted(module_name(p) for p in (ROOT / Path(*stage.split("."))).rglob("*.py"))
    code = ("import importlib, json, sys\n"
            f"for n in {names!r}: importlib.import_module(n)\n"
            f"print(json.dumps(sorted(m for m in {sorted(HEAVY)!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_test_modules_have_unique_basenames() -> None:
    """Test folders are not packages, so pytest imports each file by its basename: two test_x.py in
    different folders collide. A folder's own conftest.py is imported as `conftest` too; one in a folder
    that pytest walks before tests/conftest.py itself (tests/answer/) made a clean clone fail to collect
    ("import file mismatch"), so sub-folder conftests may only sit in folders that sort after it."""
    seen: dict[str, Path] = {}
    clashes = []
    for p in sorted((ROOT / "tests").rglob("*.py")):
        if p.name == "conftest.py":
            if p.parent != ROOT / "tests" and p.parent.name < "conftest.py":
                clashes.append(f"{p.relative_to(ROOT)} is walked before tests/conftest.py")
            continue
        if p.name in seen:
            clashes.append(f"{seen[p.name].relative_to(ROOT)} and {p.relative_to(ROOT)}")
        seen.setdefault(p.name, p)
    assert not clashes, clashes
