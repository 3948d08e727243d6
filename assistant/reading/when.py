"""Time in a question (« hier », « la semaine dernière », « en novembre 2023 », « depuis le 1er
janvier », « le plus récent », "last week", "in the last 7 days", "oldest"), resolved against an
as-of date into a range of publication dates and/or an order, and cut from the question so that
the search is not about « semaine » or « dernière ».

The dates are publication dates (never when an article was ingested) when the question speaks
of publication or of a time relative to now; a calendar date it only names (« Que décide la
NASA en 1969 ? ») is reported as "mentioned" and left in the question (see `When.scope`).
Ranges are inclusive, and the as-of date stands for "now": nothing is published after it.
What each kind means:
- a named day (« hier », « le 3 mars », « lundi », "on March 3, 2024"): that day; without a
  year, the most recent one not after the as-of date; a bare weekday may be the as-of day
  itself, « lundi dernier » / "last Monday" is before it;
- a named period (« en novembre 2023 », « en 2021 », « en mars »): that calendar month or year,
  up to the as-of date; « en mars dernier » / "last March" is the last one before this month;
- this/last week, month, year (« cette semaine », « le mois dernier », "last year"): calendar
  weeks (Monday to Sunday), months and years; « la semaine dernière » is the previous calendar
  week, not the last 7 days, as the words say in French and English; the last 7 days have words
  of their own;
- the last N days, weeks, months (« les 7 derniers jours », « depuis deux semaines », "in the
  past 3 months"): N periods back to the as-of date, the as-of day included (7 days: as-of - 6
  to as-of); « ces derniers jours » / "the last few days" is 7 days, « ces dernières semaines »
  28, « ces derniers mois » 3 months;
- ago (« il y a trois jours », "two weeks ago"): the day, calendar week, month or year that
  many periods before, so that "one week ago" is "last week" (« il y a quinze jours » is two
  weeks, « il y a huit jours » one, as French says them);
- since / after / before / until / between X and Y: from X's first day (after: the day after
  X) to the as-of date; before: up to the day before X; until: up to X's last day;
- « le plus récent », « les dernières nouvelles », « récemment », "latest", "most recent": the
  newest first; « le plus ancien », "oldest", "earliest": the oldest first. No range.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..errors import InputError
from ..languages import fold
from .phrases import cut_phrases
from .when_rules import ARTICLES_BEFORE, PUBLISHED, RULES, Rule

ORDERS = ("latest", "oldest")


@dataclass(frozen=True)
class When:
    """What a question says about time: a range of dates (inclusive; None where open), whether
    they are publication dates, and an order ("latest", "oldest" or None), with the phrases
    that said it.

    `scope` is "published" when the range is one of publication dates (a date relative to now,
    « la semaine dernière », or one the question ties to publishing, « l'article publié le 3
    mars », « les articles de novembre 2023 »): filter by it. It is "mentioned" when the
    question only names a calendar date (« Que décide la NASA en 1969 ? »): as often the date
    of an event in the text as that of an article, it is left in the question for the search
    and should at most weight, not filter. None when there is no range."""

    since: dt.date | None = None
    until: dt.date | None = None
    order: str | None = None
    matched: tuple[str, ...] = ()  # the phrases as the question wrote them
    scope: str | None = None  # "published", "mentioned" or None

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.order)

    @property
    def filters(self) -> bool:
        """Whether articles should be filtered by publication date (a "published" range)."""
        return self.scope == "published"

    def contains(self, date: str | None, slack_days: int = 0) -> bool:
        """Whether an article published on `date` ("YYYY-MM-DD...", or None when undated) is in
        the range, its end extended by `slack_days` (an article about yesterday's speech may be
        published today). Without a range every article is; with one, an undated one is not."""
        if self.since is None and self.until is None:
            return True
        if not date:
            return False
        day = dt.date.fromisoformat(date[:10])
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until + dt.timedelta(days=slack_days))

    def to_dict(self) -> dict:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "order": self.order,
            "scope": self.scope,
            "matched": list(self.matched),
        }


def parse_when(question: str, as_of: dt.date | str | None = None) -> tuple[When, str]:
    """The time a question speaks of, and the question without the words that said it.

    Args:
        question: as the user wrote it (French or English).
        as_of: the date "now" is (a date or "YYYY-MM-DD"); today when None.

    Returns:
        (When, the question with its publication-date and order phrases cut out; possibly
        empty when the question was nothing else, « Le plus récent ? »). A "mentioned" date is
        left in: it is part of what the question is about.
    """
    today = _as_of(as_of)
    folded = fold(question, same_length=True)
    found = _non_overlapping([(m, rule) for rule in RULES for m in rule.pattern.finditer(folded)])
    published, mentioned, order, orders = [], [], None, []
    for match, rule in found:
        resolved = rule.resolve(match, today)
        if resolved is None:  # « le 31 avril »: not a date, leave the words in the question
            continue
        if resolved in ORDERS:
            order = order or resolved
            orders.append(rule.span(match))
        elif not rule.absolute(match) or PUBLISHED.search(folded) or ARTICLES_BEFORE.search(folded, 0, match.start()):
            published.append((resolved, rule.span(match)))
        else:
            mentioned.append((resolved, rule.span(match)))
    ranges, scope = (published, "published") if published else (mentioned, "mentioned") if mentioned else ([], None)
    since, until = _combine([r for r, _ in ranges], today)
    spans = sorted(orders + [span for _, span in ranges])
    when = When(since, until, order, tuple(question[s:e].strip() for s, e in spans), scope)
    cut = orders + [span for _, span in published]
    return when, cut_phrases(question, cut)


def _as_of(as_of: dt.date | str | None) -> dt.date:
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(str(as_of).strip())
    except ValueError:
        raise InputError(f"the as-of date {str(as_of)[:30]!r} is not a date: write it as YYYY-MM-DD") from None


def _non_overlapping(candidates: list[tuple[re.Match, Rule]]) -> list[tuple[re.Match, Rule]]:
    """The longest matches first, then the earliest; a match overlapping a kept one is dropped
    (« la semaine dernière » is one phrase, not « semaine » and « dernière »)."""
    spans = {id(match): rule.span(match) for match, rule in candidates}
    kept: list[tuple[re.Match, Rule]] = []
    for match, rule in sorted(candidates, key=lambda c: (spans[id(c[0])][0] - spans[id(c[0])][1], spans[id(c[0])][0])):
        start, end = spans[id(match)]
        if start < end and all(end <= spans[id(k)][0] or start >= spans[id(k)][1] for k, _ in kept):
            kept.append((match, rule))
    return sorted(kept, key=lambda c: spans[id(c[0])][0])


def _combine(ranges: list[tuple[dt.date | None, dt.date | None]], as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """One range from several (« depuis mars … avant le 10 mai »): their intersection, or the
    first alone when they do not meet; clipped at the as-of date unless wholly after it."""
    if not ranges:
        return None, None
    sinces = [s for s, _ in ranges if s is not None]
    untils = [u for _, u in ranges if u is not None]
    since, until = (max(sinces) if sinces else None), (min(untils) if untils else None)
    if since and until and since > until:
        since, until = ranges[0]
    if until is not None and until > as_of and (since is None or since <= as_of):
        until = as_of
    return since, until
