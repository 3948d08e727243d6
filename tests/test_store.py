import dataclasses
import json

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.config import Settings
from assistant.errors import IndexStoreError
from assistant.ingest.indexing import Indexer
from assistant.store import FolderStore, folder, live, local, records
from assistant.types import Article, Chunk
from tests.conftest import HashEmbedding, ScriptedGenerator

PONT = Article(id="pont", title="Un pont sur le Rhône", text="Le maire de Lyon a inauguré lundi un nouveau pont sur le Rhône. " * 3)
VELO = Article(id="velo", title="Vélos à Paris", text="La ville de Paris ouvre cent kilomètres de pistes cyclables cet été.")
FROMAGE = Article(id="fromage", title="Fromages", text="Le comté est affiné pendant au moins quatre mois dans le Jura.")
IDENTITY = {"embed_model": "test/hash-bag-of-words", "query_prefix": "", "passage_prefix": ""}
CHUNKING = {"max_chars": 700, "overlap_chars": 200, "splitter": "assistant.sentences/1"}


def open_store(index_dir) -> FolderStore:
    return FolderStore(index_dir, HashEmbedding(), IDENTITY, CHUNKING)


def ids(hits) -> list[str]:
    return [hit.node.metadata["article_id"] for hit in hits]


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


def test_a_change_writes_one_segment_and_touches_no_other(make_assistant, tmp_path):
    assistant = make_assistant()
    assistant.ingest_articles([PONT, VELO])
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "index").glob("seg-*/*")}
    assistant.ingest_articles([FROMAGE])
    assistant.remove("velo")
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "index").glob("seg-*/*")}
    assert {p: after[p] for p in before} == before, "the first segment's files were rewritten"
    assert len({p.parent for p in after} - {p.parent for p in before}) == 1
    catalog = folder.Catalog.read(tmp_path / "index", folder.live_catalog(tmp_path / "index"))
    assert catalog.segments[0]["removed"] == ["velo"]


def test_records_keep_every_article_field_but_the_text(tmp_path):
    @dataclasses.dataclass(frozen=True)
    class Signed(Article):
        author: str | None = None

    store = open_store(tmp_path)
    article = Signed(id="a", title="T", text="Un texte sur le pont.", source="Le Monde", date="2024-05-01", url="https://x", author="Lise")
    store.write(put=[(article, records.make_nodes(article, [Chunk(0, 21, article.text)]))])
    record = open_store(tmp_path).articles()["a"]
    assert record["author"] == "Lise" and record["source"] == "Le Monde" and record["date"] == "2024-05-01"
    assert "text" not in record and record["chars"] == 21 and record["node_ids"] == ["a::0"]


def test_vectors_added_after_a_deletion_keep_their_own_ids(make_assistant):
    assistant = make_assistant()
    assistant.ingest_articles([PONT, VELO])
    assistant.remove("pont")
    assistant.ingest_articles([FROMAGE])
    dense = assistant.store.dense  # BM25 alone would hide the bug
    assert ids(dense("pistes cyclables Paris", 2)) == ["velo", "fromage"]
    assert ids(dense("comté affiné Jura", 2)) == ["fromage", "velo"]


@pytest.mark.parametrize("failing", ["write_segment", "commit"])
def test_a_failed_write_leaves_the_previous_index_loadable(make_assistant, tmp_path, monkeypatch, failing):
    assistant = make_assistant()
    assistant.ingest_articles([PONT])
    before = folder.live_catalog(tmp_path / "index")
    real = getattr(folder, failing)

    def crash(index_dir, *args):
        if failing == "write_segment":  # half a segment on disk, then the disk is full
            (index_dir / ".staging-crash").mkdir()
        raise OSError("disk full")

    monkeypatch.setattr(folder, failing, crash)
    with pytest.raises(OSError):
        assistant.ingest_articles([VELO])
    monkeypatch.setattr(folder, failing, real)
    assert folder.live_catalog(tmp_path / "index") == before
    assert [a["id"] for a in assistant.articles()] == ["pont"], "memory holds what is on disk"
    assert [a["id"] for a in make_assistant().articles()] == ["pont"]
    assistant.ingest_articles([VELO])
    assert sorted(a["id"] for a in make_assistant().articles()) == ["pont", "velo"]


