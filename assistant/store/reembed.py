"""`assistant reembed --embedding NAME`: the index's vectors computed again with another embedding
model, from the chunk texts it keeps (no source files needed), while questions keep being
answered with the old ones; then one atomic switch to the new vectors and manifest.

In an index folder the work lives in `.reembed/` inside it:

    .reembed/
      job.json                       the model being embedded with (another model's work is dropped)
      batch-1a2b3c4d.keys.npy        digests of the texts embedded, BATCH_CHUNKS at a time,
      batch-1a2b3c4d.vectors.npy     and their new vectors: a killed run resumes at the batch it was in
      segments/seg-00000042-…/       each live segment written again with its new vectors

Vectors are kept by a digest of the text embedded, not by segment and row: a merge or a
re-ingest by a writer meanwhile moves chunks to new segments, whose texts are found done. The
segments are written beside the index, not in it, since a writer's sweep removes the segments no
catalog names. The switch, under the writers' lock, catches up with what was committed meanwhile
(embedding the few new chunks then), moves the new segments in and commits a catalog that names
them and carries the new manifest (`folder.Catalog.manifest`): one rename of the pointer. A
process still serving with the old model refuses the index at its next question, naming both
models (`local.FolderStore`). PostgreSQL: `pgreembed`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode

from ..errors import IndexStoreError, InputError
from . import folder, folder_path, scheme_of
from .folder import Catalog, Segment
from .local import TRAINED
from .lock import writer_lock
from .records import chunk_node, keyword_language, new_manifest

WORK, JOB, READY = ".reembed", "job.json", "segments"
BATCH_CHUNKS = 512  # new vectors saved per file: at most this much work is lost to a kill -9
EMBED_BATCH = 64  # texts per embedding call: the progress bar moves this often
CATCH_UPS = 3  # passes over what writers committed meanwhile before the switch takes the lock
IDENTITY_KEYS = ("embed_model", "query_prefix", "passage_prefix")
log = logging.getLogger(__name__)


def reembed(where: str, embed_model: BaseEmbedding, identity: dict, progress: bool = False) -> dict:
    """Embed every chunk of the index at `where` again with `embed_model`, then switch to it.

    Args:
        where: an index folder (or folder://PATH), or a postgresql:// URL.
        embed_model: the model to embed with from now on.
        identity: its name and prefixes (`embeddings.embedding_identity`), recorded in the manifest.
        progress: show a progress bar with an ETA.

    Returns:
        {"embed_model", "chunks" embedded by this run, "reused" (embedded by a run cut short),
        "segments" or "rows" switched, "seconds"}.

    Raises:
        InputError: the index is embedded with that model already, or a re-embedding runs.
        IndexStoreError: no index there.
    """
    scheme = scheme_of(where)
    if scheme in ("postgresql", "postgres"):
        from .pgreembed import reembed_postgres

        return reembed_postgres(where, embed_model, identity, progress)
    if scheme != "folder":
        raise InputError(f"reembed works on an index folder or a postgresql:// store, not {scheme}://")
    try:
        return FolderReembedding(folder_path(where), embed_model, identity).run(progress)
    except OSError as error:
        if error.errno not in folder.FULL:
            raise
        # The work kept so far stays in .reembed (it takes about the index's size again).
        raise IndexStoreError(f"the disk holding {where} is full: free some space and run `assistant reembed` again, which resumes where it stopped") from error


def target_manifest(before: dict, embed_model: BaseEmbedding, identity: dict) -> dict:
    """The manifest after the switch: the new model's identity and dimension; the chunking and
    the keyword language kept (the chunks and their term counts are not touched)."""
    dimension = len(embed_model.get_query_embedding("dimension"))
    return new_manifest({**{key: identity[key] for key in IDENTITY_KEYS}, "language": keyword_language(before)}, dimension, before["chunking"])


def same_model(manifest: dict, identity: dict) -> bool:
    return all(manifest.get(key) == identity[key] for key in IDENTITY_KEYS)


def embedded_text(chunk: dict, record: dict) -> str:
    """The text a chunk's vector was made from at ingest: the passage with its title, unless the
    title is only the article's first sentence (`records.make_nodes`)."""
    node = chunk_node(chunk["id"], chunk["text"], chunk["metadata"], embed_title=not record.get("title_from_text"))
    return node.get_content(metadata_mode=MetadataMode.EMBED)


def digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class NewVectors:
    """The vectors embedded so far, by digest of their text, in batch files of the work folder."""

    def __init__(self, work: Path, dimension: int) -> None:
        self.work, self.dimension = work, dimension
        self._where: dict[bytes, tuple[Path, int]] = {}
        self._mapped: dict[Path, np.ndarray] = {}
        for keys in sorted(work.glob("batch-*.keys.npy")):  # a keys file is written last: its batch is whole
            vectors = keys.with_name(keys.name.replace(".keys.", ".vectors."))
            self._where.update((key.tobytes(), (vectors, row)) for row, key in enumerate(np.load(keys)))

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: bytes) -> bool:
        return key in self._where

    def add(self, keys: list[bytes], vectors: np.ndarray) -> None:
        name = f"batch-{uuid.uuid4().hex[:8]}"
        _save(self.work / f"{name}.vectors.npy", np.asarray(vectors, dtype=np.float32))
        # Raw bytes, one row of 16 per key ("S16" would drop a digest's trailing zero bytes).
        _save(self.work / f"{name}.keys.npy", np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), -1))
        self._where.update((key, (self.work / f"{name}.vectors.npy", row)) for row, key in enumerate(keys))

    def matrix(self, keys: list[bytes | None]) -> np.ndarray:
        """One row per key (zeros where None: rows of removed articles)."""
        matrix = np.zeros((len(keys), self.dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            if key is not None:
                path, found = self._where[key]
                matrix[row] = self._map(path)[found]
        return matrix

    def _map(self, path: Path) -> np.ndarray:
        if path not in self._mapped:
            self._mapped[path] = np.load(path, mmap_mode="r")
        return self._mapped[path]


class FolderReembedding:
    """One re-embedding of an index folder, resumed from its work folder if one was cut short."""

    def __init__(self, index_dir: Path, embed_model: BaseEmbedding, identity: dict) -> None:
        self.index_dir, self.work, self._embed = Path(index_dir), Path(index_dir) / WORK, embed_model
        before = folder.live_manifest(self.index_dir)
        if before is None:
            raise IndexStoreError(f"no index in {self.index_dir}: nothing to re-embed (`assistant info --index DIR` shows one)")
        self.before, self.identity = before, identity
        self.counts = {"chunks": 0, "reused": 0}

    def run(self, progress: bool = False) -> dict:
        from tqdm import tqdm

        started = time.monotonic()
        if same_model(self.before, self.identity):
            return self._finish_switched(started)
        target = target_manifest(self.before, self._embed, self.identity)
        self.work.mkdir(exist_ok=True)
        with _alone(self.work):
            self._open_job(target)
            done = NewVectors(self.work, target["dimension"])
            self.counts["reused"] = len(done)
            with tqdm(total=0, desc="Re-embedding", unit="chunk", disable=not progress) as bar:
                for _ in range(CATCH_UPS):  # the live catalog, then what writers committed meanwhile
                    if not self._prepare(self._live(), done, bar):
                        break
                with writer_lock(self.index_dir):
                    catalog = self._live()
                    self._prepare(catalog, done, bar)  # the last few, writers waiting
                    switched = self._switch(catalog, target)
            folder.write_manifest(self.index_dir, target)
        shutil.rmtree(self.work, ignore_errors=True)
        return {"embed_model": target["embed_model"], **self.counts, "segments": switched, "seconds": round(time.monotonic() - started, 3)}

    def _finish_switched(self, started: float) -> dict:
        """The index has the model already: a run killed after its switch left manifest.json
        and the work folder behind; anything else is a mistake."""
        job = self.work / JOB
        if not job.is_file() or not same_model(json.loads(job.read_text()), self.before):
            raise InputError(f"the index in {self.index_dir} is embedded with {self.before['embed_model']!r} already: nothing to do")
        with _alone(self.work):
            if folder.read_manifest(self.index_dir) != self.before:
                folder.write_manifest(self.index_dir, self.before)
        shutil.rmtree(self.work, ignore_errors=True)
        return {"embed_model": self.before["embed_model"], **self.counts, "segments": 0, "seconds": round(time.monotonic() - started, 3)}

    def _open_job(self, target: dict) -> None:
        """Keep the work of a run cut short when it embedded with the same model; drop another's."""
        wanted = {key: target[key] for key in (*IDENTITY_KEYS, "dimension")}
        path = self.work / JOB
        if path.is_file() and json.loads(path.read_text()) != wanted:
            log.warning("dropping the work of a re-embedding with another model in %s", self.work)
            for stale in [*self.work.glob("batch-*"), self.work / READY]:
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)
        path.write_text(json.dumps(wanted))
        (self.work / READY).mkdir(exist_ok=True)

    def _live(self) -> Catalog:
        name = folder.live_catalog(self.index_dir)
        return Catalog.read(self.index_dir, name) if name else Catalog()

    def _prepare(self, catalog: Catalog, done: NewVectors, bar) -> int:
        """Embed what is missing of the catalog's segments not written again yet, and write
        them again; returns how many there were."""
        todo = [entry for entry in catalog.segments if not (self.work / READY / entry["name"]).is_dir()]
        bar.total += sum(entry["chunks"] for entry in todo)
        bar.refresh()
        for entry in todo:
            try:
                segment = Segment.load(self.index_dir, entry["name"], embedded=False)
            except FileNotFoundError:  # merged away and swept by a writer since: the next pass has its successor
                continue
            keys = self._embed_segment(segment, set(entry["removed"]), done, bar)
            folder.write_segment(self.work / READY, entry["name"], segment.chunks, segment.articles, done.matrix(keys), segment.counts)
        return len(todo)

    def _embed_segment(self, segment: Segment, removed: set[str], done: NewVectors, bar) -> list[bytes | None]:
        """The digests of the segment's rows (None for removed articles'), embedding the texts
        not done yet, BATCH_CHUNKS at a time."""
        keys: list[bytes | None] = [None] * len(segment.chunks)
        missing: dict[bytes, str] = {}
        for article_id, rows in segment.rows().items():
            if article_id in removed:
                continue
            for row in rows:
                text = embedded_text(segment.chunks[row], segment.articles[article_id])
                keys[row] = digest(text)
                if keys[row] not in done:
                    missing[keys[row]] = text
        bar.update(len(keys) - len(missing))
        pending = list(missing.items())
        for start in range(0, len(pending), BATCH_CHUNKS):
            batch = pending[start : start + BATCH_CHUNKS]
            vectors = []
            for at in range(0, len(batch), EMBED_BATCH):
                texts = [text for _, text in batch[at : at + EMBED_BATCH]]
                vectors += self._embed.get_text_embedding_batch(texts)
                bar.update(len(texts))
            done.add([key for key, _ in batch], np.asarray(vectors, dtype=np.float32))
            self.counts["chunks"] += len(batch)
        return keys

    def _switch(self, catalog: Catalog, target: dict) -> int:
        """Name the segments written again, with the new manifest, in one commit. The caller
        holds the writers' lock and has written every segment of `catalog` again."""
        switched = catalog.next()
        switched.manifest = target
        # Inverted lists trained on the old vectors would place the new ones by the old model's
        # geometry: trained again by the first process that opens the index past their size.
        (self.index_dir / TRAINED).unlink(missing_ok=True)
        for entry in switched.segments:
            name = f"seg-{switched.commit:08d}-{uuid.uuid4().hex[:8]}"
            os.rename(self.work / READY / entry["name"], self.index_dir / name)
            entry.update(name=name, embedded=True)
        folder.commit(self.index_dir, switched)
        return len(switched.segments)


@contextmanager
def _alone(work: Path):
    """One re-embedding of an index at a time (a second one is refused, not queued)."""
    with (work / ".lock").open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise InputError(f"a re-embedding of {work.parent} is running already (process {handle.read().strip() or '?'})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def _save(path: Path, array: np.ndarray) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}")
    with temporary.open("wb") as out:
        np.save(out, array)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
