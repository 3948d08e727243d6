"""German: detected, its keyword index and its refusal. What is not translated reads as for a
language without a module: sentences in English, dates the French way; no words are read."""

from . import en, fr

NAME = "German"
SNOWBALL = "german"
WHY, QUOTE, OTHER_FIGURE, CONFIDENCE, SCOPE_NOTICE = en.WHY, en.QUOTE, en.OTHER_FIGURE, en.CONFIDENCE, en.SCOPE_NOTICE  # not translated yet
ARTICLES = {
    "first": "Zuerst erschienen: „{title}“ ({label}).",
    "last": "Zuletzt erschienen: „{title}“ ({label}).",
    "then": "Danach: „{title}“ ({label}).",
    "before": "Davor: „{title}“ ({label}).",
    "undated": "Ohne Datum: „{title}“ ({label}).",
    "which": "„{title}“ ({label}): „{quote}“",
    "heading": "„{title}“ ({label}):",
}
MONTH_NAMES, DATE, FIRST_DAY = fr.MONTH_NAMES, fr.DATE, fr.FIRST_DAY
REFUSAL = "Ich finde die Antwort nicht in den indexierten Artikeln."
