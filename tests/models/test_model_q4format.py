"""Reading the packed file: Q4_0 blocks worked by hand, header and directory checks, the vocabulary section."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from e5_tinypack import NORMALIZATION, PIECES, SCORES, q4_block, tiny_packed

from rag.errors import RagError
from rag.models.errors import PackedFormatError
from rag.models.q4format import dequantize_q4, open_packed
from rag.models.vocab import read_vocab


def test_block_worked_by_hand() -> None:
    # scale 0.25 (fp16 0x3400); byte j holds weight j in its low nibble, weight j+16 in its high nibble.
    body = bytes([0x80, 0xF0, 0x0F, 0x79] + [0x88] * 12)
    block = struct.pack("<H", 0x3400) + body
    w = dequantize_q4(block)
    assert w.dtype == np.float32 and w.shape == (32,)
    # low nibbles: 0x0, 0x0, 0xF, 0x9 -> (q-8)*0.25
    assert w[:4].tolist() == [-2.0, -2.0, 1.75, 0.25]
    # high nibbles: 0x8, 0xF, 0x0, 0x7
    assert w[16:20].tolist() == [0.0, 1.75, -2.0, -0.25]
    assert w[4:16].tolist() == [0.0] * 12 and w[20:].tolist() == [0.0] * 12


def test_negative_and_subnormal_scales() -> None:
    nib = list(range(16)) + list(range(15, -1, -1))
    two = q4_block(-1.5, nib) + struct.pack("<H", 0x0001) + bytes([0xF0] * 16)  # smallest fp16 subnormal
    w = dequantize_q4(two)
    assert w[:16].tolist() == [(q - 8) * -1.5 for q in range(16)]
    assert w[16:32].tolist() == [(q - 8) * -1.5 for q in range(15, -1, -1)]
    tiny = np.float32(2.0 ** -24)
    assert w[32:48].tolist() == [float(-8 * tiny)] * 16 and w[48:].tolist() == [float(7 * tiny)] * 16


def test_partial_block_is_an_error() -> None:
    with pytest.raises(PackedFormatError):
        dequantize_q4(bytes(17))


def test_tiny_file_round_trip(tmp_path: Path) -> None:
    m = tiny_packed(tmp_path / "tiny.bin")
    packed = open_packed(tmp_path / "tiny.bin")
    h = packed.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.vocab_size, h.max_positions) == (32, 1, 2, 64, 12, 16)
    for name, values in m.weights.items():
        got = packed.tensor(name)
        assert got.shape == values.shape, name
        assert np.array_equal(got, values), name
    assert np.array_equal(packed.tensor("l0.fi.w", slice(5, 9)), m.weights["l0.fi.w"][5:9])


def test_tiny_vocab(tmp_path: Path) -> None:
    tiny_packed(tmp_path / "tiny.bin")
    v = read_vocab(open_packed(tmp_path / "tiny.bin"))
    assert v.pieces == PIECES and v.scores.tolist() == SCORES
    assert (v.bos, v.eos, v.pad, v.unk, v.mask) == (0, 2, 1, 3, 10)
    assert v.normalization == NORMALIZATION


def test_truncated_file_is_one_line_error(tmp_path: Path) -> None:
    tiny_packed(tmp_path / "tiny.bin")
    data = (tmp_path / "tiny.bin").read_bytes()
    for cut in (10, 200, len(data) - 5):
        (tmp_path / "cut.bin").write_bytes(data[:cut])
        with pytest.raises(RagError) as info:
            open_packed(tmp_path / "cut.bin")
        assert "\n" not in str(info.value) and ("truncated" in str(info.value) or "short" in str(info.value))


def test_wrong_magic_and_version(tmp_path: Path) -> None:
    tiny_packed(tmp_path / "tiny.bin")
    data = bytearray((tmp_path / "tiny.bin").read_bytes())
    (tmp_path / "magic.bin").write_bytes(b"GGUF" + data[4:])
    with pytest.raises(PackedFormatError, match="not a packed e5 model"):
        open_packed(tmp_path / "magic.bin")
    data[4:8] = struct.pack("<I", 2)
    (tmp_path / "v2.bin").write_bytes(bytes(data))
    with pytest.raises(PackedFormatError, match="version 2"):
        open_packed(tmp_path / "v2.bin")
    with pytest.raises(PackedFormatError, match="cannot read"):
        open_packed(tmp_path / "absent.bin")


@pytest.mark.model
def test_real_file_header(packed, vocab) -> None:
    h = packed.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.vocab_size, h.max_positions, h.type_vocab_size) == (
        384, 12, 12, 1536, 250037, 512, 2)
    assert len(vocab.pieces) == 250002 and vocab.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert vocab.pieces[-1] == "<mask>" and len(vocab.normalization) == 4837
    assert vocab.normalization[0x3000] == " " and vocab.normalization[0xFF0C] == ","
    word = packed.tensor("emb.word", slice(0, 4))
    assert word.shape == (4, 384) and np.isfinite(word).all()
