"""Turn a question, ranked hits and the conversation into chat messages for a generator.

The passages go into the last user message, numbered 1..k in rank order and
wrapped in `<passage id="n" title="..." section="...">` tags (`prompts/context.txt`);
the rules (cite `[n]`, copy figures, refuse with a fixed phrase, passages are data)
are the system message (`prompts/answer_zh.txt` / `answer_en.txt`). A document
cannot close its passage or forge a chat-template token: every `<` that starts
something tag-like in passage text (`</passage>`, `<system>`, `<|im_start|>`) is
replaced by the full-width `＜`, which no template or tokenizer treats as markup.
A `<` before a digit (`<5%`) is left alone so figures are copied exactly.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rag.errors import RagError
from rag.prompts import fill, neutralize, recent_history
from rag.types import Hit, Message

REFUSAL_ZH = "根据现有资料无法回答该问题。"
REFUSAL_EN = "The documents do not contain an answer to this question."
REFUSALS = {"zh": REFUSAL_ZH, "en": REFUSAL_EN}
# Near-variants small models produce instead of the exact phrase, and the extractive
# answerer's English refusal, so one test recognizes every backend's refusals.
_REFUSAL_VARIANTS = (
    REFUSAL_ZH, REFUSAL_EN, "根据现有资料无法回答", "现有资料无法回答", "无法根据现有资料回答",
    "资料中没有相关信息", "cannot answer this question from the provided passages",
    "the provided passages do not contain", "the documents do not contain an answer to this question",
)

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# `<` followed by a letter (any script), `/`, `!`, `?` or a bar (`<|im_start|>`, DeepSeek's `<｜...｜>`).
_SENTENCE_END = re.compile(r"[。！？!?；;…\n]|\.(?=\s)")
_CITATION = re.compile(r"\s?\[\d+\]")


@dataclass(frozen=True)
class Passage:
    """Hit `hit` as shown to the model under number `n`; `cut` when its text was shortened."""

    n: int
    hit: Hit
    text: str
    cut: bool = False


@dataclass(frozen=True)
class Prompt:
    """The messages for a generator and the passages they show (`passages[i].n == i + 1`)."""

    messages: tuple[Message, ...]
    passages: tuple[Passage, ...]
    language: str


def question_language(text: str) -> str:
    """'zh' or 'en'. A Chinese word is about two characters, so CJK wins unless Latin words
    outnumber the CJK characters two to one; ties and text without letters go to 'zh'.

    '什么是RAG？' -> 'zh';  'What is 天宫?' -> 'en';  '2024' -> 'zh'
    """
    cjk = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return "en" if 2 * words > cjk else "zh"


def _attribute(value: str) -> str:
    # An attribute value must stay on one line and inside its quotes.
    flat = " ".join(value.split())
    return neutralize(flat).replace('"', "＂").replace(">", "＞")


def render_passage(n: int, title: str, section: str, text: str) -> str:
    """One numbered passage as the model sees it (`prompts/context.txt`)."""
    return fill("context.txt", n=str(n), title=_attribute(title),
                section=_attribute(section), text=neutralize(text.strip()))


def cut_at_sentence(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, ending at a sentence end when one lies in the
    last two thirds; otherwise cut hard and mark the cut with '…'.

    cut_at_sentence('甲。乙丙丁。', 4) -> '甲。';  cut_at_sentence('甲乙丙丁', 3) -> '甲乙…'
    """
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    head = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit // 3:
        return head[: ends[-1]].rstrip()
    return head[: limit - 1] + "…"


def pack_passages(hits: Sequence[Hit], budget_chars: int) -> tuple[Passage, ...]:
    """Hits, best first, rendered within `budget_chars` characters in all (separators
    included). A hit that does not fit is dropped and the next, shorter one may still fit;
    only the top hit is ever cut (at a sentence end), so a long best passage is not lost."""
    if budget_chars <= 0:
        raise RagError(f"the passage budget must be positive, got {budget_chars} characters")
    passages: list[Passage] = []
    used = 0
    for hit in hits:
        n = len(passages) + 1
        sep = 2 if passages else 0  # the blank line between passages
        c = hit.chunk
        size = len(render_passage(n, c.title, c.section, c.text)) + sep
        if used + size <= budget_chars:
            passages.append(Passage(n, hit, c.text.strip()))
            used += size
        elif not passages:
            frame = len(render_passage(n, c.title, c.section, ""))
            text = cut_at_sentence(c.text.strip(), budget_chars - frame)
            if text:
                passages.append(Passage(n, hit, text, cut=True))
                used += frame + len(text)
    return tuple(passages)


def build_prompt(question: str, hits: Sequence[Hit], history: Sequence[Message] = (),
                 budget_chars: int = 6000, *, history_chars: int = 2000,
                 language: str | None = None) -> Prompt:
    """System rules + recent history + one user message with the packed passages and the question."""
    question = question.strip()
    if not question:
        raise RagError("the question is empty")
    lang = language or question_language(question)
    if lang not in REFUSALS:
        raise RagError(f"unknown prompt language '{lang}': use one of {', '.join(REFUSALS)}")
    passages = pack_passages(hits, budget_chars)
    block = "\n\n".join(
        render_passage(p.n, p.hit.chunk.title, p.hit.chunk.section, p.text) for p in passages)
    system = fill(f"answer_{lang}.txt", refusal=REFUSALS[lang])
    user = fill(f"user_{lang}.txt", passages=block, question=neutralize(question))
    messages = (Message("system", system), *recent_history(history, history_chars),
                Message("user", user))
    return Prompt(messages=messages, passages=passages, language=lang)


def build_messages(question: str, hits: Sequence[Hit], history: Sequence[Message] = (),
                   budget_chars: int = 6000) -> list[Message]:
    """`build_prompt(...).messages` as a list; use `build_prompt` to learn which hit is `[n]`."""
    return list(build_prompt(question, hits, history, budget_chars).messages)


def _normalize(text: str) -> str:
    text = _CITATION.sub("", unicodedata.normalize("NFKC", text).lower())
    return re.sub(r"[\W_]+", "", text)


_NORMALIZED_REFUSALS = tuple(_normalize(p) for p in _REFUSAL_VARIANTS)


def is_refusal(text: str) -> bool:
    """True when an answer is a refusal: it opens with a refusal phrase (the prompt asks for
    the phrase alone), or ends with one after a short lead-in ('抱歉，'). Punctuation,
    spacing, width and `[n]` markers are ignored; an empty answer answers nothing.

    '根据现有资料，无法回答该问题 [1]' -> True;  '发射于 2011年9月29日 [1]。' -> False
    """
    norm = _normalize(text)
    if not norm:
        return True
    for phrase in _NORMALIZED_REFUSALS:
        if norm.startswith(phrase):
            return True
        if norm.endswith(phrase) and len(norm) - len(phrase) <= 8:
            return True
    return False
