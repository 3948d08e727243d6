"""The chunk vectors of an opened index folder, in memory: one FAISS index over every embedded
segment, laid out by size (`layouts`), changed by adding and removing ids, searched whole or
restricted to some ids.

Ids are the folder's: a segment's chunk in row r has id `first_id + r`.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import layouts

# A restricted search over inverted lists may find fewer than k of the allowed chunks in the
# lists it probes; it searches the allowed chunks exactly when they are this few or fewer.
EXACT_AMONG = 50_000
# Adding or removing fewer vectors than this is one thread's work: OpenMP's start on two busy
# cores took 20 ms to add one article's 6 vectors to inverted lists, against 0.04 ms on one.
ONE_THREAD_BELOW = 10_000


class Vectors:
    """Chunk vectors by id, for inner-product (cosine) search."""

    def __init__(self, dimension: int) -> None:
        self.index = layouts.exact(dimension)

    @property
    def count(self) -> int:
        return self.index.ntotal

    def describe(self) -> str:
        return layouts.describe(self.index)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            with _threads(1 if len(ids) < ONE_THREAD_BELOW else None):
                self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> None:
        import faiss

        if len(ids):
            with _threads(1 if len(ids) < ONE_THREAD_BELOW else None):
                self.index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64)))

    def refit(self, trained: Path | None = None) -> None:
        """Switch layout when the number of vectors calls for it (see `layouts.refit`).

        Training inverted lists takes seconds (7 s at 64,000 vectors on two busy cores) and
        every process that opens the index would pay it: the trained, empty lists are kept in
        the file `trained` and filled again by whoever opens the index while they suit its size."""
        import faiss

        if trained is not None and not layouts.is_approximate(self.index) and self.count >= layouts.APPROXIMATE_FROM:
            kept = _read_trained(trained)
            if kept is not None and kept.d == self.index.d and layouts.suits(kept, self.count):
                kept.add_with_ids(*layouts.contents(self.index))
                self.index = kept
                return
        rebuilt = layouts.refit(self.index)
        if rebuilt is None:
            return
        self.index = rebuilt
        if trained is not None and layouts.is_approximate(rebuilt):
            temporary = trained.with_name(f".{trained.name}.{uuid.uuid4().hex[:6]}")
            try:
                faiss.write_index(layouts.empty_copy(rebuilt), str(temporary))
                os.replace(temporary, trained)  # a cache: any process may write it, the last one wins
            except (OSError, RuntimeError):  # a full disk (FAISS raises RuntimeError): the next process trains again
                temporary.unlink(missing_ok=True)

    def search(self, query: np.ndarray, k: int, among: np.ndarray | None = None, vectors_of=None) -> tuple[np.ndarray, np.ndarray]:
        """The ids and scores of the k nearest vectors, best first.

        Args:
            query: the question's vector.
            k: how many.
            among: only these ids (None: all).
            vectors_of: ids -> their vectors, for an exact search of a few allowed ids.
        """

        k = min(k, self.count)
        if k <= 0 or (among is not None and not len(among)):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        query = np.asarray(query, dtype=np.float32).reshape(1, -1)
        # One question is one thread's work: OpenMP's threads, spinning on cores that other
        # processes need, made eight readers at once search 10,000 vectors at 18 questions/s.
        with _threads(1):
            return self._search(query, k, among, vectors_of)

    def _search(self, query: np.ndarray, k: int, among: np.ndarray | None, vectors_of) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        if among is None:
            scores, ids = self.index.search(query, k)
        elif layouts.is_approximate(self.index) and len(among) <= EXACT_AMONG and vectors_of is not None:
            return exact(query, among, vectors_of(among), k)
        else:
            selector = faiss.IDSelectorBatch(np.asarray(among, dtype=np.int64))
            if layouts.is_approximate(self.index):
                params = faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe)
            else:
                params = faiss.SearchParameters(sel=selector)
            scores, ids = self.index.search(query, k, params=params)
        found = ids[0] >= 0  # FAISS pads with -1 when it finds fewer than k
        return ids[0][found], scores[0][found]


def exact(query: np.ndarray, ids: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best of `ids` by inner product with `query`, computed directly."""
    scores = vectors @ query[0]
    best = np.argsort(-scores, kind="stable")[:k]
    return np.asarray(ids)[best], scores[best]


@contextmanager
def _threads(count: int | None):
    """FAISS's OpenMP threads set to `count` for the block (None: left as they are)."""
    import faiss

    if count is None:
        yield
        return
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


def _read_trained(path: Path):
    import faiss

    try:
        return faiss.read_index(str(path))
    except RuntimeError:  # missing or unreadable: train again
        return None
