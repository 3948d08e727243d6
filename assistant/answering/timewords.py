"""The words of time in French and English, folded (lowercase, no accents: « août » is "aout"),
as regular-expression pieces, and the calendar arithmetic `when` resolves them with."""

from __future__ import annotations

import calendar
import datetime as dt
import re

MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "janv": 1, "fevr": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "jan": 1, "feb": 2, "apr": 4, "aug": 8, "sep": 9,
}  # fmt: skip
WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
NUMBERS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
}  # fmt: skip
UNITS = {
    "jour": "day", "jours": "day", "semaine": "week", "semaines": "week", "mois": "month", "an": "year",
    "ans": "year", "annee": "year", "annees": "year",
    "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
    "year": "year", "years": "year",
}  # fmt: skip


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
