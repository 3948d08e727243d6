"""Which articles a question is about: the publication dates and outlets it names (« la semaine
dernière », « selon Le Figaro »), and those the reader chose (`Filters`), as a set of article ids
the search is restricted to; « le plus récent » / "oldest" as an order by date.

The phrases are cut from the question, so that the search is about its subject and not about
« semaine » or « Figaro ». Dates are always publication dates (`when`): a date the question only
mentions (« Que décide la NASA en 1969 ? ») stays in the search and restricts nothing, unless
the question names an outlet with it (« que dit Le Figaro depuis le 1er mars »)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from ..outlet_names import outlet_aliases, site_domain
from ..reading.outlets import find_outlets
from ..reading.requests import names_no_subject, which_first
from ..reading.when import When, parse_when
from ..store.contract import Store
from ..types import Filters
from .pipeline import Decision
from .policy import Refusal
from .query import Query, ScopeNotice


class Scope:
    """Restricts the search to the articles the question and the filters name.

    What the reader set and what the question says are read differently:
    - the filters (`Filters`: the CLI's --source / --since / --until, the chat's outlet and date
      pickers) are a constraint the reader chose: kept strict, and when no article meets them
      the question is refused (`out_of_scope`, whose reason says that no article matches the
      filters), since answering from other outlets or dates would ignore a choice they made;
    - an outlet or a publication date the question names (« selon Le Figaro », « hier ») is a
      hint: it narrows the search only when some article (among the filtered ones) matches it.
      When none does, the search runs on all of them and the answer begins by saying so
      (`Query.scope_notice`, written by `rendering`: « Aucun article de Le Parisien dans
      l'archive ; voici ce que disent les autres : … »). A date is given up before an outlet:
      « que dit Le Figaro depuis mars », with no Figaro article since March, reads Le Figaro's
      older ones. A question is never refused here for what it names.

    Outlets match by any of their names and domains (`outlet_names.outlet_aliases`): the
    article's outlet and its URL's site, so that « AOC », « AOC media » and aoc.media meet.

    Reads: question, filters. Fills: question (without the phrases), among (article ids, or
    None for all), order ("latest", "oldest" or None), scope_notice."""

    name = "scope"
    reads = ("question", "filters")
    fills = ("question", "among", "order", "scope_notice")

    def __init__(self, store: Store) -> None:
        self._store = store

    def run(self, query: Query) -> Decision:
        filters = query.filters
        when, rest = parse_when(query.question, filters.as_of)
        records = self._store.articles()
        undated = when.filters and not any(r.get("date") for r in records.values())
        if undated:  # no article has a publication date: « la séance du vendredi » is about the events, searched as written
            when, rest = When(), query.question
        known = [name for r in records.values() for name in (r.get("source"), site_domain(r.get("url"))) if name]
        outlets, rest = find_outlets(rest, known)
        if not outlets and query.message != query.question and find_outlets(query.message, known)[0]:
            # `understand` cut a request's words (« Que raconte Gala sur … » -> « Gala sur … »),
            # which were what made the name an outlet: read it after the same cue.
            outlets, rest = find_outlets(f"selon {rest}", known)
        query.question = rest or query.question  # « Le plus récent ? »: nothing left to cut to
        # « De quoi parle le plus ancien article ? » was cut to its subject by `understand`
        # (« le plus ancien »), which lost the article noun that makes it an order: read the message.
        query.order = when.order or (parse_when(query.message, filters.as_of)[0].order if query.message != query.question else None)
        details = {"when": when.to_dict(), "outlets": list(outlets.names), "missing_outlets": list(outlets.missing), "question": query.question}
        if undated:
            details["dates_ignored"] = "no article has a publication date"
        chosen = {i for i, r in records.items() if _in_scope(r, filters.since, filters.until, _aliases(filters.sources))}
        if filters.sources or filters.since or filters.until:
            details.update({"filters": {"sources": list(filters.sources), "since": _iso(filters.since), "until": _iso(filters.until)}, "filtered": len(chosen)})
            if not chosen:
                return Decision(details=details, refusal=Refusal.OUT_OF_SCOPE)  # the reader's own choice: kept strict
        # A date named with an outlet (« que dit Le Figaro depuis le 1er mars ») is about what it published.
        dated = when.filters or (when.scope == "mentioned" and bool(outlets))
        period = (when.since, when.until) if dated else (None, None)
        among, notice = _narrow(records, chosen, outlets.names, outlets.missing, period)
        query.scope_notice = notice
        if notice:
            details["notice"] = {"outlets": list(notice.outlets), "since": _iso(notice.since), "until": _iso(notice.until)}
        if query.order and names_no_subject(rest) and not which_first(query.message):
            # « Quel est l'article le plus récent du Monde ? » names no subject to search for: the
            # article is the newest (oldest) of those in scope, whatever it is about.
            picked = _extreme(records, chosen if among is None else among, query.order)
            if picked:
                among = {picked}
                details["picked"] = picked
        if among is None and len(chosen) == len(records):
            return Decision("all articles, none matching what the question names" if notice else "all articles", details)
        query.among = chosen if among is None else among
        details.update({"since": _iso(period[0]), "until": _iso(period[1]), "articles": len(query.among)})
        return Decision(f"{len(query.among)} articles", details)


def _narrow(records: dict, chosen: set[str], names: tuple[str, ...], missing: tuple[str, ...], period) -> tuple[set[str] | None, ScopeNotice | None]:
    """The articles among `chosen` of the outlets and the period a question names, each kept only
    when some article meets it, the period given up before the outlets (None: no narrowing),
    and the notice of what was named and given up (None: nothing was)."""
    since, until = period
    wanted = _aliases(names)
    by_outlet = {i for i in chosen if wanted and _in_scope(records[i], None, None, wanted)} if names or missing else None
    by_date = {i for i in chosen if _in_scope(records[i], since, until, set())} if since or until else None
    if by_outlet is not None and by_date is not None and by_outlet & by_date:
        among, outlets_given_up, period_given_up = by_outlet & by_date, False, False
    elif by_outlet:
        among, outlets_given_up, period_given_up = by_outlet, False, by_date is not None
    elif by_date:
        among, outlets_given_up, period_given_up = by_date, by_outlet is not None, False
    else:
        among, outlets_given_up, period_given_up = None, by_outlet is not None, by_date is not None
    # « Aucun article de Le Figaro publié depuis le 1er mars »: the outlet kept is named with the period given up.
    named = names[:1] if (outlets_given_up or period_given_up) and names else ()
    outlets = tuple(dict.fromkeys((*named, *missing)))
    if not (outlets or period_given_up):
        return among, None
    return among, ScopeNotice(outlets, since if period_given_up else None, until if period_given_up else None)


def _extreme(records: dict, ids: set[str], order: str) -> str | None:
    """The newest (order "latest") or oldest dated article of `ids` (None when none is dated)."""
    dated = [(records[i]["date"][:10], i) for i in ids if records[i].get("date")]
    if not dated:
        return None
    return (max(dated) if order == "latest" else min(dated))[1]


def filters(since=None, until=None, sources=(), as_of=None) -> Filters:
    """Filters from what a caller gives: dates as `datetime.date` or "YYYY-MM-DD", outlet names."""
    names = [sources] if isinstance(sources, str) else list(sources or ())
    return Filters(_date(since, "since"), _date(until, "until"), tuple(name for name in names if name), _date(as_of, "as-of"))


def _aliases(names) -> set[str]:
    return outlet_aliases(*names)


@lru_cache(maxsize=65536)
def _record_aliases(source: str | None, url: str | None) -> frozenset[str]:
    """An article's outlet keys, by its outlet and its URL (read once per article and process)."""
    return frozenset(outlet_aliases(source, url))


def _in_scope(record: dict, since: dt.date | None, until: dt.date | None, aliases: set[str]) -> bool:
    """Whether an article is of one of the outlets (by any of their keys; any outlet when none)
    and published in the period (an undated one is in none)."""
    if aliases and not aliases & _record_aliases(record.get("source"), record.get("url")):
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
