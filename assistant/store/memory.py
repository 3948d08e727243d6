"""A store in this process's memory, written from `contract.Store` and the shared `records` alone
(nothing of the folder's or PostgreSQL's): for tests, notebooks and demos that need no folder
and no server, and the smallest example of a store.

`memory://` opens a store of its own; `memory://NAME` one shared by every store opened on that
name in this process while any of them is alive (as a folder is by the processes that open it).
Nothing outlives the process. Each commit is a new immutable `_Contents` swapped in whole, so a
reader (any thread) sees one commit or the next, never half of one. Dense search is exact
(numpy, every vector); keyword search is the folder's BM25 (`keywords`), over the term counts of
each article, counted once when it is written and merged for the first question after a commit;
the near-duplicate bands (`bands`) are made from the records for the first lookup after a commit.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, TextNode

from ..errors import IndexStoreError
from ..types import Article
from . import bands, keywords
from .contract import WriteStatus
from .keywords import TermCounts
from .records import Recorded, article_record, check_compatible, chunk_node, keyword_language, keyword_text, new_manifest, write_status

WAITING_LIMIT = 2048  # chunks handed to background embedding at a time


@dataclass(frozen=True)
class _Chunk:
    node_id: str
    article_id: str
    text: str
    metadata: dict
    vector: np.ndarray | None = None  # unit length, once given

    def node(self) -> TextNode:
        return chunk_node(self.node_id, self.text, self.metadata)


class _Contents:
    """One commit: the manifest (None before the first write), the article records, their
    chunks and term counts. Never changed once made; what searches derive from it is cached."""

    def __init__(self, manifest: dict | None, records: dict[str, dict], chunks: dict[str, list[_Chunk]], counts: dict[str, TermCounts]) -> None:
        self.manifest, self.records, self.chunks, self.counts = manifest, records, chunks, counts

    @cached_property
    def rows(self) -> list[_Chunk]:
        return [chunk for article_id in self.records for chunk in self.chunks[article_id]]

    @cached_property
    def article_of_row(self) -> np.ndarray:
        return np.asarray([chunk.article_id for chunk in self.rows], dtype=object)

    @cached_property
    def term_counts(self) -> TermCounts:
        return TermCounts.merged([(self.counts[a], np.arange(len(self.chunks[a]))) for a in self.records])

    @cached_property
    def embedded(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows that have a vector, and their vectors (one per line)."""
        rows = np.asarray([row for row, chunk in enumerate(self.rows) if chunk.vector is not None], dtype=np.int64)
        vectors = np.stack([self.rows[row].vector for row in rows]) if len(rows) else np.empty((0, 0), dtype=np.float32)
        return rows, vectors

    @cached_property
    def band_table(self) -> tuple[list[str], np.ndarray]:
        """The article ids in order, and their near-duplicate bands (`bands.table`)."""
        ids = list(self.records)
        return ids, bands.table([self.records[a].get("minhash") or () for a in ids])

    def mask(self, among: Collection[str] | None) -> np.ndarray | None:
        """Which rows belong to the articles `among` (None: no restriction)."""
        return None if among is None else np.isin(self.article_of_row, list(among))


