"""Dutch: detected, its keyword index and its refusal. What is not translated reads as for a
language without a module: sentences in English, dates the French way; no words are read."""

from . import en, fr

NAME = "Dutch"
SNOWBALL = "dutch"
WHY, QUOTE, OTHER_FIGURE, CONFIDENCE, SCOPE_NOTICE = en.WHY, en.QUOTE, en.OTHER_FIGURE, en.CONFIDENCE, en.SCOPE_NOTICE  # not translated yet
ARTICLES = {
    "first": "Eerst verschenen: '{title}' ({label}).",
    "last": "Laatst verschenen: '{title}' ({label}).",
    "then": "Daarna: '{title}' ({label}).",
    "before": "Daarvoor: '{title}' ({label}).",
    "undated": "Zonder datum: '{title}' ({label}).",
    "which": "'{title}' ({label}): '{quote}'",
    "heading": "'{title}' ({label}):",
}
MONTH_NAMES, DATE, FIRST_DAY = fr.MONTH_NAMES, fr.DATE, fr.FIRST_DAY
REFUSAL = "Ik vind het antwoord niet in de geïndexeerde artikelen."
