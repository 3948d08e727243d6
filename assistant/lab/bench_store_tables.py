"""The store benchmark's tables (`assistant bench --stores`), markdown."""

from __future__ import annotations


def bulk_table(rows: list[dict]) -> str:
    lines = ["| store | articles | chunks | ingest s | chunks/s | found by keywords after s |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        after = f"{r['keywords_after_s']:.1f}" if r["keywords_after_s"] is not None else "-"
        lines.append(f"| {r['store']} | {r['articles']:,} | {r['chunks']:,} | {r['ingest_s']:.1f} | {r['chunks'] / r['ingest_s']:,.0f} | {after} |")
    return "\n".join(lines)


def sizes_table(rows: list[dict], header: bool = True) -> str:
    lines = (
        [
            "| store | chunks | add one s | remove one s | Assistant add / remove s | exact p50 / p95 ms | approximate p50 / p95 ms | recall@10 "
            "| keywords p50 / p95 ms | 8 readers q/s | layout |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        if header
        else []
    )
    for r in rows:
        exact, approx = r["exact"], r["approximate"]
        cells = [
            r["store"],
            f"{r['chunks']:,}",
            f"{r['add_s']:.3f}",
            f"{r['remove_s']:.3f}",
            f"{r['assistant_add_s']:.3f} / {r['assistant_remove_s']:.3f}",
            f"{exact['dense_ms'][0]:.1f} / {exact['dense_ms'][1]:.1f}" if exact else "-",
            f"{approx['dense_ms'][0]:.1f} / {approx['dense_ms'][1]:.1f}" if approx else "-",
            f"{approx['recall']:.3f}" if approx else "1 (exact)",
            "{:.1f} / {:.1f}".format(*(approx or exact)["keywords_ms"]),
            f"{r['readers_qps']:.0f}" if r.get("readers_qps") else "-",
            r["layout"],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def changes_table(rows: list[dict], header: bool = True) -> str:
    """Adding and removing one article: the store's write alone, and the whole path through
    `Assistant` (chunking, embedding, near-duplicates, write)."""
    lines = (
        [
            "| store | chunks | store add / remove s | Assistant first add s | Assistant add s (max) | Assistant remove s (max) | layout |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        if header
        else []
    )
    for r in rows:
        cells = [
            r["store"],
            f"{r['chunks']:,}",
            f"{r['add_s']:.3f} / {r['remove_s']:.3f}",
            f"{r['assistant_first_add_s']:.3f}",
            f"{r['assistant_add_s']:.3f} ({r['assistant_add_max_s']:.3f})",
            f"{r['assistant_remove_s']:.3f} ({r['assistant_remove_max_s']:.3f})",
            r["layout"],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ef_table(row: dict) -> str:
    """PostgreSQL's HNSW search at each ef_search measured for one size."""
    lines = [f"HNSW at {row['chunks']:,} chunks:", "", "| ef_search | p50 / p95 ms | recall@10 |", "| ---: | ---: | ---: |"]
    for r in row["ef_sweep"]:
        lines.append(f"| {r['ef_search']} | {r['dense_ms'][0]:.1f} / {r['dense_ms'][1]:.1f} | {r['recall']:.3f} |")
    return "\n".join(lines)