class _Shelf:
    """What the stores opened on one name share: the live commit, and the lock writers take turns on."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.contents = _Contents(None, {}, {}, {})


_shelves: weakref.WeakValueDictionary[str, _Shelf] = weakref.WeakValueDictionary()
_shelves_guard = threading.Lock()


def _shelf(name: str) -> _Shelf:
    if not name:
        return _Shelf()
    with _shelves_guard:
        found = _shelves.get(name)
        if found is None:
            found = _shelves[name] = _Shelf()
        return found


class MemoryStore:
    """An index held in memory (`memory://` or `memory://NAME`)."""

    def __init__(self, where: str, embed_model: BaseEmbedding, identity: dict, chunking: dict) -> None:
        self.where = where
        self._shelf = _shelf(where.split("://", 1)[-1])  # held: a named shelf lives while a store on it does
        self._embed, self._identity = embed_model, identity
        self._manifest = new_manifest(identity, len(embed_model.get_query_embedding("dimension")), chunking)
        self._now()

    # -- reading ------------------------------------------------------------------------------

    def articles(self) -> dict[str, dict]:
        return self._now().records

    def records(self, ids: Collection[str]) -> dict[str, dict]:
        records = self._now().records
        return {article_id: records[article_id] for article_id in ids if article_id in records}

    def status(self, article: Article) -> WriteStatus:
        return write_status(self.articles(), article, self._manifest["chunking"])

    def duplicate_candidates(self, signatures: Sequence[Sequence[int]]) -> dict[str, dict]:
        contents = self._now()
        wanted = bands.wanted(signatures)
        if not len(wanted) or not contents.records:
            return {}
        ids, lookup = contents.band_table
        return {ids[n]: contents.records[ids[n]] for n in bands.sharing(lookup, wanted).tolist()}

    def dense(self, question: str, k: int, among: Collection[str] | None = None) -> list[NodeWithScore]:
        contents = self._now()
        rows, vectors = contents.embedded
        mask = contents.mask(among)
        if mask is not None:
            keep = mask[rows]
            rows, vectors = rows[keep], vectors[keep]
        if not len(rows) or k <= 0:
            return []
        scores = vectors @ _unit(self._embed.get_query_embedding(question))
        best = np.argsort(-scores, kind="stable")[:k]
        return [NodeWithScore(node=contents.rows[rows[i]].node(), score=float(scores[i])) for i in best]

    def keywords(self, question: str, k: int, among: Collection[str] | None = None) -> list[NodeWithScore]:
        contents = self._now()
        if not contents.rows:
            return []
        alive = np.ones(len(contents.rows), dtype=bool)
        hits = keywords.search([(contents.term_counts, alive, contents.mask(among))], question, k, keyword_language(self._manifest))
        return [NodeWithScore(node=contents.rows[row].node(), score=score) for _, row, score in hits]

    def waiting(self, limit: int = WAITING_LIMIT) -> list[TextNode]:
        return [chunk.node() for chunk in self._now().rows if chunk.vector is None][:limit]

    @property
    def manifest(self) -> dict:
        self._now()
        return self._manifest

    def writer(self) -> str | None:
        return None  # a write holds the process's own lock only for the time of a call

    def damaged(self) -> list[dict]:
        return []  # nothing on disk to damage

    def info(self) -> dict:
        contents = self._now()
        waiting = sum(chunk.vector is None for chunk in contents.rows)
        return {
            "index": self.where,
            "articles": len(contents.records),
            "chunks": len(contents.rows),
            "waiting_for_vectors": waiting,
            "vector_search": "exact (numpy, every vector)",
            "bytes_on_disk": 0,
        }

    # -- writing ------------------------------------------------------------------------------

    def write(self, put: Sequence[tuple[Article | Recorded, list[TextNode]]] = (), remove: Sequence[str] = ()) -> None:
        with self._shelf.lock:
            contents = self._now()
            chunking, dimension = self._manifest["chunking"], self._manifest["dimension"]
            fresh: dict[str, tuple[dict, list[_Chunk], TermCounts]] = {}
            for article, nodes in put:
                record = article_record(article, nodes, chunking)
                known = contents.records.get(article.id)
                if known is None or known["hash"] != record["hash"]:
                    # Made before anything is swapped in: an error here leaves the last commit live.
                    made = [_chunk_of(article.id, node, dimension) for node in nodes]
                    fresh[article.id] = (record, made, TermCounts.of((keyword_text(node) for node in nodes), keyword_language(self._manifest)))
            gone = [a for a in dict.fromkeys([*remove, *fresh]) if a in contents.records]
            if not fresh and not gone:
                return
            records, chunks, counts = dict(contents.records), dict(contents.chunks), dict(contents.counts)
            for article_id in gone:
                del records[article_id], chunks[article_id], counts[article_id]
            for article_id, (record, made, counted) in fresh.items():
                records[article_id], chunks[article_id], counts[article_id] = record, made, counted
            self._shelf.contents = _Contents(self._manifest, records, chunks, counts)

    def set_vectors(self, vectors: dict[str, list[float]]) -> int:
        with self._shelf.lock:
            contents, done = self._now(), 0
            chunks = dict(contents.chunks)
            for article_id, article_chunks in contents.chunks.items():
                given = [_with_vector(chunk, vectors, self._manifest["dimension"]) for chunk in article_chunks]
                changed = sum(new is not old for new, old in zip(given, article_chunks))
                if changed:
                    chunks[article_id], done = given, done + changed
            if done:
                self._shelf.contents = _Contents(contents.manifest, contents.records, chunks, contents.counts)
            return done

    # -- the shelf ----------------------------------------------------------------------------

    def _now(self) -> _Contents:
        """The live commit; the first time it carries another store's manifest, checked against ours."""
        contents = self._shelf.contents
        if contents.manifest is not None and contents.manifest is not self._manifest:
            check_compatible(contents.manifest, self._identity, self.where)
            self._manifest = contents.manifest
        return contents


def _chunk_of(article_id: str, node: TextNode, dimension: int) -> _Chunk:
    vector = None if node.embedding is None else _unit(node.embedding, dimension)
    return _Chunk(node.id_, article_id, node.text, node.metadata, vector)


def _with_vector(chunk: _Chunk, vectors: dict[str, list[float]], dimension: int) -> _Chunk:
    if chunk.vector is not None or chunk.node_id not in vectors:
        return chunk
    return replace(chunk, vector=_unit(vectors[chunk.node_id], dimension))


def _unit(vector, dimension: int | None = None) -> np.ndarray:
    """The vector at length one (cosine is then a dot product); a zero vector stays zero."""
    vector = np.asarray(vector, dtype=np.float32)
    if dimension is not None and vector.shape != (dimension,):
        # Refused now, as the other stores refuse it, rather than breaking every search later.
        raise IndexStoreError(f"a vector of {vector.size} numbers for an index of dimension {dimension}: embed with the index's model")
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
