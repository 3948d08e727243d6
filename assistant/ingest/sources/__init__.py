"""News in as people hold it: web pages, RSS and Atom feeds, sitemaps, web archives and a
watched folder, each read into Articles the way the same page saved as a file is read
(docs/sources.md). A bad item is rejected with its reason; it never stops the others."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ...errors import InputError
from .feeds import feed_links, sitemap_links
from .harvest import Harvest, fetch_pages, indexed_urls
from .pages import Fallback
from .warc import is_archive, read_archive
from .watch import WatchedFolder
from .web import Fetcher, Validators

__all__ = ["Fetcher", "Harvest", "Validators", "WatchedFolder", "collect", "is_archive", "is_url"]


def is_url(path: str | Path) -> bool:
    return isinstance(path, str) and bool(re.match(r"^https?://", path.strip(), re.IGNORECASE))


def collect(
    records: dict[str, dict],
    urls: Iterable[str] = (),
    feeds: Iterable[str] = (),
    sitemaps: Iterable[str] = (),
    archives: Iterable[str | Path] = (),
    fetcher: Fetcher | None = None,
    progress: bool = False,
    feed_state: dict[str, Validators] | None = None,
    seen: dict[str, str] | None = None,
) -> Harvest:
    """The articles of web pages, of the pages feeds and sitemaps list, and of web archives.

    A page given by its address is always fetched (what changed on it replaces the article);
    a page a feed or sitemap lists is fetched only when no indexed article has its address.

    Args:
        records: the store's article records (`Store.articles()`), to skip what is indexed.
        urls: addresses of web pages.
        feeds: addresses of RSS or Atom feeds.
        sitemaps: addresses of sitemaps (XML, a sitemap index, or a list of addresses).
        archives: WARC or ARC files.
        fetcher: the HTTP client (its timeouts and delay); a default one when None.
        progress: show a progress bar per source on the terminal.
        feed_state: feed address -> what its server said last time (ETag, Last-Modified), kept
            by the caller between rounds so that an unchanged feed costs one 304.
        seen: listed address -> id of the article it gave, kept by the caller between rounds:
            a page whose own address differs from the listed one (a tracking link, a mirror)
            is then not fetched again while its article is indexed.
    """
    harvest = Harvest()
    for archive in archives:
        try:
            harvest.merge(read_archive(archive, progress))
        except InputError as error:
            harvest.rejected.append((str(archive), str(error)))
    urls, feeds, sitemaps = list(urls), list(feeds), list(sitemaps)
    if not (urls or feeds or sitemaps):
        return harvest
    own = fetcher is None
    fetcher = fetcher or Fetcher()
    try:
        known = indexed_urls(records) | {url: article_id for url, article_id in (seen or {}).items() if article_id in records}
        harvest.merge(fetch_pages(fetcher, [Fallback(url=u) for u in urls], {}, progress, "Fetching pages"))
        for listing, read in [(feed, _feed_reader(feed_state)) for feed in feeds] + [(sitemap, sitemap_links) for sitemap in sitemaps]:
            try:
                links = read(fetcher, listing)
            except InputError as error:
                harvest.rejected.append((listing, str(error)))
                continue
            if links is None:  # a feed unchanged since the last round
                harvest.skipped["unchanged feeds"] += 1
                continue
            harvest.merge(fetch_pages(fetcher, links, known, progress, f"Fetching {_short(listing)}"))
    finally:
        if own:
            fetcher.close()
    if seen is not None:
        seen |= known
    return harvest


def _feed_reader(state: dict[str, Validators] | None):
    if state is None:
        return feed_links
    return lambda fetcher, url: feed_links(fetcher, url, state.setdefault(url, Validators()))


def _short(url: str) -> str:
    return url if len(url) <= 48 else url[:45] + "…"
