"""Which articles a question is about: the publication dates and outlets it names (« la semaine
dernière », « selon Le Figaro »), and those the reader chose (`Filters`), as a set of article ids
the search is restricted to; « le plus récent » / "oldest" as an order by date.

The phrases are cut from the question, so that the search is about its subject and not about
« semaine » or « Figaro ». Dates are always publication dates (`when`): a date the question only
mentions (« Que décide la NASA en 1969 ? ») stays in the search and restricts nothing, unless
the question names an outlet with it (« que dit Le Figaro depuis le 1er mars »)."""

from __future__ import annotations

import datetime as dt

from ..reading.outlets import find_outlets, outlet_key
from ..reading.when import When, parse_when
from ..store.contract import Store
from ..types import Filters
from .pipeline import Decision
from .policy import Refusal
from .query import Query


class Scope:
    """Restricts the search to the articles the question and the filters name.

    Reads: question, filters. Fills: question (without the phrases), among (article ids, or
    None for all), order ("latest", "oldest" or None). Refuses when nothing indexed is in scope."""

    name = "scope"
    reads = ("question", "filters")
    fills = ("question", "among", "order")

    def __init__(self, store: Store) -> None:
        self._store = store

    def run(self, query: Query) -> Decision:
        filters = query.filters
        when, rest = parse_when(query.question, filters.as_of)
        records = self._store.articles()
        undated = when.filters and not any(r.get("date") for r in records.values())
        if undated:  # no article has a publication date: « la séance du vendredi » is about the events, searched as written
            when, rest = When(), query.question
        outlets, rest = find_outlets(rest, {r["source"] for r in records.values() if r.get("source")})
        query.question = rest or query.question  # « Le plus récent ? »: nothing left to cut to
        query.order = when.order
        # A date named with an outlet (« que dit Le Figaro depuis le 1er mars ») is about what it published.
        dated = when.filters or (when.scope == "mentioned" and bool(outlets.names))
        since, until = _intersect((filters.since, filters.until), (when.since, when.until) if dated else (None, None))
        names = {outlet_key(name) for name in (*filters.sources, *outlets.names)}
        details = {"when": when.to_dict(), "outlets": list(outlets.names), "missing_outlets": list(outlets.missing), "question": query.question}
        if undated:
            details["dates_ignored"] = "no article has a publication date"
        if outlets.missing and not outlets.names and not filters.sources:
            return Decision(details=details, refusal=Refusal.OUT_OF_SCOPE)  # « selon Le Figaro », and no Figaro article
        if since is None and until is None and not names:
            return Decision("all articles", details)
        query.among = {article_id for article_id, record in records.items() if _in_scope(record, since, until, names)}
        details.update({"since": _iso(since), "until": _iso(until), "articles": len(query.among)})
        if not query.among:
            return Decision(details=details, refusal=Refusal.OUT_OF_SCOPE)
        return Decision(f"{len(query.among)} articles", details)


def filters(since=None, until=None, sources=(), as_of=None) -> Filters:
    """Filters from what a caller gives: dates as `datetime.date` or "YYYY-MM-DD", outlet names."""
    names = [sources] if isinstance(sources, str) else list(sources or ())
    return Filters(_date(since, "since"), _date(until, "until"), tuple(name for name in names if name), _date(as_of, "as-of"))


def _in_scope(record: dict, since: dt.date | None, until: dt.date | None, names: set[str]) -> bool:
    if names and outlet_key(record.get("source") or "") not in names:
        return False
    if since is None and until is None:
        return True
    date = record.get("date")
    if not date:
        return False  # an undated article cannot be shown to be in a period
    day = dt.date.fromisoformat(date[:10])
    return (since is None or day >= since) and (until is None or day <= until)


def _intersect(*ranges: tuple[dt.date | None, dt.date | None]) -> tuple[dt.date | None, dt.date | None]:
    sinces = [s for s, _ in ranges if s]
    untils = [u for _, u in ranges if u]
    return (max(sinces) if sinces else None), (min(untils) if untils else None)


def _date(value, what: str) -> dt.date | None:
    from ..errors import InputError

    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InputError(f"the {what} date {str(value)[:30]!r} is not a date: write it as YYYY-MM-DD") from None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
