"""BM25 in PostgreSQL: the local store's keyword search (`keywords.search`: bm25s's Lucene
variant, its tokens, French stop words and stemmer), computed by the server, so that both stores
rank alike.

`ts_rank` over PostgreSQL's own French `tsvector` is not BM25: it weighs every word of the question
alike, however common, and found the gold paragraph in the top 5 for 4.7 points fewer PIAF
questions; BM25 over PostgreSQL's French parser and stop words still found 1.4 points fewer than
the local store (docs/store.md). So each chunk's words are the local store's tokens of its
`keyword_text` (the title with the passage), stemmed here and written with the chunk as a `tsvector` (`keyword_tsv`, GIN-indexed: a lexeme's positions give
its term frequency), with their number (`keyword_length`). BM25 also needs how many chunks hold
each word and the corpus's size; every write keeps them in its transaction (under the store's
write lock, so writers never race on them):

  NAME_terms      lexeme -> how many chunks hold it
  NAME_meta       'keywords' -> {"chunks": N, "tokens": total tokens}

The candidates are the chunks holding any of the question's lexemes, every one of them scored.
"""

from __future__ import annotations

from .keywords import K1, LANGUAGE, B, tokens
from .records import chunk_node, keyword_text

# Tokens are written space-separated and read back by the `simple` configuration (no stemming,
# no stop words: they are the local store's already), on the chunks and on the question alike.
WORDS = "to_tsvector('simple', %s)"
BACKFILL_BATCH = 2_000


def words(text: str, language: str = LANGUAGE) -> tuple[str, int]:
    """What `WORDS` turns into a chunk's (or a question's) lexemes, and how many tokens, in the
    index's language."""
    found = tokens(text, language)
    return " ".join(found), len(found)


def create(cursor, table: str) -> None:
    """The statistics table and the corpus totals, counted from the chunks already there (a
    store written before BM25 was kept gets its words and counts once, here)."""
    cursor.execute("SELECT to_regclass(%s) IS NULL", (f"{table}_terms",))
    if not cursor.fetchone()[0]:
        return
    cursor.execute(f"ALTER TABLE data_{table} ADD COLUMN IF NOT EXISTS keyword_tsv tsvector, ADD COLUMN IF NOT EXISTS keyword_length integer")
    _backfill(cursor, table)
    cursor.execute(f"CREATE INDEX IF NOT EXISTS data_{table}_keywords ON data_{table} USING gin (keyword_tsv)")
    cursor.execute(f"CREATE TABLE {table}_terms (lexeme text PRIMARY KEY, chunks bigint NOT NULL)")
    cursor.execute(f"INSERT INTO {table}_terms SELECT u.lexeme, count(*) FROM data_{table} AS d, unnest(d.keyword_tsv) AS u GROUP BY u.lexeme")
    cursor.execute(f"SELECT count(*), coalesce(sum(keyword_length), 0) FROM data_{table}")
    chunks, length = cursor.fetchone()
    cursor.execute(
        f"INSERT INTO {table}_meta VALUES ('keywords', jsonb_build_object('chunks', %s::bigint, 'tokens', %s::bigint)) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (chunks, length),
    )


def count(cursor, table: str, article_ids: list[str], sign: int) -> None:
    """Add (sign 1) or take away (sign -1) the chunks of these articles to the statistics: after
    they are inserted, before they are deleted."""
    cursor.execute(
        f"INSERT INTO {table}_terms AS t "
        f"SELECT u.lexeme, %s * count(*) FROM data_{table} AS d, unnest(d.keyword_tsv) AS u "
        "WHERE d.article_id = ANY(%s) GROUP BY u.lexeme "
        "ON CONFLICT (lexeme) DO UPDATE SET chunks = t.chunks + excluded.chunks",
        (sign, article_ids),
    )
    cursor.execute(f"SELECT count(*), coalesce(sum(keyword_length), 0) FROM data_{table} WHERE article_id = ANY(%s)", (article_ids,))
    chunks, length = cursor.fetchone()
    cursor.execute(
        f"UPDATE {table}_meta SET value = jsonb_build_object("
        "'chunks', (value->>'chunks')::bigint + %s * %s::bigint, 'tokens', (value->>'tokens')::bigint + %s * %s::bigint) "
        "WHERE key = 'keywords'",
        (sign, chunks, sign, length),
    )


def search_sql(table: str, among: str) -> str:
    """The k best chunks by BM25 for a question: parameters (words(question), *among's, k).

    idf = ln(1 + (N - n + 0.5) / (n + 0.5)) for a lexeme n chunks hold; a chunk scores, for each
    lexeme of the question (as often as the question says it), idf * tf / (tf + K1 * (1 - B + B *
    length / mean length)). A chunk's tf are read from its tsvector cut down to the question's
    lexemes (marked by `setweight`, kept by `ts_filter`), not from all of its words."""
    return f"""
        WITH asked AS (
            SELECT lexeme, cardinality(positions) AS times FROM unnest({WORDS})
        ), corpus AS (
            SELECT (value->>'chunks')::float8 AS chunks, greatest((value->>'tokens')::float8 / greatest((value->>'chunks')::float8, 1), 1) AS mean
            FROM {table}_meta WHERE key = 'keywords'
        ), weights AS (
            SELECT a.lexeme, a.times * ln(1 + (c.chunks - t.chunks + 0.5) / (t.chunks + 0.5)) AS idf
            FROM asked AS a JOIN {table}_terms AS t USING (lexeme), corpus AS c
        ), lexemes AS (
            SELECT array_agg(lexeme) AS marked, string_agg(quote_literal(lexeme), ' | ')::tsquery AS query FROM weights
        ), found AS (
            SELECT d.node_id, d.text, d.metadata_, ts_filter(setweight(d.keyword_tsv, 'A', l.marked), '{{a}}') AS held, d.keyword_length AS length
            FROM data_{table} AS d, lexemes AS l
            WHERE d.keyword_tsv @@ l.query {among}
        )
        SELECT f.node_id, f.text, f.metadata_, s.score
        FROM found AS f, corpus AS c, LATERAL (
            SELECT sum(w.idf * cardinality(u.positions) / (cardinality(u.positions) + {K1} * (1 - {B} + {B} * f.length / c.mean))) AS score
            FROM unnest(f.held) AS u JOIN weights AS w USING (lexeme)
        ) AS s
        ORDER BY s.score DESC, f.node_id LIMIT %s"""


def _backfill(cursor, table: str) -> None:
    """Words for the chunks written without them, in batches."""
    from psycopg2.extras import execute_values

    while True:
        cursor.execute(f"SELECT id, node_id, text, metadata_ FROM data_{table} WHERE keyword_tsv IS NULL LIMIT %s", (BACKFILL_BATCH,))
        rows = cursor.fetchall()
        if not rows:
            return
        execute_values(
            cursor,
            f"UPDATE data_{table} AS d SET keyword_tsv = {WORDS.replace('%s', 'v.words')}, keyword_length = v.length "
            "FROM (VALUES %s) AS v(id, words, length) WHERE d.id = v.id",
            [(row_id, *words(keyword_text(chunk_node(node_id, text, metadata)))) for row_id, node_id, text, metadata in rows],
        )
