"""Repair scraped article bodies.

Two scraping artefacts are common in Chinese news copied from portals:

* section headings appear twice and glued to the next sentence:
  ``…新趋势。个性化消费趋势增强个性化消费趋势增强性价比是…`` ->
  heading ``个性化消费趋势增强``, then ``性价比是…``;
* the end carries the byline and portal chrome:
  ``…需求。来源：经济日报来源：经济日报作者: 赖奇春 黄 鑫作者: 赖奇春 黄 鑫举报/反馈``
  -> source ``经济日报``, authors ``['赖奇春', '黄鑫']``, and the body ends at ``需求。``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# A heading: 4-24 characters without sentence punctuation, written twice in a row,
# right after the start of the text or the end of a sentence.
_HEADING_RE = re.compile(
    r"(?:^|(?<=[。！？!?”」』）)\n]))([^\s。！？!?，,；;：:“”\"'（）()、《》【】\[\]]{4,24}?)\1(?=\S)"
)
_TAIL_KEY_RE = re.compile(r"(来源|作者|责任编辑|编辑|记者|原标题|图片来源|本文来源)\s*[:：]\s*")
_JUNK_END_RE = re.compile(r"(举报\s*/\s*反馈|举报|反馈|分享到?[:：]?|返回搜狐，查看更多|查看更多)\s*$")
_MAX_TAIL_VALUE = 40


# Control characters (not \t \n), zero-width characters, soft hyphen, bidi marks and
# overrides (U+200E/F, U+202A-E, U+2066-9, U+061C): invisible, and they break matching.
_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_BREAK_RE = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # line/paragraph breaks of other systems
_SPACES_RE = re.compile("[ \t\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def clean_text(text: str) -> str:
    r"""Remove control, zero-width and bidi characters; unify line breaks and spaces.

    No NFKC: full-width punctuation, digits and letters stay as they are.

    >>> clean_text("营业\u200b收入\u202e１２亿元，\r\n同比\u3000增长\x0b")
    '营业收入１２亿元，\n同比 增长\n'
    """
    text = _BREAK_RE.sub("\n", text)
    text = _INVISIBLE_RE.sub("", text)
    return _SPACES_RE.sub(" ", text)


@dataclass(frozen=True)
class Part:
    """A run of body text under one heading ("" for the lead before any heading)."""

    heading: str
    text: str


@dataclass(frozen=True)
class Byline:
    source: str
    authors: tuple[str, ...]
    editor: str


def split_headings(body: str) -> list[Part]:
    """Cut the body at duplicated headings.

    >>> split_headings("导语。标题甲乙标题甲乙正文。")
    [Part(heading='', text='导语。'), Part(heading='标题甲乙', text='正文。')]
    """
    parts: list[Part] = []
    heading, pos = "", 0
    for m in _HEADING_RE.finditer(body):
        h = m.group(1)
        if len(set(h)) <= 2 or h[0].isdigit():  # "哈哈哈哈", "2024年2024年" are not headings
            continue
        parts.append(Part(heading, body[pos:m.start()]))
        heading, pos = h, m.end()
    parts.append(Part(heading, body[pos:]))
    return [p for p in parts if p.text.strip() or p.heading]


def strip_byline(body: str) -> tuple[str, Byline]:
    """Remove the trailing source/author block and portal chrome; return what it said."""
    body = body.rstrip()
    while True:
        stripped = _JUNK_END_RE.sub("", body).rstrip()
        if stripped == body:
            break
        body = stripped
    keys = list(_TAIL_KEY_RE.finditer(body))
    start, end = None, len(body)
    values: dict[str, list[str]] = {}
    for m in reversed(keys):
        value = body[m.end():end].strip()
        if len(value) > _MAX_TAIL_VALUE or re.search(r"[。！？!?，,；;]", value):
            break
        # The block must start at a sentence boundary: "数据来源：…" inside a sentence is text.
        before = body[m.start() - 1] if m.start() else "。"
        if re.match(r"[\u4e00-\u9fffA-Za-z0-9]", before) and not _ends_value(body, m.start(), keys):
            break
        values.setdefault(_canonical_key(m.group(1)), []).insert(0, value)
        start, end = m.start(), m.start()
    if start is None:
        return body, Byline("", (), "")
    body = body[:start].rstrip()
    authors: list[str] = []
    for v in values.get("作者", []):
        for name in split_names(v):
            if name not in authors:
                authors.append(name)
    return body, Byline(_first(values.get("来源")), tuple(authors), _first(values.get("责任编辑")))


def _ends_value(body: str, pos: int, keys: list[re.Match]) -> bool:
    """True when `pos` directly follows another byline field (…来源：经济日报作者：…)."""
    return any(k.end() < pos and pos - k.end() <= _MAX_TAIL_VALUE for k in keys)


def _canonical_key(key: str) -> str:
    return {"本文来源": "来源", "记者": "作者", "编辑": "责任编辑"}.get(key, key)


def _first(values: list[str] | None) -> str:
    return values[0] if values else ""


def split_names(value: str) -> list[str]:
    """Split a Chinese byline into names; single characters are glued back.

    >>> split_names("赖奇春 黄 鑫")
    ['赖奇春', '黄鑫']
    """
    pieces = [p for p in re.split(r"[\s,，、;；/]+", value) if p]
    names: list[str] = []
    pending = ""
    for p in pieces:
        if re.fullmatch(r"[\u4e00-\u9fff]", p):
            if pending:  # two single characters: a two-character name split by a space
                names.append(pending + p)
                pending = ""
            else:
                pending = p
            continue
        if pending:
            names.append(pending + p if len(p) <= 2 else pending)
            if len(p) > 2:
                names.append(p)
            pending = ""
        else:
            names.append(p)
    if pending:
        names.append(pending)
    return names
