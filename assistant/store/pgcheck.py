"""The checks of an index in PostgreSQL (`check`), and its repair.

The server keeps the files whole (its own checksums, WAL and crash recovery), so what is checked
is what the store's tables say of each other: every article's chunks are there and no chunk
lacks its article; no chunk is stored twice; the vectors' column has the manifest's dimension and
a sample of them agrees with the chunks embedded again; each chunk's words are those of its text
(a sample) and BM25's statistics (`NAME_terms`, the corpus totals) are those of the chunks; the
near-duplicate bands name stored articles; the indexes the store makes are there and valid; the
manifest agrees with the model installed.

A repair runs in one transaction under the store's write lock (as a write does): chunks without
an article and articles missing chunks are deleted (the latter named: ingest them again), a chunk
stored twice keeps one row, words are counted again from the chunk texts, BM25's statistics and
the bands are derived again, a missing or invalid index is made again (the HNSW index past
APPROXIMATE_FROM vectors, after the transaction: it commits its own).
"""

from __future__ import annotations

import json

from . import bands
from .check import SAMPLE, Finding, Model, Report, compare_sample, model_findings
from .contract import MANIFEST_KEYS
from .layouts import APPROXIMATE_FROM
from .pgconnect import parse_url, redact
from .records import FORMAT_VERSION, chunk_node, keyword_language, keyword_text

BATCH = 2_000  # chunks whose words are counted again per round trip


def check_postgres(url: str, model: Model, repair: bool) -> Report:
    """What is wrong with the store's tables; with `repair`, what was repaired and what remains."""
    import psycopg2

    command = f"assistant check --repair --store {redact(url)}"
    where = parse_url(url)
    try:
        connection = psycopg2.connect(where.primary)
    except psycopg2.OperationalError as error:
        return Report(redact(url), command, [], [Finding(f"cannot connect: {str(error).strip()}", "start the server, or correct --store", False)])
    try:
        found = TableCheck(connection, where.table, model).run()
        if repair and any(f.repairable for f in found.findings):
            repaired, lost = found.repair()
            report = TableCheck(connection, where.table, model).run().report(redact(url), command)
            report.repaired, report.lost = repaired, lost
            return report
        return found.report(redact(url), command)
    except psycopg2.Error as error:  # a table in a shape no version of the store wrote
        stopped = Finding(f"the check stopped on: {str(error).strip().splitlines()[0]}", _RESTORE, False)
        return Report(redact(url), command, [], [stopped])
    finally:
        connection.close()


