"""The store on PostgreSQL with pgvector: the same methods as `local.FolderStore`, for an index
that outgrows one machine or is read by many (`--store postgresql://…`, or ASSISTANT_STORE).

Five tables, named after `?table=NAME` in the URL (default "assistant"):
  data_NAME       one row per chunk: the columns of llama-index's PGVectorStore (id, node_id,
                  text, metadata_, embedding, text_search_tsv, French), plus article_id; a NULL
                  embedding is a chunk waiting for its vector
  NAME_articles   article id -> record (every field of the Article but its text, hash, node ids)
  NAME_meta       the manifest, a version bumped by every write (readers cache the article
                  records until it changes), and the corpus totals BM25 needs
  NAME_terms      lexeme -> how many chunks hold it: BM25's statistics (`pgkeywords`)
  NAME_bands      near-duplicate band key -> the articles that have it (`pgbands`)

Every write is one transaction, serialised by an advisory lock (so that the content-hash check
and the replacement cannot interleave). Queries may go to read-only standbys listed in the URL
(`?replicas=host:port,host:port`); a write returns once they have replayed it. llama-index's
PGVectorStore is not used to write: its `add` inserts a duplicate for an id already there and
commits per call, and its IN filters are spliced into the SQL as text; its table layout is kept,
so that it can read what this writes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Sequence

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, TextNode

from ..errors import IndexStoreError
from ..types import Article
from . import pgbands, pghnsw, pgkeywords
from .layouts import APPROXIMATE_FROM
from .pgconnect import Connections, parse_url, redact
from .records import article_record, check_compatible, chunk_node, content_hash, keyword_language, keyword_text, new_manifest, write_status

REPLAY_WAIT_S = 10.0
MISSING = ("42P01", "42703")  # SQLSTATE undefined_table, undefined_column: a table or column dropped by hand


class PostgresStore:
    """An index in a PostgreSQL database (with the pgvector extension)."""

    def __init__(self, url: str, embed_model: BaseEmbedding, identity: dict, chunking: dict) -> None:
        self.url, self._embed, self._identity = url, embed_model, identity
        where = parse_url(url)
        self._primary_url, self._replica_urls, self.table, self._ef_search = where.primary, where.replicas, where.table, where.ef_search
        self._connections = Connections(self._primary_url, self._replica_urls)
        self._cache_lock = threading.Lock()
        self._articles: tuple[int, dict] | None = None  # (version, records)
        self._ready = False
        self._manifest = self._read_manifest()
        if self._manifest is None:  # written with the first write
            self._manifest = new_manifest(identity, len(embed_model.get_query_embedding("dimension")), chunking)
        elif not self._query("SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL", (f"{self.table}_terms", f"{self.table}_bands"))[0][0]:
            with self._transaction() as cursor:  # written before BM25 or the bands were kept: made once, here
                self._setup(cursor)

    # -- reading ------------------------------------------------------------------------------

    def articles(self) -> dict[str, dict]:
        """Article id -> {title, source, date, url, ..., hash, chars, node_ids}."""
        if not self._exists():
            return {}
        version = self._query(f"SELECT value FROM {self.table}_meta WHERE key = 'version'")[0][0]
        with self._cache_lock:
            if self._articles is None or self._articles[0] != version:
                records = dict(self._query(f"SELECT article_id, record FROM {self.table}_articles ORDER BY added"))
                self._articles = (version, records)
            return self._articles[1]

    def records(self, ids: Collection[str]) -> dict[str, dict]:
        if not self._exists():
            return {}
        return dict(self._query(f"SELECT article_id, record FROM {self.table}_articles WHERE article_id = ANY(%s)", (list(ids),)))

    def status(self, article: Article) -> str:
        """Asked of the one article's row: every write changes the version, and reading every
        record again for it (`articles`) made one article's ingest cost the whole archive."""
        return write_status(self.records([article.id]), article, self._manifest["chunking"])

    def duplicate_candidates(self, signatures: Sequence[Sequence[int]]) -> dict[str, dict]:
        """The records of the articles sharing a near-duplicate band with any of `signatures`,
        found through the bands table's index (`pgbands`)."""
        wanted = pgbands.wanted(signatures)
        if not wanted or not self._exists():
            return {}
        return dict(self._query(pgbands.candidates_sql(self.table), (wanted,), settings=pgbands.SETTINGS))

    def dense(self, question: str, k: int, among: Collection[str] | None = None) -> list[NodeWithScore]:
        """The k chunks closest to the question's vector (cosine), best first; chunks without
        vectors are not seen. Exact unless the table has an HNSW index."""
        self._check_model()
        vector = json.dumps(self._embed.get_query_embedding(question))
        where, params = _among(among)
        settings = pghnsw.settings(self.table, self._ef_search)
        rows = self._query(pghnsw.dense_sql(self.table, where), (vector, *params, vector, k), settings=settings)
        return sorted(_hits(rows), key=lambda hit: -hit.score)  # relaxed order: sorted here

    def keywords(self, question: str, k: int, among: Collection[str] | None = None) -> list[NodeWithScore]:
        """The k chunks that best match the question's words by BM25 (French full-text search,
        any word), best first."""
        asked, _ = pgkeywords.words(question, keyword_language(self._manifest))
        if not asked or not self._exists() or (among is not None and not among):
            return []
        where, params = _among(among)
        return _hits(self._query(pgkeywords.search_sql(self.table, where), (asked, *params, k)))

    def waiting(self, limit: int = 2048) -> list[TextNode]:
        """Chunks written without vectors, the oldest first: what background embedding does next."""
        rows = self._query(f"SELECT node_id, text, metadata_, 0 FROM data_{self.table} WHERE embedding IS NULL ORDER BY id LIMIT %s", (limit,), primary=True)
        return [hit.node for hit in _hits(rows)]

    @property
    def manifest(self) -> dict:
        return self._manifest

    def writer(self) -> str | None:
        # The writers' advisory lock (`_setup`, `write`): its bigint key is stored in pg_locks as
        # two 32-bit halves (classid, objid), objsubid 1.
        rows = self._query(
            "SELECT l.pid FROM pg_locks l, (SELECT hashtext(%s)::bigint AS k) key WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.objsubid = 1 AND l.classid = ((key.k >> 32) & 4294967295)::oid AND l.objid = (key.k & 4294967295)::oid",
            (f"assistant:{self.table}",),
            primary=True,
        )
        return f"backend {rows[0][0]}" if rows else None

    def damaged(self) -> list[dict]:
        return []  # the server keeps its files whole (`pgcheck` checks the tables against each other)

    def info(self) -> dict:
        if not self._exists():
            counts, size, index = (0, 0), 0, None
        else:
            counts = self._query(f"SELECT count(*), count(*) FILTER (WHERE embedding IS NULL) FROM data_{self.table}")[0]
            size = self._query("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relname = ANY(%s)", (self._tables(),))[0][0] or 0
            index = self._vector_index()
        return {
            "index": redact(self.url),
            "articles": self._query(f"SELECT count(*) FROM {self.table}_articles")[0][0] if self._exists() else 0,
            "chunks": counts[0],
            "waiting_for_vectors": counts[1],
            "vector_search": f"HNSW (pgvector, ef_search {self._candidates()})" if index else "exact (pgvector, every vector)",
            "replicas": len(self._replica_urls),
            "bytes_on_disk": int(size),
        }

    # -- writing ------------------------------------------------------------------------------

    def write(self, put: list[tuple[Article, list[TextNode]]] = (), remove: list[str] = ()) -> None:
        """Add (or replace) articles with their nodes and remove others, in one transaction.
        Nodes without embeddings wait for `set_vectors`; an article whose content hash is
        already there is left as it is."""
        chunking = self._manifest["chunking"]
        with self._transaction() as cursor:
            self._setup(cursor)
            ids = [a.id for a, _ in put]
            cursor.execute(f"SELECT article_id, record->>'hash' FROM {self.table}_articles WHERE article_id = ANY(%s)", (ids,))
            known = dict(cursor.fetchall())
            fresh = {a.id: (article_record(a, nodes, chunking), nodes) for a, nodes in put if known.get(a.id) != content_hash(a, chunking)}
            gone = list({*remove, *fresh})
            if not gone:
                return
            pgkeywords.count(cursor, self.table, gone, -1)
            cursor.execute(f"DELETE FROM data_{self.table} WHERE article_id = ANY(%s)", (gone,))
            cursor.execute(f"DELETE FROM {self.table}_articles WHERE article_id = ANY(%s)", (gone,))
            pgbands.delete(cursor, self.table, gone)
            _insert(cursor, self.table, fresh, keyword_language(self._manifest))
            pgkeywords.count(cursor, self.table, list(fresh), 1)
            pgbands.insert(cursor, self.table, {a: record.get("minhash") for a, (record, _) in fresh.items()})
            cursor.execute(f"UPDATE {self.table}_meta SET value = to_jsonb(value::text::bigint + 1) WHERE key = 'version'")
        self._after_write()

    def set_vectors(self, vectors: dict[str, list[float]]) -> int:
        """Attach vectors to chunks written without them (by node id), in one transaction."""
        from psycopg2.extras import execute_values

        self._check_model()
        with self._transaction() as cursor:
            rows = [(node_id, json.dumps(list(map(float, vector)))) for node_id, vector in vectors.items()]
            execute_values(
                cursor,
                f"UPDATE data_{self.table} AS d SET embedding = v.embedding::vector FROM (VALUES %s) AS v(node_id, embedding) "
                "WHERE d.node_id = v.node_id AND d.embedding IS NULL",
                rows,
                page_size=500,
            )
            done = cursor.rowcount
        self._after_write()
        return done

    def build_vector_index(self) -> int:
        """An HNSW index on the vectors (approximate search from then on; pgvector keeps it up
        to date), and the ef_search that finds the target recall on it; returns that."""
        with self._connection(primary=True) as connection:
            return pghnsw.build(connection, self.table, self._manifest["dimension"])

    # -- the database -------------------------------------------------------------------------

    def _after_write(self) -> None:
        """Lay the vectors out for their number (HNSW past APPROXIMATE_FROM, on a plain table:
        a sharded one is indexed on its shards), then wait for the standbys to replay it all."""
        plain = self._query("SELECT relkind = 'r' FROM pg_class WHERE relname = %s", (f"data_{self.table}",), primary=True)
        if plain and plain[0][0] and not self._vector_index():
            count = self._query(f"SELECT count(*) FROM data_{self.table} WHERE embedding IS NOT NULL", primary=True)[0][0]
            if count >= APPROXIMATE_FROM:
                self.build_vector_index()
        if self._replica_urls:
            from .pgcluster import wait_for_replay

            wait_for_replay(self._primary_url, self._replica_urls, REPLAY_WAIT_S)

    def _setup(self, cursor) -> None:
        """The extension and tables on first use, then the manifest, checked against ours."""
        from .pgcluster import create_tables

        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"assistant:{self.table}",))
        if not self._exists(cursor):
            create_tables(cursor, self.table, self._manifest["dimension"])
        pgkeywords.create(cursor, self.table)
        pgbands.create(cursor, self.table)
        cursor.execute(f"INSERT INTO {self.table}_meta VALUES ('manifest', %s), ('version', '0') ON CONFLICT DO NOTHING", (json.dumps(self._manifest),))
        cursor.execute(f"SELECT value FROM {self.table}_meta WHERE key = 'manifest'")
        check_compatible(cursor.fetchone()[0], self._identity, redact(self.url))

    def _check_model(self) -> None:
        """A re-embedding (`pgreembed`) may have switched the store to another model since it was
        opened: its vectors and this process's no longer compare, so it is refused, as on
        opening (a primary-key read, a fraction of a vector search)."""
        if not self._exists():
            return
        rows = self._query(f"SELECT value FROM {self.table}_meta WHERE key = 'manifest'")
        if rows and rows[0][0] != self._manifest:
            check_compatible(rows[0][0], self._identity, redact(self.url))
            self._manifest = rows[0][0]

    def _read_manifest(self) -> dict | None:
        if not self._exists():
            return None
        rows = self._query(f"SELECT value FROM {self.table}_meta WHERE key = 'manifest'")
        if not rows:
            return None
        check_compatible(rows[0][0], self._identity, redact(self.url))
        return rows[0][0]

    def _exists(self, cursor=None) -> bool:
        """Whether the store's tables are there (once they are, they stay: not asked again)."""
        if self._ready:
            return True
        sql, params = "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL", (f"{self.table}_meta", f"data_{self.table}")
        if cursor is not None:
            cursor.execute(sql, params)
            found = cursor.fetchone()[0]
        else:
            found = self._query(sql, params)[0][0]
        self._ready = bool(found) and cursor is None  # inside a transaction it may still roll back
        return bool(found)

    def _candidates(self) -> int:
        """The ef_search vector searches use: the URL's, else the one measured, else the default."""
        if self._ef_search is not None:
            return self._ef_search
        return int(self._query(f"SELECT {pghnsw.measured_sql(self.table)}")[0][0])

    def _vector_index(self) -> bool:
        return bool(self._query("SELECT 1 FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE '%%USING hnsw%%'", (f"data_{self.table}",)))

    def _tables(self) -> list[str]:
        return [f"data_{self.table}", f"{self.table}_articles", f"{self.table}_meta", f"{self.table}_terms", f"{self.table}_bands"]

    def _query(self, sql: str, params: tuple = (), primary: bool = False, settings: list[str] = ()) -> list[tuple]:
        with self._connection(primary) as connection, connection.cursor() as cursor:
            for setting in settings:
                cursor.execute(setting)
            try:
                cursor.execute(sql, params)
            except Exception as error:
                if getattr(error, "pgcode", None) in MISSING:
                    raise IndexStoreError(
                        f"the index in {redact(self.url)} is damaged ({str(error).splitlines()[0]}): "
                        f"run `assistant check --repair --store {redact(self.url)}`, which repairs what can be rebuilt and names what cannot"
                    ) from error
                raise
            rows = cursor.fetchall()
            connection.rollback()  # reads only: end the transaction, drop the SET LOCALs
            return rows

    def _transaction(self):
        return self._connections.transaction()

    def _connection(self, primary: bool):
        return self._connections.borrow(primary)

    def close(self) -> None:
        self._connections.close()


