"""Benchmarks of the search indexes (`assistant bench` runs them): FAISS index types on synthetic
vectors at 10k/100k/1M, and the keyword (BM25) index built, saved, loaded and queried.

The FAISS part uses synthetic vectors: clustered (real embeddings are, and uniform random ones
make every approximate index look worse than it is), of the embedding's dimension, L2-normalised.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ..config import SAMPLE_ARTICLE
from ..store import layouts
from .metrics import percentile

DIMENSION = 384  # multilingual-e5-small
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
QUERIES = 200
K = 10
MAX_BUILD_S = 240.0  # an index whose build is projected longer than this is skipped at that size
KEYWORD_QUERY = "Où Milley a-t-il rencontré Zaluzhny ?"


# -- keywords ----------------------------------------------------------------------------------


def bench_keywords(sizes=QUICK_SIZES, passages_file: Path | None = None, queries: int = 20) -> list[dict]:
    """The keyword index's term counts built from n chunks (what writing one segment of n chunks
    does), saved, then loaded (what opening an index does), and its query time. The chunks are 110
    words drawn from real French paragraphs (the sample article's when `passages_file` is missing)."""
    import random

    import numpy as np

    from ..store import keywords

    source = Path(passages_file) if passages_file else None
    text = " ".join(json.loads(line)["text"] for line in source.open()) if source and source.is_file() else SAMPLE_ARTICLE.read_text(encoding="utf-8")
    words, draw = text.split(), random.Random(0)
    rows = []
    for n in sizes:
        texts = [" ".join(draw.choices(words, k=110)) for _ in range(n)]
        folder = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
        try:
            started = time.perf_counter()
            built = keywords.TermCounts.of(texts)
            build_s = time.perf_counter() - started
            built.save(folder)
            started = time.perf_counter()
            loaded = keywords.TermCounts.load(folder)
            load_s = time.perf_counter() - started
            alive = np.ones(n, dtype=bool)
            timings = []
            for _ in range(queries):
                started = time.perf_counter()
                keywords.search([(loaded, alive, None)], KEYWORD_QUERY, 20)
                timings.append(time.perf_counter() - started)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        rows.append({"chunks": n, "build_s": build_s, "load_s": load_s, "query_p50_ms": 1000 * percentile(timings, 50)})
    return rows


def keywords_table(rows: list[dict]) -> str:
    lines = ["| chunks | term counts built s (one segment) | loaded s (each opening) | query p50 ms |", "| ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['chunks']:,} | {r['build_s']:.1f} | {r['load_s']:.2f} | {r['query_p50_ms']:.1f} |" for r in rows]
    return "\n".join(lines)


# -- FAISS -------------------------------------------------------------------------------------


def synthetic_vectors(n: int, seed: int, dimension: int = DIMENSION, clusters: int = 1000, spread: float = 0.6) -> np.ndarray:
    """`n` L2-normalised vectors around `clusters` fixed centres (the same centres for every seed)."""
    centres = np.random.default_rng(0).standard_normal((clusters, dimension), dtype=np.float32)
    rng = np.random.default_rng(seed)
    vectors = np.empty((n, dimension), dtype=np.float32)
    for start in range(0, n, 100_000):  # in blocks: 1M vectors take 1.5 GB, their noise as much again
        end = min(n, start + 100_000)
        block = centres[rng.integers(clusters, size=end - start)]
        block += spread * rng.standard_normal(block.shape, dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        vectors[start:end] = block
    return vectors


def index_factories(n: int) -> dict:
    """Index type -> (build function returning (index, training seconds), settings).
    Inner product is cosine on normalised vectors."""
    import faiss

    lists = layouts.list_count(n)
    probes = 16

    def flat(x):
        index = faiss.IndexFlatIP(DIMENSION)
        index.add(x)
        return index, 0.0

    def hnsw(x):
        index = faiss.IndexHNSWFlat(DIMENSION, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.add(x)
        index.hnsw.efSearch = 64
        return index, 0.0

    def ivf_flat(x):  # what the store switches to past layouts.APPROXIMATE_FROM
        return layouts.approximate(x, np.arange(len(x), dtype=np.int64)), 0.0

    def ivf_pq(x):
        index = faiss.IndexIVFPQ(faiss.IndexFlatIP(DIMENSION), DIMENSION, lists, 48, 8, faiss.METRIC_INNER_PRODUCT)
        index.pq.cp.max_points_per_centroid = 40  # ~10k points for the 48 sub-quantizers: their k-means dominates training
        trained = _train(index, layouts.sample(x, max(layouts.TRAINING_PER_LIST * lists, 10_000), seed=1))
        index.add(x)
        index.nprobe = probes
        return index, trained

    return {
        "Flat": (flat, "exact (IndexFlatIP)"),
        "HNSW32": (hnsw, "efConstruction=40, efSearch=64"),
        "IVF-Flat": (ivf_flat, f"nlist={lists}, nprobe calibrated to recall@10 {layouts.TARGET_RECALL} at build"),
        "IVF-PQ48": (ivf_pq, f"nlist={lists}, 48 x 8-bit codes, nprobe={probes}"),
    }


def _train(index, sample: np.ndarray) -> float:
    started = time.perf_counter()
    index.train(sample)
    return time.perf_counter() - started


def bench_faiss(sizes=SIZES, queries: int = QUERIES, max_build_s: float = MAX_BUILD_S, spread: float = 0.6, kinds: tuple[str, ...] | None = None) -> list[dict]:
    """Build time, memory (serialized size), single-query latency p50/p95 and recall@10 against
    exact search, per index type and size. A type whose build is projected to exceed `max_build_s`
    is skipped at that size: adding is projected linearly from the previous size, training (on a
    sample: about constant) as it was. `spread` is the noise around the cluster centres (0.6:
    tight clusters; 1.2 blurs them; 3 or more is nearly uniform); `kinds` names the index types
    to build (all by default)."""
    import faiss

    rows: list[dict] = []
    previous: dict[str, tuple[int, float, float]] = {}  # index type -> (vectors, add s, train s)
    query_vectors = synthetic_vectors(queries, seed=99, spread=spread)
    for n in sizes:
        base = synthetic_vectors(n, seed=n, spread=spread)
        exact = faiss.IndexFlatIP(DIMENSION)
        exact.add(base)
        _, truth = exact.search(query_vectors, K)
        del exact
        for name, (build, detail) in index_factories(n).items():
            if kinds is not None and name not in kinds:
                continue
            if name in previous:
                size, adding, training = previous[name]
                projected = training + adding * n / size
                if projected > max_build_s:
                    rows.append({"vectors": n, "index": name, "detail": detail, "skipped": f"build projected at {projected:.0f} s"})
                    continue
            started = time.perf_counter()
            index, train_s = build(base)
            build_s = time.perf_counter() - started
            previous[name] = (n, build_s - train_s, train_s)
            latencies, found = [], []
            for i in range(queries):
                t = time.perf_counter()
                _, ids = index.search(query_vectors[i : i + 1], K)
                latencies.append((time.perf_counter() - t) * 1000)
                found.append(len(set(ids[0].tolist()) & set(truth[i].tolist())) / K)
            rows.append(
                {
                    "vectors": n,
                    "index": name,
                    "detail": f"nlist={index.nlist}, nprobe={index.nprobe} (calibrated)" if layouts.is_approximate(index) else detail,
                    "queries": queries,
                    "build_s": build_s,
                    "memory_mb": _index_bytes(index) / 1e6,
                    "p50_ms": percentile(latencies, 50),
                    "p95_ms": percentile(latencies, 95),
                    "recall@10": sum(found) / len(found),
                }
            )
            del index
        del base
    return rows


def _index_bytes(index) -> int:
    """The serialized size: what the index holds in memory, give or take a few allocations."""
    import faiss

    handle, path = tempfile.mkstemp(suffix=".faiss")
    os.close(handle)
    try:
        faiss.write_index(index, path)
        return os.path.getsize(path)
    finally:
        os.unlink(path)


def faiss_table(rows: list[dict]) -> str:
    import faiss

    lines = [
        f"FAISS {faiss.__version__}, {DIMENSION}-dim clustered synthetic vectors, "
        f"{next((r['queries'] for r in rows if 'queries' in r), QUERIES)} single-vector queries, "
        f"k={K}, {faiss.omp_get_max_threads()} threads; memory = serialized index size.\n",
        "| vectors | index | settings | build s | memory MB | search p50 ms | search p95 ms | recall@10 vs exact |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['vectors']:,} | {r['index']} | {r['detail']} | skipped: {r['skipped']} | | | | |")
        else:
            lines.append(
                f"| {r['vectors']:,} | {r['index']} | {r['detail']} | {r['build_s']:.1f} | {r['memory_mb']:.0f} "
                f"| {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['recall@10']:.3f} |"
            )
    return "\n".join(lines)
