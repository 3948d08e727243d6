"""Italian: detected, its keyword index and its refusal. What is not translated reads as for a
language without a module: sentences in English, dates the French way; no words are read."""

from . import en, fr

NAME = "Italian"
SNOWBALL = "italian"
WHY, QUOTE, OTHER_FIGURE, CONFIDENCE, SCOPE_NOTICE = en.WHY, en.QUOTE, en.OTHER_FIGURE, en.CONFIDENCE, en.SCOPE_NOTICE  # not translated yet
ARTICLES = {
    "first": "Il primo pubblicato: «{title}» ({label}).",
    "last": "L'ultimo pubblicato: «{title}» ({label}).",
    "then": "Poi: «{title}» ({label}).",
    "before": "Prima: «{title}» ({label}).",
    "undated": "Senza data: «{title}» ({label}).",
    "which": "«{title}» ({label}): «{quote}»",
    "heading": "«{title}» ({label}):",
}
MONTH_NAMES, DATE, FIRST_DAY = fr.MONTH_NAMES, fr.DATE, fr.FIRST_DAY
REFUSAL = "Non trovo la risposta negli articoli indicizzati."