def _among(among: Collection[str] | None) -> tuple[str, tuple]:
    if among is None:
        return "", ()
    return "AND article_id = ANY(%s)", (list(among),)


def _hits(rows) -> list[NodeWithScore]:
    return [NodeWithScore(node=chunk_node(node_id, text, metadata), score=float(score)) for node_id, text, metadata, score in rows]


def _insert(cursor, table: str, fresh: dict[str, tuple[dict, list[TextNode]]], language: str) -> None:
    from psycopg2.extras import Json, execute_values

    chunks = [
        (
            n.id_,
            article_id,
            n.text,
            json.dumps(n.metadata, ensure_ascii=False),
            None if n.embedding is None else json.dumps(list(map(float, n.embedding))),
            *pgkeywords.words(keyword_text(n), language),
        )
        for article_id, (_, nodes) in fresh.items()
        for n in nodes
    ]
    execute_values(
        cursor,
        f"INSERT INTO data_{table} (node_id, article_id, text, metadata_, embedding, keyword_tsv, keyword_length) VALUES %s",
        chunks,
        template=f"(%s, %s, %s, %s::jsonb, %s::vector, {pgkeywords.WORDS}, %s)",
        page_size=500,
    )
    records = [(a, Json(record)) for a, (record, _) in fresh.items()]
    execute_values(cursor, f"INSERT INTO {table}_articles (article_id, record) VALUES %s", records, page_size=1000)
