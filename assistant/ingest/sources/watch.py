"""A watched folder: the index follows it, adding new files, replacing changed ones and removing
the articles of deleted ones, until stopped. Readers of the same store see each change on their
next question (a store's reads see every commit: `store.contract`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from ...errors import InputError
from ...types import IngestReport
from ..indexing import Indexer
from ..loaders import SUPPORTED, find_files, load_file

DEBOUNCE_MS = 800  # changes this close together are one batch: an editor's save is several events


class WatchedFolder:
    """The articles each file of a folder gave, so that a changed or deleted file's articles can
    be replaced or removed (a file's articles are known by their ids, not by its path: an HTML
    page's id is its canonical address).

    The map lives as long as the watch: a file deleted while nothing watched leaves its
    articles in the index (`assistant remove` deletes them).
    """

    def __init__(self, folder: str | Path, indexer: Indexer) -> None:
        self.folder = Path(folder).expanduser().resolve()
        if not self.folder.is_dir():
            raise InputError(f"{folder}: not a folder (give the folder to watch)")
        self._indexer = indexer
        self._ids: dict[Path, set[str]] = {}

    def scan(self, progress: bool = False) -> IngestReport:
        """Read every file the folder holds now (unchanged articles cost nothing)."""
        return self.update(find_files([self.folder]), (), progress)

    def update(self, changed: Iterable[Path], deleted: Iterable[Path], progress: bool = False) -> IngestReport:
        """Bring the index up to date with files that appeared or changed and files that went."""
        articles, rejected, gone = [], [], set()
        for path in deleted:
            for tracked in [p for p in self._ids if p == path or path in p.parents]:  # a folder went
                gone |= self._ids.pop(tracked)
        for path in changed:
            loaded = load_file(path)
            rejected += loaded.rejected
            ids = {article.id for article in loaded.articles}
            gone |= self._ids.get(path, set()) - ids  # an edit can change an article's id
            self._ids[path] = ids
            articles += loaded.articles
        gone -= set().union(*self._ids.values())  # still given by another file
        report = self._indexer.ingest(articles, progress=progress, rejected=rejected)
        gone &= set(self._indexer.store.articles())
        if gone:
            self._indexer.store.write(remove=sorted(gone))
        return replace(report, removed=sorted(gone))

    def follow(self, stop: threading.Event | None = None, progress: bool = False, debounce_ms: int = DEBOUNCE_MS) -> Iterator[IngestReport]:
        """Scan, then update on each batch of changes until `stop` is set (or Ctrl-C)."""
        yield self.scan(progress)
        for changed, deleted in folder_changes(self.folder, stop, debounce_ms):
            yield self.update(changed, deleted, progress)


def folder_changes(folder: Path, stop: threading.Event | None, debounce_ms: int) -> Iterator[tuple[list[Path], list[Path]]]:
    """Batches of (files that exist and changed, paths that are gone), article files only."""
    from watchfiles import watch

    def wanted(change, path: str) -> bool:
        relative = Path(path).relative_to(folder)
        return not any(part.startswith(".") for part in relative.parts) and (Path(path).suffix.lower() in SUPPORTED or not Path(path).suffix)

    for batch in watch(folder, watch_filter=wanted, stop_event=stop, debounce=debounce_ms, step=50, raise_interrupt=False):
        paths = sorted({Path(path) for _, path in batch})
        # What a path is now decides, not the event: a file written then renamed shows both.
        changed = [p for p in paths if p.is_file() and p.suffix.lower() in SUPPORTED]
        changed += [f for p in paths if p.is_dir() for f in find_files([p]) if f not in changed]  # a folder moved in
        gone = [p for p in paths if not p.exists()]
        if changed or gone:
            yield changed, gone
