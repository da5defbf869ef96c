"""Optional login for `rag serve`: `--auth user:pass` (or RAG_AUTH), and a warning when a server
that anyone on the network can reach has none."""
from __future__ import annotations

import sys

from rag.errors import RagError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_auth(value: str) -> tuple[str, str] | None:
    """`user:pass` -> ("user", "pass"); empty -> None (no login). The password may hold colons.

    >>> parse_auth("ann:s3:cret")
    ('ann', 's3:cret')
    """
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise RagError("--auth (RAG_AUTH) must be user:password, both non-empty, e.g. --auth ann:correct-horse")
    return user.strip(), password


def warn_if_open(host: str, auth: tuple[str, str] | None) -> str | None:
    """The warning printed when listening beyond this machine without a login (None if there is none)."""
    if host in LOOPBACK or auth is not None:
        return None
    line = (f"warning: listening on {host} without a login: anyone who can reach this machine can use the chat "
            "and the API; pass --auth user:password (or RAG_AUTH) to require one")
    print(line, file=sys.stderr, flush=True)
    return line
