"""The PostgreSQL store on real clusters on loopback ports: a primary with two streaming standbys
that serve the queries, and a coordinator whose chunks live on two shards (postgres_fdw). Each
gives the local index's top 10 and answer."""

import uuid

import psycopg2
import pytest

from assistant.types import Article
from tests import pg

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def replicated():
    from assistant.store import pgserver

    folder = pg.workspace()
    servers = [pgserver.start(folder / "primary", settings=pgserver.FAST)]
    try:
        servers += [pgserver.start_standby(servers[0], folder / f"standby{i}", settings=pgserver.FAST) for i in range(2)]
    except BaseException:
        pg.stop(servers, folder)
        raise
    yield servers
    pg.stop(servers, folder)


@pytest.fixture(scope="module")
def sharded():
    from assistant.store import pgserver

    folder = pg.workspace()
    servers = []
    try:
        servers += [pgserver.start(folder / name, settings=pgserver.FAST) for name in ("coordinator", "shard0", "shard1")]
    except BaseException:
        pg.stop(servers, folder)
        raise
    yield servers
    pg.stop(servers, folder)


def count(url: str, table: str) -> int:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM data_{table}")
        return cursor.fetchone()[0]


def test_standbys_serve_the_queries_and_see_what_the_primary_wrote(replicated, tmp_path):
    primary, *standbys = replicated
    url = pg.table_url(primary.url(), replicas=",".join(f"127.0.0.1:{s.port}" for s in standbys))
    writer, local = pg.assistant_on(url), pg.assistant_on(None, tmp_path / "index")
    for assistant in (writer, local):
        assistant.ingest_articles(pg.articles())
    reader = pg.assistant_on(url)
    assert reader.info()["replicas"] == 2
    assert [count(s.url(), writer.store.table) for s in standbys] == [count(primary.url(), writer.store.table)] * 2
    late = Article(id="tram", title="Le tramway de Lyon", text="Une nouvelle ligne de tramway relie Gerland à Vaise depuis septembre.")
    writer.ingest_articles([late])
    assert reader.search("ligne de tramway Gerland", 1)[0].article_id == "tram", "a standby saw the primary's write on the next question"
    writer.remove("tram")
    primary.stop()  # from here on, only the standbys can answer
    pg.assert_same_as_local(pg.assistant_on(url), local)


def test_a_coordinator_with_two_shards_gives_the_same_results(sharded, tmp_path):
    from assistant.store.pgcluster import create_sharded

    coordinator, *shards = sharded
    table = f"t_{uuid.uuid4().hex[:10]}"
    create_sharded(coordinator.url(), [s.url() for s in shards], table, dimension=256)
    remote, local = pg.assistant_on(f"{coordinator.url()}?table={table}"), pg.assistant_on(None, tmp_path / "index")
    for assistant in (remote, local):
        assistant.ingest_articles(pg.articles())
    on_shards = [count(s.url(), table) for s in shards]
    assert all(on_shards) and sum(on_shards) == local.info()["chunks"], on_shards
    pg.assert_same_as_local(remote, local)
    changed = Article(id="velo", title="Vélos à Paris", text="La ville de Paris ferme ses pistes cyclables en hiver.")
    assert remote.ingest_articles([changed]).replaced == ["velo"]
    remote.remove("pont")
    assert sum(count(s.url(), table) for s in shards) == local.info()["chunks"] - len(local.store.articles()["pont"]["node_ids"])
    assert "ferme" in remote.search("pistes cyclables Paris", 1)[0].text
