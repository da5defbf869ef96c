"""How closely a sentence repeats the question's own wording, character by character.

All take the question as `question_text` gives it and the sentence folded (`fold`).
Questions are often the answer's sentence with the answer replaced by a question word:
"天生三桥位于什么地方？" ~ "天生三桥位于重庆武隆县仙女山镇". Words miss this when the
segmenter cuts differently or a paraphrase shares characters ("出生地" / "生于"), so these
measures work on characters: the longest run the question and sentence share, the share of
the question's character pairs the sentence has, and whether the words right around the
question word are in the sentence (the answer sits between them).

>>> round(longest_shared("天生三桥位于什么地方", "天生三桥位于重庆武隆县"), 2)
0.6
>>> around_wh("天生三桥位于什么地方", "天生三桥位于重庆武隆县")
(1.0, 0.0)
>>> topic(question_text("1992年4月，罗保铭担任什么职务？")), topic(question_text("此鱼分布在哪些地区？"))
('罗保铭', '')
>>> topic_share("短叶水蜈蚣", "短叶水蜈蚣 多年生草本"), round(topic_share("短叶水蜈蚣", "蜈蚣藤 分布在"), 2)
(1.0, 0.4)
"""
from __future__ import annotations

import re

from rag.text.tokenize import fold

# Question words and the particles around them: never part of the answer's sentence.
WH = re.compile(r"是什么|为什么|什么样|什么|哪一|哪些|哪个|哪里|哪儿|哪|谁|多少|几|何时|何地|何处|如何|怎么样|怎样|怎么|"
                r"是否|有没有|吗|呢|请问")
# A sentence that starts by referring back ("它首先由莫瓦桑制得"): its subject is in the title or before it.
REFERS = re.compile(r"[它其他她该此这本]")
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


# Where a question's topic (its leading phrase) ends: a verb of the common question frames, a
# preposition or particle, or a question word. "短叶水蜈蚣分布在哪些地区" -> 短叶水蜈蚣.
_TOPIC_END = re.compile(r"是|有|在|为|的|于|被|把|和|与|对|从|将|能|会|可|要|让|使|由|以|给|向|到|了|主要|一共|共|"
                        r"分布|位于|指|属|发生|担任|出生|生于|创作|创立|成立|建于|采用|使用|包括|获得|" + WH.pattern)
_LEADING_TIME = re.compile(r"^(?:(?:公元前?|西元前?)?\d+年)?(?:\d+月)?(?:\d+[日号])?")
# A topic that refers back ("此鱼", "该漫画", "这部作品") names nothing to look for.
_REFERRING = re.compile(r"^(?:此|该|这|那|其|本|它|他|她|上述)")


def topic(q: str) -> str:
    """The question's leading phrase (at least two characters, a date before it aside), or '' when
    it refers back or is too short: what a passage answering the question is about."""
    head = _TOPIC_END.split(_LEADING_TIME.sub("", q), maxsplit=1)[0]
    return "" if len(head) < 2 or _REFERRING.match(head) else head


def topic_share(topic_: str, text: str) -> float:
    """Longest run of the topic found in the folded `text`, over the topic's length (1.0: no topic)."""
    if not topic_:
        return 1.0
    best = 0
    for i in range(len(topic_)):
        j = i + best + 1
        while j <= len(topic_) and topic_[i:j] in text:
            best, j = j - i, j + 1
    return best / len(topic_)


def question_text(question: str) -> str:
    """The question folded, without punctuation or spaces."""
    return _NOT_TEXT.sub("", fold(question))


def _pieces(q: str) -> list[str]:
    return [p for p in WH.split(q) if p]


def longest_shared(q: str, s: str) -> float:
    """Longest run of the question (question words aside) found in the folded sentence `s`, over the question's length."""
    best = 0
    for p in _pieces(q):
        for i in range(len(p)):
            j = i + best + 1
            while j <= len(p) and p[i:j] in s:
                best, j = j - i, j + 1
    return best / (len(q) or 1)


def pair_share(q: str, s: str) -> float:
    """Share of the question's character pairs (within its non-question-word pieces) in the folded sentence."""
    pairs = {p[i:i + 2] for p in _pieces(q) for i in range(len(p) - 1)}
    return sum(x in s for x in pairs) / (len(pairs) or 1)


def around_wh(q: str, s: str, width: int = 3) -> tuple[float, float]:
    """Whether the `width` characters before, and after, the first question word are in the folded sentence."""
    m = WH.search(q)
    if not m:
        return 0.0, 0.0
    left, right = q[max(0, m.start() - width):m.start()], q[m.end():m.end() + width]
    return float(len(left) >= 2 and left in s), float(len(right) >= 2 and right in s)


def title_share(q: str, title: str) -> float:
    """Share of the (folded) title the question repeats in one run: is the article about what is asked?
    Characters, not words: the segmenter often splits a name it does not know ("魏玩")."""
    t = _NOT_TEXT.sub("", title)
    return longest_shared(t, q) if t else 0.0
