"""An article's metadata from the fields of a JSON record or a YAML front matter: the usual names
for each field, their values normalised (ISO date, the outlet's proper name, an ISO language
code). A value that cannot be used is an InputError that says how to write it."""

from __future__ import annotations

import re

from ..errors import InputError
from ..outlet_names import outlet_name
from .dates import normalise_date

# The names a field goes by, first found wins.
ALIASES = {
    "title": ("title", "headline", "titre"),
    "date": ("date", "published", "published_at", "publication_date", "date_published", "datePublished", "pubdate"),
    "source": ("source", "outlet", "site", "sitename", "site_name", "publisher", "media"),
    "author": ("author", "authors", "byline", "auteur"),
    "url": ("url", "link", "canonical_url"),
    "language": ("language", "lang", "langue"),
}
_LANGUAGE_NAMES = {
    "french": "fr", "francais": "fr", "français": "fr", "english": "en", "anglais": "en", "spanish": "es",
    "espagnol": "es", "german": "de", "allemand": "de", "italian": "it", "italien": "it", "portuguese": "pt",
    "portugais": "pt", "dutch": "nl", "néerlandais": "nl",
}  # fmt: skip


def article_fields(record: dict) -> dict[str, str | None]:
    """title, date, source, author, url and language from a record or front matter (each None
    when absent; the source, when absent, is named from the URL's site).

    Args:
        record: the JSON object or the front matter's mapping.
    """
    raw = {field: next((record[name] for name in names if record.get(name) not in (None, "", [])), None) for field, names in ALIASES.items()}
    url = _text(raw["url"], "url")
    return {
        "title": _text(raw["title"], "title"),
        "date": _date(raw["date"]),
        # An article that does not name its outlet is its site's: the known name, else the domain.
        "source": _source(raw["source"]) or outlet_name([], url),
        "author": _author(raw["author"]),
        "url": url,
        "language": language_code(raw["language"]),
    }


def language_code(value: object) -> str | None:
    """ "fr" from « fr », « fr-FR », « fr_CA », « French » or « français »; None for nothing."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[text]
    match = re.match(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$", text)
    if not match:
        raise InputError(f"the language {str(value)[:30]!r} is not a language code: write it as an ISO code such as fr or en")
    return match.group(1)


def _date(value: object) -> str | None:
    try:
        return normalise_date(value)
    except InputError as error:
        raise InputError(f"{error} (or leave the date out)") from None


def _source(value: object) -> str | None:
    if isinstance(value, dict):  # JSON-LD style: {"name": "Le Monde"}
        value = value.get("name")
    text = _text(value, "source")
    return outlet_name([text], text) if text else None


def _author(value: object) -> str | None:
    if isinstance(value, list):
        names = [_author(v) for v in value]
        return "; ".join(n for n in names if n) or None
    if isinstance(value, dict):
        value = value.get("name")
    return _text(value, "author")


def _text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise InputError(f"the {field} must be text, not {type(value).__name__}")
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None
