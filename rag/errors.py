"""One base exception for the project. Messages are one line and say what to do next."""
from __future__ import annotations


class RagError(Exception):
    """Any failure a user should see as a one-line message."""


class IndexMissing(RagError):
    """No index at the given path."""


class IndexMismatch(RagError):
    """The index was built with another format, model or settings."""


class IndexDamaged(RagError):
    """A file of the index is missing, truncated or altered."""


class DocumentError(RagError):
    """A source document cannot be read."""


class ModelUnavailable(RagError):
    """A model is not available locally (and may not be downloaded)."""


class BackendError(RagError):
    """A generation backend failed (server down, timeout, garbage output)."""


class MissingDependency(RagError):
    """An optional dependency is not installed."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"the optional dependency '{module}' is not installed: "
            f"run `pip install torch==2.13.0 -e \".[{extra}]\"`"
        )
        self.module = module
        self.extra = extra
