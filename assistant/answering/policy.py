"""When the assistant refuses to answer: every reason, and what it tells the reader.

Each check of the pipeline that can refuse names one of these reasons; its threshold is a field
of `Settings` whose comment says how it was chosen. A refusal always reads the same to the
reader (`refusal_text`), in their language, and `Refusal.why` says which check decided it."""

from __future__ import annotations

from enum import Enum


class Refusal(str, Enum):
    """Why an answer is a refusal, by the check that decided it, in the order the checks run.
    The values are the names `Answer.refusal_reason`, `ask --json` and the evaluation use."""

    OUT_OF_SCOPE = "out_of_scope"
    RELEVANCE = "relevance"
    SENTENCE_RELEVANCE = "sentence_relevance"
    THRESHOLD = "threshold"
    MODEL = "model"
    ANSWER_TYPE = "answer_type"
    UNSUPPORTED = "unsupported"
    OFF_TOPIC = "off_topic"
    UNSURE = "unsure"

    def why(self, language: str = "en") -> str:
        """The reason in a sentence, in French or English (English for other languages)."""
        return _WHY[self][0 if language == "fr" else 1]


_WHY = {
    Refusal.OUT_OF_SCOPE: (
        "aucun article indexé n'est de la période ou du média demandés",
        "no indexed article is from the period or the outlet asked for",
    ),
    Refusal.RELEVANCE: (
        "aucun passage des articles n'est proche de la question",
        "no passage comes close to the question",
    ),
    Refusal.SENTENCE_RELEVANCE: (
        "les passages traitent du sujet, mais aucune de leurs phrases ne répond à la question",
        "the passages are on its topic, but no sentence of them comes close to the question",
    ),
    Refusal.THRESHOLD: (
        "le modèle penchait vers « ce n'est pas dans les passages »",
        "the model leaned towards « not in the passages »",
    ),
    Refusal.MODEL: (
        "le modèle n'a pas trouvé la réponse dans les passages",
        "the model found no answer in the passages",
    ),
    Refusal.ANSWER_TYPE: (
        "la réponse du modèle n'était pas du genre demandé (un âge, une heure, une quantité)",
        "the model's answer was not of the kind asked (an age, a time, a quantity)",
    ),
    Refusal.UNSUPPORTED: (
        "la réponse du modèle n'était pas appuyée par le passage qu'elle citait",
        "the model's answer was not backed by the passage it cited",
    ),
    Refusal.OFF_TOPIC: (
        "les phrases citées par le modèle parlent d'autre chose que la question",
        "the sentences the model quoted speak of something else",
    ),
    Refusal.UNSURE: (
        "ni la réponse ni la phrase qui la porterait n'étaient assez probablement justes",
        "neither the answer nor the sentence it would rest on was likely enough to be right",
    ),
}

REFUSAL_TEXTS = {
    "fr": "Je ne trouve pas la réponse dans les articles indexés.",
    "en": "I cannot find the answer in the indexed articles.",
    "es": "No encuentro la respuesta en los artículos indexados.",
    "de": "Ich finde die Antwort nicht in den indexierten Artikeln.",
    "it": "Non trovo la risposta negli articoli indicizzati.",
    "pt": "Não encontro a resposta nos artigos indexados.",
    "nl": "Ik vind het antwoord niet in de geïndexeerde artikelen.",
}


def refusal_text(language: str) -> str:
    """What the reader is told when the articles do not hold the answer (English for a language
    without a translation)."""
    return REFUSAL_TEXTS.get(language, REFUSAL_TEXTS["en"])
