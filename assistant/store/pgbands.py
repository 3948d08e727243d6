"""The near-duplicate bands in PostgreSQL (`bands`): a table NAME_bands of (band key, article id),
28 rows per article with a signature, under a B-tree on the key (its primary key) and one on the
article (for deletes), so that an article's candidates are the rows of its 28 keys.

A `bigint[]` per article under a GIN index would be 28 times fewer rows, but PostgreSQL cannot
estimate `&&` on keys that are all distinct (it takes 13 % of the table for 28 keys) and scanned
the whole table: 64 ms at 30,000 articles, where the B-tree's lookup takes a fraction of one. The
lookup also turns sequential scans off for itself, so that a table not yet analysed (just
filled) is not scanned either.
"""

from __future__ import annotations

import numpy as np

from . import bands

MIGRATE_BATCH = 5_000  # records read at a time when a store written before is given its bands


def create(cursor, table: str) -> None:
    """The bands table where it is missing, filled from the records already there (a store written
    before the bands were kept gets them once, here), then indexed."""
    cursor.execute("SELECT to_regclass(%s) IS NULL", (f"{table}_bands",))
    if not cursor.fetchone()[0]:
        return
    cursor.execute(f"CREATE TABLE {table}_bands (band bigint NOT NULL, article_id varchar NOT NULL, PRIMARY KEY (band, article_id))")
    last = ""
    while True:
        cursor.execute(f"SELECT article_id, record->'minhash' FROM {table}_articles WHERE article_id > %s ORDER BY article_id LIMIT %s", (last, MIGRATE_BATCH))
        batch = dict(cursor.fetchall())
        if not batch:
            break
        insert(cursor, table, batch)
        last = max(batch)
    cursor.execute(f"CREATE INDEX {table}_bands_article ON {table}_bands (article_id)")
    cursor.execute(f"ANALYZE {table}_bands")


def insert(cursor, table: str, signatures: dict[str, list[int] | None]) -> None:
    """The bands of these articles (article id -> signature; none for one without)."""
    from psycopg2.extras import execute_values

    ids = list(signatures)
    found, positions = bands.keys([signatures[a] or () for a in ids])
    rows = [(band, ids[n]) for n, keys in zip(positions.tolist(), found.view(np.int64).tolist()) for band in dict.fromkeys(keys)]
    execute_values(cursor, f"INSERT INTO {table}_bands (band, article_id) VALUES %s", rows, page_size=2000)


def delete(cursor, table: str, article_ids: list[str]) -> None:
    cursor.execute(f"DELETE FROM {table}_bands WHERE article_id = ANY(%s)", (article_ids,))


def candidates_sql(table: str) -> str:
    """The records of the articles holding any of the keys given (one `bigint[]` parameter)."""
    return (
        f"SELECT a.article_id, a.record FROM {table}_articles AS a "
        f"WHERE a.article_id = ANY(ARRAY(SELECT DISTINCT article_id FROM {table}_bands WHERE band = ANY(%s::bigint[])))"
    )


SETTINGS = ["SET LOCAL enable_seqscan = off"]  # for `candidates_sql`: found through the keys' index


def wanted(signatures) -> list[int]:
    """The keys to look up, as PostgreSQL's bigint holds them."""
    return bands.wanted(signatures).view(np.int64).tolist()
