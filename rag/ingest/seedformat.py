"""Parse the seed format: `字段: 值` lines, the last field running to the end of the file.

    标题: 个性定制、AI赋能……
    链接: https://…
    总结: <the whole article body>
    关键词: 个性定制, 人工智能
    重大事件摘要: 这篇文章…
    1. **销售数据亮眼**：…      <- continuation lines belong to the field above

A line starts a new field when it begins with a known field name and a colon,
or (outside the final summary) with any short bare word and a colon.
"""
from __future__ import annotations

import logging
import re

log = logging.getLogger("rag")

KNOWN_FIELDS = ("标题", "链接", "总结", "关键词", "AI技术", "行业", "重大事件摘要")
# Fields whose value runs to the end of the file: unknown "X:" lines inside are text.
OPEN_ENDED = ("重大事件摘要",)

_KNOWN_RE = re.compile(r"^\s*(%s)\s*[:：]\s?(.*)$" % "|".join(map(re.escape, KNOWN_FIELDS)))
_ANY_RE = re.compile(r"^\s*([A-Za-z\u4e00-\u9fff][\w\u4e00-\u9fff]{0,9})\s*[:：]\s?(.*)$")


def is_seed_format(text: str) -> bool:
    """True when the first lines carry at least two known fields."""
    head = [ln for ln in text.split("\n")[:40] if ln.strip()]
    return sum(1 for ln in head if _KNOWN_RE.match(ln)) >= 2


def parse_fields(text: str, name: str = "") -> dict[str, str]:
    """Split seed-format text into {field: value}; warns about unknown fields.

    >>> parse_fields("标题: 甲\\n总结: 乙\\n丙")
    {'标题': '甲', '总结': '乙\\n丙'}
    """
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.split("\n"):
        m = _KNOWN_RE.match(line)
        if m is None and current not in OPEN_ENDED:
            m = _ANY_RE.match(line)
        if m and (m.group(1) in KNOWN_FIELDS or current is None or _looks_like_field(line)):
            current = m.group(1)
            if current in fields:
                log.warning("%s: field %s appears twice; the values are joined", name or "document", current)
            fields.setdefault(current, []).append(m.group(2))
        elif current is not None:
            fields[current].append(line)
    unknown = [k for k in fields if k not in KNOWN_FIELDS]
    if unknown:
        log.warning("%s: unknown fields kept as metadata: %s", name or "document", ", ".join(unknown))
    return {k: "\n".join(v).strip() for k, v in fields.items()}


def _looks_like_field(line: str) -> bool:
    # A body sentence such as "专家表示：…" also matches "word:"; a field line has
    # a short key at the very start and no sentence punctuation before the colon.
    key, _, value = re.split(r"([:：])", line, 1)
    key = key.strip()
    if re.search(r"(说|表示|认为|指出|介绍|称|问|答|注)$", key):
        return False
    return len(key) <= 6 and len(value) <= 120 and not re.search(r"[，。、,\s]", key)


def split_list(value: str) -> list[str]:
    """`个性定制, 人工智能、国潮。` -> ['个性定制', '人工智能', '国潮']"""
    parts = re.split(r"[,，、;；\n]+", value.strip().rstrip("。."))
    return [p.strip() for p in parts if p.strip()]