class TableCheck:
    """The checks of one store's tables, and the repair of what they found."""

    def __init__(self, connection, table: str, model: Model) -> None:
        self.connection, self.table, self.model = connection, table, model
        self.data, self.articles, self.meta = f"data_{table}", f"{table}_articles", f"{table}_meta"
        self.findings: list[Finding] = []
        self.checked: list[str] = []
        self.manifest: dict | None = None
        self.repaired: list[str] = []
        self.lost: list[str] = []
        self._hnsw = False

    def run(self) -> TableCheck:
        try:
            if not self._check_tables():
                return self
            self._check_manifest()
            self._check_chunks()
            if self.manifest is not None:
                self._check_vectors()
                self._check_words()
            self._check_statistics()
            self._check_bands()
            self._check_indexes()
        finally:
            self.connection.rollback()  # reads only
        return self

    def report(self, where: str, command: str) -> Report:
        return Report(where, command, self.checked, self.findings)

    def _found(self, problem: str, remedy: str, repair=None) -> None:
        self.findings.append(Finding(problem, remedy, repair is not None, repair))

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    # -- the checks --------------------------------------------------------------------------

    def _check_tables(self) -> bool:
        present = {name for (name,) in self._rows("SELECT relname FROM pg_class WHERE relname = ANY(%s)", (self._tables(),))}
        core = [self.data, self.articles, self.meta]
        if not present & set(core):
            self._found(f"there is no index in table {self.table!r}", "give the URL of an index (--store, ?table=NAME), or ingest articles into this one")
            return False
        missing = [name for name in core if name not in present]
        if missing:
            self._found(f"the table{'s' if len(missing) > 1 else ''} {', '.join(missing)} {'are' if len(missing) > 1 else 'is'} missing", _RESTORE)
            return False
        for name in (f"{self.table}_terms", f"{self.table}_bands"):
            if name not in present:  # `repair` makes both, filled, before anything else
                made = f"made {name} again from the chunks and records"
                self._found(f"the table {name} is missing", "make it again from the chunks and records", lambda made=made: self.repaired.append(made))
        self._present = present
        return True

    def _check_manifest(self) -> None:
        rows = self._rows(f"SELECT value FROM {self.meta} WHERE key = 'manifest'")
        manifest = rows[0][0] if rows else None
        missing = MANIFEST_KEYS - set(manifest or {}) - {"language"}
        if manifest is None or manifest.get("format") != FORMAT_VERSION or missing:
            self._found(f"the manifest in {self.meta} is missing or damaged", _RESTORE)
            return
        self.manifest = manifest
        self.checked.append(f"manifest: {manifest['embed_model']}, {manifest['dimension']} dimensions, keywords in {keyword_language(manifest)}")
        self.findings += model_findings(manifest, self.model)
        declared = self._rows("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'embedding'", (self.data,))
        if declared and declared[0][0] != f"vector({manifest['dimension']})":
            self._found(f"the column {self.data}.embedding is {declared[0][0]}, the manifest says {manifest['dimension']} dimensions", _RESTORE)

    def _check_chunks(self) -> None:
        (articles, chunks, waiting), = self._rows(
            f"SELECT (SELECT count(*) FROM {self.articles}), count(*), count(*) FILTER (WHERE embedding IS NULL) FROM {self.data}"
        )  # fmt: skip
        self.checked.append(f"{articles} articles, {chunks} chunks ({waiting} waiting for vectors)")
        recorded = f"EXISTS (SELECT 1 FROM {self.articles} a WHERE a.article_id = d.article_id)"
        orphans = [a for (a,) in self._rows(f"SELECT DISTINCT article_id FROM {self.data} d WHERE NOT {recorded}")]
        if orphans:
            problem = f"{len(orphans)} articles have chunks but no record ({_some(orphans)})"
            self._found(problem, f"delete their chunks: {_some(orphans)} (ingest them again)", lambda: self._drop(orphans))
        incomplete = [a for (a,) in self._rows(self._incomplete_sql())]
        if incomplete:
            problem = f"{len(incomplete)} articles lack some of their chunks ({_some(incomplete)})"
            self._found(problem, f"delete them: {_some(incomplete)} (ingest them again)", lambda: self._drop(incomplete))
        twice = self._rows(f"SELECT count(*) FROM (SELECT node_id FROM {self.data} GROUP BY node_id HAVING count(*) > 1) t")[0][0]
        if twice:
            self._found(f"{twice} chunks are stored twice", "keep one row of each", self._keep_one)

    def _incomplete_sql(self) -> str:
        """The articles whose record names chunks the table does not hold (or holds others)."""
        return (
            f"SELECT a.article_id FROM {self.articles} a LEFT JOIN ("
            f"SELECT article_id, array_agg(DISTINCT node_id::text ORDER BY node_id::text) AS ids FROM {self.data} GROUP BY article_id) d USING (article_id) "
            "WHERE d.ids IS DISTINCT FROM (SELECT array_agg(DISTINCT x ORDER BY x) FROM jsonb_array_elements_text(a.record->'node_ids') AS x) "
            "AND jsonb_array_length(a.record->'node_ids') > 0"
        )

    def _check_vectors(self) -> None:
        rows = self._rows(
            f"SELECT d.node_id, d.text, d.metadata_, d.embedding::text FROM {self.data} d WHERE d.embedding IS NOT NULL ORDER BY md5(d.node_id) LIMIT %s",
            (SAMPLE,),
        )
        if rows:
            import numpy as np

            sample = [(np.asarray(json.loads(vector), dtype=np.float32), {"id": node, "text": text, "metadata": meta}) for node, text, meta, vector in rows]
            compare_sample(sample, self.manifest, self.model, self.checked, self.findings)

    def _check_words(self) -> None:
        """A sample of chunks' words counted again: they must be those stored."""
        sample = self._rows(
            f"SELECT d.node_id, d.text, d.metadata_, a.record FROM {self.data} d JOIN {self.articles} a USING (article_id) "
            "ORDER BY md5(d.node_id || 'words') LIMIT %s",
            (SAMPLE,),
        )
        language = keyword_language(self.manifest)
        wrong = 0
        for node_id, text, metadata, record in sample:
            words, length = _words(text, metadata, record, node_id, language)
            sql = f"SELECT keyword_tsv = to_tsvector('simple', %s) AND keyword_length = %s FROM {self.data} WHERE node_id = %s LIMIT 1"
            same = self._rows(sql, (words, length, node_id))
            wrong += not (same and same[0][0])
        missing = self._rows(f"SELECT count(*) FROM {self.data} WHERE keyword_tsv IS NULL")[0][0]
        if wrong or missing:
            what = [f"{wrong} of {len(sample)} chunks sampled hold other words than their text's"] if wrong else []
            what += [f"{missing} chunks have no words counted"] if missing else []
            self._found(f"keyword search: {' and '.join(what)}", "count every chunk's words again from its text", self._count_words)
        elif sample:
            self.checked.append(f"keywords: {len(sample)} chunks counted again hold the words stored")

    def _check_statistics(self) -> None:
        if f"{self.table}_terms" not in self._present:
            return
        differ = self._rows(
            f"SELECT count(*) FROM (SELECT u.lexeme, count(*) AS chunks FROM {self.data} d, unnest(d.keyword_tsv) u GROUP BY u.lexeme) c "
            f"FULL JOIN {self.table}_terms t USING (lexeme) WHERE coalesce(c.chunks, 0) <> coalesce(t.chunks, 0)"
        )[0][0]
        (totals,) = self._rows(
            f"SELECT (SELECT value FROM {self.meta} WHERE key = 'keywords') = "
            f"jsonb_build_object('chunks', count(*), 'tokens', coalesce(sum(keyword_length), 0)) FROM {self.data}"
        )
        if differ or not totals[0]:
            what = f"{differ} words' chunk counts" if differ else "the corpus totals"
            problem = f"BM25's statistics are not those of the chunks ({what} differ): keyword scores are off"
            self._found(problem, "derive them again from the chunks", self._count_statistics)
        else:
            self.checked.append(f"keywords: BM25's statistics are those of the chunks ({self.table}_terms and the totals)")

    def _check_bands(self) -> None:
        if f"{self.table}_bands" not in self._present:
            return
        recorded = f"EXISTS (SELECT 1 FROM {self.articles} a WHERE a.article_id = b.article_id)"
        stray = self._rows(f"SELECT count(DISTINCT article_id) FROM {self.table}_bands b WHERE NOT {recorded}")[0][0]
        unbanded = self._rows(
            f"SELECT a.record->'minhash' FROM {self.articles} a WHERE jsonb_typeof(a.record->'minhash') = 'array' "
            f"AND NOT EXISTS (SELECT 1 FROM {self.table}_bands b WHERE b.article_id = a.article_id)"
        )
        bare = len(bands.keys([signature for (signature,) in unbanded])[1])  # a text without words has none
        if stray or bare:
            problem = f"the near-duplicate bands name {stray} articles not stored and miss {bare} stored ones"
            self._found(problem, "derive them again from the records", self._redo_bands)

    def _check_indexes(self) -> None:
        plain = self._rows("SELECT relkind = 'r' FROM pg_class WHERE relname = %s", (self.data,))
        if not (plain and plain[0][0]):
            self.checked.append(f"indexes: {self.data} is partitioned: its shards keep theirs")
            return
        sql = "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass"
        found = dict(self._rows(sql, (self.data,)))
        wanted = [f"{self.data}_article", f"{self.data}_node", f"{self.data}_waiting", f"{self.data}_keywords"]
        embedded = self._rows(f"SELECT count(*) FROM {self.data} WHERE embedding IS NOT NULL")[0][0]
        if embedded >= APPROXIMATE_FROM:
            wanted.append(f"{self.data}_hnsw")
        bad = [name for name in wanted if not found.get(name)]
        if bad:
            problem = f"the indexes {', '.join(bad)} are missing or invalid: searches and writes read the whole table"
            self._found(problem, "make them again", lambda: self._reindex(bad))
        else:
            self.checked.append(f"indexes: the {len(wanted)} indexes of {self.data} are there and valid")

    # -- repair ------------------------------------------------------------------------------

    def repair(self) -> tuple[list[str], list[str]]:
        """Repair what was found, in one transaction under the store's write lock."""
        from .pgbands import create as create_bands
        from .pgkeywords import create as create_terms

        with self.connection.cursor() as cursor:
            self.cursor = cursor
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"assistant:{self.table}",))
            create_terms(cursor, self.table)  # a missing statistics or bands table, made and filled
            create_bands(cursor, self.table)
            for finding in self.findings:
                if finding.repair is not None:
                    finding.repair()
            cursor.execute(f"UPDATE {self.meta} SET value = to_jsonb(value::text::bigint + 1) WHERE key = 'version'")  # readers drop their cached records
        self.connection.commit()
        if self._hnsw:
            from .pghnsw import build

            build(self.connection, self.table, self.manifest["dimension"])
            self.repaired.append(f"built the HNSW index of {self.data} again")
        return self.repaired, self.lost

    def _drop(self, article_ids: list[str]) -> None:
        from .pgbands import delete as delete_bands

        self.cursor.execute(f"DELETE FROM {self.data} WHERE article_id = ANY(%s)", (article_ids,))
        self.cursor.execute(f"DELETE FROM {self.articles} WHERE article_id = ANY(%s)", (article_ids,))
        delete_bands(self.cursor, self.table, article_ids)
        self.lost += article_ids
        self._count_statistics(quiet=True)
        self.repaired.append(f"deleted {len(article_ids)} articles that could not be recovered")

    def _keep_one(self) -> None:
        self.cursor.execute(f"DELETE FROM {self.data} d USING {self.data} e WHERE d.node_id = e.node_id AND d.id > e.id")
        self.repaired.append(f"deleted {self.cursor.rowcount} chunks stored twice")
        self._count_statistics(quiet=True)

    def _count_words(self) -> None:
        from psycopg2.extras import execute_values

        from .pgkeywords import WORDS

        language, last, done = keyword_language(self.manifest), -1, 0
        while True:
            self.cursor.execute(
                f"SELECT d.id, d.node_id, d.text, d.metadata_, a.record FROM {self.data} d JOIN {self.articles} a USING (article_id) "
                "WHERE d.id > %s ORDER BY d.id LIMIT %s",
                (last, BATCH),
            )
            rows = self.cursor.fetchall()
            if not rows:
                break
            execute_values(
                self.cursor,
                f"UPDATE {self.data} AS d SET keyword_tsv = {WORDS.replace('%s', 'v.words')}, keyword_length = v.length "
                "FROM (VALUES %s) AS v(id, words, length) WHERE d.id = v.id",
                [(row_id, *_words(text, metadata, record, node_id, language)) for row_id, node_id, text, metadata, record in rows],
            )
            last, done = rows[-1][0], done + len(rows)
        self._count_statistics(quiet=True)
        self.repaired.append(f"counted the words of {done} chunks again")

    def _count_statistics(self, quiet: bool = False) -> None:
        self.cursor.execute(f"DELETE FROM {self.table}_terms")
        self.cursor.execute(f"INSERT INTO {self.table}_terms SELECT u.lexeme, count(*) FROM {self.data} AS d, unnest(d.keyword_tsv) AS u GROUP BY u.lexeme")
        self.cursor.execute(
            f"INSERT INTO {self.meta} SELECT 'keywords', jsonb_build_object('chunks', count(*), 'tokens', coalesce(sum(keyword_length), 0)) FROM {self.data} "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        if not quiet:
            self.repaired.append("derived BM25's statistics again from the chunks")

    def _redo_bands(self) -> None:
        from .pgbands import insert

        self.cursor.execute(f"DELETE FROM {self.table}_bands")
        self.cursor.execute(f"SELECT article_id, record->'minhash' FROM {self.articles}")
        insert(self.cursor, self.table, dict(self.cursor.fetchall()))
        self.repaired.append("derived the near-duplicate bands again from the records")

    def _reindex(self, names: list[str]) -> None:
        from .pgcluster import index_chunks

        for name in names:
            self.cursor.execute(f"DROP INDEX IF EXISTS {name}")  # an invalid one is dropped, then made again
        index_chunks(self.cursor, self.data)
        self._hnsw = f"{self.data}_hnsw" in names
        self.repaired.append(f"made the indexes {', '.join(n for n in names if not n.endswith('_hnsw')) or '(none but HNSW)'} again")

    def _tables(self) -> list[str]:
        return [self.data, self.articles, self.meta, f"{self.table}_terms", f"{self.table}_bands"]


_RESTORE = "restore the table from a backup (pg_dump, pg_basebackup), or ingest the articles again into a new table"


def _words(text: str, metadata: dict, record: dict, node_id: str, language: str) -> tuple[str, int]:
    """A chunk's words as the store writes them (`pgkeywords.words` of its keyword text)."""
    from .pgkeywords import words

    node = chunk_node(node_id, text, metadata, embed_title=not record.get("title_from_text"))
    return words(keyword_text(node), language)


def _some(ids: list[str]) -> str:
    return ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
