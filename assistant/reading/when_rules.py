"""The temporal phrases `when` knows, each a pattern over the folded question (lowercase, no
accents, same length) and what it resolves to against an as-of date: a (since, until) range,
"latest" / "oldest", or None when the words name no real day (« le 31 avril »).

A term is a phrase that names a period by itself (« le 3 mars », « lundi », "last week"); most
terms stand alone in a question, some only after a cue (a bare « 2021 » or « mars » needs « en »
or « depuis »: « plus de 2000 morts » is no year, « la mission vers mars » no month)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from .. import languages
from .timewords import (
    DAY,
    MONTH,
    NUMBER,
    UNIT,
    UNITS,
    WEEKDAYS,
    YEAR,
    add_months,
    alternatives,
    day_number,
    last_date_named,
    last_month_named,
    last_weekday,
    month_end,
    month_number,
    month_of,
    number,
    week_of,
    year_of,
)

Range = tuple[dt.date | None, dt.date | None]
Resolve = Callable[[re.Match, dt.date], "Range | str | None"]


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern
    resolve: Resolve
    # Whether what matched names a date by the calendar (« en 1969 », « le 3 mars ») rather than
    # relative to now (« hier », « la semaine dernière »): a calendar date in a question is as
    # often the date of an event in the text as that of an article's publication.
    absolute: Callable[[re.Match], bool] = lambda m: False

    def span(self, match: re.Match) -> tuple[int, int]:
        """What the phrase is: its `phrase` group where it has one (« l'article [le plus
        ancien] »: the noun says what is ordered, it is not cut), else the whole match."""
        return match.span("phrase") if "phrase" in match.re.groupindex else match.span()


# -- resolvers ---------------------------------------------------------------------------------


def _day(day: dt.date | None) -> Range | None:
    return (day, day) if day else None


def _relative_day(offset: int) -> Resolve:
    return lambda m, as_of: _day(as_of + dt.timedelta(days=offset))


def _this(unit: str) -> Resolve:
    starts = {"week": lambda d: week_of(d)[0], "month": lambda d: d.replace(day=1), "year": lambda d: d.replace(month=1, day=1)}
    return lambda m, as_of: (starts[unit](as_of), as_of)


def _last(unit: str) -> Resolve:
    periods = {
        "week": lambda d: week_of(d - dt.timedelta(days=7)),
        "month": lambda d: month_of(add_months(d.replace(day=1), -1)),
        "year": lambda d: year_of(d.year - 1),
    }
    return lambda m, as_of: periods[unit](as_of)


def _rolling(as_of: dt.date, count: int, unit: str) -> Range | None:
    """The last `count` units up to the as-of day, which is included (7 days: as-of - 6 to as-of)."""
    if count < 1:
        return None
    if unit in ("day", "week"):
        return as_of - dt.timedelta(days=count * (7 if unit == "week" else 1) - 1), as_of
    return add_months(as_of, -count * (12 if unit == "year" else 1)) + dt.timedelta(days=1), as_of


def _last_n(m, as_of):
    return _rolling(as_of, number(m["n"]), UNITS[m["unit"]])


def _past_one(m, as_of):  # "the past week": the last 7 days, not last calendar week
    return _rolling(as_of, 1, UNITS[m["unit"]])


def _recent(m, as_of):
    """« ces derniers jours »: 7 days; « ces dernières semaines »: 28 days; « ces derniers mois »: 3 months."""
    count, unit = {"day": (7, "day"), "week": (28, "day"), "month": (3, "month")}[UNITS[m["unit"]]]
    return _rolling(as_of, count, unit)


def _ago(m, as_of):
    """N days ago is that day; N weeks, months or years ago the calendar period that long ago."""
    count, unit = number(m["n"]), UNITS[m["unit"]]
    if unit == "day" and count in (8, 15):  # « il y a huit / quinze jours »: one, two weeks
        count, unit = count // 7, "week"
    if unit == "day":
        return _day(as_of - dt.timedelta(days=count))
    if unit == "week":
        return week_of(as_of - dt.timedelta(days=7 * count))
    if unit == "month":
        return month_of(add_months(as_of.replace(day=1), -count))
    return year_of(as_of.year - count)


def _weekday(m, as_of):
    """A bare weekday may be the as-of day itself; « lundi dernier », "last Monday" is before it."""
    return _day(last_weekday(as_of, WEEKDAYS[m["weekday"]], strictly_before=bool(m.groupdict().get("last"))))


def _full_date(m, as_of):
    """A day and a month, with or without a year; numeric dates are day first, as in French."""
    day, month = day_number(m["day"]), int(m["month"]) if m["month"].isdigit() else month_number(m["month"])
    year = m.groupdict().get("year")
    if not 1 <= month <= 12:
        return None
    if year is None:
        return _day(last_date_named(as_of, month, day))
    try:
        return _day(dt.date(int(year) + (2000 if len(year) == 2 else 0), month, day))
    except ValueError:
        return None


def _month_year(m, as_of):
    month, year = month_number(m["month"]), int(m["year"])
    return dt.date(year, month, 1), month_end(year, month)


def _month(m, as_of):
    return last_month_named(as_of, month_number(m["month"]), strictly_before=bool(m.groupdict().get("last")))


def _year(m, as_of):
    return year_of(int(m["year"]))


def _start_of(m, as_of):
    return _this(UNITS[m["unit"]])(m, as_of)


# -- terms -------------------------------------------------------------------------------------

FR_WEEKDAY = alternatives(languages.get("fr").WEEKDAYS)
EN_WEEKDAY = alternatives(languages.get("en").WEEKDAYS)
# (pattern, resolver, stands alone in a question): in the order a term is tried, longest first.
# (pattern, resolver, stands alone in a question, names a calendar date): in the order a term is
# tried, longest first.
TERMS: list[tuple[str, Resolve, bool, bool]] = [
    (r"(?:le |the )?(?:debut|start|beginning) (?:de la |du |de l'|de |of the |of )?(?P<unit>semaine|mois|annee|week|month|year)", _start_of, False, False),
    (r"avant[- ]hier|the day before yesterday", _relative_day(-2), True, False),
    (r"hier|yesterday", _relative_day(-1), True, False),
    (r"aujourd'hui|today|ce matin|ce soir|this morning", _relative_day(0), True, False),
    (rf"(?P<year>{YEAR})-(?P<month>[01]\d)-(?P<day>[0-3]\d)", _full_date, True, True),
    (r"(?:le )?(?P<day>[0-3]?\d)[/.](?P<month>[01]?\d)[/.](?P<year>(?:19|20)?\d\d)(?![/.]?\d)", _full_date, True, True),
    (rf"(?:le )?(?:{FR_WEEKDAY} |{EN_WEEKDAY},? )?(?P<day>{DAY}) (?P<month>{MONTH})(?: (?P<year>{YEAR}))?", _full_date, True, True),
    (rf"(?:{EN_WEEKDAY},? )?(?P<month>{MONTH}) (?P<day>{DAY})(?:,? (?P<year>{YEAR}))?(?! ?\d)", _full_date, True, True),
    (rf"(?:the )?(?P<day>{DAY}) of (?P<month>{MONTH})(?:,? (?P<year>{YEAR}))?", _full_date, True, True),
    (rf"(?:(?:le |au |du )?mois d(?:e |')|the month of )?(?P<month>{MONTH})(?: of)?,? (?P<year>{YEAR})", _month_year, True, True),
    (rf"(?P<month>{MONTH}) (?P<last>dernier)", _month, True, True),
    (rf"(?P<last>last) (?P<month>{MONTH})", _month, True, True),
    (rf"(?:(?:le |au |du )?mois d(?:e |'))?(?P<month>{MONTH})", _month, False, True),
    (rf"(?:l'annee |the year )?(?P<year>{YEAR})", _year, False, True),
    (r"(?:la )?semaine (?:derniere|passee|precedente)|(?:the )?(?:last|previous) week", _last("week"), True, False),
    (r"(?:le )?mois (?:dernier|passe|precedent)|(?:the )?(?:last|previous) month", _last("month"), True, False),
    (r"l'an (?:dernier|passe)|l'annee (?:derniere|passee|precedente)|(?:the )?(?:last|previous) year", _last("year"), True, False),
    (r"cette semaine|this week", _this("week"), True, False),
    (r"ce mois[- ]ci|ce mois|this month", _this("month"), True, False),
    (r"cette annee(?:[- ]ci)?|this year", _this("year"), True, False),
    (r"(?:the |this )?past (?P<unit>week|month|year)", _past_one, True, False),
    (rf"(?:ce |le )?(?P<weekday>{FR_WEEKDAY})(?: (?P<last>dernier|passe))?", _weekday, True, False),
    (rf"(?:(?P<last>last) |this |on )?(?P<weekday>{EN_WEEKDAY})", _weekday, False, False),
]


def _ungrouped(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


TERM = "(?:" + "|".join(_ungrouped(p) for p, _, _, _ in TERMS) + ")"
_TERMS = [(re.compile(p), resolve, absolute) for p, resolve, _, absolute in TERMS]


def resolve_term(text: str, as_of: dt.date) -> Range | None:
    """The range a term names (the first term pattern that matches it whole)."""
    for pattern, resolve, _ in _TERMS:
        match = pattern.fullmatch(text.strip())
        if match:
            return resolve(match, as_of)
    return None


def _absolute_terms(m: re.Match) -> bool:
    """Whether the terms of « depuis X », « entre X et Y » name calendar dates."""
    return any(_term_is_absolute(m[g]) for g in ("term", "a", "b") if g in m.re.groupindex and m[g])


def _term_is_absolute(text: str) -> bool:
    text = text.strip()
    if re.fullmatch(rf"(?:le )?{DAY}", text):  # « du 3 au 10 mars »: a day of the month
        return True
    return next((absolute for pattern, _, absolute in _TERMS if pattern.fullmatch(text)), False)


def _from(start: dt.date, as_of: dt.date) -> Range:
    """From a day to the as-of date; open-ended when the day is after it (nothing published yet)."""
    return start, (as_of if start <= as_of else None)


def _since(m, as_of):
    term = resolve_term(m["term"], as_of)
    return _from(term[0], as_of) if term else None


def _after(m, as_of):
    term = resolve_term(m["term"], as_of)
    return _from(term[1] + dt.timedelta(days=1), as_of) if term else None


def _before(m, as_of):
    term = resolve_term(m["term"], as_of)
    return (None, term[0] - dt.timedelta(days=1)) if term else None


def _until(m, as_of):
    term = resolve_term(m["term"], as_of)
    return (None, term[1]) if term else None


def _between(m, as_of):
    """« entre le 3 et le 10 mars », « du 3 au 10 mars »: a first day alone takes the month of the second."""
    end = resolve_term(m["b"], as_of)
    if end is None:
        return None
    bare = re.fullmatch(rf"(?:le )?({DAY})", m["a"].strip())
    if bare:
        try:
            return end[0].replace(day=day_number(bare.group(1))), end[1]
        except ValueError:
            return None
    start = resolve_term(m["a"], as_of)
    return (start[0], end[1]) if start and start[0] <= end[1] else None


# -- rules -------------------------------------------------------------------------------------

# A preposition belonging to the phrase (cut with it): « les articles de la semaine dernière ».
PRE = (
    r"(?:(?:au cours (?:de la |du |de l'|des )?|pendant (?:la |le |les |l')?|durant (?:la |le |les |l')?|dans (?:la |le |les )?"
    r"|en |de |du |des |in |on |of |during |over |for |from )|d')?"
)
CUE = r"(?:en|in|during|pendant|durant|courant)\s+"
_ARTICLE_NOUN = r"(?:articles?|papiers?|depeches?|publications?|nouvelles?|reportages?|stories|story|reports?|pieces?|news)"
_LATEST_NOUNS = (
    r"(?= (?:nouvelles?|informations?|infos?|actualites?|actus?|articles?|papiers?|depeches?|publications?|developpements?|evolutions?"
    r"|rebondissements?|mises? a jour|news|elements?|chiffres?|bilans?|donnees)\b)"
)
_ABSOLUTE, _RELATIVE = (lambda m: True), (lambda m: False)
RANGES: list[tuple[str, Resolve, Callable[[re.Match], bool]]] = [
    *((PRE + p, r, _ABSOLUTE if absolute else _RELATIVE) for p, r, alone, absolute in TERMS if alone),
    (rf"{CUE}(?P<month>{MONTH})", _month, _ABSOLUTE),
    (rf"(?:{CUE}|l'annee |the year )(?P<year>{YEAR})", _year, _ABSOLUTE),
    (rf"(?:on |(?P<last>last) |this )(?P<weekday>{EN_WEEKDAY})", _weekday, _RELATIVE),
    (rf"{PRE}(?:ces|les) (?P<n>{NUMBER}) (?:derniers|dernieres) (?P<unit>{UNIT})", _last_n, _RELATIVE),
    (rf"{PRE}(?:the )?(?:last|past) (?P<n>{NUMBER}) (?P<unit>{UNIT})", _last_n, _RELATIVE),
    (rf"depuis (?P<n>{NUMBER}) (?P<unit>{UNIT})", _last_n, _RELATIVE),
    (rf"{PRE}(?:ces|les) (?:tout )?(?:derniers|dernieres) (?P<unit>jours|semaines|mois)", _recent, _RELATIVE),
    (rf"{PRE}(?:the |these )?(?:last|past) few (?P<unit>days|weeks|months)", _recent, _RELATIVE),
    (rf"{PRE}recent (?P<unit>days|weeks|months)", _recent, _RELATIVE),
    (rf"il y a (?P<n>{NUMBER}) (?P<unit>{UNIT})", _ago, _RELATIVE),
    (rf"(?P<n>{NUMBER}) (?P<unit>{UNIT}) ago", _ago, _RELATIVE),
    (rf"(?:depuis|a partir (?:du |de la |de l'|de |d')|since|starting (?:on |from |in )?|as of )\s*(?P<term>{TERM})", _since, _absolute_terms),
    (rf"(?:apres|after)\s+(?P<term>{TERM})", _after, _absolute_terms),
    (rf"(?:avant|before)\s+(?P<term>{TERM})", _before, _absolute_terms),
    (rf"(?:jusqu'(?:au |a la |a |en )?|until |till |up to )\s*(?P<term>{TERM})", _until, _absolute_terms),
    (rf"(?:entre|between)\s+(?P<a>{TERM}|(?:le )?{DAY})\s+(?:et|and)\s+(?P<b>{TERM})", _between, _absolute_terms),
    (rf"(?:du|from)\s+(?P<a>{TERM}|(?:le )?{DAY})\s+(?:au|to|until|till|through)\s+(?P<b>{TERM})", _between, _absolute_terms),
]
ORDERS: list[tuple[str, str]] = [
    (r"(?:le |la |les |l')?plus (?:recent|recente|recents|recentes)(?: en date)?", "latest"),
    (r"most recent(?:ly)?|latest|newest", "latest"),
    (rf"(?:dernier|derniere|derniers|dernieres){_LATEST_NOUNS}|(?:le |la )?(?:dernier|derniere) en date", "latest"),
    (r"recemment|dernierement|recently|lately|quoi de neuf|what'?s new|what is new", "latest"),
    # « le plus ancien » is as often about the story (« la plus ancienne représentation d'un
    # labyrinthe ») as about the articles: an order only next to a word for articles.
    (rf"{_ARTICLE_NOUN} (?P<phrase>(?:le |la |les )?plus (?:ancien|ancienne|anciens|anciennes))", "oldest"),
    (rf"(?:le |la |les |l')?plus (?:ancien|ancienne|anciens|anciennes)(?= {_ARTICLE_NOUN}\b)", "oldest"),
    (rf"(?:oldest|earliest)(?= {_ARTICLE_NOUN}\b)|first published", "oldest"),
    (rf"(?:le|la|les) (?P<phrase>premier|premiere|premiers|premieres)(?= {_ARTICLE_NOUN}\b)", "oldest"),
]


# A calendar date is one of publication when the question says so: a verb of publishing anywhere
# (« l'article publié le 3 mars »), or articles right before it (« les articles de novembre 2023 »).
PUBLISHED = re.compile(r"(?<!\w)(?:publie|publiee|publies|publiees|parus?|parues?|sortie?s?|mise? en ligne|datee?s?|published|posted|dated|came out)(?!\w)")
ARTICLES_BEFORE = re.compile(
    r"(?<!\w)(?:articles?|nouvelles|depeches?|papiers?|actualites?|infos?|news|stories|story|reports?|coverage)"
    r"\s*(?:(?:publie|publies|paru|parus)\s*)?$"
)


def _bounded(pattern: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){pattern}(?!\w)")


RULES: list[Rule] = [Rule(_bounded(p), r, a) for p, r, a in RANGES] + [Rule(_bounded(p), lambda m, as_of, o=o: o) for p, o in ORDERS]
