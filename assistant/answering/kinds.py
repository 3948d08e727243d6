"""Does an answer have the kind of content its question asks for? (pure)

A classic question-answering check: « Quel âge… » wants an age, « Combien… » a quantity,
« Quand… » a time. The small models, when the passages are silent, answer with whatever
nearby fact they find (« Quel âge a Milley ? » -> « 11 heures [1] »), which the passage does
support: only the mismatch between question and answer betrays it. Questions of other kinds
(who, where, what) pass unchecked."""

from __future__ import annotations

import re

_NUMBER_WORDS = (
    r"un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingt|trente|"
    r"quarante|cinquante|soixante|cent|cents|mille|million|millions|milliard|milliards|dizaine|dizaines|centaine|"
    r"centaines|douzaine|plusieurs|quelques|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundred|hundreds|thousand|thousands|million|billion|dozen|several|few"
)
_QUANTITY = rf"(?:\d|\b(?:{_NUMBER_WORDS})\b)"
_MONTHS = (
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
    r"january|february|march|april|may|june|july|august|september|october|november|december"
)
_TIME_WORDS = (
    rf"{_MONTHS}|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
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
    """True unless the question asks for an age, a time or a quantity the answer does not give."""
    wanted = expected(question)
    return wanted is None or re.search(wanted, answer.lower()) is not None
