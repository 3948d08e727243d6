"""Every store holds to `contract.Store`: the index folder, PostgreSQL (a real server, slow) and the
in-memory store run the same tests, opened through `open_location` as the assistant opens them."""

import dataclasses
import inspect
import os
import re
from pathlib import Path

import psycopg2
import pytest
from llama_index.core.schema import MetadataMode

from assistant.errors import IndexStoreError, InputError
from assistant.ingest.duplicates import minhash_signature
from assistant.store import OPENERS, FolderStore, Store, open_location
from assistant.store.contract import INFO_KEYS, MANIFEST_KEYS
from assistant.store.memory import MemoryStore
from assistant.store.postgres import PostgresStore
from assistant.store.records import make_nodes
from assistant.types import Article, Chunk
from tests import pg
from tests.conftest import HashEmbedding
from tests.test_store import CHUNKING, FROMAGE, IDENTITY, PONT, VELO

STORES = [FolderStore, PostgresStore, MemoryStore]
OTHER = {**IDENTITY, "embed_model": "test/other-model"}
CHANGED = Article(id="pont", title="Un pont sur le Rhône", text="Le pont sur le Rhône est fermé pour travaux jusqu'en juin.")


def open_at(where: str, identity: dict = IDENTITY) -> Store:
    return open_location(where, HashEmbedding(), identity, CHUNKING)


def nodes_of(article: Article, vectors: bool = True):
    nodes = make_nodes(article, [Chunk(0, len(article.text), article.text)])
    for node in nodes if vectors else ():
        node.embedding = HashEmbedding().get_text_embedding(node.get_content(MetadataMode.EMBED))
    return article, nodes


def ids(hits) -> list[str]:
    return [hit.node.metadata["article_id"] for hit in hits]


def best_first(hits) -> bool:
    return all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_a_write_is_found_by_articles_dense_and_keywords(where):
    store = open_at(where)
    store.write(put=[nodes_of(PONT), nodes_of(VELO)])
    records = store.articles()
    assert set(records) == {"pont", "velo"} and "text" not in records["pont"]
    assert records["velo"]["title"] == VELO.title and records["velo"]["chars"] == len(VELO.text) and records["velo"]["node_ids"] == ["velo::0"]
    dense, sparse = store.dense("pont sur le Rhône à Lyon", 2), store.keywords("pistes cyclables à Paris", 2)
    assert ids(dense)[0] == "pont" and ids(sparse) == ["velo"] and best_first(dense)
    assert dense[0].node.text == PONT.text and dense[0].node.metadata["end"] == len(PONT.text)
    assert store.writer() is None, "nobody holds the write lock once the write returned"


def test_the_writer_is_whoever_holds_the_write_lock(where):
    store = open_at(where)
    store.write(put=[nodes_of(PONT)])
    if where.startswith("postgresql"):
        other = psycopg2.connect(where.split("?")[0])  # a writer elsewhere, mid-write
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(hashtext(%s)), pg_backend_pid()", (f"assistant:{store.table}",))
                assert store.writer() == f"backend {cursor.fetchone()[1]}"
        finally:
            other.close()
    elif not where.startswith("memory"):
        from assistant.store.lock import writer_lock

        with writer_lock(Path(where)):
            assert store.writer() == str(os.getpid())
    assert store.writer() is None


def signed(article: Article) -> Article:
    return dataclasses.replace(article, minhash=tuple(minhash_signature(article.text)))


def test_duplicate_candidates_are_the_articles_sharing_a_band_with_a_signature(where):
    store = open_at(where)
    copy = minhash_signature(PONT.text + " Il a coûté quarante millions d'euros.")
    store.write(put=[nodes_of(signed(PONT)), nodes_of(signed(VELO)), nodes_of(FROMAGE)])  # FROMAGE without a signature
    found = store.duplicate_candidates([copy])
    assert found == {"pont": store.articles()["pont"]} and found["pont"]["minhash"] == minhash_signature(PONT.text)
    assert set(store.duplicate_candidates([minhash_signature(VELO.text), copy])) == {"pont", "velo"}
    assert store.duplicate_candidates([minhash_signature(FROMAGE.text), minhash_signature(""), []]) == {}
    store.write(put=[nodes_of(signed(CHANGED))], remove=["velo"])
    assert store.duplicate_candidates([copy, minhash_signature(VELO.text)]) == {}, "the replaced and the removed are forgotten"
    assert set(store.duplicate_candidates([minhash_signature(CHANGED.text)])) == {"pont"}
    assert open_at(where).duplicate_candidates([minhash_signature(CHANGED.text)]) == {"pont": store.articles()["pont"]}


