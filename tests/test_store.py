import json

import pytest

from assistant.api import Assistant
from assistant.config import Settings
from assistant.errors import IndexStoreError
from assistant.store import ArticleIndex, live_version
from assistant.types import Article
from tests.conftest import HashEmbedding, ScriptedGenerator

PONT = Article(id="pont", title="Un pont sur le Rhône", text="Le maire de Lyon a inauguré lundi un nouveau pont sur le Rhône. " * 3)
VELO = Article(id="velo", title="Vélos à Paris", text="La ville de Paris ouvre cent kilomètres de pistes cyclables cet été.")
FROMAGE = Article(id="fromage", title="Fromages", text="Le comté est affiné pendant au moins quatre mois dans le Jura.")


def test_ingest_is_incremental_unchanged_replaced_removed(make_assistant, tmp_path):
    assistant = make_assistant()
    report = assistant.ingest_articles([PONT, VELO])
    assert report.added == ["pont", "velo"] and report.chunks_added >= 2
    again = assistant.ingest_articles([PONT, VELO])
    assert again.unchanged == ["pont", "velo"] and again.chunks_added == 0
    changed = Article(id="velo", title=VELO.title, text="La ville de Paris ferme ses pistes cyclables en hiver.")
    assert assistant.ingest_articles([changed]).replaced == ["velo"]
    assert "ferme" in assistant.search("pistes cyclables Paris", 1)[0].text
    assistant.remove("pont")
    reopened = make_assistant()
    assert [a["id"] for a in reopened.articles()] == ["velo"]
    assert all(p.article_id == "velo" for p in reopened.search("pont Rhône Lyon", 5))


def test_vectors_added_after_a_deletion_keep_their_own_ids(make_assistant):
    # FaissMapVectorStore reused ids after deletions: the new article's search would return the old one.
    assistant = make_assistant()
    assistant.ingest_articles([PONT, VELO])
    assistant.remove("pont")
    assistant.ingest_articles([FROMAGE])
    dense = assistant.store.dense  # BM25 alone would hide the bug
    assert [hit.node.metadata["article_id"] for hit in dense("pistes cyclables Paris", 2)] == ["velo", "fromage"]
    assert [hit.node.metadata["article_id"] for hit in dense("comté affiné Jura", 2)] == ["fromage", "velo"]


