"""Number normalization: find the figures a text states, as comparable values.

    >>> [(q.surface, q.value, q.unit) for q in extract_quantities("超1.6万个品牌增长超3倍")]
    [('1.6万', 16000.0, ''), ('3倍', 3.0, '倍')]

Units: "" (counts and amounts; 个/元/台 are not compared), "%", "倍", "date" (value =
year*10000 + month*100 + day, 0 where unknown) and "time" (hours: 晚上9点 -> 21).

Decisions, kept simple and explicit:
- 倍 is compared as written: 增长超3倍 -> 3倍, 翻两番 -> 4倍, no arithmetic on 增长.
- Doubling is the one bridge between 倍 and %: 翻倍/翻了一番/doubled (2倍) also
  match 1倍 (增长一倍) and 100%, because all three say the same thing. Otherwise
  倍 and % never match (增长3倍 vs 300%: ×3 or ×4 is ambiguous), so a converting
  paraphrase is dropped: the conservative failure.
- Digits glued to ASCII letters (3C, 3D, 5G, H100, COVID-19, chunk ids) are names,
  not figures; 100GB-style units are the exception. 0涂层 is a figure (0): an answer
  that copies the product name from its passage still passes.
- Qualifiers (超, 近, 约, 多, 余) are ignored; rounding is not accepted (1.6万 != 16234).
- A Chinese numeral counts only with a measure word or as a multi-character
  numeral (三十), since they hide in words (一些, 统一, 两位数); see `_cn_run_ok`.
- English answers: 2.16 billion, 40 percent, 50-fold, doubled and Oct. 31 are read too.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Quantity:
    """A figure found at `text[start:end] == surface`."""

    surface: str
    value: float
    unit: str
    start: int
    end: int


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_MAGS = {"十": 10.0, "百": 100.0, "千": 1000.0, "万": 1e4, "亿": 1e8}
_CN, _MAG = "零〇一二两三四五六七八九", "十百千万亿"
_CNALL = _CN + _MAG
_DIG = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
# Digits may carry magnitudes (1.6万, 1万6千, 7千5); a Chinese run never mixes in digits.
# The lookbehinds start a match only at the start of a run, which keeps scans linear.
_NUM = (rf"(?<![0-9{_MAG}])(?<![0-9][.,]){_DIG}(?:[{_MAG}]+(?:{_DIG}[{_MAG}]+)*(?:[0-9](?![0-9.]))?)?"
        rf"|(?<![{_CNALL}点])[{_CNALL}](?:[{_CNALL}]|点(?=[{_CN}]))*")
_NA = "(?![A-Za-z])"
_UNITS = "kg|km|cm|mm|nm|GB|MB|TB|KB|kWh|kW|MW|GW|mAh|mL|ml|GHz|MHz|Hz|ms|st|nd|rd|th|-?fold"
_MEASURES = "个家台次人名位件款项种站元块年月日天周岁辆部只条张份场所座户单笔套批余多国省城倍吨米克秒层级类期届轮"
_IDIOMS = {"万一", "千万", "一一", "十一", "万万", "亿万"}
_PM = ("下午", "傍晚", "晚上", "晚间", "夜间", "夜里", "晚")
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}

# Spans that look numeric but are not figures: consumed without a Quantity.
_MASKS = [
    re.compile(r"https?://\S+"),
    re.compile(r"[\[【]\s*[0-9]+(?:\s*[,，、]\s*[0-9]+)*\s*[\]】]"),  # citation markers
    re.compile(r"(?m)^[ \t]*(?:\([0-9]+\)|[0-9]+[.、)](?![0-9]))"),  # list markers
    re.compile(r"双(?:11|12|十一|十二)"),  # shopping-festival names
    re.compile(r"(?<![A-Za-z0-9_])[A-Za-z0-9]*_[A-Za-z0-9_]*:[0-9]+"),  # chunk ids: doc_id:n
    re.compile(rf"(?<![0-9.,])[0-9.,]+(?:{_UNITS}){_NA}"  # 100GB: kept (see extract_quantities)
               r"|(?<![A-Za-z0-9_#.\-])[A-Za-z0-9_#.\-]*[A-Za-z_#][A-Za-z0-9_#.\-]*"),  # 3C, H100, ids
]
_D2 = rf"[0-9]{{1,2}}|[{_CN}十]{{1,3}}"
_DATE = re.compile(rf"(?<![0-9.])(?:(?P<y>[0-9]{{4}}|[{_CN}]{{4}})年)?(?:(?P<m>{_D2})月)?(?:(?P<d>{_D2})[日号])?")
_ISO_DATE = re.compile(r"(?<![0-9])([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})(?![0-9])")
_EN_DATE = re.compile(
    r"(?<![A-Za-z])(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\s+([0-9]{1,2})(?:st|nd|rd|th)?(?![0-9])(?:,?\s+([0-9]{4}))?"
)
_MIN = rf"(?:[0-9]{{1,2}}|[{_CN}十]{{1,3}})分"
_TIME = re.compile(
    rf"(?P<pre>凌晨|早上|上午|{'|'.join(_PM)}|早)?(?:(?<![0-9.])(?P<h>[0-9]{{1,2}})|(?P<ch>[{_CN}十]{{1,3}}))"
    rf"(?:时|点钟|点(?:(?={_MIN})|(?![0-9{_CN}赞击评数])))(?P<mi>半|{_MIN})?"
    r"|(?<![0-9.])(?P<hh>[0-9]{1,2}):(?P<mm>[0-9]{2})(?![0-9])|午夜"
)
_FAN = re.compile(rf"翻了?([{_CN}0-9])番|翻了?一?倍|(?<![A-Za-z])[Dd]oubled?(?![A-Za-z]|[- ]digit)")
_PASSES = [  # (regex, unit, multiplier); the number is the last group that matched
    (re.compile(rf"百分之({_NUM})|({_NUM})\s?(?:%|percent{_NA}|per cent{_NA})"), "%", 1.0),
    (re.compile(rf"(?<![0-9{_CNALL}])([{_CN}]|[0-9](?:\.[0-9])?)成(?![交为功本果员立长绩品都熟年不型])"), "%", 10.0),
    (re.compile(rf"({_NUM})\s?(?:倍|times{_NA}|-?fold{_NA})"), "倍", 1.0),
]
_EN_SCALE = re.compile(rf"(?<![0-9])(?<![0-9][.,])({_DIG})\s?(thousand|million|billion|trillion){_NA}")
_PLAIN = re.compile(_NUM)


def _nfkc_same_length(text: str) -> str:
    """NFKC char by char, so offsets in the result index the original text.
    The Chinese comma stays: folding it to "," would turn "3，400" into 3400."""
    folded = (unicodedata.normalize("NFKC", c) for c in text)
    return "".join(n if len(n) == 1 and c != "，" else c for c, n in zip(text, folded))


def parse_number(s: str) -> float | None:
    """Read a number in digits, Chinese numerals or a mix; None if it is not one.

    >>> [parse_number(x) for x in ["1.6万", "一万六千", "一万六", "二十一点六亿", "两", "16,000"]]
    [16000.0, 16000.0, 16000.0, 2160000000.0, 2.0, 16000.0]
    """
    tokens = re.findall(r"[0-9]+(?:\.[0-9]+)?|.", _nfkc_same_length(s).replace(",", ""))
    total = section = cur = scale = 0.0  # scale > 0 while reading digits after 点
    for tok in tokens:
        if tok[0] in "0123456789":
            cur, scale = float(tok), 0.0
        elif tok in _DIGITS:
            cur, scale = (cur + _DIGITS[tok] * scale, scale / 10) if scale else (cur * 10 + _DIGITS[tok], 0.0)
        elif tok == "点":
            cur, section, scale = section + cur, 0.0, 0.1
        elif tok in "十百千":
            section, cur, scale = section + (cur or 1) * _MAGS[tok], 0.0, 0.0
        elif tok == "万":
            section, cur, scale = ((section + cur) or 1) * 1e4, 0.0, 0.0
        elif tok == "亿":
            total, section, cur, scale = ((total + section + cur) or 1) * 1e8, 0.0, 0.0, 0.0
        else:
            return None
    if len(tokens) > 1 and tokens[-2] in "百千万亿" and (tokens[-1] in _DIGITS or tokens[-1] in "123456789"):
        cur *= _MAGS[tokens[-2]] / 10  # spoken short forms: 一万六 = 16000, 七千五 = 7500
    return total + section + cur if tokens else None


def _measure_follows(after: str) -> bool:
    return bool(after) and (after[0] in _MEASURES or after.startswith(("小时", "分钟", "公里", "公斤")))


def _cn_run_ok(run: str, before: str, after: str, loose: bool) -> bool:
    """Should a run of Chinese numerals with no ASCII digit count as a figure?"""
    if after.startswith(("位数", "几", "来")) or (before != "" and before in "数几上成"):
        return False  # 两位数, 数十个, 十几个: approximate, not a figure
    if run == "一" or (run in _IDIOMS and not _measure_follows(after)):
        return False  # 一 is nearly always an article (一个, 一种); 一倍 has its own pass
    if not any(c in _CN for c in run) and not run.startswith("十"):
        return loose  # 万, 百万 alone: usually rhetoric
    return loose or _measure_follows(after) or (len(run) >= 2 and any(c in _MAG for c in run))


def _int(s: str | None) -> int:
    return int(parse_number(s) or 0) if s else 0


def _dates(norm: str) -> list[tuple[int, int, float, str]]:
    found = [(m.start(), m.end(), float(int(m[1]) * 10000 + int(m[2]) * 100 + int(m[3])), "date")
             for m in _ISO_DATE.finditer(norm) if 1 <= int(m[2]) <= 12 and 1 <= int(m[3]) <= 31]
    found += [(m.start(), m.end(), float(_int(m[3]) * 10000 + (_MONTHS.index(m[1][:3].lower()) + 1) * 100
                                         + int(m[2])), "date") for m in _EN_DATE.finditer(norm) if int(m[2]) <= 31]
    prev: tuple[int, int, int] | None = None  # (end, year, month) of the last date, for 18日至20日
    for m in _DATE.finditer(norm):
        y, mo, d = _int(m["y"]), _int(m["m"]), _int(m["d"])
        if m.end() == m.start() or mo > 12 or d > 31 or (m["y"] and (not 1000 <= y <= 2999 or (m["d"] and not mo))):
            continue
        if prev and not m["y"] and m.start() - prev[0] == 1 and norm[prev[0]] in "至到-—~":
            y, mo = prev[1], mo or prev[2]  # a range's second end inherits year and month
        found.append((m.start(), m.end(), float(y * 10000 + mo * 100 + d), "date"))
        prev = (m.end(), y, mo)
    return found + _times(norm)


def _times(norm: str) -> list[tuple[int, int, float, str]]:
    found = []
    for m in _TIME.finditer(norm):
        if m[0] == "午夜" or m["hh"]:
            h, mi = (24, 0) if m[0] == "午夜" else (int(m["hh"]), int(m["mm"]))
        else:
            after_date = m.start() > 0 and norm[m.start() - 1] in "日号"
            if m["ch"] and not (m["pre"] or m["mi"] or after_date or m["ch"] == "零"):
                continue  # 一时, 三点意见: Chinese-numeral hours need a context
            h = int(m["h"]) if m["h"] else _int(m["ch"])
            mi = 30 if m["mi"] == "半" else _int((m["mi"] or "")[:-1])
            h += 12 if m["pre"] in _PM and h < 12 else 0
        if h <= 24 and mi < 60:
            found.append((m.start(), m.end(), h + mi / 60, "time"))
    return found


def _numbers(norm: str, loose: bool) -> list[tuple[int, int, float, str]]:
    found = [(m.start(), m.end(), 2.0 ** _int(m[1]) if m[1] else 2.0, "倍") for m in _FAN.finditer(norm)]
    for rx, unit, times in _PASSES:
        for m in rx.finditer(norm):
            value = parse_number(m[m.lastindex or 1])
            if value is not None:
                found.append((m.start(), m.end(), value * times, unit))
    for m in _EN_SCALE.finditer(norm):
        found.append((m.start(), m.end(), float(m[1].replace(",", "")) * _SCALES[m[2]], ""))
    for m in _PLAIN.finditer(norm):
        run, before, after = m[0], norm[m.start() - 1: m.start()], norm[m.end(): m.end() + 2]
        if run[0] in "0123456789":
            ok = not after.startswith("位数")  # 2位数 is "double-digit", not 2
        else:
            ok = _cn_run_ok(run, before, after, loose)
        value = parse_number(run) if ok else None
        if value is not None:
            found.append((m.start(), m.end(), value, ""))
    return found


def extract_quantities(text: str, *, loose: bool = False) -> list[Quantity]:
    """Every figure in `text`, in order. `loose=True` also accepts bare Chinese
    numerals (三, 百万): use it on passages, where an extra candidate can only
    support a claim that states that very figure, never invent one.

    >>> [(q.surface, q.value, q.unit) for q in extract_quantities("10月18日至20日增长92%[1]")]
    [('10月18日', 1018.0, 'date'), ('20日', 1020.0, 'date'), ('92%', 92.0, '%')]
    """
    norm = _nfkc_same_length(text)
    taken = [False] * len(norm)
    out: list[Quantity] = []

    def claim(start: int, end: int) -> bool:
        if start >= end or any(taken[start:end]):
            return False
        taken[start:end] = [True] * (end - start)
        return True

    for rx in _MASKS:
        for m in rx.finditer(norm):
            numeric = any(c in "0123456789" or c in _CNALL for c in m[0])
            if numeric and not re.fullmatch(rf"[0-9.,]+(?:{_UNITS})", m[0]):
                claim(m.start(), m.end())
    # Earlier passes win overlaps: a date beats its digits, 30% beats 30.
    for start, end, value, unit in _dates(norm) + _numbers(norm, loose):
        if claim(start, end):
            out.append(Quantity(text[start:end], value, unit, start, end))
    return sorted(out, key=lambda q: q.start)


def _ymd(value: float) -> tuple[int, int, int]:
    n = int(value)
    return n // 10000, n // 100 % 100, n % 100


def _is_doubling(q: Quantity) -> bool:
    return q.unit == "倍" and q.value == 2 and q.surface[:1] in "翻Dd"


def same_quantity(a: Quantity, b: Quantity) -> bool:
    """Equal values (relative tolerance 1e-6, for float noise only) and the same unit,
    plus two bridges: doubling (see the module docstring) and 24时 == 0时 (午夜).
    Dates match when every component both state agrees and they share at least one:
    10月31日 matches 2024年10月31日 and 10月, but 2024年 does not match 10月31日.

    >>> q = lambda s: extract_quantities(s)[0]
    >>> same_quantity(q("30%"), q("百分之三十")), same_quantity(q("3倍"), q("300%"))
    (True, False)
    """
    if _is_doubling(a) or _is_doubling(b):
        other = b if _is_doubling(a) else a
        return (other.unit, other.value) in {("%", 100.0), ("倍", 1.0), ("倍", 2.0)}
    if a.unit != b.unit:
        return False
    if a.unit == "date":
        pairs = [(x, y) for x, y in zip(_ymd(a.value), _ymd(b.value)) if x and y]
        return bool(pairs) and all(x == y for x, y in pairs)
    if a.unit == "time":
        return math.isclose(a.value % 24, b.value % 24, abs_tol=1e-6)
    return math.isclose(a.value, b.value, rel_tol=1e-6, abs_tol=1e-9)


# Amounts said in words: "近半数消费者", "过半", "大多数", "数十个", "上百家". They answer "多少/多大比例"
# as the document says it, though they carry no exact value (so the citation checker ignores them).
VAGUE_QUANTITY = re.compile(r"[近超逾过约]?(?:半数|一半|过半|大半|大多数|绝大多数|多数(?!派)|少数(?!民族|派)|极少数|"
                            r"(?:数|几|上|近)[十百千万亿]+(?:[个家台次人名位件款项种]|余|多)?)")


def vague_quantities(text: str) -> list[tuple[int, int, str]]:
    """(start, end, surface) of every amount said in words ("近半数", "上百家"), in order."""
    return [(m.start(), m.end(), m.group()) for m in VAGUE_QUANTITY.finditer(text)]


def has_figure(text: str) -> bool:
    """The text states an amount: a figure the parser reads, or one said in words."""
    return bool(extract_quantities(text)) or bool(VAGUE_QUANTITY.search(text))