def test_records_are_read_by_id(where):
    store = open_at(where)
    assert store.records(["pont"]) == {}
    store.write(put=[nodes_of(PONT), nodes_of(VELO)])
    assert store.records(["pont", "missing"]) == {"pont": store.articles()["pont"]} and open_at(where).records([]) == {}


def test_rewriting_is_unchanged_or_replaced_and_remove_deletes(where):
    store = open_at(where)
    store.write(put=[nodes_of(PONT)])
    assert (store.status(PONT), store.status(CHANGED), store.status(VELO)) == ("unchanged", "replaced", "added")
    before = store.articles()["pont"]
    store.write(put=[nodes_of(PONT)])
    assert store.articles()["pont"] == before and store.info()["chunks"] == 1
    store.write(put=[nodes_of(CHANGED), nodes_of(VELO)])
    assert store.articles()["pont"]["hash"] != before["hash"] and store.info()["chunks"] == 2, "the old chunks are gone"
    assert "fermé" in store.keywords("pont Rhône", 1)[0].node.text and store.keywords("inauguré lundi", 5) == []
    store.write(remove=["pont", "missing"])
    assert list(store.articles()) == ["velo"] and "pont" not in ids(store.dense("pont Rhône", 5) + store.keywords("pont Rhône", 5))


def test_a_failed_write_leaves_what_was_there(where):
    store = open_at(where)
    store.write(put=[nodes_of(PONT)])
    article, broken = nodes_of(VELO)
    broken[0].embedding = [1.0, 0.0, 0.0]  # not the index's dimension: refused by every store
    with pytest.raises((ValueError, IndexStoreError, psycopg2.Error)):  # as each store says it
        store.write(put=[nodes_of(CHANGED), (article, broken)])
    assert list(store.articles()) == ["pont"] and store.status(PONT) == "unchanged"
    assert ids(store.keywords("inauguré lundi", 1)) == ["pont"] and store.info()["chunks"] == 1


def test_another_store_on_the_same_location_sees_the_first_ones_commits(where):
    reader, writer = open_at(where), open_at(where)
    writer.write(put=[nodes_of(PONT)])
    assert list(reader.articles()) == ["pont"] and ids(reader.keywords("pont", 1)) == ["pont"] and ids(reader.dense("pont", 1)) == ["pont"]
    writer.write(remove=["pont"])
    assert reader.articles() == {} and reader.keywords("pont", 1) == [] and reader.dense("pont", 1) == []


def test_chunks_without_vectors_are_found_by_keywords_and_wait_for_theirs(where):
    store = open_at(where)
    store.write(put=[nodes_of(PONT, vectors=False), nodes_of(VELO, vectors=False)])
    assert store.info()["waiting_for_vectors"] == 2 and store.dense("pont Rhône", 3) == []
    assert ids(store.keywords("pont Rhône", 1)) == ["pont"]
    waiting = store.waiting()
    assert sorted(node.node_id for node in waiting) == ["pont::0", "velo::0"]
    vectors = {node.node_id: HashEmbedding().get_text_embedding(node.get_content(MetadataMode.EMBED)) for node in waiting}
    assert store.set_vectors(vectors) == 2 and store.set_vectors(vectors) == 0, "given once"
    assert store.waiting() == [] and store.info()["waiting_for_vectors"] == 0
    assert ids(store.dense("pont Rhône", 1)) == ["pont"]


def test_the_manifest_names_the_embedding_and_another_one_is_refused_naming_both(where):
    store = open_at(where)
    store.write(put=[nodes_of(PONT)])
    manifest = store.manifest
    assert MANIFEST_KEYS <= set(manifest) and manifest["embed_model"] == IDENTITY["embed_model"]
    assert manifest["dimension"] == 256 and manifest["chunking"] == CHUNKING
    assert open_at(where).manifest["embed_model"] == IDENTITY["embed_model"]
    both = f"{re.escape(IDENTITY['embed_model'])}.*{re.escape(OTHER['embed_model'])}"
    with pytest.raises(IndexStoreError, match=both):
        open_at(where, OTHER).articles()


