"""The line under the chat that says, in plain words, what answered the last question and how long it took."""
from __future__ import annotations

from typing import Sequence

from .chat import Turn
from .render import h
from .status import answerer_label, retrieval_label


def status_html(turns: Sequence[Turn]) -> str:
    """'由 抽取式回答（逐字引用原文）作答 · 词法检索（BM25） · 用时 0.02 秒', or nothing before the first answer."""
    last = turns[-1] if turns else None
    if last is None:
        return '<div class="rag-status"></div>'
    if last.answer is None:
        return '<div class="rag-status">上一个问题没有得到回答（出错）。</div>'
    mode = last.answer.mode
    seconds = last.answer.timings_ms.get("total_ms", 0.0) / 1000
    took = f"{seconds:.2f} 秒" if seconds < 10 else f"{seconds:.0f} 秒"
    what = "没有找到依据，未作答" if last.answer.refused else f"由{answerer_label(str(mode.get('answerer', '')))}作答"
    return (f'<div class="rag-status">{h(what)} · {h(retrieval_label(str(mode.get("retrieval", ""))))}'
            f' · 用时 {h(took)}</div>')
