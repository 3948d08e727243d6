"""A page that came from somewhere (the web, a feed, an archive) -> its Article: what the page
says about itself first, what the place it came from says as the fallback."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ...outlet_names import outlet_name
from ...types import Article
from ..loaders import decode, html_article

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Fallback:
    """What a feed item, a sitemap entry or an archive record says of a page, used only where
    the page itself does not tell. `url` is where the page was found."""

    url: str
    title: str | None = None
    date: str | None = None  # "YYYY-MM-DD"
    author: str | None = None
    outlet: str | None = None


def page_article(raw: bytes, fallback: Fallback) -> Article:
    """The article of an HTML page's bytes, read exactly as the same page saved as a file is
    (`loaders.html_article`), then completed from `fallback`.

    Raises:
        InputError: the bytes are not text, or the page holds no article text.
    """
    article = html_article(decode(raw), fallback.url)
    return with_fallback(article, fallback)


def with_fallback(article: Article, fallback: Fallback) -> Article:
    """`article` with the fields its page left empty taken from `fallback`."""
    # `html_article` puts the source it was given where the page names no outlet: here that is
    # an address, which says less than the feed's title or the site's domain.
    outlet = article.source if article.source != fallback.url else None
    title_from_text = article.title_from_text and not fallback.title
    return replace(
        article,
        url=article.url or fallback.url,
        title=fallback.title if article.title_from_text and fallback.title else article.title,
        title_from_text=title_from_text,
        date=article.date or fallback.date,
        author=article.author or fallback.author,
        source=outlet or outlet_name([fallback.outlet], fallback.url) or fallback.url,
    )


def is_html(content_type: str | None) -> bool:
    """Whether a Content-Type names an HTML page (no type at all is taken for one: old servers)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return not kind or kind in HTML_TYPES


def iso_date(value: str | None) -> str | None:
    """The "YYYY-MM-DD" that starts an ISO timestamp (« 2017-03-06T04:02:06Z »), else None."""
    match = re.match(r"^\s*(\d{4}-\d{2}-\d{2})", value or "")
    return match.group(1) if match else None
