"""Re-embedding a PostgreSQL store in place (`reembed`): the new vectors go into a second column of
the chunks table, `embedding_next`, filled a batch per transaction while questions are answered
from `embedding` (a killed run resumes at the first row without one: the work is in the table),
then switched in one transaction.

The fill walks the table in `id` order; rows that writers add meanwhile (new or replaced
articles) come after it and are reached too. A store with an HNSW index gets one on the new
column before the switch, built concurrently (writers go on). The switch holds the store's
advisory lock (writers wait), embeds the rows written since the fill, drops the old column and
its index, renames the new ones, and writes the new manifest: a reader of the old model is
refused at its next vector search (`postgres.PostgresStore`), naming both models. The ef_search
is measured again on the new index after the switch (searches use the default meanwhile).
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

from llama_index.core.base.embeddings.base import BaseEmbedding

from ..errors import IndexStoreError, InputError
from . import pghnsw
from .layouts import APPROXIMATE_FROM
from .pgconnect import Connections, parse_url, redact
from .reembed import EMBED_BATCH, embedded_text, same_model, target_manifest

NEXT = "embedding_next"
BATCH = 256  # rows embedded and written per transaction: at most this much work is lost to a kill -9


def reembed_postgres(url: str, embed_model: BaseEmbedding, identity: dict, progress: bool = False) -> dict:
    """`reembed.reembed` for a postgresql:// store."""
    from tqdm import tqdm

    started = time.monotonic()
    job = Job(url, embed_model)
    try:
        before = job.manifest()
        if same_model(before, identity):
            raise InputError(f"the store {redact(url)} is embedded with {before['embed_model']!r} already: nothing to do")
        target = target_manifest(before, embed_model, identity)
        reused = job.start(target)
        with tqdm(total=job.count(f"{NEXT} IS NULL"), desc="Re-embedding", unit="chunk", disable=not progress) as bar:
            embedded = job.fill(bar)
            if job.wants_index():
                job.index_next(target["dimension"])
            embedded += job.switch(target, bar)
        job.calibrate()
    finally:
        job.close()
    return {"embed_model": target["embed_model"], "chunks": embedded, "reused": reused, "rows": job.rows, "seconds": round(time.monotonic() - started, 3)}


