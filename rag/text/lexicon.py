"""What kind of word is this? Used to weigh question words the corpus never uses.

A question word missing from the documents matters when it names something
(拼多多, 股价, 年纪): the documents then do not talk about it. It matters little
when it is a verb, adverb or function word a user picked to paraphrase (一共, 依靠,
接待). jieba's dictionary tags 350k words with their part of speech; a word it
does not know at all is most likely a name.

The tags are read once from jieba's dict.txt and cached as a pickle in the user
cache folder, so later processes load them in tens of milliseconds.
"""
from __future__ import annotations

import os
import pickle
from functools import lru_cache
from pathlib import Path

from rag.text.wordlists import default_names, default_words

ENTITY, NOUN, WEAK = "entity", "noun", "weak"
# Place, organisation and other proper names. Person names ("nr") are left out on
# purpose: jieba tags many common nouns so (顾客 nr).
# "nz" (other proper nouns) is left out too: it holds many rare compounds (新开通 nz).
_NAME_TAGS = {"ns", "nt"}
_NOT_NAMES = {"东西", "中方", "国内", "国外", "海外", "全国", "各地", "地方"}  # tagged as places, used as nouns
_NOUN_TAGS = {"n", "nr", "nz", "nrt", "nrfg", "vn", "an", "ng", "s", "t", "l", "i"}


def _cache_file() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "rag-zh" / "lexicon-v3.pickle"


def _dict_path() -> Path | None:
    try:
        import jieba
    except ImportError:
        return None
    path = Path(jieba.__file__).parent / "dict.txt"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _classes() -> dict[str, str]:
    """word -> NOUN or WEAK for every word jieba knows that is not an entity."""
    cache = _cache_file()
    try:
        with open(cache, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):
        pass
    path = _dict_path()
    if path is None:
        return {}
    table: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                tag = parts[2]
                table[parts[0]] = ENTITY if tag in _NAME_TAGS else NOUN if tag in _NOUN_TAGS else WEAK
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(table, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home only costs speed
    return table


def word_class(word: str) -> str:
    """ENTITY (a name or a number), NOUN, or WEAK (verbs, adverbs, function words).

    >>> word_class("拼多多"), word_class("股价"), word_class("接待")
    ('entity', 'noun', 'weak')
    """
    if any(ch.isdigit() for ch in word) or word in default_names():
        return ENTITY
    if len(word) == 1:
        return WEAK
    kind = _classes().get(word)
    if kind is None:
        # Not in jieba's dictionary: a curated domain term, or a word the HMM found
        # (mostly person and product names).
        return NOUN if word in default_words() else ENTITY
    return kind


def is_name(word: str) -> bool:
    """A name the evidence must mention: a curated name, a proper noun, a year or festival number."""
    if word in default_names():
        return True
    if word.isdigit():
        return len(word) >= 3
    return word not in _NOT_NAMES and _classes().get(word) == ENTITY


def known_word(word: str) -> bool:
    """True when jieba's dictionary has the word."""
    return word in _classes()
