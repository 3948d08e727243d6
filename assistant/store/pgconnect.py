"""Connections to the PostgreSQL store: the primary for writes, the standbys (or the primary)
for queries, pooled per thread of the chat page; and the store's URL."""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import IndexStoreError, InputError, MissingDependencyError

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
POOL = 16  # connections per server and process: the chat page's threads, at most


class Connections:
    """Pooled connections to a primary and its read-only standbys (queries take them in turn)."""

    def __init__(self, primary_url: str, replica_urls: list[str]) -> None:
        self.primary_url = primary_url
        self._pools: dict = {}
        self._readers = itertools.cycle(replica_urls or [primary_url])

    @contextmanager
    def borrow(self, primary: bool):
        """A connection for the block: the primary's, or the next reader's."""
        pool = self._pool(self.primary_url if primary else next(self._readers))
        connection = pool.getconn()
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        finally:
            pool.putconn(connection)

    @contextmanager
    def transaction(self):
        """A cursor on the primary whose work commits at the end of the block, or not at all."""
        with self.borrow(primary=True) as connection, connection.cursor() as cursor:
            # A write returns once it is durable, whatever the server's default (and standbys are
            # then waited for up to the flushed position, see `pgcluster.wait_for_replay`).
            cursor.execute("SET LOCAL synchronous_commit = on")
            yield cursor
            connection.commit()

    def close(self) -> None:
        for pool in self._pools.values():
            pool.closeall()
        self._pools.clear()

    def _pool(self, url: str):
        if url not in self._pools:
            try:
                import psycopg2
                from psycopg2.pool import ThreadedConnectionPool
            except ImportError:
                raise MissingDependencyError("psycopg2", "pip install psycopg2-binary") from None
            try:
                self._pools[url] = ThreadedConnectionPool(1, POOL, url)
            except psycopg2.OperationalError as error:
                raise IndexStoreError(f"cannot connect to {redact(url)}: {str(error).strip()}") from None
        return self._pools[url]


@dataclass(frozen=True)
class StoreURL:
    """What a store URL says: libpq's URLs for the primary and the standbys, and the store's own
    options (`table`, `replicas`, `ef_search`), which libpq would refuse."""

    primary: str
    replicas: list[str]
    table: str = "assistant"
    ef_search: int | None = None  # candidates an HNSW search keeps; None: those measured (`pghnsw`)


def parse_url(url: str) -> StoreURL:
    """`postgresql://user@host:port/db?table=NAME&replicas=host:port,host:port&ef_search=N`."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    table = query.pop("table", "assistant").lower()
    if not NAME.match(table):
        raise InputError(f"table={table!r} in the store URL: use lower-case letters, digits and _ (at most 41)")
    try:
        given = query.pop("ef_search", None)
        ef_search = None if given is None else int(given)
    except ValueError:
        raise InputError("ef_search in the store URL must be a whole number (candidates an HNSW search keeps)") from None
    hosts = [h for h in query.pop("replicas", "").split(",") if h]
    primary = urlunsplit(parts._replace(query=urlencode(query)))
    credentials = parts.netloc.rpartition("@")[0]
    replicas = [urlunsplit(parts._replace(netloc=f"{credentials}@{host}" if credentials else host, query=urlencode(query))) for host in hosts]
    return StoreURL(primary, replicas, table, ef_search)


def redact(url: str) -> str:
    """The URL without its password, for messages and `info`."""
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)