class Job:
    """The re-embedding of one store table."""

    def __init__(self, url: str, embed_model: BaseEmbedding) -> None:
        where = parse_url(url)
        self.url, self.table, self._embed = url, where.table, embed_model
        self._connections = Connections(where.primary, [])
        self.rows = 0

    def manifest(self) -> dict:
        with self._cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{self.table}_meta",))
            if cursor.fetchone()[0]:
                cursor.execute(f"SELECT value FROM {self.table}_meta WHERE key = 'manifest'")
                found = cursor.fetchone()
                if found:
                    return found[0]
        raise IndexStoreError(f"no index in {redact(self.url)} (table {self.table}): nothing to re-embed")

    def start(self, target: dict) -> int:
        """The new column, kept from a run cut short that embedded with the same model, made
        anew otherwise; returns how many rows it holds already."""
        wanted = {key: target[key] for key in ("embed_model", "query_prefix", "passage_prefix", "dimension")}
        with self._locked() as cursor:
            cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", (f"data_{self.table}",))
            if cursor.fetchone()[0] != "r":
                raise InputError("a sharded store cannot be re-embedded in place: re-embed an index folder and `assistant migrate` it")
            cursor.execute(f"SELECT value FROM {self.table}_meta WHERE key = 'reembed'")
            found = cursor.fetchone()
            if found and found[0] != wanted:
                cursor.execute(f"ALTER TABLE data_{self.table} DROP COLUMN IF EXISTS {NEXT}")  # another model's work
            cursor.execute(f"ALTER TABLE data_{self.table} ADD COLUMN IF NOT EXISTS {NEXT} vector({int(target['dimension'])})")
            cursor.execute(
                f"INSERT INTO {self.table}_meta VALUES ('reembed', %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (json.dumps(wanted),)
            )
        return self.count(f"{NEXT} IS NOT NULL")

    def count(self, condition: str) -> int:
        with self._cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM data_{self.table} WHERE {condition}")
            return cursor.fetchone()[0]

    def fill(self, bar) -> int:
        """Embed every row without a new vector, in id order, a transaction per batch."""
        embedded, last = 0, -1
        while True:
            with self._cursor() as cursor:
                rows = self._waiting(cursor, "AND d.id > %s", (last,))
                if not rows:
                    return embedded
                self._write(cursor, rows, bar)
            embedded, last = embedded + len(rows), rows[-1][0]

    def wants_index(self) -> bool:
        """An HNSW index on the new column where the store has one, or is past the size for one."""
        with self._cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE '%%USING hnsw%%'", (f"data_{self.table}",))
            return bool(cursor.fetchone()) or self.count(f"{NEXT} IS NOT NULL") >= APPROXIMATE_FROM

    def index_next(self, dimension: int) -> None:
        with self._connections.borrow(primary=True) as connection:
            connection.autocommit = True  # CREATE INDEX CONCURRENTLY runs outside a transaction
            try:
                with connection.cursor() as cursor:
                    pghnsw.create_index(cursor, self.table, dimension, column=NEXT, name=f"data_{self.table}_hnsw_next", concurrently=True)
            finally:
                connection.autocommit = False

    def switch(self, target: dict, bar) -> int:
        """One transaction: the rows written since the fill, then the columns and indexes
        switched and the manifest replaced. Returns how many rows it embedded."""
        table = self.table
        embedded = 0
        with self._locked() as cursor:
            rows = self._waiting(cursor, "", ())
            while rows:
                self._write(cursor, rows, bar)
                embedded += len(rows)
                rows = self._waiting(cursor, "", ())
            cursor.execute(f"DROP INDEX IF EXISTS data_{table}_hnsw")
            cursor.execute(f"ALTER TABLE data_{table} DROP COLUMN embedding")  # its indexes with it
            cursor.execute(f"ALTER TABLE data_{table} RENAME COLUMN {NEXT} TO embedding")
            cursor.execute(f"ALTER INDEX IF EXISTS data_{table}_hnsw_next RENAME TO data_{table}_hnsw")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS data_{table}_waiting ON data_{table} (id) WHERE embedding IS NULL")
            cursor.execute(f"UPDATE {table}_meta SET value = %s WHERE key = 'manifest'", (json.dumps(target),))
            cursor.execute(f"DELETE FROM {table}_meta WHERE key IN ('reembed', 'ef_search')")
            cursor.execute(f"UPDATE {table}_meta SET value = to_jsonb(value::text::bigint + 1) WHERE key = 'version'")
            cursor.execute(f"SELECT count(*) FROM data_{table}")
            self.rows = cursor.fetchone()[0]
        return embedded

    def calibrate(self) -> None:
        """The ef_search measured on the new HNSW index, as `pghnsw.build` does."""
        with self._connections.borrow(primary=True) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", (f"data_{self.table}_hnsw",))
            if cursor.fetchone():
                candidates = pghnsw.calibrate(cursor, self.table)
                kept = f"INSERT INTO {self.table}_meta VALUES ('ef_search', to_jsonb(%s)) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                cursor.execute(kept, (candidates,))
                connection.commit()

    def close(self) -> None:
        self._connections.close()

    # -- rows ---------------------------------------------------------------------------------

    def _waiting(self, cursor, after: str, params: tuple) -> list[tuple]:
        """Rows without a new vector, with what makes their text: (id, node_id, text, metadata, title_from_text)."""
        cursor.execute(
            f"SELECT d.id, d.node_id, d.text, d.metadata_, coalesce((a.record->>'title_from_text')::boolean, false) "
            f"FROM data_{self.table} d LEFT JOIN {self.table}_articles a USING (article_id) "
            f"WHERE d.{NEXT} IS NULL {after} ORDER BY d.id LIMIT {BATCH}",
            params,
        )
        return cursor.fetchall()

    def _write(self, cursor, rows: list[tuple], bar) -> None:
        from psycopg2.extras import execute_values

        texts = [embedded_text({"id": node_id, "text": text, "metadata": metadata}, {"title_from_text": lede}) for _, node_id, text, metadata, lede in rows]
        vectors = []
        for start in range(0, len(texts), EMBED_BATCH):
            vectors += self._embed.get_text_embedding_batch(texts[start : start + EMBED_BATCH])
            bar.update(min(EMBED_BATCH, len(texts) - start))
        values = [(row[0], json.dumps(list(map(float, vector)))) for row, vector in zip(rows, vectors)]
        execute_values(cursor, f"UPDATE data_{self.table} AS d SET {NEXT} = v.e::vector FROM (VALUES %s) AS v(id, e) WHERE d.id = v.id", values, page_size=500)

    @contextmanager
    def _cursor(self):
        with self._connections.transaction() as cursor:
            yield cursor

    @contextmanager
    def _locked(self):
        """A transaction holding the store's advisory lock, the one every write takes."""
        with self._connections.transaction() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"assistant:{self.table}",))
            yield cursor
