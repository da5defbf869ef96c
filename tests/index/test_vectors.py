"""The vector index: choice by size, recall tuned against exact search, files read in blocks."""
from __future__ import annotations

import numpy as np
import pytest

from rag.errors import RagError
from rag.index.npyfile import NpyWriter, npy_blocks
from rag.index.vectors import (FLAT_UP_TO_BYTES, RefinedIndex, TARGET_RECALL, VectorIndexSpec, build_index, choose_spec,
                         exact_search, load_index, nlist_for, recall_at_k, save_index, search)


def _clustered(n: int, dim: int = 32, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around cluster centres, like embeddings of texts on a few topics."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    v = centres[rng.integers(clusters, size=n)] + 0.6 * rng.standard_normal((n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_choice_by_size():
    small = FLAT_UP_TO_BYTES // (512 * 4)
    assert choose_spec(small, dim=512).kind == "flat"
    big = choose_spec(1_000_000, dim=512)
    assert (big.kind, big.nlist, big.refine) == ("ivf_sq8", 1024, 4)
    assert choose_spec(1_000_000, "flat").kind == "flat" and choose_spec(1_000_000, "ivf").refine == 0
    assert choose_spec(100, "ivf_sq8").kind == "flat"  # too few vectors to train clusters
    with pytest.raises(RagError, match="unknown vector index 'hnsw'"):
        choose_spec(10, "hnsw")


def test_nlist_grows_like_sqrt():
    assert nlist_for(1_000_000) == 1024 and nlist_for(100_000) == 256
    assert nlist_for(1000) * 40 <= 1000


def test_exact_search_matches_numpy(tmp_path):
    v = _clustered(3000)
    q = _clustered(20, seed=5)
    want = np.argsort(-(q @ v.T), axis=1, kind="stable")[:, :10]
    path = tmp_path / "v.npy"
    np.save(path, v)
    for source in (v, path):
        got = exact_search(source, q, 10)
        assert recall_at_k(got, want) == 1.0


def test_recall_at_k_hand_example():
    assert recall_at_k(np.array([[1, 2, -1]]), np.array([[2, 3, 1]])) == pytest.approx(2 / 3)


@pytest.mark.parametrize("kind", ["ivf_sq8", "ivf"])
def test_ivf_is_tuned_to_the_recall_target(tmp_path, kind):
    v = _clustered(20_000)
    path = tmp_path / "embeddings.npy"
    np.save(path, v)
    tune_q, test_q = _clustered(200, seed=11), _clustered(200, seed=12)
    index, spec = build_index(path, choose_spec(len(v), kind), queries=tune_q)
    assert spec.kind == kind and spec.recall >= TARGET_RECALL and spec.tuned_on == 200
    assert 1 <= spec.nprobe <= spec.nlist
    save_index(index, tmp_path / "vectors.faiss")
    loaded = load_index(tmp_path / "vectors.faiss", spec)
    assert isinstance(loaded, RefinedIndex) == (kind == "ivf_sq8")
    assert loaded.ntotal == len(v) and loaded.d == v.shape[1]
    found = search(loaded, test_q, 10)[0]
    assert recall_at_k(found, exact_search(v, test_q, 10)) >= TARGET_RECALL


def test_refined_index_needs_its_vectors(tmp_path):
    v = _clustered(5000)
    index, spec = build_index(v, VectorIndexSpec("ivf_sq8", 16, 4, refine=4))
    save_index(index, tmp_path / "vectors.faiss")
    with pytest.raises(OSError):
        load_index(tmp_path / "vectors.faiss", spec)  # embeddings.npy is not there
    np.save(tmp_path / "embeddings.npy", v[:10])
    with pytest.raises(ValueError, match="disagrees"):
        load_index(tmp_path / "vectors.faiss", spec)


def test_flat_is_exact_and_pads_missing_results():
    v = _clustered(50)
    index, spec = build_index(v, choose_spec(len(v)))
    assert spec.kind == "flat"
    ids, scores = search(index, v[:3], 100)
    assert ids.shape == (3, 50) and list(ids[:, 0]) == [0, 1, 2]
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_npy_written_and_read_in_blocks(tmp_path):
    v = _clustered(1000, dim=8)
    path = tmp_path / "v.npy"
    w = NpyWriter(path, 1000, 8)
    for start in range(0, 1000, 300):
        w.write(v[start:start + 300])
    w.close()
    np.testing.assert_array_equal(np.load(path), v)
    np.testing.assert_array_equal(np.concatenate(list(npy_blocks(path, block=64))), v)
    w = NpyWriter(tmp_path / "short.npy", 10, 8)
    with pytest.raises(ValueError):
        w.write(np.zeros((3, 4), dtype=np.float32))
    w.write(np.zeros((3, 8), dtype=np.float32))
    with pytest.raises(ValueError, match="wrote 3 of 10"):
        w.close()
