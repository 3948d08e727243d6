"""Does an answer have the kind of content its question asks for? (pure)

A classic question-answering check: « Quel âge… » wants an age, « Combien… » a quantity,
« Quand… » a time. The small models, when the passages are silent, answer with whatever
nearby fact they find (« Quel âge a Milley ? » -> « 11 heures [1] »), which the passage does
support: only the mismatch between question and answer betrays it. Questions of other kinds
(who, where, what) pass unchecked."""

from __future__ import annotations

import re

from .. import languages
from ..languages import fold

_NUMBER_WORDS = "|".join(languages.union("QUANTITIES"))
_QUANTITY = rf"(?:\d|\b(?:{_NUMBER_WORDS})\b)"
# Month names as a question or an answer writes them, with their accents or without.
_MONTHS = "|".join(
    dict.fromkeys(form for code in languages.READ for name in languages.get(code).MONTH_NAMES for form in (name.lower(), fold(name)))
)
_WEEKDAYS = "|".join(languages.union("WEEKDAYS"))
_TIME_WORDS = (
    rf"{_MONTHS}|{_WEEKDAYS}|"
    r"hier|aujourd|demain|matin|soir|nuit|midi|minuit|semaine|mois|année|an|ans|siècle|siecle|époque|epoque|printemps|été|"
    r"automne|hiver|début|fin|avant|après|depuis|pendant|lors|yesterday|today|tomorrow|morning|evening|night|noon|week|"
    r"month|year|years|century|spring|summer|autumn|winter|before|after|since|during|ago|heure|heures|hour|hours|minute|minutes"
)

# (question pattern, what the answer must contain); the first matching pattern decides.
_RULES = [
    (r"\bquel\s+âge\b|\bquel\s+age\b|\bhow\s+old\b", r"\b(?:ans|years?|âgée?|aged?)\b"),
    (r"\bà\s+quelle\s+heure\b|\bwhat\s+time\b", rf"\d|\b(?:{_TIME_WORDS})\b"),
    (r"\bcombien\b|\bhow\s+(?:many|much|long|far)\b|\bquel(?:le)?s?\s+(?:nombre|montant|pourcentage|taux|somme)\b", _QUANTITY),
    (
        r"\bquand\b|\bwhen\b|\ben\s+quelle\s+année\b|\bquelle\s+(?:année|date|époque)\b|\bwhat\s+(?:year|date)\b",
        rf"\d|\b(?:{_TIME_WORDS})\b",
    ),
]


def expected(question: str) -> str | None:
    """The pattern an answer to `question` must match, or None when any answer may do."""
    lowered = question.lower()
    for asked, wanted in _RULES:
        if re.search(asked, lowered):
            return wanted
    return None


def fits(question: str, answer: str) -> bool:
    """True unless the question asks for an age, a time or a quantity the answer does not give,
    or counts in one unit while the answer counts in another."""
    wanted = expected(question)
    if wanted is not None and re.search(wanted, answer.lower()) is None:
        return False
    return not _other_unit(question, answer)


# Units by what they measure. « Combien de jours de prison … ? » answered « 250 euros » gives a
# quantity, but of money where days were asked: the amount of a fine beside the sentence asked for.
_UNITS = {
    "time": r"secondes?|minutes?|heures?|jours?|semaines?|mois|ans|années?|siècles?|seconds?|hours?|days?|weeks?|months?|years?|centur(?:y|ies)",
    "money": r"euros?|€|dollars?|\$|francs?|centimes?|£|yens?|yuans?|roubles?",  # not « cents »: « deux cents »
    "distance": r"km|kilomètres?|kilometres?|kilometers?|mètres?|metres?|meters?|miles?",
    "mass": r"kg|kilos?|kilogrammes?|grammes?|tonnes?|tons?|grams?",
    "share": r"%|pour\s?cent|percent|per\s?cent",
}
# The unit a question asks in: « combien de jours », « combien coûte », "how long", "how much does … cost".
_ASKED_UNIT = [
    (r"\bcombien\s+de\s+temps\b|\bhow\s+long\b(?!\s+(?:is|was|are|were)\s+(?:the|a|an)\b)", "time"),
    (r"\bcombien\s+(?:co[uû]t|vaut|valent|pa[iy]e)|\bhow\s+much\b[^?]*\b(?:cost|pay|paid|worth)", "money"),
    *((rf"\bcombien\s+(?:de|d')\s*(?:{pattern})\b", unit) for unit, pattern in _UNITS.items()),
]


def _other_unit(question: str, answer: str) -> bool:
    """The question counts in one unit and the answer gives a number in another, none in it."""
    lowered = question.lower()
    asked = next((unit for pattern, unit in _ASKED_UNIT if re.search(pattern, lowered)), None)
    if asked is None:
        return False
    given = {unit for unit, pattern in _UNITS.items() if re.search(rf"(?:\d|\b(?:{_NUMBER_WORDS})\b)\s*(?:{pattern})(?!\w)", answer.lower())}
    return bool(given) and asked not in given