def test_an_interrupted_embedding_writes_nothing(make_assistant, tmp_path, monkeypatch):
    assistant = make_assistant()
    assistant.ingest_articles([PONT])
    monkeypatch.setattr(HashEmbedding, "_get_text_embedding", lambda self, text: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        assistant.ingest_articles([VELO])
    monkeypatch.undo()
    assert [a["id"] for a in make_assistant().articles()] == ["pont"]


def test_a_large_ingest_is_searchable_by_keywords_first_and_a_killed_one_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(live, "SEGMENT_CHUNKS", 2)
    store = open_store(tmp_path)
    articles = [Article(id=f"a{i}", title=f"N° {i}", text=f"Le marché k{i} ouvre ses portes au quartier q{i}.") for i in range(5)]
    calls = []

    def interrupted(self, text):
        calls.append(text)
        if len(calls) > 2:  # the first segment's two chunks, then a Ctrl-C
            raise KeyboardInterrupt
        return HashEmbedding._vector(self, text)

    monkeypatch.setattr(HashEmbedding, "_get_text_embedding", interrupted)
    indexer = Indexer(store, HashEmbedding(), 700, 200, keywords_first_from=1)
    with pytest.raises(KeyboardInterrupt):
        indexer.ingest(articles)
    monkeypatch.undo()
    reopened = open_store(tmp_path)
    assert len(reopened.articles()) == 5 and reopened.info()["waiting_for_vectors"] == 3
    assert ids(reopened.keywords("k4 q4", 1)) == ["a4"], "findable by keywords before it has vectors"
    assert "a4" not in ids(reopened.dense("marché k4 q4", 5)), "dense search does not see chunks without vectors"
    assert ids(reopened.dense("marché k1 q1", 1)) == ["a1"], "the segment embedded before the interruption stays"
    report = Indexer(reopened, HashEmbedding(), 700, 200, keywords_first_from=1).ingest(articles)
    assert report.unchanged == [a.id for a in articles]
    assert reopened.info()["waiting_for_vectors"] == 0
    assert ids(reopened.dense("marché k4 q4", 1)) == ["a4"]


def test_searches_can_be_restricted_to_some_articles(make_assistant):
    assistant = make_assistant()
    assistant.ingest_articles([PONT, VELO, FROMAGE])
    store = assistant.store
    assert ids(store.dense("pont Rhône Lyon", 3, among=["velo", "fromage"]))[0] != "pont"
    assert set(ids(store.dense("pont Rhône Lyon", 3, among=["velo", "fromage"]))) <= {"velo", "fromage"}
    assert ids(store.keywords("pistes cyclables Paris", 3, among=["pont"])) == []
    assert ids(store.keywords("pistes cyclables Paris", 3, among=["velo", "missing"])) == ["velo"]
    assert store.dense("pont", 3, among=[]) == [] and store.keywords("pont", 3, among=[]) == []


def test_opening_with_another_embedding_model_is_refused_naming_both(make_assistant, tmp_path):
    make_assistant().ingest_articles([PONT])

    class Other(HashEmbedding):
        def __init__(self):
            super().__init__()
            self.model_name = "other/model"

    with pytest.raises(IndexStoreError) as error:
        Assistant(Settings(index_dir=tmp_path / "index"), embed_model=Other(), generator=ScriptedGenerator())
    assert "test/hash-bag-of-words" in str(error.value) and "other/model" in str(error.value)


def test_an_index_of_the_old_format_names_the_migration(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 1, **IDENTITY}))
    with pytest.raises(IndexStoreError, match="assistant migrate --from"):
        open_store(tmp_path)


def test_manifest_records_model_dimension_chunking_and_versions(make_assistant, tmp_path):
    make_assistant().ingest_articles([PONT])
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["embed_model"] == "test/hash-bag-of-words"
    assert manifest["dimension"] == 256 and manifest["format"] == records.FORMAT_VERSION
    assert manifest["chunking"]["max_chars"] == 700
    assert "llama-index-core" in manifest["versions"]


