"""Query embeddings without torch: a BERT / XLM-RoBERTa encoder in numpy, for fast cold starts.

Importing sentence-transformers costs ~5.5 s on two cores (torch alone ~1.4 s); a question needs one
short forward pass. This module reads the same sentence-transformers folder (config.json,
model.safetensors, tokenizer.json, 1_Pooling/config.json), memory-maps the weights (only the
embedding rows a question uses are ever read) and runs the encoder in float32 numpy. It supports
what the folders this project builds and the common Chinese retrieval models use: BERT or
XLM-RoBERTa encoders, absolute positions, GELU, mean or CLS pooling, optional normalization.
Anything else raises `Unsupported`, and the caller falls back to sentence-transformers.

Passages are embedded by sentence-transformers at build time (batched, bf16); tests check that
this encoder gives the same vectors (cosine >= 0.9999).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from rag.errors import RagError

_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64}
_PREFIXES = ("bert.", "roberta.", "xlm_roberta.", "model.", "0.auto_model.")


class Unsupported(RagError):
    """The folder holds a model this encoder does not implement."""


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file as a read-only memory map (no copy; bf16 -> float32 copies)."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(meta["dtype"])
        if dtype is None:
            raise Unsupported(f"{path.name}: tensor {name} has dtype {meta['dtype']}")
        start, end = meta["data_offsets"]
        arr = data[start:end].view(dtype).reshape(meta["shape"])
        if meta["dtype"] == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        key = name
        for p in _PREFIXES:
            if key.startswith(p):
                key = key[len(p):]
                break
        out[key] = arr
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to a relative error under 1.2e-7 (Numerical Recipes' Chebyshev fit of erfc), vectorized.

    >>> [round(float(v), 6) + 0.0 for v in _erf(np.array([-1.0, 0.0, 0.5, 2.0]))]
    [-0.842701, 0.0, 0.5205, 0.995322]
    """
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    erfc = t * np.exp(-z * z + poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as BERT's "gelu"."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


class NumpyEncoder:
    """`NumpyEncoder(folder).embed(texts) -> float32 (n, dim)`, as SentenceTransformer(folder).encode."""

    def __init__(self, folder: str | Path, max_tokens: int = 512) -> None:
        folder = Path(folder)
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
            modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise Unsupported(f"{folder} is not a sentence-transformers folder this encoder reads: {exc}") from None
        kind = config.get("model_type")
        if kind not in ("bert", "xlm-roberta", "roberta") or config.get("hidden_act", "gelu") != "gelu" \
                or config.get("position_embedding_type", "absolute") != "absolute":
            raise Unsupported(f"model type {kind!r} / activation {config.get('hidden_act')!r} is not supported")
        mode = pooling.get("pooling_mode")  # sentence-transformers 6; older ones set one flag per mode
        if mode == "mean" or pooling.get("pooling_mode_mean_tokens"):
            self.pooling = "mean"
        elif mode == "cls" or pooling.get("pooling_mode_cls_token"):
            self.pooling = "cls"
        else:
            raise Unsupported("only mean or CLS pooling is supported")
        self.normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
        weights = folder / "model.safetensors"
        if not weights.is_file():
            raise Unsupported(f"{folder} has no model.safetensors")
        self.w = read_safetensors(weights)
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        # RoBERTa counts positions from padding_idx + 1 (and gives padding tokens padding_idx).
        self.pad_id = int(config.get("pad_token_id", 1)) if kind != "bert" else None
        self.position_offset = self.pad_id + 1 if self.pad_id is not None else 0
        self.dim = int(config["hidden_size"])
        # sentence-transformers < 6 keeps max_seq_length in its own config; 6 in the tokenizer's.
        for name, key in (("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length")):
            try:
                value = json.loads((folder / name).read_text(encoding="utf-8")).get(key)
            except (OSError, ValueError):
                continue
            if isinstance(value, int) and 0 < value < 100_000:
                max_tokens = min(max_tokens, value)
                break
        self.max_tokens = min(max_tokens, int(config["max_position_embeddings"]) - self.position_offset)
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        self._check_weights()

    def _check_weights(self) -> None:
        needed = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                  "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]
        needed += [f"encoder.layer.{i}.{n}" for i in range(self.layers) for n in (
            "attention.self.query.weight", "attention.self.key.weight", "attention.self.value.weight",
            "attention.output.dense.weight", "attention.output.LayerNorm.weight",
            "intermediate.dense.weight", "output.dense.weight", "output.LayerNorm.weight")]
        missing = [n for n in needed if n not in self.w]
        if missing:
            raise Unsupported(f"weights missing from model.safetensors: {', '.join(missing[:3])}")

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._one(self.tokenizer.encode(text).ids)
        return out

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        y = x @ np.asarray(self.w[name + ".weight"], dtype=np.float32).T
        bias = self.w.get(name + ".bias")
        return y + bias if bias is not None else y

    def _one(self, ids: list[int]) -> np.ndarray:
        w, n = self.w, len(ids)
        x = np.asarray(w["embeddings.word_embeddings.weight"][ids], dtype=np.float32)
        if self.pad_id is None:
            positions = np.arange(n)
        else:
            real = np.asarray(ids) != self.pad_id
            positions = np.cumsum(real) * real + self.pad_id
        x = x + w["embeddings.position_embeddings.weight"][positions]
        if "embeddings.token_type_embeddings.weight" in w:
            x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        h, d = self.heads, self.dim // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = self._linear(x, p + "attention.self.query").reshape(n, h, d).transpose(1, 0, 2)
            k = self._linear(x, p + "attention.self.key").reshape(n, h, d).transpose(1, 0, 2)
            v = self._linear(x, p + "attention.self.value").reshape(n, h, d).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            ctx = (scores / scores.sum(-1, keepdims=True)) @ v
            att = self._linear(ctx.transpose(1, 0, 2).reshape(n, self.dim), p + "attention.output.dense")
            x = layer_norm(att + x, w[p + "attention.output.LayerNorm.weight"],
                           w[p + "attention.output.LayerNorm.bias"], self.eps)
            mid = gelu(self._linear(x, p + "intermediate.dense"))
            x = layer_norm(self._linear(mid, p + "output.dense") + x, w[p + "output.LayerNorm.weight"],
                           w[p + "output.LayerNorm.bias"], self.eps)
        vec = x.mean(0) if self.pooling == "mean" else x[0]
        if self.normalize:
            vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
        return vec.astype(np.float32)
