"""The near-duplicate bands in PostgreSQL (`bands`): a table NAME_bands of one row per article
with a signature, its 28 band keys as a `bigint[]` under a GIN index, so that an article's
candidates are the rows holding any of its keys (`&&`), found through the index.

One row per article rather than one per band: 28 times fewer rows, and the GIN index keeps each
key's articles as one compressed list. `fastupdate` is off: an insert updates the index at once
instead of piling up a pending list that some later write would pay to merge.
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
    cursor.execute(f"CREATE TABLE {table}_bands (article_id varchar PRIMARY KEY, keys bigint[] NOT NULL)")
    last = ""
    while True:
        cursor.execute(f"SELECT article_id, record->'minhash' FROM {table}_articles WHERE article_id > %s ORDER BY article_id LIMIT %s", (last, MIGRATE_BATCH))
        batch = dict(cursor.fetchall())
        if not batch:
            break
        insert(cursor, table, batch)
        last = max(batch)
    cursor.execute(f"CREATE INDEX {table}_bands_keys ON {table}_bands USING gin (keys) WITH (fastupdate = off)")


def insert(cursor, table: str, signatures: dict[str, list[int] | None]) -> None:
    """The bands of these articles (article id -> signature; none for one without)."""
    from psycopg2.extras import execute_values

    ids = list(signatures)
    found, positions = bands.keys([signatures[a] or () for a in ids])
    rows = [(ids[n], keys) for n, keys in zip(positions.tolist(), found.view(np.int64).tolist())]
    execute_values(cursor, f"INSERT INTO {table}_bands (article_id, keys) VALUES %s", rows, template="(%s, %s::bigint[])", page_size=1000)


def delete(cursor, table: str, article_ids: list[str]) -> None:
    cursor.execute(f"DELETE FROM {table}_bands WHERE article_id = ANY(%s)", (article_ids,))


def candidates_sql(table: str) -> str:
    """The records of the articles holding any of the keys given (one `bigint[]` parameter)."""
    return f"SELECT a.article_id, a.record FROM {table}_bands AS b JOIN {table}_articles AS a USING (article_id) WHERE b.keys && %s::bigint[]"


def wanted(signatures) -> list[int]:
    """The keys to look up, as PostgreSQL's bigint holds them."""
    return bands.wanted(signatures).view(np.int64).tolist()
