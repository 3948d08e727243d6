"""Which language a question is in, and the refusal in that language."""

from __future__ import annotations

from functools import lru_cache

NAMES = {"fr": "French", "en": "English", "es": "Spanish", "de": "German", "it": "Italian", "pt": "Portuguese", "nl": "Dutch"}

REFUSALS = {
    "fr": "Je ne trouve pas la réponse dans les articles indexés.",
    "en": "I cannot find the answer in the indexed articles.",
    "es": "No encuentro la respuesta en los artículos indexados.",
    "de": "Ich finde die Antwort nicht in den indexierten Artikeln.",
    "it": "Non trovo la risposta negli articoli indicizzati.",
    "pt": "Não encontro a resposta nos artigos indexados.",
    "nl": "Ik vind het antwoord niet in de geïndexeerde artikelen.",
}


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(NAMES))  # a closed set: short questions confuse open-set detection
    return identifier


def detect(text: str) -> str:
    """ISO code of the text's language among NAMES; French when unsure (the product is French first)."""
    code, probability = _identifier().classify(text)
    return code if probability >= 0.5 else "fr"


def name(code: str) -> str:
    return NAMES.get(code, "French")


def refusal(code: str) -> str:
    return REFUSALS.get(code, REFUSALS["en"])
