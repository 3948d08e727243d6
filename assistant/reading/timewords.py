"""The words of time of the languages read (`languages.READ`: French and English), folded
(lowercase, no accents: « août » is "aout"), as regular-expression pieces, and the calendar
arithmetic `when` resolves them with."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .. import languages

# Months written out or abbreviated; « fév », "mar", "jun" and "jul" are read in dates only
# (`ingest.dates`), never in questions.
MONTHS = {
    word: month
    for word, month in {**languages.union("MONTHS"), **languages.union("MONTH_ABBREVIATIONS")}.items()
    if word not in ("fev", "mar", "jun", "jul")
}
WEEKDAYS = languages.union("WEEKDAYS")
NUMBERS = languages.union("COUNTS")
UNITS = languages.union("UNITS")


def alternatives(words) -> str:
    """A regex group matching any of the words, longest first (so "septembre" beats "sept")."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


MONTH = alternatives(MONTHS) + r"\.?"
WEEKDAY = alternatives(WEEKDAYS)
NUMBER = r"(?:\d{1,3}|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + ")"
UNIT = alternatives(UNITS)
DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:er|st|nd|rd|th)?"
YEAR = r"(?:19|20)\d\d"


def number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word]


def month_number(word: str) -> int:
    return MONTHS[word.rstrip(".")]


def day_number(word: str) -> int:
    return int(re.match(r"\d+", word).group())


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (earlier when negative), on the month's last day if shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar week (Monday to Sunday) of a day."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    return day.replace(day=1), month_end(day.year, day.month)


def year_of(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def last_weekday(as_of: dt.date, weekday: int, strictly_before: bool) -> dt.date:
    """The most recent such weekday on or before `as_of` (strictly before it if asked)."""
    back = (as_of.weekday() - weekday) % 7
    return as_of - dt.timedelta(days=back or (7 if strictly_before else 0))


def last_month_named(as_of: dt.date, month: int, strictly_before: bool = False) -> tuple[dt.date, dt.date]:
    """The most recent month of that name that has begun by `as_of` (before the current month if
    asked: « en mars dernier » said in March is last year's)."""
    year = as_of.year if month < as_of.month or month == as_of.month and not strictly_before else as_of.year - 1
    return dt.date(year, month, 1), month_end(year, month)


def last_date_named(as_of: dt.date, month: int, day: int) -> dt.date | None:
    """The most recent such day-and-month not after `as_of` (« le 3 mars » said in February is
    last year's); None for a day that does not exist (31 avril)."""
    for year in (as_of.year, as_of.year - 1, as_of.year - 2, as_of.year - 3, as_of.year - 4):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:  # 29 février of a common year: try the years before
            continue
        if candidate <= as_of:
            return candidate
    return None