def test_searches_can_be_restricted_to_some_articles(where):
    store = open_at(where)
    store.write(put=[nodes_of(PONT), nodes_of(VELO), nodes_of(FROMAGE)])
    assert set(ids(store.dense("pont Rhône Lyon", 3, among=["velo", "fromage"]))) <= {"velo", "fromage"}
    assert ids(store.dense("pont Rhône Lyon", 3, among=["pont"])) == ["pont"]
    assert ids(store.keywords("pistes cyclables Paris", 3, among=["pont"])) == []
    assert ids(store.keywords("pistes cyclables Paris", 3, among=["velo", "missing"])) == ["velo"]
    assert store.dense("pont", 3, among=[]) == [] and store.keywords("pont", 3, among=[]) == []
    assert store.keywords("?!", 3) == [], "no word, nothing found"


def test_info_holds_what_every_store_tells(where):
    store = open_at(where)
    assert INFO_KEYS <= set(store.info()) and store.info()["articles"] == 0
    store.write(put=[nodes_of(PONT), nodes_of(VELO, vectors=False)])
    info = store.info()
    assert INFO_KEYS <= set(info)
    assert (info["articles"], info["chunks"], info["waiting_for_vectors"]) == (2, 2, 1)
    assert isinstance(info["vector_search"], str) and info["bytes_on_disk"] >= 0


def test_the_memory_store_scores_as_the_folder(tmp_path):
    folder, memory = open_at(str(tmp_path / "index")), open_at("memory://")
    for store in (folder, memory):
        store.write(put=[nodes_of(PONT), nodes_of(VELO), nodes_of(FROMAGE)])
        store.write(put=[nodes_of(CHANGED)], remove=["fromage"])
    for question in ("pont sur le Rhône", "pistes cyclables à Paris", "comté du Jura"):
        for search in ("dense", "keywords"):
            theirs, ours = ([(h.node.node_id, round(h.score, 4)) for h in getattr(store, search)(question, 3)] for store in (folder, memory))
            pg.assert_same_ranking(theirs, ours, f"{search}: {question}")  # chunks tied in score may come in any order


def test_every_store_has_every_method_of_the_contract_with_its_signature(tmp_path):
    members = {name: value for name, value in vars(Store).items() if not name.startswith("_")}
    contract = {"articles", "records", "status", "duplicate_candidates", "write", "waiting", "set_vectors", "dense", "keywords", "manifest", "writer", "info"}
    contract |= {"damaged"}
    assert set(members) == contract
    for store in STORES:
        for name, member in members.items():
            found = inspect.getattr_static(store, name, None)
            assert found is not None, f"{store.__name__} has no {name}"
            if isinstance(member, property):
                assert isinstance(found, property), f"{store.__name__}.{name} is not a property"
                continue
            expected, actual = inspect.signature(member).parameters.values(), inspect.signature(found).parameters.values()
            shape = [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in expected]
            assert [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in actual] == shape, f"{store.__name__}.{name}"
    assert isinstance(open_at(str(tmp_path / "index")), Store) and isinstance(open_at("memory://"), Store)


def test_a_location_is_opened_by_its_scheme(tmp_path):
    assert isinstance(open_at(str(tmp_path / "a")), FolderStore) and isinstance(open_at(f"folder://{tmp_path}/b"), FolderStore)
    assert open_at(f"folder://{tmp_path}/b").index_dir == tmp_path / "b"
    assert isinstance(open_at("memory://"), MemoryStore) and {"folder", "postgresql", "postgres", "memory"} <= set(OPENERS)
    with pytest.raises(InputError, match="folder://.*memory://.*postgresql://") as refused:
        open_at("mysql://user:secret@db.example.org/news")
    assert "mysql://" in str(refused.value) and "secret" not in str(refused.value)


def test_memory_stores_share_a_name_and_nothing_else():
    named = open_at("memory://shared-by-name")
    named.write(put=[nodes_of(PONT)])
    assert list(open_at("memory://shared-by-name").articles()) == ["pont"]
    assert open_at("memory://").articles() == {} and open_at("memory://another-name").articles() == {}