def test_old_catalogs_and_unnamed_segments_are_swept(make_assistant, tmp_path):
    assistant = make_assistant()
    for article in (PONT, VELO, FROMAGE, PONT, VELO):
        assistant.ingest_articles([article])
        assistant.remove(article.id)
    assert len(list((tmp_path / "index").glob("catalog-*.json"))) == folder.KEPT_CATALOGS
    catalogs = [folder.Catalog.read(tmp_path / "index", p.name) for p in (tmp_path / "index").glob("catalog-*.json")]
    named = {s["name"] for c in catalogs for s in c.segments}
    assert {p.name for p in (tmp_path / "index").glob("seg-*")} == named


def test_many_small_writes_are_merged_into_few_segments(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "MAX_SEGMENTS", 4)
    store = open_store(tmp_path)
    indexer = Indexer(store, HashEmbedding(), 700, 200)
    for i in range(12):
        indexer.ingest([Article(id=f"a{i}", title=f"N° {i}", text=f"Le musée k{i} ouvre au quartier q{i}.")])
    indexer.remove("a3")
    reopened = open_store(tmp_path)
    assert reopened.info()["segments"] <= 4 and len(reopened.articles()) == 11
    for i in (0, 5, 11):
        assert ids(reopened.dense(f"musée k{i} q{i}", 1)) == [f"a{i}"] and ids(reopened.keywords(f"k{i}", 1)) == [f"a{i}"]
    assert "a3" not in ids(reopened.keywords("k3 q3", 5))


def test_missing_or_damaged_index_gives_a_clear_error(tmp_path):
    open_store(tmp_path).write(put=[(PONT, records.make_nodes(PONT, [Chunk(0, 10, PONT.text[:10])]))])
    (tmp_path / "CURRENT").write_text("catalog-gone.json")
    with pytest.raises(IndexStoreError, match="missing"):
        open_store(tmp_path)
    (tmp_path / "catalog-gone.json").write_text("{not json")
    with pytest.raises(IndexStoreError, match="damaged"):
        open_store(tmp_path)


def test_a_large_index_searches_inverted_lists_and_still_adds_replaces_and_removes(make_assistant, monkeypatch):
    from assistant.store import layouts

    monkeypatch.setattr(layouts, "APPROXIMATE_FROM", 40)
    words = "pont vélo fromage train port forêt musée école marché stade".split()
    articles = [Article(id=f"a{i}", title=f"N° {i}", text=f"Le {words[i % 10]} k{i} ouvre ses portes au quartier q{i // 10}.") for i in range(60)]
    assistant = make_assistant()
    assistant.ingest_articles(articles)

    def dense(a, question, among=None):
        hits = a.store.dense(question, 1, among=among)
        return a.info()["vector_search"].startswith("IVF"), ids(hits)

    assert dense(assistant, "k17 q1") == (True, ["a17"])
    assert dense(assistant, "k17 q1", among=["a20", "a21"])[1][0] in ("a20", "a21")
    assert assistant.info()["vector_search"].startswith("IVF-Flat, 16 lists")
    assistant.ingest_articles([Article(id="a17", title="N° 17", text="La bibliothèque k17 ferme ses portes.")])
    assistant.remove("a5")
    reopened = make_assistant()
    assert dense(reopened, "bibliothèque k17") == (True, ["a17"])
    assert "a5" not in [p.article_id for p in reopened.search("stade k5 q0", 5)]
    for i in range(6, 46):
        reopened.remove(f"a{i}")
    assert dense(reopened, "k50 q5") == (False, ["a50"]), "under half the threshold: exact again"


