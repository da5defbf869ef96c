"""The measure word after a figure, and whether two measures can count the same thing.

`Quantity.unit` keeps %, 倍, dates and times apart; the measure word after a plain figure
says the rest: 3亿元 is money, 3亿件 a count of items, 3亿次 a count of times.

    >>> measure_after("成交额3亿元，售出3亿件", 5), measure_after("售出3个月", 3)
    ('元', '个月')
    >>> same_measure("元", "件"), same_measure("件", "个"), same_measure("块", "元"), same_measure("", "元")
    (False, True, True, True)

Classifiers of things (个 家 台 件 款 位 名 …) are one class: "589家品牌" and "589个品牌"
say the same, and the noun after them tells what is counted. 次/人次/回 are another (how
often). Money, spans of time and physical units must be the same word: 3亿美元 is not 3亿元,
3年 is not 3天. A figure with no measure word after it matches any.
"""
from __future__ import annotations

import re

COUNT, TIMES = "count", "times"
# word -> canonical measure; longer words are tried first (个月 before 个, 人次 before 人).
_WORDS = {
    **dict.fromkeys("元 块 人民币".split(), "元"), "美元": "美元", "港元": "港元", "港币": "港元",
    "欧元": "欧元", "日元": "日元", "英镑": "英镑", "韩元": "韩元", "卢布": "卢布",
    "年": "年", "个月": "月", "月": "月", "天": "天", "日": "天", "周": "周", "星期": "周", "个星期": "周",
    "小时": "小时", "个小时": "小时", "分钟": "分钟", "秒": "秒", "岁": "岁", "个百分点": "百分点",
    "吨": "吨", "公斤": "公斤", "千克": "公斤", "kg": "公斤", "克": "克", "公里": "公里", "千米": "公里",
    "km": "公里", "米": "米", "平方米": "平方米", "平米": "平方米", "亩": "亩", "公顷": "公顷", "升": "升",
    "千瓦时": "千瓦时", "度": "度", "千瓦": "千瓦", "瓦": "瓦",
    **dict.fromkeys("次 人次 回 遍 趟 场次 架次".split(), TIMES),
    **dict.fromkeys("个 家 台 件 款 项 种 位 名 人 辆 部 只 条 张 份 座 所 户 套 批 笔 单 篇 本 册 首 枚 颗 株 棵 "
                    "头 匹 支 架 艘 列 间 栋 处 场 层 级 类 期 届 轮".split(), COUNT),
}
_MEASURE = re.compile("|".join(sorted(map(re.escape, _WORDS), key=len, reverse=True)), re.IGNORECASE)


def measure_after(text: str, end: int) -> str:
    """The measure word (as written) right after `text[:end]`, blanks skipped; "" if none."""
    while end < len(text) and text[end] in " \t\u3000":
        end += 1
    m = _MEASURE.match(text, end)
    if m is None:
        return ""
    if m[0].isascii() and text[m.end():m.end() + 1].isalpha():
        return ""  # "km" of "kms" or of a word
    return m[0]


def same_measure(a: str, b: str) -> bool:
    """Can a figure measured by word `a` and one measured by word `b` count the same thing?"""
    return not a or not b or _WORDS.get(a.lower()) == _WORDS.get(b.lower())
