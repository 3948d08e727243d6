"""What one source gave: its articles, what was rejected with the reason, what was skipped and
counted; and the fetching of listed links, one at a time, a bad one never stopping the rest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...errors import InputError
from ...types import Article
from .pages import Fallback, is_html, page_article
from .web import Fetcher


@dataclass
class Harvest:
    """Articles read from sources, and what did not become one."""

    articles: list[Article] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (url or place, why)
    skipped: Counter = field(default_factory=Counter)  # what, counted: "revisit records": 2
    known: list[str] = field(default_factory=list)  # ids of indexed articles a link pointed at
    _where: dict[str, int] = field(default_factory=dict, repr=False)  # article id -> its place

    def add(self, article: Article) -> None:
        """Keep one article per id: a page captured or listed twice is ingested once, as last seen."""
        if article.id in self._where:
            self.articles[self._where[article.id]] = article
            self.skipped["earlier copies of the same page"] += 1
            return
        self._where[article.id] = len(self.articles)
        self.articles.append(article)

    def merge(self, other: Harvest) -> Harvest:
        for article in other.articles:
            self.add(article)
        self.rejected += other.rejected
        self.skipped += other.skipped
        self.known += other.known
        return self


def indexed_urls(records: dict[str, dict]) -> dict[str, str]:
    """Address -> article id of the articles a store holds (an article is known by its id and by
    its url), so that a listed link already indexed is not fetched again."""
    known = {article_id: article_id for article_id in records}
    known |= {record["url"]: article_id for article_id, record in records.items() if record.get("url")}
    return known


def fetch_pages(fetcher: Fetcher, links: Iterable[Fallback], known: dict[str, str], progress: bool = False, desc: str = "Fetching") -> Harvest:
    """The articles of the pages `links` point at, skipping those `known` already holds.

    Args:
        fetcher: the polite HTTP client (its delay paces requests to one host).
        links: pages with what their listing says of them.
        known: address -> id of articles already indexed (`indexed_urls`); pages fetched here
            are added to it, so a page listed by two feeds is fetched once.
        progress: show a progress bar on the terminal.
        desc: the bar's label.
    """
    from tqdm import tqdm

    links = list(links)
    harvest = Harvest()
    for link in tqdm(links, desc=desc, unit="page", disable=not progress or not links):
        if link.url in known:
            harvest.known.append(known[link.url])
            continue
        try:
            article = fetch_page(fetcher, link)
        except InputError as error:
            harvest.rejected.append((link.url, str(error)))
            continue
        known[link.url] = known[article.url or link.url] = article.id
        harvest.add(article)
    return harvest


def fetch_page(fetcher: Fetcher, link: Fallback) -> Article:
    """The article of one web page (redirects followed: the address it ends at is the fallback url).

    Raises:
        InputError: it cannot be fetched, is not an HTML page, or holds no article text.
    """
    response = fetcher.get(link.url)
    if not is_html(response.content_type):
        kind = response.content_type.split(";")[0].strip()
        raise InputError(f"not an HTML page ({kind}): only web pages are read from the web")
    return page_article(response.body, Fallback(response.url, link.title, link.date, link.author, link.outlet))
