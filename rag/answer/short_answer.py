"""The short answer inside the answering sentence, and how the answer shows it first.

A fact question's answer is a span of the quoted sentence: the figure, date, person, place or
organisation the question asks for (answer_type.py, nearest the question's own words), or,
for "什么/哪个" questions of no known type, the words in the question word's place when the
sentence mirrors the question ("天生三桥位于什么地方" ~ "天生三桥位于重庆武隆县，…" ->
"重庆武隆县"). The answer then leads with it, bold, before the verbatim quote:
"**373个**：天猫…累计373个品牌成交额破亿元。[1]" (one sentence for the citation checker,
so the lead is held to the cited passage like the quote is).

>>> mirror_span("天生三桥位于什么地方？", "天生三桥位于重庆武隆县仙女山镇，是国家级景区。").text
'重庆武隆县仙女山镇'
>>> mirror_span("木星的卫星叫什么名字", "木星的卫星叫木卫一和木卫二。").text
'木卫一和木卫二'
>>> lead("373个", "累计373个品牌成交额破亿元。[1]")
'**373个**：累计373个品牌成交额破亿元。[1]'
"""
from __future__ import annotations

import re

from rag.answer.answer_type import Span
from rag.answer.surface import question_text
from rag.text.tokenize import fold

# Question words that stand where a noun phrase answers them.
_WH_NOUN = re.compile(r"什么时候|什么地方|哪一年|哪一天|哪个国家|什么|哪一个|哪一种|哪个|哪些|哪种|哪家|哪位|哪里|哪儿|哪年|"
                      r"谁|何时|何地|何处|何种|何")
# "什么样", "怎样": a description is asked for, not a phrase.
_DESCRIBE = re.compile(r"什么样|怎样|怎么样|如何|为什么|为何")
# Where a mirrored answer stops: a clause ends, or a bracket opens.
_STOP = re.compile(r"[，,。；;：:！？!?（(\[【「“\"\s]")
# Glue between the matched question words and the answer: "位于是…" never starts an answer.
_GLUE = "是为了在于的着：:，,、"
_TAIL = "的而之了"
MAX_LEAD = 20  # characters: a longer span is not a short answer


def mirror_span(question: str, sentence: str) -> Span | None:
    """The words of `sentence` in the place of the question word, when the sentence repeats
    the (at least two) characters before it; up to the words after it, or the clause's end."""
    q = question_text(question)
    m = _WH_NOUN.search(q)
    if not m or _DESCRIBE.search(q) or m.start() < 2:
        return None
    folded = "".join(f if len(f) == 1 else ch for ch in sentence for f in [fold(ch)])
    left, right = q[:m.start()], q[m.end():]
    start = -1
    for n in range(min(len(left), 8), 1, -1):
        i = folded.find(left[-n:])
        if i >= 0:
            start = i + n
            break
    if start < 0:
        return None
    while start < len(folded) and folded[start] in _GLUE:
        start += 1
    stop = _STOP.search(folded, start)
    end = stop.start() if stop else len(folded)
    for n in range(min(len(right), 6), 1, -1):
        if folded.startswith(right[:n], start):  # "参加什么综艺节目" ~ "参加综艺节目《奔跑吧兄弟》"
            start, right = start + n, right[n:]
            break
    for n in range(min(len(right), 6), 1, -1):  # the question's words after the question word close it
        j = folded.find(right[:n], start + 1, end + n)
        if j > start:
            end = j
            break
    text = sentence[start:end].strip().rstrip(_TAIL)
    if not text or len(text) > MAX_LEAD or fold(text) in q:
        return None
    return Span(start, start + len(text), "", text)


def lead(span: str, answer: str) -> str:
    """`answer` (quotes with markers) led by its short answer, in bold."""
    return f"**{span}**：{answer}"
