"""What an HTML news page says about itself: title, publication date, outlet, author, URL and
language, from trafilatura's metadata, cleaned (the site's name cut from the title, the
outlet's proper name, the date in the outlet's time zone)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..languages import fold
from ..outlet_names import domain_of, outlet_key, outlet_name
from .dates import ZONES, json_ld_values, page_date, parse_html

# Separators between a headline and the site's name or section in a <title>; not « : », which
# French headlines use (« Affaire KPMG : un juge se récuse »).
_TITLE_SEPARATOR = re.compile(r"\s+(\||»|-|–|—|·)\s+")
# What trails a name in a byline: the date it was published or updated, in a few languages.
_BYLINE_TAIL = re.compile(r"\s*\b(publi[ée]|mis à jour|mise à jour|updated|published|le \d|am \d|před|hace)\b.*$", re.IGNORECASE)
_BYLINE_HEAD = re.compile(r"^\s*(par|by|von|por)\s+", re.IGNORECASE)
# A text this long detected this surely overrides the page's declared language (on the 24 pages,
# 22 texts are detected at >= 0.99, the Arabic at 0.989 and the Chinese at 0.94, all right).
SURE_CHARS, SURE = 400, 0.99


@dataclass(frozen=True)
class PageMetadata:
    """The metadata of one page, each None where the page does not tell."""

    title: str | None = None
    date: str | None = None  # "YYYY-MM-DD"
    outlet: str | None = None
    author: str | None = None
    url: str | None = None
    language: str | None = None  # ISO 639-1


def page_metadata(html: str, document, text: str) -> PageMetadata:
    """The page's metadata from trafilatura's extraction of it, checked against the page itself.

    Args:
        html: the page as served.
        document: what `trafilatura.bare_extraction(html, with_metadata=True)` returned.
        text: the article's text (for the language when the page does not declare it).
    """
    tree = parse_html(html)
    urls = [getattr(document, "url", None), *tree.xpath('//link[@rel="canonical"]/@href|//meta[@property="og:url"]/@content')]
    url = next((str(u).strip() for u in urls if u and re.match(r"https?://", str(u).strip())), None)  # a relative one says no host
    domain = domain_of(url) or getattr(document, "hostname", None)
    handle = getattr(document, "sitename", None)  # trafilatura's: og:site_name, else often a Twitter handle
    site_names = [
        _first(tree.xpath('//meta[@property="og:site_name"]/@content')),
        *[p.get("name") for p in json_ld_values(tree, "publisher") if isinstance(p, dict) and isinstance(p.get("name"), str)],
        _title_tail(tree, [n for n in (handle, domain) if n]),
        handle,
    ]
    outlet = outlet_name(site_names, url or domain)
    names = [n for n in (*site_names, outlet, domain) if n]
    language = page_language(declared_language(tree), text)
    return PageMetadata(
        title=clean_title(getattr(document, "title", None) or "", names) or None,
        date=page_date(getattr(document, "date", None), tree, html, _region(tree, domain)),
        outlet=outlet,
        author=clean_author(getattr(document, "author", None) or "", names) or None,
        url=url,
        language=language,
    )


def clean_title(title: str, site_names: list[str]) -> str:
    """The headline without the site's name (« … - Gala », « … | AOC media - Analyse Opinion
    Critique ») or the section breadcrumbs around it (« … » Local » Noticias »)."""
    title = re.sub(r"\s+", " ", title).strip()
    parts = _TITLE_SEPARATOR.split(title)  # [segment, separator, segment, ...]
    if "«" in title:  # then » closes a quotation: « vol aggravé » is not a breadcrumb
        parts = _TITLE_SEPARATOR.split(title.replace(" » ", " \0 "))
        parts = [p.replace(" \0 ", " » ") for p in parts]
    segments, separators = parts[::2], parts[1::2]
    keys = {k for k in (outlet_key(n) for n in site_names) if len(k) >= 3}
    for cut in range(1, len(segments)):  # the longest tail that names the site
        if _names_site(segments[cut:], keys):
            segments, separators = segments[:cut], separators[: cut - 1]
            break
    for cut in range(len(segments) - 1, 0, -1):  # the longest head that names it
        if _names_site(segments[:cut], keys):
            segments, separators = segments[cut:], separators[cut:]
            break
    longest = max(segments, key=len)
    others = [s for s in segments if s is not longest]
    if others and set(separators) <= {"|", "»"} and len(longest.split()) >= 4 and all(len(s.split()) <= 3 for s in others):
        return longest
    joined = segments[0]
    for separator, segment in zip(separators, segments[1:]):
        joined += f" {separator} {segment}"
    return joined


def _names_site(segments: list[str], keys: set[str]) -> bool:
    """Whether title segments are the site's name (with its tagline), not part of the headline."""
    key = outlet_key(" ".join(segments))
    if not key or sum(len(s.split()) for s in segments) > 8:
        return False
    return any(key == k or key.startswith(k) or k.startswith(key) for k in keys)


