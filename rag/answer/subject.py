"""A question's subject words that no dictionary knows as names: "丙平台", "XY公司", "A-135".

News names organisations by a short name and a kind: 甲平台, 海川电器, XY集团, 浙江省. The segmenter
cuts "丙平台" into 丙 + 平台, neither of them a name, so a paragraph giving 甲平台's and 乙平台's
figures would answer a question about 丙平台. These words become names of the question
(support.QuestionTerms.names): evidence must mention them, or the answer is refused.

>>> sorted(subject_words("丙平台有多少个商家成交额破千万元？"))
['丙平台']
>>> sorted(subject_words("抖音平台和XY公司的A-135订单量是多少？"))
['a-135', 'xy公司', '抖音']
>>> sorted(subject_words("电商平台的订单量是多少？"))
[]
"""
from __future__ import annotations

import re

from rag.text.lexicon import ENTITY, word_class
from rag.text.tokenize import fold, segment

# The kinds of thing news names with a short name before them.
KINDS = ("平台", "公司", "集团", "银行", "大学", "学院", "医院", "学校", "中学", "小学", "研究院", "研究所",
         "协会", "基金会", "俱乐部", "电视台", "商场", "超市", "酒店", "航空", "证券", "保险", "电器", "科技",
         "省", "市", "县", "镇", "村")
# A one-character name: the placeholder names of examples and reports (甲方, 乙公司, A公司).
_ORDINAL = set("甲乙丙丁戊己庚辛壬癸")
# A model or product code: letters and digits together ("A-135", "X100", "5G").
_CODE = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z\-]*\d)(?=[0-9\-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]")
_LATIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-.]*$")


def subject_words(question: str) -> set[str]:
    """Folded subject words of `question`: a name part and its kind ("丙平台"), the name part alone
    when it is a word of its own ("抖音" of "抖音平台", which documents also write "抖音电商平台"),
    and product codes."""
    out = {fold(m.group(0)) for m in _CODE.finditer(question)}
    words = segment(question)
    for i, w in enumerate(words):
        kind = next((k for k in KINDS if w.endswith(k)), None)
        if kind is None:
            continue
        head = w[:-len(kind)] or (words[i - 1] if i else "")
        full = head + kind if w == kind else w
        if not head or not _named(head):
            continue
        # A one-character or Latin name means nothing without its kind; a longer name stands alone.
        out.add(fold(full) if len(head) == 1 or _LATIN.match(head) else fold(head))
    return out


def _named(head: str) -> bool:
    if len(head) == 1:
        return head in _ORDINAL or head.isascii() and head.isalnum()
    if _LATIN.match(head):
        return True
    return all("\u4e00" <= ch <= "\u9fff" for ch in head) and word_class(head) == ENTITY
