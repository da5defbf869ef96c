"""Prompt templates: plain `.txt` files next to this module, filled strictly.

A template uses `string.Template` placeholders (`$name`). `fill` insists that the
values given are exactly the placeholders the file uses, so a renamed
placeholder or a typo fails loudly instead of shipping a prompt with a literal
`$question` in it (or silently dropping a value):

    fill("context.txt", n="1", title="T", section="S", text="...")  -> '<passage id="1" ...'
    fill("context.txt", n="1")  -> RagError: ... needs values for $section, $text, $title
"""
from __future__ import annotations

import re
import string
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from rag.errors import RagError
from rag.types import Message

PROMPTS_DIR = Path(__file__).resolve().parent
_TAG_START = re.compile(r"<(?=\s*[/!?|｜]|\s*[^\W\d_])")
_CITATION = re.compile(r"\s?\[\d+\]")


@cache
def load_template(name: str) -> string.Template:
    """The template `name` (a file in this folder, without its final newline), read once per process."""
    path = PROMPTS_DIR / name
    if path.parent != PROMPTS_DIR or not path.is_file():
        raise RagError(f"prompt template '{name}' not found in {PROMPTS_DIR}")
    text = path.read_text(encoding="utf-8")
    # The file's final newline is an editor convention, not part of the prompt.
    template = string.Template(text[:-1] if text.endswith("\n") else text)
    if not template.is_valid():
        # A stray `$` (say "$5") would otherwise only fail when the prompt is first used.
        raise RagError(f"prompt template '{name}' has an invalid placeholder: write a literal $ as $$")
    return template


def placeholders(name: str) -> frozenset[str]:
    """The `$names` template `name` uses."""
    return frozenset(load_template(name).get_identifiers())


def fill(name: str, **values: str) -> str:
    """Template `name` with every placeholder replaced; values are inserted verbatim
    (a `$` inside a value is not a placeholder)."""
    wanted = placeholders(name)
    missing = sorted(wanted - values.keys())
    if missing:
        needed = ", ".join(f"${k}" for k in missing)
        raise RagError(f"prompt template '{name}' needs values for {needed}")
    unused = sorted(values.keys() - wanted)
    if unused:
        extra = ", ".join(f"${k}" for k in unused)
        raise RagError(f"prompt template '{name}' has no placeholder for {extra}")
    return load_template(name).substitute(values)


def neutralize(text: str) -> str:
    """Text with tag-like `<` made inert: '</passage><system>' -> '＜/passage>＜system>'."""
    return _TAG_START.sub("＜", text)


def recent_history(history: Sequence[Message], limit_chars: int) -> list[Message]:
    """The latest user/assistant turns within `limit_chars`, starting with a user turn and
    ending with an assistant one (strict chat templates reject other orders)."""
    kept: list[Message] = []
    used = 0
    for m in reversed(history):
        if m.role not in ("user", "assistant"):
            continue
        # Old answers cite old passage numbers; keeping `[n]` would invite wrong citations.
        content = neutralize(_CITATION.sub("", m.content).strip())
        if used + len(content) > limit_chars:
            break
        kept.append(Message(m.role, content))
        used += len(content)
    kept.reverse()
    while kept and kept[0].role != "user":
        kept.pop(0)
    while kept and kept[-1].role != "assistant":
        kept.pop()
    return kept
