"""Answer -> chat markdown and sources HTML. Every piece of document or user text is escaped here.

Gradio sanitizes chat messages only in the browser and `gr.HTML` not at all, so
nothing from a document (title, body, url) or from a user reaches the page as
markup: it is escaped on the server, and only http(s) urls become links.

>>> print(md_escape('<img src=x onerror=alert(1)> [x](javascript:x) 373个[1]'))
&lt;img src=x onerror=alert\\(1\\)&gt; \\[x\\]\\(javascript\\:x\\) 373个[1]
>>> safe_url("javascript:alert(1)") is None, safe_url(" https://example.com/a?b=1 ")
(True, 'https://example.com/a?b=1')
"""
from __future__ import annotations

import html
import re
from typing import Sequence
from urllib.parse import urlsplit

from rag.render import where
from rag.types import Answer, Citation

# C0/C1 controls (newline and tab kept) and bidi/zero-width marks that can disguise text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# Markdown that could link, embed, run code blocks (mermaid) or math: escaped with a backslash.
# Emphasis, lists and headings stay, so an LLM's formatting still renders.
_MD_ACTIVE = re.compile(r"([\\`\[\]()!:@$~{}])")
# Citation markers stay as typed (so a copied answer reads "[1]", not "\[1\]"). They cannot become links:
# with every ":" escaped no reference definition can exist, and a "(" after one is escaped too.
_MARKER = re.compile(r"\[\d{1,3}\]")
_WWW = re.compile(r"(?i)(www)\.")
CURSOR = " ▍"


def clean(text: str) -> str:
    """Remove control characters; keep newlines and tabs."""
    return _CONTROL.sub("", text or "")


def md_escape(text: str) -> str:
    """Text that a Markdown + HTML renderer shows literally: no tag, link, autolink, code fence or math."""
    text = clean(text)
    out, pos = [], 0
    for m in _MARKER.finditer(text):
        out += [_escape_plain(text[pos:m.start()]), m.group(0)]
        pos = m.end()
    return "".join(out + [_escape_plain(text[pos:])])


def _escape_plain(text: str) -> str:
    text = _MD_ACTIVE.sub(r"\\\1", text)
    text = _WWW.sub(r"\1\\.", text)
    return html.escape(text, quote=False)


def h(text: str) -> str:
    """HTML-escape text for an element or an attribute."""
    return html.escape(clean(text), quote=True)


def safe_url(url: str) -> str | None:
    """The url when it is a plain http(s) link; None for any other scheme or a suspicious string."""
    url = (url or "").strip()
    if not url or _CONTROL.search(url) or re.search(r"[\s\"'<>`\\]", url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def user_markdown(question: str, limit: int) -> str:
    """The user's message as shown in the chat; an overlong one is shown cut, with its length."""
    text = clean(question).strip()
    if len(text) > limit:
        return md_escape(text[:limit]) + f"\n\n*…（共 {len(text):,} 字，只用了前 {limit:,} 字）*"
    return md_escape(text)


def answer_markdown(text: str, citations: Sequence[Citation] = (), notes: Sequence[str] = (),
                    pending: bool = False) -> str:
    """The assistant's chat message: the answer, then a one-line list of its numbered sources."""
    out = md_escape(text.strip()) if text.strip() else ("*正在检索…*" if pending else "")
    if pending:
        return out + CURSOR
    if citations:
        # The url rides along in an HTML comment: not shown, but a copied answer (ui/page.js) lists it.
        refs = "；".join(f"[{c.n}] {md_escape(c.title)}" + (f" · {md_escape(where(c))}" if where(c) else "")
                        + (f"<!-- {safe_url(c.url)} -->" if safe_url(c.url) else "") for c in citations)
        out += f"\n\n<small>来源：{refs}</small>"
    for note in notes:
        out += f"\n\n<small>注：{md_escape(note)}</small>"
    return out


def highlight(c: Citation) -> str:
    """The cited passage as HTML, its supporting sentence in <mark>."""
    text = c.text
    a, b = c.quote_start - c.start, c.quote_end - c.start
    if not (c.quote and 0 <= a < b <= len(text) and text[a:b] == c.quote):
        a = text.find(c.quote) if c.quote else -1
        b = a + len(c.quote)
    if a < 0 or not c.quote:
        return h(text)
    return f"{h(text[:a])}<mark>{h(text[a:b])}</mark>{h(text[b:])}"


def title_html(c: Citation) -> str:
    url = safe_url(c.url)
    if url:
        host = urlsplit(url).netloc
        return (f'<a class="rag-title" href="{h(url)}" target="_blank" rel="noopener noreferrer nofollow">'
                f'{h(c.title) or h(host)}</a> <span class="rag-host">{h(host)}</span>')
    link = f' <span class="rag-url">{h(c.url)}</span>' if c.url.strip() else ""
    return f'<span class="rag-title">{h(c.title) or "（无标题）"}</span>{link}'


def source_html(c: Citation) -> str:
    section = f'<div class="rag-section">章节：{h(where(c))}</div>' if where(c) else ""  # page/slide/rows · file
    return (f'<li class="rag-source" id="rag-source-{c.n}"><div class="rag-head"><span class="rag-n">[{c.n}]</span> '
            f'{title_html(c)}</div>{section}<blockquote class="rag-passage">{highlight(c)}</blockquote></li>')


def sources_html(answer: Answer | None = None, pending: bool = False) -> str:
    """The sources panel for one answer (or its empty / pending state)."""
    if pending:
        body = '<p class="rag-muted">正在检索和作答…</p>'
    elif answer is None:
        body = '<p class="rag-muted">提问后，这里列出回答引用的原文段落，支持回答的句子会高亮显示。</p>'
    elif not answer.citations:
        reason = "没有找到能支持回答的段落。" if answer.refused else "这个回答没有引用来源。"
        body = f'<p class="rag-muted">{reason}</p>'
    else:
        body = '<ol class="rag-list">' + "".join(source_html(c) for c in answer.citations) + "</ol>"
    count = f"（{len(answer.citations)}）" if answer is not None and answer.citations and not pending else ""
    return f'<div class="rag-sources"><div class="rag-sources-title">来源{count}</div>{body}</div>'


def error_markdown(message: str) -> str:
    return f"⚠️ {md_escape(message)}"