def test_keyword_scores_are_bm25s_scores_over_segments(tmp_path):
    import random

    import Stemmer
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    from assistant.store import keywords

    words = "Le général Milley a rencontré son homologue Zaluzhny près de la frontière polonaise mardi soir".split()
    draw = random.Random(0)
    texts = [" ".join(draw.choices(words, k=12)) for _ in range(200)]
    nodes = [TextNode(text=t, id_=str(i)) for i, t in enumerate(texts)]
    question = "Où Milley a-t-il rencontré Zaluzhny ?"
    bm25 = BM25Retriever.from_defaults(nodes=nodes, stemmer=Stemmer.Stemmer("french"), language="french", similarity_top_k=10)
    expected = sorted(round(hit.score, 4) for hit in bm25.retrieve(question))
    halves = [keywords.TermCounts.of(texts[:120]), keywords.TermCounts.of(texts[120:])]
    hits = keywords.search([(halves[0], np.ones(120, bool), None), (halves[1], np.ones(80, bool), None)], question, 10)
    assert sorted(round(score, 4) for _, _, score in hits) == expected
    assert keywords.tokens("affinait") == keywords.tokens("affiné"), "French stemming"


def embedded(article: Article):
    nodes = records.make_nodes(article, [Chunk(0, len(article.text), article.text)])
    for node in nodes:
        node.embedding = HashEmbedding().get_text_embedding(node.text)
    return article, nodes


def test_another_store_on_the_same_folder_sees_commits_on_its_next_read(tmp_path):
    reader, writer = open_store(tmp_path), open_store(tmp_path)
    writer.write(put=[embedded(PONT)])
    assert ids(reader.keywords("pont", 1)) == ["pont"] and ids(reader.dense("pont", 1)) == ["pont"]
    writer.write(remove=["pont"])
    assert reader.keywords("pont", 1) == [] and reader.articles() == {}


def test_the_keyword_benchmark_builds_saves_loads_and_queries(tmp_path):
    from assistant.lab.bench_search import bench_keywords, keywords_table

    [row] = bench_keywords((200,), tmp_path / "missing.jsonl", queries=3)  # the sample article's words
    assert row["chunks"] == 200 and row["build_s"] > 0 and row["load_s"] > 0 and row["query_p50_ms"] > 0
    assert "| 200 |" in keywords_table([row])


def test_merged_term_counts_score_as_counts_of_the_same_texts():
    from assistant.store import keywords

    texts = ["Le comté du Jura est affiné", "Le pont sur le Rhône", "Paris ouvre des pistes cyclables", "Le Jura et le Rhône"]
    first, second = keywords.TermCounts.of(texts[:2]), keywords.TermCounts.of(texts[2:])
    merged = keywords.TermCounts.merged([(first, np.array([1])), (second, np.array([0, 1]))])
    direct = keywords.TermCounts.of([texts[1], texts[2], texts[3]])
    alive = np.ones(3, dtype=bool)
    for question in ("Rhône", "Jura Paris", "pistes"):
        assert keywords.search([(merged, alive, None)], question, 3) == keywords.search([(direct, alive, None)], question, 3)


def test_the_size_on_disk_skips_a_file_a_writer_swept_while_it_was_counted(tmp_path, monkeypatch):
    from assistant.store import local

    (tmp_path / "kept").write_bytes(b"12345")
    (tmp_path / ".staging-x").mkdir()
    (tmp_path / ".staging-x" / "terms.json").write_bytes(b"123")
    real_stat = local.os.stat

    def swept(path, *args, **kwargs):  # the writer renamed its staging folder after the listing
        if "staging" in str(path):
            raise FileNotFoundError(path)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(local.os, "stat", swept)
    assert local._bytes_on_disk(tmp_path) == 5


def test_merges_copy_the_small_segments_and_leave_the_large_ones_alone(tmp_path, monkeypatch):
    """Four large segments and single-article writes: only the small ones are merged."""
    monkeypatch.setattr(local, "MAX_SEGMENTS", 6)
    store = open_store(tmp_path)
    indexer = Indexer(store, HashEmbedding(), 700, 200)
    for n in range(4):
        indexer.ingest([Article(id=f"big{n}-{i}", title="Gros", text=f"Le dossier {n} numéro {i} sur le quartier q{i}.") for i in range(40)])
    large = set(store._parts)
    for i in range(30):
        indexer.ingest([Article(id=f"a{i}", title=f"N° {i}", text=f"Le musée k{i} ouvre au quartier q{i}.")])
        assert store.info()["segments"] <= 6 and large <= set(store._parts), f"after {i + 1} small writes"
    assert len(open_store(tmp_path).articles()) == 190 and store.info()["segments"] < 6 + 1
