"""The PostgreSQL layouts the store runs on: its tables on one server, its chunks hash-partitioned
over shards through postgres_fdw, and waiting for standbys to replay the primary.

The sharded layout is what a DBA sets up once (in production: Citus, or this by hand); the store
then points at the coordinator and reads and writes it as one table. pgvector's ORDER BY is
pushed down to every shard (the `extensions 'vector'` option) and the coordinator merges.
"""

from __future__ import annotations

import time

from ..errors import AssistantError

TEXT_CONFIG = "french"


def chunk_columns(dimension: int, serial: bool = True) -> str:
    """llama-index PGVectorStore's columns (hybrid search on), plus article_id and the words BM25
    counts (`pgkeywords`). PGVectorStore's tsvector is generated where the row is stored: on a
    shard, by the shard."""
    return (
        f"id {'bigserial' if serial else 'bigint'}, node_id varchar NOT NULL, article_id varchar NOT NULL, text varchar NOT NULL, "
        f"metadata_ jsonb, embedding vector({dimension}), "
        f"text_search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('{TEXT_CONFIG}', text)) STORED, keyword_tsv tsvector, keyword_length integer"
    )


def create_tables(cursor, table: str, dimension: int) -> None:
    """The store's tables where they are missing (the chunks table may exist already: the
    coordinator's partitioned one)."""
    cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
    cursor.execute("SELECT to_regclass(%s) IS NULL", (f"data_{table}",))
    if cursor.fetchone()[0]:
        cursor.execute(f"CREATE TABLE data_{table} ({chunk_columns(dimension)}, PRIMARY KEY (id))")
        index_chunks(cursor, f"data_{table}")
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {table}_articles (article_id varchar PRIMARY KEY, record jsonb NOT NULL, added bigserial)")
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {table}_meta (key varchar PRIMARY KEY, value jsonb NOT NULL)")


def index_chunks(cursor, name: str) -> None:
    cursor.execute(f"CREATE INDEX IF NOT EXISTS {name}_article ON {name} (article_id)")
    cursor.execute(f"CREATE INDEX IF NOT EXISTS {name}_node ON {name} (node_id)")
    cursor.execute(f"CREATE INDEX IF NOT EXISTS {name}_waiting ON {name} (id) WHERE embedding IS NULL")
    cursor.execute(f"CREATE INDEX IF NOT EXISTS {name}_keywords ON {name} USING gin (keyword_tsv)")


def create_sharded(coordinator_url: str, shard_urls: list[str], table: str, dimension: int, hnsw: dict | None = None) -> None:
    """Partition the store's chunks table by hash of node id over `shard_urls`: a real table on
    each shard (with its indexes, and an HNSW index when `hnsw` gives its options), a foreign
    partition of it on the coordinator. The shards reach each other only through the coordinator."""
    from urllib.parse import urlsplit

    for url in shard_urls:
        _execute(url, ["CREATE EXTENSION IF NOT EXISTS vector", f"CREATE TABLE data_{table} ({chunk_columns(dimension, serial=False)})"])
        with _connect(url) as connection, connection.cursor() as cursor:
            index_chunks(cursor, f"data_{table}")
            if hnsw:
                options = ", ".join(f"{key} = {value}" for key, value in hnsw.items())
                cursor.execute(f"CREATE INDEX data_{table}_hnsw ON data_{table} USING hnsw (embedding vector_cosine_ops) WITH ({options})")
    statements = [
        "CREATE EXTENSION IF NOT EXISTS vector",
        "CREATE EXTENSION IF NOT EXISTS postgres_fdw",
        f"CREATE TABLE data_{table} ({chunk_columns(dimension)}) PARTITION BY HASH (node_id)",
    ]
    for number, url in enumerate(shard_urls):
        parts = urlsplit(url)
        server = f"{table}_shard{number}"
        statements += [
            f"CREATE SERVER {server} FOREIGN DATA WRAPPER postgres_fdw OPTIONS "
            f"(host '{parts.hostname}', port '{parts.port or 5432}', dbname '{parts.path.lstrip('/') or 'postgres'}', extensions 'vector')",
            f"CREATE USER MAPPING FOR CURRENT_USER SERVER {server} OPTIONS (user '{parts.username or 'postgres'}'"
            + (f", password '{parts.password}')" if parts.password else ")"),
            f"CREATE FOREIGN TABLE data_{table}_{number} PARTITION OF data_{table} "
            f"FOR VALUES WITH (MODULUS {len(shard_urls)}, REMAINDER {number}) SERVER {server} OPTIONS (table_name 'data_{table}')",
        ]
    _execute(coordinator_url, statements)


def wait_for_replay(primary_url: str, standby_urls: list[str], timeout_s: float = 10.0) -> None:
    """Wait until every standby has replayed all that the primary has written so far."""
    with _connect(primary_url) as connection, connection.cursor() as cursor:
        # The store's commits are synchronous: flushed, so at or before the flush position (the
        # insert position may point past a page header no standby ever replays).
        cursor.execute("SELECT pg_current_wal_flush_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout_s
    for url in standby_urls:
        with _connect(url) as connection, connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", (target,))
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() > deadline:
                    raise AssistantError(f"the standby {url} has not replayed the primary's last write after {timeout_s:.0f} s: is it streaming?")
                time.sleep(0.01)


class _connect:
    """A connection for one block, committed at its end and closed."""

    def __init__(self, url: str) -> None:
        import psycopg2

        self.connection = psycopg2.connect(url)

    def __enter__(self):
        return self.connection

    def __exit__(self, kind, error, trace) -> None:
        try:
            if kind is None:
                self.connection.commit()
        finally:
            self.connection.close()


def _execute(url: str, statements: list[str]) -> None:
    with _connect(url) as connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
