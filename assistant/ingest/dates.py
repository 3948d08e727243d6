"""Publication dates: normalised to ISO ("YYYY-MM-DD") from what a record or a front matter gives,
and read from an HTML page as its outlet dates it.

A page's date comes from trafilatura (which asks htmldate: URL, meta tags, JSON-LD, then the
text), corrected where the machine-readable date is not the one the outlet shows its readers:
- a UTC timestamp is read in the outlet's time zone (Radio-Canada stamps 00:23 UTC for an
  article of 20:23 in Ottawa, dated the 24th on its site);
- a daily title publishing in the evening dates the article for the next day's edition
  (AOC: published 19:00 on the 9th, shown as « mardi 10.12.19 »): when the page's own timestamp
  is in its local time after 18:00 and the page's visible text (htmldate, metadata left out)
  gives the next day, the next day is the date."""

from __future__ import annotations

import datetime as dt
import json
import re

from .. import languages
from ..errors import InputError
from ..languages import fold

# Month names and their usual abbreviations (without their period), folded, of the languages read.
MONTHS = {**languages.union("MONTHS"), **languages.union("MONTH_ABBREVIATIONS")}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$", re.IGNORECASE)
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")  # day first, as in French
_WORDS = re.compile(r"^(?:[a-z]+\.?,?\s+)?(\d{1,2})(?:er|st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")  # 3 mars 2024
_WORDS_EN = re.compile(r"^(?:[a-z]+,?\s+)?([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")  # March 3, 2024
ACCEPTED = "2024-03-04, 2024-03-04T10:30:00+01:00, 04/03/2024 or « 4 mars 2024 »"

# The time zone of an outlet, from its page's region (html lang "fr-CA") or its domain's country.
# One zone per country: where a country has several, the one most of its newsrooms are in.
ZONES = {
    "fr": "Europe/Paris", "be": "Europe/Brussels", "ch": "Europe/Zurich", "lu": "Europe/Luxembourg",
    "ca": "America/Toronto", "us": "America/New_York", "gb": "Europe/London", "uk": "Europe/London",
    "ie": "Europe/Dublin", "de": "Europe/Berlin", "at": "Europe/Vienna", "es": "Europe/Madrid",
    "it": "Europe/Rome", "pt": "Europe/Lisbon", "nl": "Europe/Amsterdam", "cz": "Europe/Prague",
    "pl": "Europe/Warsaw", "br": "America/Sao_Paulo", "ar": "America/Argentina/Buenos_Aires",
    "mx": "America/Mexico_City", "cn": "Asia/Shanghai", "jp": "Asia/Tokyo", "ma": "Africa/Casablanca",
    "sn": "Africa/Dakar", "ci": "Africa/Abidjan", "tn": "Africa/Tunis", "dz": "Africa/Algiers",
    "cm": "Africa/Douala", "tg": "Africa/Lome", "gn": "Africa/Conakry",
}  # fmt: skip
EVENING = 18  # local hour from which a daily title may date an article for the next day


