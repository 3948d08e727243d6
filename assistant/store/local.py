"""The store the assistant reads and writes, over a local index folder (`folder`).

The assistant sees a store through the methods of `contract.Store` only, with the guarantees
stated there, so that another store (`postgres.PostgresStore`, `memory.MemoryStore`) can stand in
for this one.

Each process holds the live segments in memory. Before every read it checks whether another
process committed since (a `stat` of the pointer) and loads only what changed; every write takes
the folder's writer lock, catches up with the last commit, and writes only the segment it adds.

A live segment that does not read back (a file cut short or damaged, a folder deleted by hand)
is left out: reads are served from the intact segments, `damaged` names what is missing (and a
warning is logged once), and writes are refused until `assistant check --repair` has run, since
a new catalog would carry the damaged segment forward, and an article it holds could be neither
replaced nor removed (its id cannot be read).
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, TextNode

from ..errors import IndexStoreError
from ..types import Article
from . import bands, folder, keywords
from .contract import damage_message
from .folder import Catalog, Segment
from .keywords import TermCounts
from .live import SEGMENT_CHUNKS, Part, chunk_of, groups_of, mask_of
from .lock import holder, writer_lock
from .records import article_record, check_compatible, keyword_language, keyword_text, new_manifest, write_status
from .vectors import Vectors

MAX_SEGMENTS = 32  # past this many, the smallest are merged into one
TRAINED = "ivf.faiss"  # the inverted lists last trained for the index's size, without vectors

log = logging.getLogger(__name__)


class FolderStore:
    """An index folder, read and written by any number of processes."""

    def __init__(self, index_dir: Path, embed_model: BaseEmbedding, identity: dict, chunking: dict) -> None:
        self.index_dir = Path(index_dir)
        self._embed, self._identity = embed_model, identity
        self._state = threading.RLock()  # the in-memory segments, shared by the chat page's threads
        self._manifest = self._read_manifest()
        if self._manifest is None:  # written with the first commit
            dimension = len(embed_model.get_query_embedding("dimension"))
            self._manifest = new_manifest(identity, dimension, chunking)
        self._vectors = Vectors(self._manifest["dimension"])
        self._parts: dict[str, Part] = {}
        self._records: dict[str, dict] = {}  # article id -> record
        self._part_of: dict[str, Part] = {}  # article id -> the segment that holds it
        self._first_ids: list[int] = []
        self._catalog, self._signature = Catalog(), None
        self._damaged: dict[str, dict] = {}  # segment name -> what `damaged` says of it: left out of reads
        self._refresh()

    # -- reading ------------------------------------------------------------------------------

    def articles(self) -> dict[str, dict]:
        """Article id -> {title, source, date, url, ..., hash, chars, node_ids}."""
        self._refresh()
        return self._records

    def records(self, ids: Collection[str]) -> dict[str, dict]:
        """The records of those of `ids` that are stored."""
        records = self.articles()
        return {article_id: records[article_id] for article_id in ids if article_id in records}

    def status(self, article: Article) -> str:
        """'unchanged', 'replaced' or 'added': what writing this article would do."""
        return write_status(self.articles(), article, self._manifest["chunking"])

    def duplicate_candidates(self, signatures: Sequence[Sequence[int]]) -> dict[str, dict]:
        """The records of the articles sharing a near-duplicate band with any of `signatures`:
        each segment's bands looked up (a binary search in its sorted keys), the removed skipped."""
        wanted = bands.wanted(signatures)
        self._refresh()
        with self._state:
            if not len(wanted):
                return {}
            return {article_id: self._records[article_id] for part in self._parts.values() for article_id in part.sharing(wanted)}

    def dense(self, question: str, k: int, among: Collection[str] | None = None) -> list[NodeWithScore]:
        """The k chunks whose vectors are closest to the question's, best first (cosine scores);
        only chunks of the articles `among` when given. Chunks still waiting for their vectors
        are not seen."""
        self._refresh()
        query = self._embed.get_query_embedding(question)
        with self._state:
            allowed = None if among is None else self._ids(among)
            ids, scores = self._vectors.search(np.asarray(query), k, allowed, self._vectors_of)
            return [NodeWithScore(node=self._node(int(i)), score=float(s)) for i, s in zip(ids, scores)]

    def keywords(self, question: str, k: int, among: Collection[str] | None = None) -> list[NodeWithScore]:
        """The k chunks that best match the question's words (BM25, French stemming), best first;
        only chunks of the articles `among` when given."""
        self._refresh()
        with self._state:
            parts = list(self._parts.values())
            searched = [(p.segment.counts, p.alive, None if among is None else mask_of(p, among)) for p in parts]
            hits = keywords.search(searched, question, k, keyword_language(self._manifest))
            return [NodeWithScore(node=chunk_of(parts[n], row), score=score) for n, row, score in hits]

    def waiting(self, limit: int = SEGMENT_CHUNKS) -> list[TextNode]:
        """Chunks written without vectors yet, what background embedding does next: those of
        one segment (the unit its vectors are written in, at most SEGMENT_CHUNKS; `limit` is for
        stores that can take fewer)."""
        self._refresh()
        with self._state:
            for part in self._parts.values():
                if not self._catalog.entry(part.name)["embedded"] and part.alive.any():
                    return [chunk_of(part, row) for row in np.flatnonzero(part.alive)]
        return []

    @property
    def manifest(self) -> dict:
        return self._manifest

    def writer(self) -> str | None:
        return holder(self.index_dir)

    def damaged(self) -> list[dict]:
        """The live segments that do not read back, left out of every read: {segment, reason,
        articles (their ids; None where articles.json is unreadable too), repair (the command)}."""
        self._refresh()
        with self._state:
            return list(self._damaged.values())

    def info(self) -> dict:
        """What `assistant info` shows of the store (`damaged` only when a segment is)."""
        self._refresh()
        with self._state:
            waiting = sum(int(p.alive.sum()) for p in self._parts.values() if not p.searched)
            chunks = sum(int(p.alive.sum()) for p in self._parts.values())
            shown = {
                "index": str(self.index_dir),
                "articles": len(self._records),
                "chunks": chunks,
                "waiting_for_vectors": waiting,
                "vector_search": self._vectors.describe(),
                "segments": len(self._parts),
                "bytes_on_disk": _bytes_on_disk(self.index_dir),
            }
            return {**shown, "damaged": list(self._damaged.values())} if self._damaged else shown

    # -- writing ------------------------------------------------------------------------------

    def write(self, put: list[tuple[Article, list[TextNode]]] = (), remove: list[str] = ()) -> None:
        """Add (or replace) articles with their nodes and remove others, as one commit: on disk
        whole when this returns, and an error leaves the previous index in place. Nodes without
        embeddings wait for `set_vectors` (keyword search sees them at once). An article whose
        content hash is already live is left as it is."""
        with folder.disk_full_stops(self.index_dir, "the index is unchanged"), writer_lock(self.index_dir), self._state:
            self._catch_up()
            self._refuse_on_damage()
            self._save_bands()
            catalog = self._catalog.next()
            chunking = self._manifest["chunking"]
            fresh: dict[str, tuple[dict, list[TextNode]]] = {}
            for article, nodes in put:
                record = article_record(article, nodes, chunking)
                known = self._records.get(article.id)
                if known is not None and known["hash"] == record["hash"]:
                    continue
                fresh[article.id] = (record, nodes)
            for article_id in [*remove, *fresh]:
                if article_id in self._part_of:
                    catalog.entry(self._part_of[article_id].name)["removed"].append(article_id)
            if not fresh and catalog.segments == self._catalog.segments:
                return
            segments = {}
            try:
                for group in groups_of(list(fresh.items())):
                    segment = self._write_segment(catalog, group)
                    segments[segment.name] = segment
                self._commit(catalog, segments)
            except BaseException:
                for name in segments:  # written but never named by a catalog
                    shutil.rmtree(self.index_dir / name, ignore_errors=True)
                raise
            self._compact()

    def set_vectors(self, vectors: dict[str, list[float]]) -> int:
        """Attach vectors to chunks written without them (by node id); one commit. A segment gets
        its vectors once every live chunk of it has one. Returns how many chunks became searchable."""
        kept = "the index keeps what was committed (found by keywords), and the next ingest embeds what still waits"
        with folder.disk_full_stops(self.index_dir, kept), writer_lock(self.index_dir), self._state:
            self._catch_up()
            self._refuse_on_damage()
            catalog, done = self._catalog.next(), 0
            for part in self._parts.values():
                entry = catalog.entry(part.name)
                live = np.flatnonzero(part.alive)
                if entry["embedded"] or not all(part.segment.chunks[row]["id"] in vectors for row in live):
                    continue
                matrix = np.zeros((len(part.segment.chunks), self._manifest["dimension"]), dtype=np.float32)
                matrix[live] = [vectors[part.segment.chunks[row]["id"]] for row in live]
                folder.write_vectors(self.index_dir, part.name, matrix)
                part.segment.vectors, entry["embedded"] = matrix, True
                done += len(live)
            if done:
                self._commit(catalog, {})
                if not any(not p.searched for p in self._parts.values()):
                    self._compact()  # the large ingest is all embedded: its segments can be merged
            return done

    # -- keeping up with the folder -----------------------------------------------------------

    def _refresh(self) -> None:
        """Load what other processes committed since the last look (a `stat` when nothing did)."""
        if folder.signature(self.index_dir) != self._signature:
            with self._state:
                self._catch_up()

    def _read_manifest(self) -> dict | None:
        manifest = folder.live_manifest(self.index_dir)
        if manifest is None and folder.live_catalog(self.index_dir) is not None:  # written before any catalog: lost since
            raise folder.damaged(self.index_dir, f"{folder.MANIFEST} is missing")
        if manifest is not None:
            check_compatible(manifest, self._identity, self.index_dir)
        self._manifest_on_disk = manifest is not None
        return manifest

    def _catch_up(self) -> None:
        if not self._manifest_on_disk:  # another process may have made the index meanwhile
            self._manifest = self._read_manifest() or self._manifest
        for attempt in range(3):
            seen = folder.signature(self.index_dir)
            name = folder.live_catalog(self.index_dir)
            if name is None:
                return
            try:
                self._apply(Catalog.read(self.index_dir, name), {}, seen)
                self._signature = seen
                return
            except FileNotFoundError as error:  # swept by a writer between reading the catalog and its segments
                if attempt == 2:  # or not there at all
                    raise folder.damaged(self.index_dir, f"{error.filename} is missing") from error

    def _apply(self, catalog: Catalog, fresh: dict[str, Segment], seen: tuple | None = None) -> None:
        """Make the in-memory state that of `catalog`, reading only the segments it adds (or
        taking them from `fresh`, just written by this process), and changing the records of
        only the articles it adds or removes. A segment that does not read back is left out
        (`damaged`); one missing while the pointer moved on from `seen` was swept by a writer:
        FileNotFoundError, for the caller to read the new catalog."""
        if catalog == self._catalog and not fresh:
            return  # nothing committed since (a writer's catch-up): the catalog was all it read
        if catalog.manifest and catalog.manifest != self._manifest:
            # Re-embedded by another process (`reembed`): its vectors and this process's model no
            # longer compare, so it is refused here, as on opening, until restarted with the new one.
            check_compatible(catalog.manifest, self._identity, self.index_dir)
            self._manifest = catalog.manifest
        loaded, damaged, vectors = {}, {}, {}
        for entry in catalog.segments:  # reading first: a failure here changes nothing
            name = entry["name"]
            try:
                if name not in self._parts:
                    loaded[name] = fresh.get(name) or Segment.load(self.index_dir, name, entry["embedded"])
                elif entry["embedded"] and self._parts[name].segment.vectors is None:
                    vectors[name] = _vectors_of_segment(self.index_dir, self._parts[name].segment)
            except FileNotFoundError as error:
                if seen is not None and folder.signature(self.index_dir) != seen:
                    raise  # swept by a writer since the catalog was read: not damage
                lost = "its folder" if not (self.index_dir / name).is_dir() else Path(error.filename or name).name
                damaged[name] = self._unreadable(entry, f"{lost} is missing")
            except folder.Damaged as error:
                damaged[name] = self._unreadable(entry, error.reason)
        for name, matrix in vectors.items():
            self._parts[name].segment.vectors = matrix
        self._note_damage(damaged)
        usable = [entry for entry in catalog.segments if entry["name"] not in damaged]
        live = {entry["name"] for entry in usable}
        dropped: list[tuple[str, Part]] = []  # articles no longer live in the part that held them
        added: list[Part] = []
        for name in [n for n in self._parts if n not in live]:
            gone = self._parts.pop(name)
            if gone.searched:
                self._vectors.remove(gone.live_ids())
            dropped += [(a, gone) for a in gone.segment.articles if a not in gone.removed]
        for entry in usable:
            part = self._parts.get(entry["name"])
            if part is None:
                part = self._parts[entry["name"]] = Part(loaded[entry["name"]], entry["first_id"])
                added.append(part)
            dropped += [(a, part) for a in set(entry["removed"]) - part.removed if a in part.rows]
            dead = part.remove(entry["removed"])
            if part.searched:
                self._vectors.remove(dead)
            elif entry["embedded"]:
                self._vectors.add(part.live_ids(), np.asarray(part.segment.vectors)[part.alive])
                part.searched = True
        self._parts = {entry["name"]: self._parts[entry["name"]] for entry in usable}
        if dropped or added:
            # A new dict for readers (`articles` hands it out: one still being read is left whole);
            # the order stays that of the segments, as a rebuild would make it.
            records = dict(self._records)
            for article_id, part in dropped:
                if self._part_of.get(article_id) is part:
                    del self._part_of[article_id], records[article_id]
            for part in added:
                for article_id, record in part.segment.articles.items():
                    if article_id not in part.removed:
                        self._part_of[article_id], records[article_id] = part, record
            self._records = records
        self._first_ids = [p.first_id for p in self._parts.values()]
        self._vectors.refit(self.index_dir / TRAINED if self._manifest_on_disk else None)
        self._catalog = catalog

    def _unreadable(self, entry: dict, reason: str) -> dict:
        """What `damaged` says of a segment: its articles named from articles.json where that
        file still reads back (a cut chunks.jsonl leaves it whole), else None."""
        try:
            held, removed = json.loads((self.index_dir / entry["name"] / folder.ARTICLES).read_text(encoding="utf-8")), set(entry["removed"])
            articles = [article_id for article_id in held if article_id not in removed]
        except (OSError, ValueError, TypeError):
            articles = None
        return {"segment": entry["name"], "reason": reason, "articles": articles, "repair": folder.repair_command(self.index_dir)}

    def _note_damage(self, damaged: dict[str, dict]) -> None:
        """Keep what is damaged now; a warning when that changes (once, not at every read)."""
        if damaged and damaged.keys() != self._damaged.keys():
            log.warning("%s; questions are answered from the rest meanwhile", damage_message(list(damaged.values())))
        self._damaged = damaged

    def _refuse_on_damage(self) -> None:
        if self._damaged:
            raise IndexStoreError(
                f"{damage_message(list(self._damaged.values()))}; nothing is written until it is repaired, "
                "since a new commit would carry the damaged segment forward"
            )

    def _commit(self, catalog: Catalog, fresh: dict[str, Segment]) -> None:
        if not self._manifest_on_disk:
            folder.write_manifest(self.index_dir, self._manifest)
            self._manifest_on_disk = True
        # Segments whose every article was removed are dropped from the catalog (those this commit
        # removes from: the others were checked by the commit that last changed them).
        before = {s["name"]: len(s["removed"]) for s in self._catalog.segments}
        catalog.segments = [
            s for s in catalog.segments
            if s["name"] in fresh or len(s["removed"]) == before.get(s["name"]) or not set(self._articles_of(s["name"])) <= set(s["removed"])
        ]  # fmt: skip
        folder.commit(self.index_dir, catalog)
        self._apply(catalog, fresh)
        self._signature = folder.signature(self.index_dir)

    def _save_bands(self) -> None:
        """Give the segments written before near-duplicate bands were kept their bands file, once
        (the first write after an upgrade: the signatures of every article they hold, read from
        their records, about 0.1 s for 10,000 articles)."""
        for part in self._parts.values():
            if not part.segment.bands_saved:
                folder.write_bands(self.index_dir, part.segment)

    def _articles_of(self, name: str) -> dict:
        return self._parts[name].segment.articles

    def _write_segment(self, catalog: Catalog, group: list[tuple[str, tuple[dict, list[TextNode]]]], vectors=None, counts=None) -> Segment:
        name = f"seg-{catalog.commit:08d}-{uuid.uuid4().hex[:8]}"  # unique: a failed write's leftovers never collide
        nodes = [node for _, (_, article_nodes) in group for node in article_nodes]
        chunks = [{"id": n.id_, "text": n.text, "metadata": n.metadata} for n in nodes]
        if vectors is None and nodes and all(n.embedding is not None for n in nodes):
            vectors = np.asarray([n.embedding for n in nodes], dtype=np.float32)
        counts = counts or TermCounts.of((keyword_text(n) for n in nodes), keyword_language(self._manifest))  # a merge brings its own
        segment = folder.write_segment(self.index_dir, name, chunks, {a: record for a, (record, _) in group}, vectors, counts)
        catalog.segments.append({"name": name, "first_id": catalog.next_id, "chunks": len(chunks), "embedded": vectors is not None, "removed": []})
        catalog.next_id += len(chunks)
        return segment

    def _compact(self) -> None:
        """Merge the smallest embedded segments into one when there are too many (a keyword
        search visits each): their live chunks are copied, vectors and term counts as they are.
        The smallest first, down to half the limit, but no segment larger than all those taken
        before it together once the count is back within the limit: a merge copies the articles
        added one by one, not a large segment (at 1M chunks in segments of 48,000, taking six of
        them copied 288,000 chunks every 16 single-article writes)."""
        if len(self._parts) <= MAX_SEGMENTS:
            return
        embedded = sorted((p for p in self._parts.values() if p.searched), key=lambda p: int(p.alive.sum()))
        merged, size = [], 0
        for part in embedded:
            after = len(self._parts) - len(merged) + 1  # segments once those taken are merged
            live = int(part.alive.sum())
            if len(merged) >= 2 and (after <= MAX_SEGMENTS // 2 or (live > size and after <= MAX_SEGMENTS)):
                break
            merged.append(part)
            size += live
        if len(merged) < 2:
            return
        catalog = self._catalog.next()
        group, kept = [], []
        for part in merged:
            for article_id, rows in part.rows.items():
                if article_id not in part.removed:
                    group.append((article_id, (part.segment.articles[article_id], [chunk_of(part, row) for row in rows])))
            kept.append((part, np.flatnonzero(part.alive)))
        catalog.segments = [s for s in catalog.segments if s["name"] not in {p.name for p in merged}]
        vectors = np.concatenate([np.asarray(part.segment.vectors)[rows] for part, rows in kept])
        counts = TermCounts.merged([(part.segment.counts, rows) for part, rows in kept])
        segment = None
        try:
            segment = self._write_segment(catalog, group, vectors, counts)
            self._commit(catalog, {segment.name: segment})
        except OSError as error:
            if error.errno not in folder.FULL:
                raise
            # The write that called for the merge is committed: the merge waits for one with room.
            if segment is not None and folder.live_catalog(self.index_dir) != f"catalog-{catalog.commit:08d}.json":
                shutil.rmtree(self.index_dir / segment.name, ignore_errors=True)

    # -- from ids to chunks -------------------------------------------------------------------

    def _locate(self, vector_id: int) -> tuple[Part, int]:
        part = list(self._parts.values())[bisect.bisect_right(self._first_ids, vector_id) - 1]
        return part, vector_id - part.first_id

    def _node(self, vector_id: int) -> TextNode:
        return chunk_of(*self._locate(vector_id))

    def _ids(self, among: Collection[str]) -> np.ndarray:
        found = [self._part_of[a].live_rows([a]) + self._part_of[a].first_id for a in among if a in self._part_of and self._part_of[a].searched]
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)

    def _vectors_of(self, ids: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(part.segment.vectors[row]) for part, row in map(self._locate, ids.tolist())])


def _vectors_of_segment(index_dir: Path, segment: Segment) -> np.ndarray:
    """The vectors another process gave a segment this one holds already, checked as on loading."""
    try:
        matrix = folder.load_vectors(index_dir, segment.name)
    except FileNotFoundError:
        raise
    except Exception as error:  # numpy fails its own ways on a cut file
        why = f"{folder.VECTORS} unreadable: {type(error).__name__}"
        raise folder.Damaged(index_dir, f"{segment.name}: {why}", why) from error
    if matrix.ndim != 2 or len(matrix) != len(segment.chunks):
        why = f"{folder.VECTORS} holds {len(matrix)} vectors for {len(segment.chunks)} chunks"
        raise folder.Damaged(index_dir, f"{segment.name}: {why}", why)
    return matrix


def _bytes_on_disk(folder: Path) -> int:
    """The size of the index folder's files. A writer may rename or sweep its staging folder
    while they are counted (`info` during an ingest): what is gone by then is not counted
    (`os.walk` skips a folder it can no longer list)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total
