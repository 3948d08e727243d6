"""Which language a text is in (a closed set of languages, French when unsure)."""

from __future__ import annotations

from functools import lru_cache

NAMES = {"fr": "French", "en": "English", "es": "Spanish", "de": "German", "it": "Italian", "pt": "Portuguese", "nl": "Dutch"}

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
