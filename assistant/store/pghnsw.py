"""PostgreSQL's approximate vector search: pgvector's HNSW index, built with room for its graph,
and searched with the fewest candidates (`ef_search`) that find the target recall, measured on
the stored vectors when the index is built, as the folder chooses its IVF probes
(`layouts.calibrate`).

A fixed ef_search does not hold its recall as the table grows: with pgvector's default graph
(m 16, ef_construction 64), 100 candidates found 1.000 of the exact top 10 at 100,000 chunks and
0.82-0.87 at 1M, where even 1000 found only 0.948 (synthetic clustered vectors, docs/store.md).
The measured value is kept in NAME_meta ('ef_search'), read by every query from there (so a
process that did not build the index uses it too); `?ef_search=N` in the URL overrides it.
"""

from __future__ import annotations

from .layouts import TARGET_RECALL

# A denser graph than pgvector's default: at 1M chunks recall@10 0.975 at ef_search 200 (8.7 ms),
# for a build twice as long (12 minutes) and inserts of 0.2 s instead of 0.1 s.
OPTIONS = {"m": 24, "ef_construction": 128}
EF_SEARCH = 100  # before any measurement (a table indexed by hand, or on shards)
CANDIDATES = (100, 200, 400, 800, 1000)  # tried in turn; pgvector allows 1000 at most
RECALL_QUERIES = 32  # each also searched exactly, which reads every vector: 3 s at 1M chunks


def dense_sql(table: str, among: str) -> str:
    """The k nearest chunks to a vector: parameters (vector, *among's, vector, k)."""
    return (
        f"SELECT node_id, text, metadata_, 1 - (embedding <=> %s::vector) AS score FROM data_{table} "
        f"WHERE embedding IS NOT NULL {among} ORDER BY embedding <=> %s::vector LIMIT %s"
    )


def settings(table: str, ef_search: int | None) -> list[str]:
    """What a vector search sets first: its candidates (the URL's, else the measured ones), and
    pgvector 0.8's iterative scans, so that a restricted search still finds k chunks."""
    if ef_search is not None:
        candidates = f"SET LOCAL hnsw.ef_search = {int(ef_search)}"
    else:
        candidates = f"SELECT set_config('hnsw.ef_search', {measured_sql(table)}, true)"
    return [candidates, "SET LOCAL hnsw.iterative_scan = relaxed_order"]


def measured_sql(table: str) -> str:
    """The ef_search measured on the table's index, else EF_SEARCH, as text (an SQL expression)."""
    return f"coalesce((SELECT value #>> '{{}}' FROM {table}_meta WHERE key = 'ef_search'), '{EF_SEARCH}')"


def build(connection, table: str, dimension: int) -> int:
    """The HNSW index on the table's vectors, then its ef_search measured and kept; returns it."""
    with connection.cursor() as cursor:
        create_index(cursor, table, dimension)
        connection.commit()
        candidates = calibrate(cursor, table)
        cursor.execute(f"INSERT INTO {table}_meta VALUES ('ef_search', to_jsonb(%s)) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (candidates,))
        connection.commit()
    return candidates


def create_index(cursor, table: str, dimension: int, column: str = "embedding", name: str = "", concurrently: bool = False) -> None:
    """The HNSW index on a vector column of the chunks table (`name`: data_TABLE_hnsw); a
    re-embedding (`pgreembed`) builds one on its new column, `concurrently` so that writers
    go on meanwhile (outside a transaction, then)."""
    cursor.execute(f"SELECT count(*) FROM data_{table} WHERE {column} IS NOT NULL")
    # pgvector builds the graph in memory while it fits in maintenance_work_mem, and several
    # times slower on disk past it (at 1M chunks, m 16: 38 minutes with 1 GB on a busy
    # machine, 6 with room for the graph): room for the whole graph, a GB at least.
    graph_mb = cursor.fetchone()[0] * (4 * dimension + 16 * OPTIONS["m"] + 64) * 1.5 / 2**20
    cursor.execute(f"SET maintenance_work_mem = '{max(1024, int(graph_mb))}MB'")
    options = ", ".join(f"{key} = {value}" for key, value in OPTIONS.items())
    how = "CONCURRENTLY " if concurrently else ""
    cursor.execute(f"CREATE INDEX {how}IF NOT EXISTS {name or f'data_{table}_hnsw'} ON data_{table} USING hnsw ({column} vector_cosine_ops) WITH ({options})")


def calibrate(cursor, table: str, target_recall: float = TARGET_RECALL, k: int = 10) -> int:
    """The fewest CANDIDATES whose recall@k against exact search reaches `target_recall`, for a
    sample of the stored vectors used as queries (the most, if none does)."""
    cursor.execute("SELECT setseed(0.5)")  # the same sample for the same table
    cursor.execute(f"SELECT embedding::text FROM data_{table} WHERE embedding IS NOT NULL ORDER BY random() LIMIT %s", (RECALL_QUERIES,))
    queries = [row[0] for row in cursor.fetchall()]
    if not queries:
        return EF_SEARCH
    sql = dense_sql(table, "")
    cursor.execute("SET LOCAL enable_indexscan = off")  # exact: every vector read
    truth = [_top(cursor, sql, vector, k) for vector in queries]
    cursor.execute("SET LOCAL enable_indexscan = on")
    cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    for candidates in CANDIDATES:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {candidates}")
        found = sum(len(_top(cursor, sql, vector, k) & exact) for vector, exact in zip(queries, truth))
        if found >= target_recall * sum(len(exact) for exact in truth):
            break
    cursor.connection.rollback()  # the SET LOCALs
    return candidates


def _top(cursor, sql: str, vector: str, k: int) -> set[str]:
    cursor.execute(sql, (vector, vector, k))
    return {row[0] for row in cursor.fetchall()}
