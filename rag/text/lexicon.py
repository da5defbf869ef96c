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
    return base / "rag-zh" / "lexicon-v4.pickle"


def _dict_path() -> Path | None:
    try:
        import jieba
    except ImportError:
        return None
    path = Path(jieba.__file__).parent / "dict.txt"
    return path if path.is_file() else None


# jieba's tags for names and times, kept per word for answer types (who / where / which organisation / when).
_KEPT_TAGS = {"nr", "nrfg", "nrt", "ns", "nt", "t"}


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """(word -> ENTITY/NOUN/WEAK, word -> tag for names and times) for every word jieba knows,
    read once from its dictionary and cached as a pickle (jieba.posseg would cost ~2 s a process)."""
    cache = _cache_file()
    try:
        with open(cache, "rb") as f:
            classes, tags = pickle.load(f)
            return classes, tags
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        pass
    path = _dict_path()
    if path is None:
        return {}, {}
    classes: dict[str, str] = {}
    tags: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                tag = parts[2]
                classes[parts[0]] = ENTITY if tag in _NAME_TAGS else NOUN if tag in _NOUN_TAGS else WEAK
                if tag in _KEPT_TAGS:
                    tags[parts[0]] = tag
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump((classes, tags), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home only costs speed
    return classes, tags


def _classes() -> dict[str, str]:
    """word -> ENTITY, NOUN or WEAK for every word jieba knows."""
    return _tables()[0]


def name_tag(word: str) -> str | None:
    """jieba's tag when the word is a person (nr, nrfg, nrt), place (ns), organisation (nt) or
    time (t) in its dictionary; "nr" for an unknown word of 2-3 Chinese characters, which the
    segmenter's HMM found (mostly person names, as jieba.posseg would tag them); else None.

    >>> name_tag("北京"), name_tag("股价")
    ('ns', None)
    """
    tag = _tables()[1].get(word)
    if tag is not None:
        return tag
    if 2 <= len(word) <= 3 and all("\u4e00" <= ch <= "\u9fff" for ch in word) and word not in _classes():
        return "nr"
    return None


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
