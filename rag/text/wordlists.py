"""Folding (NFKC, lower case, Chinese numerals) and the curated word lists in `data/`.

>>> fold("双十一ＧＭＶ增长三倍")
'双十一gmv增长3倍'
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

def _data_lines(name: str) -> list[str]:
    text = resources.files("rag.text.data").joinpath(name).read_text(encoding="utf-8")
    return [ln.split("#", 1)[0].strip() for ln in text.splitlines() if ln.split("#", 1)[0].strip()]


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# Chinese numerals before a magnitude or multiple: "三倍" -> "3倍", "一万" -> "1万".
_CN_NUMBER = re.compile(r"(?:(?<![\u4e00-\u9fff])|(?<=[了长超近约逾达有是的增涨至到和与及或计出为]))"
                        r"([零一二两三四五六七八九十百千]+)(?=倍|万|亿|成|个百分点)")


def cn_to_int(s: str) -> int | None:
    """'三' -> 3, '十五' -> 15, '二百三十' -> 230; None when it is not a plain numeral."""
    total, digit = 0, None
    for ch in s:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def fold(text: str) -> str:
    """NFKC, lower case, Chinese numerals before 倍/万/亿 as digits."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _CN_NUMBER.sub(lambda m: str(cn_to_int(m.group(1)) or m.group(0)), text)


@lru_cache(maxsize=1)
def default_words() -> tuple[str, ...]:
    return tuple(fold(ln.split()[0]) for ln in _data_lines("domain_words.txt"))


@lru_cache(maxsize=1)
def default_names() -> frozenset[str]:
    """Domain words marked as names (platforms, organisations, festivals), with their synonyms."""
    names = {fold(ln.split()[0]) for ln in _data_lines("domain_words.txt") if ln.split()[1:] == ["name"]}
    syn = default_synonyms()
    return frozenset(names | {syn.get(n, n) for n in names})


@lru_cache(maxsize=1)
def default_synonyms() -> dict[str, str]:
    pairs = (ln.split("\t") for ln in _data_lines("synonyms.txt"))
    return {fold(a.strip()): fold(b.strip()) for a, b in pairs}


@lru_cache(maxsize=1)
def default_stopwords() -> frozenset[str]:
    return frozenset(fold(w) for ln in _data_lines("stopwords.txt") for w in ln.split())
