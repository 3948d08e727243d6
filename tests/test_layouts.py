import faiss
import numpy as np
import pytest

from assistant.lab.bench_search import synthetic_vectors
from assistant.store import layouts as vectors


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(vectors, "APPROXIMATE_FROM", 2_000)


def filled(x: np.ndarray, first_id: int = 100):
    index = vectors.exact(x.shape[1])
    index.add_with_ids(x, np.arange(first_id, first_id + len(x), dtype=np.int64))
    return index


def exact_top(index, queries: np.ndarray, k: int = 10) -> np.ndarray:
    return index.search(queries, k)[1]


def test_an_index_stays_exact_below_the_threshold(small_threshold):
    assert vectors.refit(filled(synthetic_vectors(1_999, seed=1, dimension=32, clusters=50))) is None


def test_past_the_threshold_inverted_lists_find_what_exact_search_finds(small_threshold):
    x = synthetic_vectors(4_000, seed=1, dimension=32, clusters=50)
    exact = filled(x)
    approximate = vectors.refit(exact)
    assert vectors.is_approximate(approximate) and approximate.ntotal == 4_000
    assert approximate.nprobe < approximate.nlist, "clustered vectors need only some of the lists"
    queries = synthetic_vectors(200, seed=2, dimension=32, clusters=50)  # not the calibration sample
    assert vectors.recall(approximate.search(queries, 10)[1], exact_top(exact, queries)) >= 0.95


def test_vectors_without_structure_are_probed_until_the_recall_holds(small_threshold):
    # Uniform random directions have no clusters: recall is kept by probing more lists, not lost.
    x = synthetic_vectors(4_000, seed=1, dimension=32, clusters=50, spread=5.0)
    approximate = vectors.refit(filled(x))
    queries = synthetic_vectors(100, seed=2, dimension=32, clusters=50, spread=5.0)
    assert vectors.recall(approximate.search(queries, 10)[1], exact_top(filled(x), queries)) >= 0.95


def test_contents_return_every_vector_with_its_id_in_both_layouts(small_threshold):
    x = synthetic_vectors(3_000, seed=1, dimension=32, clusters=50)
    for index in (filled(x), vectors.refit(filled(x))):
        found, ids = vectors.contents(index)
        order = np.argsort(ids)
        assert np.array_equal(ids[order], np.arange(100, 3_100)) and np.allclose(found[order], x)


def test_inverted_lists_delete_by_id_and_go_back_to_exact_search_at_half_the_threshold(small_threshold):
    x = synthetic_vectors(3_000, seed=1, dimension=32, clusters=50)
    approximate = vectors.refit(filled(x))
    approximate.remove_ids(np.arange(100, 1_100, dtype=np.int64))  # 2,000 left: still approximate
    assert vectors.refit(approximate) is None
    assert not set(approximate.search(x[:50], 10)[1].ravel().tolist()) & set(range(100, 1_100))
    approximate.remove_ids(np.arange(1_100, 2_101, dtype=np.int64))  # 999 left: under half
    exact = vectors.refit(approximate)
    assert isinstance(exact, faiss.IndexIDMap2) and exact.ntotal == 999
    assert sorted(vectors.contents(exact)[1].tolist()) == list(range(2_101, 3_100))


def test_a_grown_index_is_trained_again_with_more_lists(small_threshold):
    x = synthetic_vectors(40_000, seed=1, dimension=16, clusters=50)
    approximate = vectors.refit(filled(x[:2_500]))
    approximate.add_with_ids(x[2_500:9_000], np.arange(2_600, 9_100, dtype=np.int64))  # sqrt grows < 2x
    assert vectors.refit(approximate) is None
    approximate.add_with_ids(x[9_000:], np.arange(9_100, 40_100, dtype=np.int64))
    again = vectors.refit(approximate)
    assert again.nlist >= 2 * approximate.nlist and again.ntotal == 40_000
