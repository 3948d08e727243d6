"""The index folder on disk: a manifest, immutable segments, and catalogs that list the live ones.
What the manifest and the article records hold is the same in every store (`records`).

A change writes only what it adds: a new segment folder (the chunks of the articles it adds,
their term counts, their vectors when they have some), then a new catalog (the segments, and per
segment the articles removed from it since), then switches the `CURRENT` pointer to that catalog
with an atomic rename. A crash or an error at any point leaves the previous catalog live and
complete; what it had half-written is never named by a catalog and is swept by the next writer.

    index/
      manifest.json          embedding model, dimension, prefixes, chunking (`records`; written once)
      CURRENT                the live catalog's file name
      catalog-00000042.json  {"commit", "next_id", "segments": [{name, first_id, chunks, embedded, removed}]}
      seg-00000042-0/        chunks.jsonl, articles.json, terms.json, counts.npz, lengths.npy, bands.npy, vectors.npy,
                             checksums.json

Each segment keeps the size and sha256 of each of its files as written (`checksums.json`, kept in
the segment so that whoever writes a segment, or adds a file to it, keeps them with it), and each
catalog the sha256 of its own content (`checksum`): what `assistant check` verifies (`check`).
Segments and catalogs written before they were kept have none and are checked on what they hold.

A segment's `bands.npy` is the lookup table of its articles' near-duplicate bands (`bands`),
derived from their signatures in articles.json: a segment written before it was kept gets it
from the next writer (`write_bands`), and a reader computes it meanwhile.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import IndexStoreError
from . import bands
from .keywords import COUNTS, LENGTHS, TERMS, TermCounts

MANIFEST, POINTER = "manifest.json", "CURRENT"
CHUNKS, ARTICLES, VECTORS, BANDS = "chunks.jsonl", "articles.json", "vectors.npy", "bands.npy"
CHECKSUMS = "checksums.json"  # inside a segment: {file name: {"bytes", "sha256"}} of the others
KEYWORD_FILES = (TERMS, COUNTS, LENGTHS)
FULL = (errno.ENOSPC, errno.EDQUOT)  # a full disk, or a full quota: the same advice
KEPT_CATALOGS = 4  # the live one and a few before it, for readers still loading them
STALE_S = 3600  # an unnamed segment this old was left by a crash, not by a writer at work


@dataclass
class Catalog:
    """The segments of one commit of the index, in the order they were written."""

    commit: int = 0
    next_id: int = 0  # the vector id the next chunk gets
    segments: list[dict] = field(default_factory=list)  # {name, first_id, chunks, embedded, removed}
    # The manifest its vectors go with, where a re-embedding (`reembed`) changed it: the switch
    # of model is then the switch of the pointer, one atomic rename (manifest.json follows).
    manifest: dict | None = None
    checksum: str = ""  # sha256 of the rest, set by `commit` ("" in a catalog written before)

    @classmethod
    def read(cls, index_dir: Path, name: str) -> Catalog:
        try:
            catalog = cls(**json.loads((index_dir / name).read_text()))
        except (OSError, ValueError, TypeError) as error:
            raise damaged(index_dir, f"{name}: {error}") from error
        if catalog.checksum and catalog.checksum != catalog.digest():
            raise damaged(index_dir, f"{name} has changed since it was written: its checksum differs")
        return catalog

    def digest(self) -> str:
        """The sha256 of what the catalog says (all but `checksum`), as JSON with sorted keys."""
        # A catalog without a manifest of its own sums as one written before the field was.
        content = {key: value for key, value in asdict(self).items() if key != "checksum" and not (key == "manifest" and value is None)}
        return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def next(self) -> Catalog:
        """A copy to change into the next commit."""
        return Catalog(self.commit + 1, self.next_id, [{**s, "removed": list(s["removed"])} for s in self.segments], self.manifest)

    def entry(self, name: str) -> dict:
        return next(s for s in self.segments if s["name"] == name)


@dataclass
class Segment:
    """One segment as read from disk: its chunks in row order, the articles they belong to (in
    the same order), their term counts, and their vectors once embedded."""

    name: str
    chunks: list[dict]  # {id, text, metadata}
    articles: dict[str, dict]  # article id -> record, in row order
    counts: TermCounts
    vectors: np.ndarray | None = None
    bands: np.ndarray | None = None  # the articles' bands (`bands.table`), None until read or made
    bands_saved: bool = False  # in the segment's folder (one written before they were kept lacks them)

    def band_table(self) -> np.ndarray:
        """The articles' near-duplicate bands, made from their signatures when the folder lacks them."""
        if self.bands is None:
            self.bands = bands.table([record.get("minhash") or () for record in self.articles.values()])
        return self.bands

    def rows(self) -> dict[str, range]:
        """Article id -> the rows of its chunks."""
        found, row = {}, 0
        for article_id, record in self.articles.items():
            found[article_id] = range(row, row + len(record["node_ids"]))
            row += len(record["node_ids"])
        return found

    @classmethod
    def load(cls, index_dir: Path, name: str, embedded: bool) -> Segment:
        """The segment as written, or IndexStoreError naming what is damaged. A missing folder
        or file is FileNotFoundError: a writer may have swept it since the catalog was read."""
        folder, reading = index_dir / name, CHUNKS
        try:
            with (folder / CHUNKS).open(encoding="utf-8") as lines:
                chunks = [json.loads(line) for line in lines]
            reading = ARTICLES
            articles = json.loads((folder / ARTICLES).read_text(encoding="utf-8"))
            reading = "keyword counts"
            segment = cls(name, chunks, articles, TermCounts.load(folder))
            reading = VECTORS
            if embedded:
                segment.vectors = load_vectors(index_dir, name)
            reading = BANDS
            if (folder / BANDS).is_file():
                segment.bands, segment.bands_saved = np.load(folder / BANDS, mmap_mode="r"), True
        except FileNotFoundError:
            raise
        except Exception as error:  # json, numpy, scipy and zipfile each fail their own way on a cut file
            why = type(error).__name__
            raise Damaged(index_dir, f"the {reading} of {name} do not read back: {why}", f"{reading} unreadable: {why}") from error
        mismatch = segment.mismatch() or _resized(folder, embedded)
        if mismatch:
            raise Damaged(index_dir, f"{name}: {mismatch}", mismatch)
        return segment

    def mismatch(self) -> str | None:
        """What in the segment's files disagrees with its chunks (row counts), or None."""
        rows = len(self.chunks)
        named = sum(len(record.get("node_ids", ())) for record in self.articles.values())
        if named != rows:
            return f"{CHUNKS} holds {rows} chunks, {ARTICLES} names {named}"
        if self.counts.counts.shape != (rows, len(self.counts.terms)) or len(self.counts.lengths) != rows:
            return f"the keyword counts hold {self.counts.counts.shape[0]} rows for {rows} chunks"
        if self.vectors is not None and (self.vectors.ndim != 2 or len(self.vectors) != rows):
            return f"{VECTORS} holds {len(self.vectors)} vectors for {rows} chunks"
        return None


