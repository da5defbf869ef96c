"""Chinese tokenization for BM25: the same function at index and query time.

Steps: NFKC-fold and lowercase; protect domain words and numbers so the segmenter
cannot split them (``双11``, ``以旧换新``, ``21.6``); segment the rest with jieba's
dictionary and its HMM for unknown words, so that names such as 孙鲁林 stay whole
(rjieba, the Rust port, when installed: ~10x faster; the index records which
segmenter made it and queries use the same); map synonyms to one canonical form (``双十一`` -> ``双11``, ``过亿`` ->
``破亿``); drop stopwords and punctuation.

>>> Tokenizer().tokens("双十一期间京东有多少品牌成交额过亿？")
['双11', '京东', '品牌', '成交额', '破亿']
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Iterable

from rag.text.wordlists import (  # noqa: F401 - re-exported: the tokenizer's vocabulary
    cn_to_int, default_names, default_stopwords, default_synonyms, default_words, fold,
)

TOKENIZER_VERSION = 3
_NUMBER = r"\d+(?:\.\d+)?%?"
_WORDISH = re.compile(r"[\w\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
# Question words glued to a measure ("几倍", "多少个", "哪几类") carry no content.
_QUESTION_WORD = re.compile(r"^(几|多少|哪|什么|怎么|为何|如何)")


def _segmenter(engine: str) -> tuple[str, Callable[[str], list[str]]]:
    if engine in ("auto", "rjieba"):
        try:
            import rjieba

            return "rjieba", lambda s: rjieba.cut(s, True)
        except ImportError:
            if engine == "rjieba":
                raise
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return "jieba", lambda s: list(jieba.cut(s, HMM=True))


@lru_cache(maxsize=1)
def _default_segmenter() -> Callable[[str], list[str]]:
    return _segmenter("auto")[1]


def segment(text: str) -> list[str]:
    """`text` cut into words that join back to it exactly (rjieba, else jieba; HMM on).

    >>> "".join(segment("天猫双11有373个品牌"))
    '天猫双11有373个品牌'
    """
    return list(_default_segmenter()(text))


_PRONOUN_HEAD = re.compile(r"^([它他她其这那])([\u4e00-\u9fff]{1,3})$")


def _split_pronouns(tokens: list[str]) -> list[str]:
    """The HMM sometimes glues a pronoun to the next word ("它分"): split it off
    when the word is not in the dictionary."""
    from rag.text.lexicon import known_word

    out: list[str] = []
    for t in tokens:
        m = _PRONOUN_HEAD.match(t)
        if m and not known_word(t):
            out.extend(m.groups())
        else:
            out.append(t)
    return out


class Tokenizer:
    """`tokens(text) -> list[str]`; `extra_words` come from the corpus (e.g. its keywords)."""

    def __init__(self, extra_words: Iterable[str] = (), engine: str = "auto") -> None:
        self.synonyms = default_synonyms()
        self.stopwords = default_stopwords()
        words = set(default_words()) | set(self.synonyms) | set(self.synonyms.values())
        words |= {fold(w) for w in extra_words if 2 <= len(w.strip()) <= 20}
        self.words = sorted(w for w in words if w)
        self.engine, self._cut = _segmenter(engine)
        # Longest first, so "国潮品牌" wins over "国潮".
        alts = "|".join(re.escape(w) for w in sorted(self.words, key=len, reverse=True))
        # The look-ahead on first characters lets the regex skip most positions at once
        # (same matches, ~3x faster on long texts).
        firsts = "".join(sorted({re.escape(w[0]) for w in self.words}))
        self._protect = re.compile(f"(?=[{firsts}])(?:{alts})|{_NUMBER}" if alts else _NUMBER)
        self._memo: dict[str, tuple[str, ...]] = {}  # raw token -> the tokens it becomes
        # A compound domain word also yields the domain words inside it, so that a
        # query for "数字人" still meets a text that says "AI数字人".
        syn = self.synonyms.get
        self._parts = {w: [v for v in self.words if v != w and v in w and syn(v, v) != syn(w, w)] for w in self.words}

    def raw_tokens(self, text: str) -> list[str]:
        """Tokens before stopword removal (still synonym-mapped)."""
        return self._raw(fold(text))

    def _segments(self, text: str) -> list[str]:
        """Segmenter output with protected words, before any post-processing; `text` is folded."""
        out: list[str] = []
        pos = 0
        for m in self._protect.finditer(text):
            if m.start() > pos:
                out.extend(self._cut(text[pos:m.start()]))
            out.append(m.group())
            out.extend(self._parts.get(m.group(), ()))
            pos = m.end()
        if pos < len(text):
            out.extend(self._cut(text[pos:]))
        return out

    def _raw(self, folded: str) -> list[str]:
        return [self.synonyms.get(t, t) for t in (t.strip() for t in _split_pronouns(self._segments(folded))) if t]

    def _kept(self, raw: str) -> tuple[str, ...]:
        """What one segment becomes in `tokens()`: a pure function of it, so memoized
        (chunks repeat their words; this is most of the post-processing time)."""
        got = self._memo.get(raw)
        if got is None:
            got = tuple(t for t in (self.synonyms.get(x, x) for x in (x.strip() for x in _split_pronouns([raw])) if x)
                        if t not in self.stopwords and _WORDISH.search(t) and not _QUESTION_WORD.match(t))
            if len(self._memo) < 500_000:
                self._memo[raw] = got
        return got

    def _tokens_folded(self, folded: str) -> list[str]:
        return [t for raw in self._segments(folded) for t in self._kept(raw)]

    def tokens(self, text: str) -> list[str]:
        return self._tokens_folded(fold(text))

    def terms(self, text: str) -> list[str]:
        """What BM25 indexes and searches: the words, plus the character bigrams of the
        Chinese runs (marked "#"), so a paraphrase that shares characters but not
        words ("订单数" / "订单量") still meets its passage.

        >>> Tokenizer().terms("订单量")
        ['订单量', '#订单', '#单量']
        """
        folded = fold(text)
        grams = [f"#{run[i:i + 2]}" for run in _CJK_RUN.findall(folded) for i in range(len(run) - 1)]
        return self._tokens_folded(folded) + grams

    def __call__(self, text: str) -> list[str]:
        return self.tokens(text)
