"""The store benchmark, on tiny sizes: every figure is there and the tables are whole."""

import shutil

import pytest

from assistant.lab import bench_store
from tests import pg


@pytest.mark.slow  # 40 s: reader processes each load llama-index
def test_the_store_benchmark_measures_both_stores(monkeypatch):
    shutil.rmtree(pg.workspace())  # skips where no PostgreSQL server can start
    monkeypatch.setattr(bench_store, "READERS", 2)
    monkeypatch.setattr(bench_store, "READ_S", 0.5)
    monkeypatch.setattr(bench_store, "QUERIES", 5)
    import io

    out = io.StringIO()
    results = bench_store.run_store_bench(sizes=(600,), bulk=60, out=out, ef_search=(10, 200))
    bulk = {row["store"]: row for row in results["bulk"]}
    assert bulk["folder"]["chunks"] == bulk["postgresql"]["chunks"] > 256
    assert bulk["folder"]["keywords_after_s"] < bulk["folder"]["ingest_s"], "found by keywords before it is all embedded"
    rows = {row["store"]: row for row in results["sizes"]}
    assert rows["folder"]["exact"]["recall"] == 1.0, "exact search finds the exact top 10"
    assert rows["postgresql"]["exact"]["recall"] == 1.0 and rows["postgresql"]["approximate"]["recall"] >= 0.9
    assert all(row["add_s"] > 0 and row["remove_s"] > 0 and row["readers_qps"] > 0 for row in rows.values())
    assert [row["ef_search"] for row in rows["postgresql"]["ef_sweep"]] == [10, 200] and rows["postgresql"]["ef_sweep"][1]["recall"] >= 0.9
    table = out.getvalue()
    assert table.count("| folder |") == 2 and table.count("| postgresql |") == 2
    assert "| 200 |" in table, "the ef_search sweep has its table"
    assert all(row["assistant_add_s"] > 0 and row["assistant_remove_s"] > 0 for row in rows.values()), "through Assistant too"


@pytest.mark.slow  # a PostgreSQL server
def test_the_change_benchmark_adds_and_removes_through_assistant_on_both_stores():
    shutil.rmtree(pg.workspace())  # skips where no PostgreSQL server can start
    import io

    out = io.StringIO()
    results = bench_store.run_store_bench(sizes=(600,), bulk=0, out=out, changes_only=True)
    rows = {row["store"]: row for row in results["sizes"]}
    assert set(rows) == {"folder", "postgresql"} and rows["postgresql"]["layout"].startswith("HNSW")
    for row in rows.values():
        assert 0 < row["assistant_add_s"] <= row["assistant_add_max_s"] and 0 < row["assistant_remove_s"] <= row["assistant_remove_max_s"]
    assert out.getvalue().count("| folder |") == 1 and "Assistant add s" in out.getvalue()