def normalise_date(value: object) -> str | None:
    """An ISO date "YYYY-MM-DD" from a date, a datetime or a string in the usual forms; None for
    nothing; InputError (saying which forms are accepted) for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    parsed = parse_date(str(value))
    if parsed is None:
        raise InputError(f"the date {str(value)[:40]!r} is not a date: write it as {ACCEPTED}")
    return parsed.isoformat()


def parse_date(text: str) -> dt.date | None:
    """A calendar date from ISO, day-first numeric or written forms (French or English), else None."""
    text = fold(text.strip(), same_length=True).replace("1er", "1")
    attempts = (
        (_ISO, lambda m: (int(m[1]), int(m[2]), int(m[3]))),
        (_NUMERIC, lambda m: (int(m[3]), int(m[2]), int(m[1]))),
        (_WORDS, lambda m: (int(m[3]), MONTHS.get(m[2], 0), int(m[1]))),
        (_WORDS_EN, lambda m: (int(m[3]), MONTHS.get(m[1], 0), int(m[2]))),
    )
    for pattern, fields in attempts:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*fields(match))
            except ValueError:  # 31/02, or a month name that is not one
                return None
    return None


def page_date(date: str | None, tree, html: str, region: str | None) -> str | None:
    """The page's publication date as its outlet shows it (see the module's docstring).

    Args:
        date: trafilatura's date for the page (htmldate's, "YYYY-MM-DD"), or None.
        tree: the page parsed by lxml.
        html: the page's HTML, for the visible-text check.
        region: the outlet's country code ("ca", "fr", ...), or None when unknown.
    """
    if date is not None and date.endswith("-01-01") and not _says_new_year(html, date[:4]):
        return None  # a year alone (« © 2013 ») padded to the 1st of January by htmldate: not a date
    stamp = published_timestamp(tree)
    if date is None or stamp is None or stamp.date().isoformat() != date:
        return date  # the timestamp is not where the date came from: nothing to correct
    if stamp.utcoffset() == dt.timedelta(0):
        local = _in_zone(stamp, region)
        return local.date().isoformat() if local else date
    if stamp.hour >= EVENING:
        next_day = stamp.date() + dt.timedelta(days=1)
        if _visible_date(html) == next_day:
            return next_day.isoformat()
    return date


def _says_new_year(html: str, year: str) -> bool:
    """Whether the page writes the 1st of January of `year` as a full date somewhere."""
    pattern = rf"{year}-01-01|{year}/01/01|0?1[./]0?1[./]{year}|\b1(?:er)? janvier {year}|January 1(?:st)?,? {year}|\b1 January {year}"
    return re.search(pattern, html, re.IGNORECASE) is not None


def published_timestamp(tree) -> dt.datetime | None:
    """The first publication time with an explicit UTC offset in the page's metadata (meta tags,
    itemprop, JSON-LD), as an aware datetime."""
    candidates = tree.xpath(
        '//meta[@property="article:published_time" or @property="og:article:published_time" or @name="pubdate"'
        ' or @itemprop="datePublished" or @name="article:published_time"]/@content'
        '|//*[@itemprop="datePublished"]/@datetime|//time[@pubdate]/@datetime'
    )
    candidates += json_ld_values(tree, "datePublished")
    for value in candidates:
        stamp = _timestamp(str(value))
        if stamp is not None:
            return stamp
    return None


def _timestamp(text: str) -> dt.datetime | None:
    match = _ISO.match(text.strip())
    if not match or not match[4] or not match[6]:
        return None  # no time or no offset: nothing to convert
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None


def _in_zone(stamp: dt.datetime, region: str | None) -> dt.datetime | None:
    zone = ZONES.get(region or "")
    if not zone:
        return None
    try:
        from zoneinfo import ZoneInfo

        return stamp.astimezone(ZoneInfo(zone))
    except (ImportError, KeyError, ValueError):  # no tz database on this system
        return None


def _visible_date(html: str) -> dt.date | None:
    """The date htmldate reads in the page's visible text alone (no head, scripts or URL)."""
    from htmldate import find_date

    tree = parse_html(html)
    for element in tree.xpath("//head|//script|//style|//meta|//link"):
        element.drop_tree()
    found = find_date(tree, extensive_search=True, original_date=True, url="http://visible.invalid/")
    return dt.date.fromisoformat(found) if found else None


def parse_html(html: str):
    """The page as an lxml tree; an XHTML page declaring its encoding is parsed from its bytes
    (lxml refuses a declaration on text)."""
    import lxml.html

    try:
        return lxml.html.fromstring(html)
    except ValueError:
        return lxml.html.fromstring(html.encode("utf-8"))


def json_ld_values(tree, key: str) -> list:
    """Every value of `key` in the page's JSON-LD blocks, in page order."""
    values = []
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            values += _json_values(json.loads(script), key)
        except ValueError:  # sites ship broken JSON-LD often enough
            continue
    return values


def _json_values(data, key: str) -> list:
    """Every value of `key` at any depth of JSON-LD data (it nests in lists and @graph)."""
    if isinstance(data, dict):
        own = data.get(key, [])
        own = own if isinstance(own, list) else [own]
        return own + [v for child in data.values() for v in _json_values(child, key)]
    if isinstance(data, list):
        return [v for child in data for v in _json_values(child, key)]
    return []
