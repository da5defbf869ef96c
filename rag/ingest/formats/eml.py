"""E-mail .eml (standard library `email`, `policy.default`).

The subject (RFC 2047 encoded words decoded) is the title; From, To, Cc and Date go
to metadata and to a short "邮件信息" section, so "who wrote, when" can be found;
the body is the text/plain part, or the text/html one made plain when there is no
plain part. Attachments are listed in `metadata["attachments"]` (name, type, size)
and not read. A part that declares GB2312 or GBK is decoded as GB18030 (its
superset), and an undeclared or wrong charset falls back to detection.
"""
from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from rag.types import Document

from rag.ingest.documents import html_to_text
from rag.ingest.loader import decode
from ._base import LEAD, Builder, UnreadableDocument, clean_line, clean_text

INFO = "邮件信息"
_HEADER_LINE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,40}):[ \t]*\S")
_KNOWN = {"from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "received", "return-path",
          "content-type", "content-transfer-encoding", "reply-to", "delivered-to", "sender", "in-reply-to",
          "references", "x-mailer", "user-agent", "thread-topic", "thread-index"}
_DECISIVE = {"from", "received", "message-id", "mime-version", "return-path", "delivered-to"}
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}


def looks_like_email(text: str) -> bool:
    """True when the text starts with RFC 822 headers (From:, Date:, Message-ID: …).

    >>> looks_like_email("From: a@example.com\\nSubject: =?utf-8?b?5L2g5aW9?=\\nDate: Mon, 1 Jan 2024 09:00:00 +0800\\n\\nhi")
    True
    >>> looks_like_email("标题：双11\\n链接：https://example.com")
    False
    """
    names: set[str] = set()
    for line in text.split("\n")[:60]:
        line = line.rstrip("\r")
        if not line:
            break
        if line[0] in " \t" and names:  # a folded header's continuation
            continue
        m = _HEADER_LINE_RE.match(line)
        if not m:
            if line.startswith("From ") and not names:  # an mbox "From " line
                continue
            return False
        names.add(m.group(1).lower())
    known = names & _KNOWN
    return len(known) >= 2 and bool(known & _DECISIVE)


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    if not isinstance(payload, bytes):
        return str(payload)
    charset = (part.get_content_charset() or "").lower()
    charset = _CHARSET_ALIASES.get(charset, charset)
    if charset:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    decoded = decode(payload)
    return decoded[0] if decoded else payload.decode("utf-8", "replace")


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg[name]
    except Exception:  # noqa: BLE001 - a malformed header must not lose the mail
        return ""
    return clean_line(str(value or ""))


class EmlReader:
    def read(self, path: Path) -> Document:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableDocument(f"cannot read it ({exc.strerror or exc})") from exc
        try:
            msg = email.message_from_bytes(data, policy=policy.default)
        except Exception as exc:  # noqa: BLE001
            raise UnreadableDocument(f"not a valid e-mail: {exc}") from exc
        if not isinstance(msg, EmailMessage) or not (msg.keys() or msg.get_payload()):
            raise UnreadableDocument("not a valid e-mail: no headers")
        subject = _header(msg, "subject")
        meta: dict[str, object] = {"format": "eml"}
        info = [f"主题：{subject}"] if subject else []
        for name, label in (("from", "发件人"), ("to", "收件人"), ("cc", "抄送"), ("date", "日期")):
            value = _header(msg, name)
            if value:
                meta[name] = value
                info.append(f"{label}：{value}")
        if meta.get("date"):
            try:
                meta["date_iso"] = parsedate_to_datetime(str(meta["date"])).isoformat()
            except (TypeError, ValueError, IndexError):
                pass
        body, body_type = "", ""
        for kind in ("plain", "html"):  # an empty plain part does not hide the HTML one
            try:
                part = msg.get_body(preferencelist=(kind,))
            except Exception:  # noqa: BLE001
                part = None
            if part is None:
                continue
            text = _part_text(part)
            if kind == "html":
                text = html_to_text(text)
            if text.strip():
                body, body_type = text, part.get_content_type()
                break
        meta["body_type"] = body_type
        attachments = []
        try:
            for att in msg.iter_attachments():
                payload = att.get_payload(decode=True)
                attachments.append({
                    "filename": clean_line(att.get_filename() or ""),
                    "content_type": att.get_content_type(),
                    "size": len(payload) if isinstance(payload, bytes) else 0,
                })
        except Exception:  # noqa: BLE001 - a broken attachment is only not listed
            pass
        meta["attachments"] = attachments
        b = Builder()
        b.add(INFO, "\n".join(info))
        b.add(LEAD, clean_text(body).strip(), show_title=False)
        return b.document(path, subject, meta)
