"""The tokenizer section of the packed file: SentencePiece pieces, scores, specials, normalization map.

multilingual-e5-small uses XLM-R's SentencePiece Unigram vocabulary: 250,002 pieces
whose index is the model's token id (`<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, ...,
`<mask>` 250001), each with a log-probability score. The packed file also carries
the per-codepoint normalization map of XLM-R's `nmt_nfkc` rules (4,837 entries:
full-width -> ASCII, compatibility forms, control characters removed, odd spaces
-> U+0020), which both the reference tokenizer (`rag.models.reftok`) and the
rebuilt HF tokenizer (`rag.models.hftokenizer`) apply.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .errors import PackedFormatError
from .q4format import PackedFile


@dataclass(frozen=True)
class Vocab:
    """Pieces and scores (index = token id), special ids, and the normalization map.

    `normalization` maps a codepoint to its replacement string ("" removes it).
    """

    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]

    @property
    def mask(self) -> int | None:
        """Id of `<mask>` when the vocabulary has it (XLM-R puts it last)."""
        return len(self.pieces) - 1 if self.pieces and self.pieces[-1] == "<mask>" else None

    @property
    def specials(self) -> dict[str, int]:
        """Control tokens by text: `<s>`, `<pad>`, `</s>`, `<unk>` and `<mask>` when present."""
        out = {self.pieces[i]: i for i in (self.bos, self.pad, self.eos, self.unk)}
        if self.mask is not None:
            out[self.pieces[self.mask]] = self.mask
        return out


def read_vocab(packed: PackedFile) -> Vocab:
    """Read the tokenizer section that starts at `packed.vocab_offset`."""
    data, pos = packed.data, packed.vocab_offset

    def take(n: int) -> np.ndarray:
        nonlocal pos
        if pos + n > data.size:
            raise PackedFormatError(f"{packed.path}: truncated tokenizer section at byte {pos + n}")
        out = data[pos:pos + n]
        pos += n
        return out

    n, bos, eos, pad, unk, blob_len = struct.unpack("<5iQ", take(28).tobytes())
    offsets = take(4 * (n + 1)).view("<u4").astype(np.int64)
    scores = take(4 * n).view("<f4").astype(np.float32)
    blob = take(blob_len).tobytes()
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets) <= 0):
        raise PackedFormatError(f"{packed.path}: piece offsets are not increasing within the {blob_len}-byte blob")
    try:
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
    except UnicodeDecodeError:
        raise PackedFormatError(f"{packed.path}: a vocabulary piece is not valid UTF-8") from None
    for name, ident in (("bos", bos), ("eos", eos), ("pad", pad), ("unk", unk)):
        if not 0 <= ident < n:
            raise PackedFormatError(f"{packed.path}: {name} id {ident} is outside the {n}-piece vocabulary")
    n_norm, norm_bytes = struct.unpack("<iI", take(8).tobytes())
    raw = take(norm_bytes).tobytes()
    normalization: dict[int, str] = {}
    at = 0
    for _ in range(n_norm):
        if at + 5 > len(raw):
            raise PackedFormatError(f"{packed.path}: the normalization map ends early")
        cp, count = struct.unpack_from("<IB", raw, at)
        at += 5
        outs = struct.unpack_from(f"<{count}I", raw, at)
        at += 4 * count
        normalization[cp] = "".join(map(chr, outs))
    if at != len(raw):
        raise PackedFormatError(f"{packed.path}: {len(raw) - at} stray bytes after the normalization map")
    return Vocab(pieces, scores, bos, eos, pad, unk, normalization)
