"""The segments of an opened index folder, in memory: which rows are live, and how a write's
articles are cut into segments."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from llama_index.core.schema import TextNode

from . import bands
from .folder import Segment
from .records import chunk_node

SEGMENT_CHUNKS = 4096  # a large ingest is cut into segments this size: the unit of background embedding


class Part:
    """A live segment: which of its rows are still live, and whether its vectors are searched."""

    def __init__(self, segment: Segment, first_id: int) -> None:
        self.segment, self.first_id = segment, first_id
        self.rows = segment.rows()
        self.alive = np.ones(len(segment.chunks), dtype=bool)
        self.removed: set[str] = set()
        self.searched = False  # its vectors are in the FAISS index
        self._ids = list(segment.articles)  # article ids by position, as its bands name them

    @property
    def name(self) -> str:
        return self.segment.name

    def remove(self, article_ids: Collection[str]) -> np.ndarray:
        """Mark these articles' rows dead; the ids of the rows that were live until now."""
        dead = [np.arange(self.rows[a].start, self.rows[a].stop) for a in set(article_ids) - self.removed if a in self.rows]
        self.removed |= set(article_ids)
        rows = np.concatenate(dead) if dead else np.empty(0, dtype=np.int64)
        self.alive[rows] = False
        return rows + self.first_id

    def sharing(self, wanted: np.ndarray) -> list[str]:
        """Its live articles that have any of the near-duplicate band keys `wanted` (sorted)."""
        found = (self._ids[n] for n in bands.sharing(self.segment.band_table(), wanted).tolist())
        return [article_id for article_id in found if article_id not in self.removed]

    def live_ids(self) -> np.ndarray:
        return np.flatnonzero(self.alive) + self.first_id

    def live_rows(self, article_ids: Collection[str] | None) -> np.ndarray:
        if article_ids is None:
            return np.flatnonzero(self.alive)
        found = [np.arange(self.rows[a].start, self.rows[a].stop) for a in article_ids if a in self.rows and a not in self.removed]
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def chunk_of(part: Part, row: int) -> TextNode:
    chunk = part.segment.chunks[row]
    return chunk_node(chunk["id"], chunk["text"], chunk["metadata"])


def mask_of(part: Part, among: Collection[str]) -> np.ndarray:
    mask = np.zeros(len(part.alive), dtype=bool)
    mask[part.live_rows(among)] = True
    return mask


def groups_of(fresh: list[tuple[str, tuple[dict, list[TextNode]]]]) -> list[list]:
    """The segments a write makes: one for the articles that come with vectors; those without
    cut into segments of about SEGMENT_CHUNKS chunks, the units their vectors are written in."""
    embedded = [item for item in fresh if item[1][1] and all(n.embedding is not None for n in item[1][1])]
    groups: list[list] = [embedded] if embedded else []
    with_vectors = {article_id for article_id, _ in embedded}
    size = SEGMENT_CHUNKS
    for item in fresh:
        if item[0] in with_vectors:
            continue
        if size and size + len(item[1][1]) > SEGMENT_CHUNKS:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += len(item[1][1])
    return groups
