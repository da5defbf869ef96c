"""The unit a how-many question counts in, and whether a sentence gives a figure in it.

"订单总量具体是多少单？" asks for a number of 单; a sentence saying that orders "保持两位数增长"
with other figures (1.6万个品牌, 3倍) does not answer it, however many of the question's words it has.
Only units that name what is counted are read ("单", "人", "吨", "米"): the general classifier 个
and time words (年, 天: often dates) are not, and units that say the same thing count alike
(人/名/位/人次). Parenthesized asides in a question ("总成交额（GMV）是多少") are read past.

>>> asked_unit("京东双11的订单总量具体是多少单？")
'单'
>>> asked_unit("有多少个品牌成交额破亿？") is None
True
>>> gives_unit("截至目前，订单量超过1.2亿单。", "单"), gives_unit("超1.6万个品牌成交额同比增长超3倍", "单")
(True, False)
>>> gives_unit("共有3万多名志愿者参加。", "人")
True
"""
from __future__ import annotations

import re

from rag.text.numbers import extract_quantities

# Units that say the same thing; the first of each group is the one a question is read as asking.
_GROUPS = (("人", "名", "位", "人次"), ("单", "笔"), ("件",), ("台",), ("辆",), ("架",), ("艘",), ("吨",),
           ("米", "公尺"), ("公里", "千米"), ("平方公里", "平方千米"), ("公顷",), ("亩",), ("岁",), ("户",),
           ("座",), ("所",), ("部",), ("场",), ("首",), ("篇",), ("本", "册"), ("元", "亿元", "万元"))
_CANON = {u: g[0] for g in _GROUPS for u in g}
_UNITS = sorted(_CANON, key=len, reverse=True)
_ASKED = re.compile(r"多少(" + "|".join(map(re.escape, _UNITS)) + r")")
ASIDE = re.compile(r"[（(][^（）()]{0,30}[)）]")
# After the figure: a magnitude or "多/余/来" may stand between it and the unit ("3万多名", "20余人").
_BETWEEN = re.compile(r"\s*(?:万|亿|千|百)?(?:多|余|来)?")


def asked_unit(question: str) -> str | None:
    """The unit the question's 多少 asks for (canonical), or None."""
    m = _ASKED.search(ASIDE.sub("", question))
    return _CANON[m.group(1)] if m else None


def gives_unit(text: str, unit: str) -> bool:
    """A figure in `text` is followed by `unit` or a unit that says the same."""
    group = next(g for g in _GROUPS if g[0] == unit)
    for q in extract_quantities(text):
        rest = text[q.end:q.end + 8]
        rest = rest[_BETWEEN.match(rest).end():]
        if rest.startswith(group) or q.surface.endswith(group):
            return True
    return False
