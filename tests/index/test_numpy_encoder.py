"""The torch-free query encoder gives sentence-transformers' vectors, for BERT and XLM-RoBERTa folders."""
from pathlib import Path

import numpy as np
import pytest

from rag.index.numpy_encoder import NumpyEncoder, Unsupported, gelu, read_safetensors

TEXTS = ["天猫双11有多少品牌成交额破亿？", "京东以旧换新", "What about 2024 年 growth?", "x", "破亿" * 200]
VOCAB_TEXT = "".join(TEXTS) + "abcdefghijklmnopqrstuvwxyz"


def _tiny(folder: Path, kind: str) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    from tiny_models import char_vocab

    torch.manual_seed(1)
    tok = BertTokenizerFast(vocab=char_vocab(VOCAB_TEXT), do_lower_case=True, tokenize_chinese_chars=True)
    common = dict(vocab_size=len(tok.get_vocab()), hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=96, max_position_embeddings=130)
    model = (BertModel(BertConfig(**common)) if kind == "bert"
             else XLMRobertaModel(XLMRobertaConfig(pad_token_id=1, **common)))
    model.save_pretrained(folder / "hf")
    tok.save_pretrained(folder / "hf")
    word = models.Transformer(str(folder / "hf"), max_seq_length=96)
    get_dim = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
    st = SentenceTransformer(modules=[word, models.Pooling(get_dim(), pooling_mode="mean"), models.Normalize()],
                             device="cpu")
    st.save(str(folder / "st"))
    return folder / "st"


@pytest.mark.parametrize("kind", ["bert", "xlm-roberta"])
def test_same_vectors_as_sentence_transformers(tmp_path, kind):
    from sentence_transformers import SentenceTransformer

    folder = _tiny(tmp_path, kind)
    expected = SentenceTransformer(str(folder), device="cpu").encode(TEXTS, normalize_embeddings=True)
    got = NumpyEncoder(folder).embed(TEXTS)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.min(np.sum(got * expected, axis=1)) > 0.9999  # the long text is cut at max_seq_length too


def test_gelu_is_the_exact_one():
    import math

    xs = np.linspace(-6, 6, 101)
    exact = np.array([0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in xs])
    assert np.max(np.abs(gelu(xs) - exact)) < 1e-6


def test_bf16_tensors_are_read_as_float32(tmp_path):
    import torch
    from safetensors.torch import save_file

    t = torch.tensor([[1.5, -2.25], [0.0, 3.0]], dtype=torch.bfloat16)
    save_file({"bert.a": t}, str(tmp_path / "w.safetensors"))
    got = read_safetensors(tmp_path / "w.safetensors")
    assert list(got) == ["a"] and got["a"].dtype == np.float32
    assert got["a"].tolist() == [[1.5, -2.25], [0.0, 3.0]]


def test_an_unknown_folder_is_unsupported(tmp_path):
    with pytest.raises(Unsupported):
        NumpyEncoder(tmp_path)
