"""RSS and Atom feeds and sitemaps -> the links they list, each with what the listing says of
its page (the fallback for what the page does not say)."""

from __future__ import annotations

import gzip
import time
from urllib.parse import urljoin, urlsplit

from ...errors import InputError
from .pages import Fallback, iso_date
from .web import Fetcher, Response, Validators

MAX_SITEMAPS = 50  # nested sitemaps read for one --sitemap (a news site's index lists a few)


def feed_links(fetcher: Fetcher, url: str, validators: Validators | None = None) -> list[Fallback] | None:
    """The items of the feed at `url`, in its order; None when `validators` show it unchanged.

    Raises:
        InputError: the feed cannot be fetched, or what is there is not a feed.
    """
    import feedparser

    response = fetcher.get(url, validators)
    if response is None:
        return None
    if validators is not None:  # remembered for the next conditional request
        validators.etag, validators.last_modified = response.etag, response.last_modified
    # feedparser resolves relative links against the address the feed was served from.
    parsed = feedparser.parse(response.body, response_headers={"content-location": response.url, "content-type": response.content_type or ""})
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        raise InputError(f"not an RSS or Atom feed ({_why_not_a_feed(response, parsed)}): give the feed's own address")
    outlet = parsed.feed.get("title")
    links = []
    for entry in parsed.entries:
        link = entry.get("link") or next((link.get("href") for link in entry.get("links", []) if link.get("href")), None)
        if not link:
            continue
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        links.append(
            Fallback(
                url=urljoin(response.url, link.strip()),  # a feed without xml:base may still give relative links
                title=(entry.get("title") or "").strip() or None,
                date=time.strftime("%Y-%m-%d", published) if published else None,
                author=(entry.get("author") or "").strip() or None,
                outlet=outlet,
            )
        )
    return links


def sitemap_links(fetcher: Fetcher, url: str) -> list[Fallback]:
    """The pages a sitemap lists (following a sitemap index to its sitemaps, on the same site),
    with each Google News entry's title and date, or the page's <lastmod> for its date.

    Raises:
        InputError: the sitemap itself cannot be fetched or read (a nested one that fails is
            left out: its pages are the only ones missing).
    """
    from trafilatura.sitemaps import SitemapObject

    class Reader(SitemapObject):
        """trafilatura's sitemap reader (XML and text sitemaps, nested indexes, sanity checks),
        fetching through our fetcher and keeping links by host (its domain check knows no
        bare host such as 127.0.0.1)."""

        def fetch(self) -> None:
            self.seen.add(self.current_url)
            try:
                self.content = _sitemap_text(fetcher.get(self.current_url))
            except InputError:
                if self.current_url == url:
                    raise
                self.content = ""

        def handle_link(self, link: str) -> None:
            link = urljoin(self.current_url, link.strip())
            if link != self.current_url and urlsplit(link).hostname == host:
                (self.sitemap_urls if _looks_like_sitemap(link) else self.urls).append(link)

    host = urlsplit(url).hostname
    reader = Reader(url, host or "", [url])
    details: dict[str, Fallback] = {}
    while reader.sitemap_urls and len(reader.seen) < MAX_SITEMAPS:
        reader.current_url = reader.sitemap_urls.pop()
        reader.fetch()
        if reader.current_url == url and not reader.content.lstrip().startswith("<") and "http" not in reader.content:
            raise InputError("not a sitemap (neither XML nor a list of addresses)")
        reader.process()
        details |= _entry_details(reader.content, reader.current_url)
        reader.sitemap_urls = [s for s in reader.sitemap_urls if s not in reader.seen]
    return [details.get(link) or Fallback(url=link) for link in dict.fromkeys(reader.urls)]


def _sitemap_text(response: Response | None) -> str:
    body = response.body if response else b""
    if body[:2] == b"\x1f\x8b":  # sitemap.xml.gz, served as a file rather than gzip-encoded
        body = gzip.decompress(body)
    return body.decode("utf-8", errors="replace")


def _looks_like_sitemap(link: str) -> bool:
    from trafilatura.sitemaps import DETECT_SITEMAP_LINK

    return bool(DETECT_SITEMAP_LINK.search(link))


def _entry_details(content: str, base: str) -> dict[str, Fallback]:
    """Each <url>'s title and date as a Google News sitemap gives them (news:title,
    news:publication_date), else its <lastmod>: trafilatura's reader keeps only the links."""
    from lxml import etree

    if not content.lstrip().startswith("<"):
        return {}
    try:
        tree = etree.fromstring(content.encode(), etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    if tree is None:
        return {}
    details = {}
    for entry in tree.iter("{*}url", "url"):
        loc = _text(entry, "loc")
        if loc:
            link = urljoin(base, loc)
            date = iso_date(_text(entry, "publication_date") or _text(entry, "lastmod"))
            details[link] = Fallback(url=link, title=_text(entry, "title"), date=date, outlet=_text(entry, "name"))
    return details


def _text(element, name: str) -> str | None:
    found = next(element.iter(f"{{*}}{name}", name), None)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _why_not_a_feed(response: Response, parsed) -> str:
    kind = (response.content_type or "").split(";")[0].strip()
    if kind in ("text/html", "application/xhtml+xml"):
        return "it is an HTML page"
    error = parsed.get("bozo_exception")
    return f"{kind or 'no type'}: {error}" if error else kind or "empty"
