"""The FAISS index that holds the chunk vectors, laid out by size: exact search while it is fast,
inverted lists (IVF-Flat) past that, with the number of lists probed chosen by measured recall.

Both layouts keep the chunk's own id with its vector and delete by id, which is what the
store's add, replace and remove need. (llama-index wraps indexes in `IndexIDMap2`, but FAISS's
id map over IVF lists loses track of ids after a deletion, so IVF holds the ids itself.)
"""

from __future__ import annotations

import numpy as np

# Exact search reads every vector: about 2 ms per 10,000 on two cores (README), so 10 ms at
# 50,000. Past that, inverted lists read a few percent of them.
APPROXIMATE_FROM = 50_000
TARGET_RECALL = 0.97  # recall@10 against exact search, measured on stored vectors at build time
RECALL_QUERIES = 256
FIRST_PROBES = 8
TRAINING_PER_LIST = 50  # k-means points per list: FAISS warns under 39


def exact(dimension: int):
    """Inner product (cosine on normalised vectors) over every vector, with external ids."""
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def is_approximate(index) -> bool:
    import faiss

    return isinstance(index, faiss.IndexIVF)


def describe(index) -> str:
    """The layout in a few words, for `assistant info`."""
    if is_approximate(index):
        return f"IVF-Flat, {index.nlist} lists, {index.nprobe} probed"
    return "exact (flat inner product)"


def refit(index):
    """The index to use from now on for what `index` holds: a rebuilt one when its size calls
    for the other layout (or for four times the lists it was trained with), else None.

    The switch back to exact search waits until half the threshold, so an index near it does
    not flip at every ingest."""
    count = index.ntotal
    if is_approximate(index):
        if count < APPROXIMATE_FROM // 2:
            vectors, ids = contents(index)
            rebuilt = exact(index.d)
            rebuilt.add_with_ids(vectors, ids)
            return rebuilt
        if suits(index, count):
            return None
    elif count < APPROXIMATE_FROM:
        return None
    return approximate(*contents(index))


def suits(trained, count: int) -> bool:
    """Whether inverted lists trained as `trained` are still right for `count` vectors."""
    return is_approximate(trained) and count >= APPROXIMATE_FROM // 2 and list_count(count) < 2 * trained.nlist


def empty_copy(index):
    """The trained lists of `index` without its vectors: what training costs, kept to be filled again."""
    import faiss

    copy = faiss.clone_index(index)
    copy.reset()
    return copy


def approximate(vectors: np.ndarray, ids: np.ndarray, target_recall: float = TARGET_RECALL):
    """IVF-Flat over `vectors` (L2-normalised rows) with their `ids`: about sqrt(n) lists,
    and the fewest probed lists that find `target_recall` of the exact top 10 for a sample of
    the vectors themselves used as queries."""
    import faiss

    dimension = vectors.shape[1]
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, list_count(len(vectors)), faiss.METRIC_INNER_PRODUCT)
    index.train(sample(vectors, TRAINING_PER_LIST * index.nlist, seed=1))
    index.add_with_ids(vectors, ids)
    index.nprobe = calibrate(index, vectors, ids, target_recall)
    return index


def calibrate(index, vectors: np.ndarray, ids: np.ndarray, target_recall: float, k: int = 10) -> int:
    """The fewest probed lists (8, 16, 32, ... or all) whose recall@k against exact search
    reaches `target_recall`, for a sample of the stored vectors used as queries. Vectors without
    clusters end up probing every list: slower, never less exact."""
    import faiss

    queries = sample(vectors, RECALL_QUERIES, seed=2)
    _, positions = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)  # exact, without copying the vectors
    truth = ids[positions]
    probes = FIRST_PROBES
    while True:
        index.nprobe = min(probes, index.nlist)
        _, found = index.search(queries, k)
        if index.nprobe == index.nlist or recall(found, truth) >= target_recall:
            return index.nprobe
        probes *= 2


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true neighbours (rows of ids) that were found."""
    hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth))
    return hits / truth.size


def contents(index) -> tuple[np.ndarray, np.ndarray]:
    """Every vector an index holds and its id, in no particular order."""
    import faiss

    if not is_approximate(index):
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        return index.index.reconstruct_n(0, index.ntotal), ids
    lists = index.invlists
    vectors, ids = [], []
    for number in range(index.nlist):
        size = lists.list_size(number)
        if size:
            ids.append(faiss.rev_swig_ptr(lists.get_ids(number), size).copy())
            codes = faiss.rev_swig_ptr(lists.get_codes(number), size * lists.code_size)
            vectors.append(np.frombuffer(codes, dtype=np.float32).reshape(size, index.d).copy())
    if not ids:
        return np.empty((0, index.d), dtype=np.float32), np.empty(0, dtype=np.int64)
    return np.concatenate(vectors), np.concatenate(ids).astype(np.int64)


def list_count(count: int) -> int:
    """The usual sqrt(n) inverted lists."""
    return max(16, round(np.sqrt(count)))


def sample(vectors: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` rows drawn without replacement (all of them when there are fewer), in order."""
    if count >= len(vectors):
        return vectors
    rows = np.random.default_rng(seed).choice(len(vectors), size=count, replace=False)
    return vectors[np.sort(rows)]