def clean_author(author: str, site_names: list[str]) -> str:
    """The people of a byline (« Par AFP publié le; Mis À Jour À » -> « AFP »), without the outlet
    itself (« Lefigaro Fr », « Par sudinfo be ») or what trails a name."""
    keys = {re.sub(r"[^0-9a-z]", "", fold(n, same_length=True)) for n in site_names} | {outlet_key(n) for n in site_names}
    keys = {k for k in keys if len(k) >= 3}
    people = []
    for part in author.split(";"):
        name = _BYLINE_TAIL.sub("", _BYLINE_HEAD.sub("", part)).strip(" ,.-")
        key = re.sub(r"[^0-9a-z]", "", fold(name, same_length=True))
        if len(key) < 3 or any(key in k or k in key for k in keys):
            continue
        if name not in people:
            people.append(name)
    return "; ".join(people)


def declared_language(tree) -> str | None:
    """The language the page declares: <html lang>, Content-Language, dc.language or og:locale."""
    declared = tree.xpath(
        "/html/@lang|/html/@xml:lang|//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')='content-language']/@content"
        '|//meta[@name="dc.language" or @name="DC.language" or @name="language"]/@content|//meta[@property="og:locale"]/@content',
        namespaces={"xml": "http://www.w3.org/XML/1998/namespace"},
    )
    for value in declared:
        match = re.match(r"^\s*([a-zA-Z]{2,3})(?:$|[-_,;\s])", str(value))
        if match:
            return match.group(1).lower()
    return None


def page_language(declared: str | None, text: str) -> str | None:
    """The page's language: the one its text is in when the text is long and leaves no doubt
    (site templates declare « en » on French pages), else the declared one, else the detected."""
    detected, probability = _detect(text)
    if detected and declared != detected and len(text) >= SURE_CHARS and probability >= SURE:
        return detected
    return declared or detected


def detect_language(text: str) -> str | None:
    """The language of an article's text, among all py3langid knows (an article is long enough
    for an open set; `assistant.language` keeps a closed set for short questions)."""
    return _detect(text)[0]


def _detect(text: str) -> tuple[str | None, float]:
    if len(text.strip()) < 40:
        return None, 0.0
    code, probability = _identifier().classify(text[:5000])
    return code, float(probability)


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _region(tree, domain: str | None) -> str | None:
    """The outlet's country: its domain's (« .ca »), else its page's language region (« fr-CA »)."""
    tld = (domain or "").rsplit(".", 1)[-1]
    if tld in ZONES:
        return tld
    for value in tree.xpath("/html/@lang|//meta[@name='dc.language' or @name='DC.language']/@content|//meta[@property='og:locale']/@content"):
        match = re.match(r"^[a-zA-Z]{2}[-_]([a-zA-Z]{2})\b", str(value))
        if match:
            return match.group(1).lower()
    return None


def _title_tail(tree, names: list[str]) -> str | None:
    """The site's name as the <title> ends with it (« … » Ultima Hora Mallorca », « … - 中国日报网 »):
    the last segment, when it is short and matches the domain or the handle (a name in a
    script without Latin letters cannot be matched: it is taken as it is)."""
    title = _first(tree.xpath("//title/text()")) or ""
    parts = _TITLE_SEPARATOR.split(re.sub(r"\s+", " ", title).strip())
    if len(parts) < 3 or len(parts[-1].split()) > 5:
        return None
    tail, key = parts[-1], outlet_key(parts[-1])
    keys = [k for k in (outlet_key(n) for n in names) if len(k) >= 3]
    if any(key.startswith(k) or k.startswith(key) for k in keys) or not re.search(r"[a-zA-Z]", tail):
        return tail
    return None


def _first(values: list) -> str | None:
    return str(values[0]).strip() if values else None
