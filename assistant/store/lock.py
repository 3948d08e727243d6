"""One writer at a time on an index folder, across processes: an exclusive `flock` on a file in it.

A second `assistant ingest` (or the chat page's upload) waits here until the first has
committed, then applies its own change on top of what the first wrote. The kernel drops the lock
when its holder dies, so a killed ingest never leaves the folder locked.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import IndexStoreError

LOCK = ".lock"
log = logging.getLogger(__name__)


@contextmanager
def writer_lock(index_dir: Path, timeout_s: float | None = None):
    """Hold the folder's writer lock for the duration of the block.

    Args:
        index_dir: the index folder (created if missing).
        timeout_s: give up after this long with an error saying who holds it (None: wait).
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK
    with _in_process(path), path.open("a+") as handle:
        started = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    log.warning("another process is writing to %s (pid %s): waiting for it to finish", index_dir, _holder(path))
                    told = True
                if timeout_s is not None and time.monotonic() - started > timeout_s:
                    raise IndexStoreError(f"{index_dir} is being written by process {_holder(path)} for more than {timeout_s:.0f} s: try again later") from None
                time.sleep(0.05)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# Threads of one process (the chat page's) queue on a plain lock first, rather than polling flock.
_threads: dict[str, threading.Lock] = {}
_threads_guard = threading.Lock()


@contextmanager
def _in_process(path: Path):
    with _threads_guard:
        lock = _threads.setdefault(str(path.resolve()), threading.Lock())
    with lock:
        yield


def holder(index_dir: Path) -> str | None:
    """The process id holding the folder's writer lock, None when no process does. A shared lock
    tried on a handle of our own: it fails while any process, this one included, holds the
    exclusive one."""
    path = index_dir / LOCK
    try:
        with path.open("r") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _holder(path)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return None
    except FileNotFoundError:  # never written
        return None


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "?"
    except OSError:
        return "?"