def _resized(folder: Path, embedded: bool) -> str | None:
    """A file read on loading whose size is not the one written (`checksums.json`): a cut that
    happens to parse. A stat each; the sha256 of every byte is `assistant check`'s."""
    try:
        sums = read_checksums(folder) or {}
    except (OSError, ValueError):  # the checksums themselves damaged: `check` names them, reading goes on
        return None
    read = [CHUNKS, ARTICLES, *KEYWORD_FILES, *([VECTORS] if embedded else []), BANDS]
    for file in read:
        written = sums.get(file, {}).get("bytes")
        size = (folder / file).stat().st_size if (folder / file).is_file() else None
        if written is not None and size is not None and size != written:
            return f"{file} holds {size} bytes, {written} were written"
    return None


def load_vectors(index_dir: Path, name: str) -> np.ndarray:
    # Mapped, not read: FAISS copies what it needs, and the pages stay shared between processes.
    return np.load(index_dir / name / VECTORS, mmap_mode="r")


# -- writing ----------------------------------------------------------------------------------


def write_segment(index_dir: Path, name: str, chunks: list[dict], articles: dict[str, dict], vectors: np.ndarray | None, counts: TermCounts) -> Segment:
    """Write a segment folder whole (into a staging folder renamed at the end), with the chunks'
    term counts (of their `keyword_text`), and return it."""
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=index_dir))
    try:
        with (staging / CHUNKS).open("w", encoding="utf-8") as out:
            for chunk in chunks:
                out.write(json.dumps(chunk, ensure_ascii=False) + "\n")
        _write_json(staging / ARTICLES, articles)
        counts.save(staging)
        if vectors is not None:
            np.save(staging / VECTORS, vectors)
        lookup = bands.table([record.get("minhash") or () for record in articles.values()])
        np.save(staging / BANDS, lookup)
        _write_json(staging / CHECKSUMS, {path.name: file_digest(path) for path in sorted(staging.iterdir())})
        _sync_folder(staging)
        staging.rename(index_dir / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Segment(name, chunks, articles, counts, vectors, lookup, True)


def write_vectors(index_dir: Path, name: str, vectors: np.ndarray) -> None:
    """Add the vectors file to a segment written without one (named by the next catalog only)."""
    _add_file(index_dir / name / VECTORS, vectors)


def write_bands(index_dir: Path, segment: Segment) -> None:
    """Add the bands file to a segment written before they were kept: derived from what the
    segment holds, so that a reader sees the segment the same with or without it."""
    _add_file(index_dir / segment.name / BANDS, np.asarray(segment.band_table()))
    segment.bands_saved = True


def _add_file(path: Path, array: np.ndarray) -> None:
    """Add (or replace) a file of a segment, and its line in the segment's checksums (where the
    segment keeps them: one written before has none)."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}")
    with _removed_on_failure(temporary):
        with temporary.open("wb") as out:
            np.save(out, array)
            out.flush()
            os.fsync(out.fileno())
        sums = read_checksums(path.parent)
        if sums is not None:
            _replace_json(path.parent / CHECKSUMS, {**sums, path.name: file_digest(temporary)})
        os.replace(temporary, path)


def read_checksums(segment_dir: Path) -> dict | None:
    """The segment's {file name: {"bytes", "sha256"}} as written, or None where it has none."""
    try:
        return json.loads((segment_dir / CHECKSUMS).read_text())
    except FileNotFoundError:
        return None


def file_digest(path: Path) -> dict:
    """A file's size and sha256, as `checksums.json` keeps them."""
    sha = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            sha.update(block)
    return {"bytes": path.stat().st_size, "sha256": sha.hexdigest()}


def commit(index_dir: Path, catalog: Catalog) -> str:
    """Write the catalog (with its checksum), make it the live one (atomic rename of the
    pointer), sweep the old. The caller holds the folder's writer lock."""
    name = f"catalog-{catalog.commit:08d}.json"
    catalog.checksum = catalog.digest()
    _replace_json(index_dir / name, asdict(catalog))
    pointer = index_dir / f".{POINTER}.{uuid.uuid4().hex[:6]}"
    with _removed_on_failure(pointer):
        pointer.write_text(name)
        os.replace(pointer, index_dir / POINTER)
    _sweep(index_dir)
    return name


def live_catalog(index_dir: Path) -> str | None:
    """The live catalog's file name, or None when the folder holds no index yet."""
    try:
        name = (index_dir / POINTER).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not (index_dir / name).is_file():
        raise damaged(index_dir, f"{POINTER} names {name!r}, which is missing")
    return name


class Damaged(IndexStoreError):
    """A file of an index folder that does not read back: `what` says which and how (`reason`:
    the same without the segment's name, where it is one segment's)."""

    def __init__(self, index_dir: Path, what: str, reason: str | None = None) -> None:
        self.what, self.reason = what, reason or what
        super().__init__(
            f"the index in {index_dir} is damaged ({what}): run `{repair_command(index_dir)}`, "
            "which repairs what can be rebuilt and names the articles it cannot recover"
        )


def damaged(index_dir: Path, what: str) -> Damaged:
    """The error a damaged index folder gives, naming the command that repairs it."""
    return Damaged(index_dir, what)


def repair_command(index_dir: Path) -> str:
    return f"assistant check --repair --index {index_dir}"


@contextmanager
def disk_full_stops(index_dir: Path, outcome: str):
    """A write that fills the disk stops with a message saying what to do and what was kept
    (`outcome`) instead of an OSError from deep inside numpy or json."""
    try:
        yield
    except OSError as error:
        if error.errno not in FULL:
            raise
        raise IndexStoreError(f"the disk holding {index_dir} is full: free some space and ingest again; {outcome}") from error


def signature(index_dir: Path) -> tuple | None:
    """Changes whenever a commit lands (the pointer is replaced by a rename: a new inode): what
    a reader checks before each search, in a few microseconds."""
    try:
        found = os.stat(index_dir / POINTER)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _sweep(index_dir: Path) -> None:
    """Remove catalogs past the few kept, and segments none of those name."""
    catalogs = sorted(index_dir.glob("catalog-*.json"))
    for old in catalogs[:-KEPT_CATALOGS]:
        old.unlink(missing_ok=True)
    try:
        named = {s["name"] for path in catalogs[-KEPT_CATALOGS:] for s in Catalog.read(index_dir, path.name).segments}
    except IndexStoreError:  # a damaged older catalog (`assistant check` names it): sweep no segment it may name
        return
    for folder in index_dir.glob("seg-*"):
        if folder.name not in named:
            shutil.rmtree(folder, ignore_errors=True)
    for stale in index_dir.glob(".staging-*"):
        if time.time() - stale.stat().st_mtime > STALE_S:
            shutil.rmtree(stale, ignore_errors=True)


# -- the manifest -----------------------------------------------------------------------------


def read_manifest(index_dir: Path) -> dict | None:
    try:
        return json.loads((index_dir / MANIFEST).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise damaged(index_dir, f"{MANIFEST}: {error}") from error


def live_manifest(index_dir: Path) -> dict | None:
    """The manifest the live catalog's vectors go with: the catalog's own where a re-embedding
    gave it one (manifest.json is rewritten just after the switch, and a crash may come between),
    else manifest.json."""
    name = live_catalog(index_dir)
    catalog = Catalog.read(index_dir, name) if name else None
    return catalog.manifest if catalog is not None and catalog.manifest else read_manifest(index_dir)


def write_manifest(index_dir: Path, manifest: dict) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    _replace_json(index_dir / MANIFEST, manifest)


def _write_json(path: Path, data: object) -> None:
    with path.open("w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False)
        out.flush()
        os.fsync(out.fileno())


def _replace_json(path: Path, data: object) -> None:
    """Write a file whole or not at all (a full disk leaves no half of it behind)."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}")
    with _removed_on_failure(temporary):
        _write_json(temporary, data)
        os.replace(temporary, path)


@contextmanager
def _removed_on_failure(temporary: Path):
    try:
        yield
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync_folder(folder: Path) -> None:
    """Flush a staging folder's files before it is renamed into place: after a power cut the
    rename must not name files that never reached the disk."""
    for path in folder.iterdir():
        with path.open("rb") as written:
            os.fsync(written.fileno())
