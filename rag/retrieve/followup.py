"""Follow-up questions: turn "那抖音呢？" into a question that stands on its own.

The deterministic rules (used when no LLM rewrites the question):

* "那X呢？" swaps X into the previous question, in place of the word of the same
  kind that weighs most there (a name for a name, a thing for a thing):
  "京东有多少品牌成交额破亿？" + "那抖音呢？" -> "抖音有多少品牌成交额破亿？";
* "他/她…" puts the person last named in the conversation in place of the pronoun;
* any other short or pointing question keeps the previous question as light context.

>>> from rag.text.tokenize import Tokenizer
>>> h = [Message("user", "京东有多少品牌成交额破亿？"), Message("assistant", "…[1]")]
>>> resolve("那抖音呢？", h, Tokenizer(), lambda t: 1.0).question
'抖音有多少品牌成交额破亿？'
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Protocol, Sequence

from rag.text.lexicon import ENTITY, is_name, word_class
from rag.text.tokenize import Tokenizer, fold
from rag.types import FollowUp, Message

_POINTING = re.compile(r"^(那|那么|还有|另外|其中|再|也)|呢[？?]?$|[他她它其该此]|这个|那个|这些|那些|这家|这位|上述|前者|后者|同期|然后")
_SWAP = re.compile(r"^(?:那|那么|还有|那如果是)?\s*(.{1,16}?)\s*(?:呢|怎么样|如何|又如何|的情况)\s*[？?]?$")
_PERSON = re.compile(r"(?<!其)[他她](?!们)")
_MARKERS = re.compile(r"\[\d+\]")


Rule = Callable[[str, Sequence[Message]], FollowUp]


class Rewrite(Protocol):
    """A model's rewrite of a follow-up (`rag.retrieve.rewrite.Rewriter`)."""

    def __call__(self, question: str, history: Sequence[Message]) -> FollowUp: ...


class FollowUpResolver:
    """The one place a turn's question is made standalone, once, for retrieval and answering:
    by the model (`rewrite`) when one is configured and `ready()` says it can be used,
    else by the deterministic `rule`."""

    def __init__(self, rule: Rule, rewrite: Rewrite | None = None,
                 ready: Callable[[], bool] | None = None) -> None:
        self.rule, self.rewrite, self.ready = rule, rewrite, ready

    def __call__(self, question: str, history: Sequence[Message] = ()) -> FollowUp:
        if self.rewrite is None:
            return self.rule(question, history)
        if not history:
            return FollowUp(question, question)
        if self.ready is not None and not self.ready():
            rule = self.rule(question, history)
            return replace(rule, by="none" if rule.question == question else "rule",
                           reason="the model is not available")
        return self.rewrite(question, history)


def is_followup(question: str, history: Sequence[Message]) -> bool:
    if not any(m.role == "user" for m in history):
        return False
    q = question.strip()
    return len(q) <= 12 or bool(_POINTING.search(q))


def _last(history: Sequence[Message], role: str) -> str:
    text = next((m.content for m in reversed(history) if m.role == role), "")
    return _MARKERS.sub("", text.split("\n\n")[0])[:400]


def resolve(question: str, history: Sequence[Message], tokenizer: Tokenizer,
            weight: Callable[[str], float]) -> FollowUp:
    if not is_followup(question, history):
        return FollowUp(question, question)
    prev_q, prev_a = _last(history, "user"), _last(history, "assistant")
    m = _SWAP.match(question.strip())
    if m:
        swapped = _swap(prev_q, m.group(1), tokenizer, weight)
        if swapped:
            return FollowUp(swapped, swapped)
    if _PERSON.search(question):
        person = _last_person(prev_a, tokenizer) or _last_person(prev_q, tokenizer)
        if person:
            q = _PERSON.sub(person, question, count=1)
            return FollowUp(q, f"{q} {prev_q}", prev_q)
    return FollowUp(question, f"{question} {question} {prev_q}", prev_q)


def _swap(prev_q: str, new: str, tokenizer: Tokenizer, weight: Callable[[str], float]) -> str | None:
    new_toks = tokenizer.tokens(new)
    if not new_toks or not prev_q:
        return None
    want_name = any(is_name(t) for t in new_toks)
    folded = fold(prev_q)
    olds = [t for t in tokenizer.tokens(prev_q)
            if is_name(t) == want_name and not t[0].isdigit() and t in folded and t not in new_toks]
    if not olds:
        return None
    old = max(olds, key=weight)
    start = folded.index(old)
    return prev_q[:start] + new + prev_q[start + len(old):]


def _last_person(text: str, tokenizer: Tokenizer) -> str | None:
    """The last word that looks like a person's name: found by the segmenter's HMM, not a known word."""
    from rag.text.tokenize import default_words

    people = [t for t in tokenizer.tokens(text)
              if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", t) and word_class(t) == ENTITY
              and not is_name(t) and t not in default_words()]
    return people[-1] if people else None


def retrieval_query(question: str, history: Sequence[Message], tokenizer: Tokenizer | None = None,
                    weight: Callable[[str], float] | None = None) -> str:
    return resolve(question, history, tokenizer or Tokenizer(), weight or (lambda t: 1.0)).retrieval