def test_a_failed_save_leaves_the_previous_index_loadable(make_assistant, tmp_path, monkeypatch):
    assistant = make_assistant()
    assistant.ingest_articles([PONT])
    before = live_version(tmp_path / "index")

    def crash(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("llama_index.core.storage.storage_context.StorageContext.persist", crash)
    with pytest.raises(OSError):
        assistant.ingest_articles([VELO])
    monkeypatch.undo()
    assert live_version(tmp_path / "index") == before
    assert not list((tmp_path / "index").glob(".staging-*"))
    assert [a["id"] for a in assistant.articles()] == ["pont"], "memory rolled back to what is on disk"
    assert [a["id"] for a in make_assistant().articles()] == ["pont"]


def test_an_interrupted_embedding_writes_nothing(make_assistant, tmp_path, monkeypatch):
    assistant = make_assistant()
    assistant.ingest_articles([PONT])
    monkeypatch.setattr(HashEmbedding, "_get_text_embedding", lambda self, text: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        assistant.ingest_articles([VELO])
    monkeypatch.undo()
    assert [a["id"] for a in make_assistant().articles()] == ["pont"]


def test_opening_with_another_embedding_model_is_refused_naming_both(make_assistant, tmp_path):
    make_assistant().ingest_articles([PONT])

    class Other(HashEmbedding):
        def __init__(self):
            super().__init__()
            self.model_name = "other/model"

    with pytest.raises(IndexStoreError) as error:
        Assistant(Settings(index_dir=tmp_path / "index"), embed_model=Other(), generator=ScriptedGenerator())
    assert "test/hash-bag-of-words" in str(error.value) and "other/model" in str(error.value)


def test_manifest_records_model_dimension_chunking_and_versions(make_assistant, tmp_path):
    make_assistant().ingest_articles([PONT])
    manifest = json.loads((live_version(tmp_path / "index") / "manifest.json").read_text())
    assert manifest["embed_model"] == "test/hash-bag-of-words"
    assert manifest["dimension"] == 256
    assert manifest["chunking"]["max_chars"] == 700
    assert "llama-index-core" in manifest["versions"]
    assert manifest["articles"] == 1


def test_old_versions_are_pruned(make_assistant, tmp_path):
    assistant = make_assistant()
    for article in (PONT, VELO, FROMAGE):
        assistant.ingest_articles([article])
    assert len(list((tmp_path / "index").glob("v-*"))) <= 2


def test_missing_or_damaged_index_gives_a_clear_error(tmp_path):
    with pytest.raises(IndexStoreError, match="no index"):
        ArticleIndex.load(tmp_path, HashEmbedding(), {})
    (tmp_path / "CURRENT").write_text("v-gone")
    with pytest.raises(IndexStoreError, match="missing"):
        ArticleIndex.load(tmp_path, HashEmbedding(), {})


def test_a_large_index_searches_inverted_lists_and_still_adds_replaces_and_removes(make_assistant, monkeypatch):
    from assistant.store import layouts as vectors

    monkeypatch.setattr(vectors, "APPROXIMATE_FROM", 40)
    words = "pont vélo fromage train port forêt musée école marché stade".split()
    articles = [Article(id=f"a{i}", title=f"N° {i}", text=f"Le {words[i % 10]} k{i} ouvre ses portes au quartier q{i // 10}.") for i in range(60)]
    assistant = make_assistant()
    assistant.ingest_articles(articles)

    def dense(a, question):
        hits = a.store.dense(question, 1)
        return a.info()["vector_search"].startswith("IVF"), [hit.node.metadata["article_id"] for hit in hits]

    assert dense(assistant, "k17 q1") == (True, ["a17"])
    assert assistant.info()["vector_search"].startswith("IVF-Flat, 16 lists")
    assistant.ingest_articles([Article(id="a17", title="N° 17", text="La bibliothèque k17 ferme ses portes.")])
    assistant.remove("a5")
    reopened = make_assistant()
    assert dense(reopened, "bibliothèque k17") == (True, ["a17"])
    assert "a5" not in [p.article_id for p in reopened.search("stade k5 q0", 5)]
    for i in range(6, 46):
        reopened.remove(f"a{i}")
    assert dense(reopened, "k50 q5") == (False, ["a50"]), "under half the threshold: exact again"


def test_the_keyword_index_is_saved_with_the_vectors_and_loaded_not_rebuilt(make_assistant, tmp_path, monkeypatch):
    from assistant.store import keywords

    make_assistant().ingest_articles([PONT, VELO, FROMAGE])
    assert (live_version(tmp_path / "index") / keywords.FOLDER).is_dir()
    monkeypatch.setattr(keywords, "build", lambda nodes: pytest.fail("opening an index rebuilt its keyword index"))
    reopened = make_assistant()
    # French stemming, kept through saving: « affinait » finds « affiné » (an English stemmer leaves it whole).
    sparse = reopened.store.keywords("affinait", 3)
    assert sparse[0].node.metadata["article_id"] == "fromage" and sparse[0].score > 0


def test_an_index_saved_without_keywords_builds_them_on_opening(make_assistant, tmp_path):
    import shutil

    from assistant.store import keywords

    make_assistant().ingest_articles([PONT, VELO])
    shutil.rmtree(live_version(tmp_path / "index") / keywords.FOLDER)
    assert make_assistant().search("cyclables", 1)[0].article_id == "velo"


def test_the_keyword_benchmark_builds_saves_loads_and_queries(tmp_path):
    from assistant.lab.bench_search import bench_keywords, keywords_table

    [row] = bench_keywords((200,), tmp_path / "missing.jsonl", queries=3)  # the sample article's words
    assert row["chunks"] == 200 and row["build_s"] > 0 and row["load_s"] > 0 and row["query_p50_ms"] > 0
    assert "| 200 |" in keywords_table([row])
