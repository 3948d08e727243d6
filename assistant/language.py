"""Which language a text is in (a closed set of languages, French when unsure), and dates and
sources written the way that language writes them."""

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


_MONTH_NAMES = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
    "en": "January February March April May June July August September October November December".split(),
}


def long_date(iso: str | None, code: str = "fr") -> str | None:
    """« 30 avril 2015 » (French, and languages without month names here) or "30 April 2015"
    from "2015-04-30" (a time after the day is ignored); None when there is no date."""
    if not iso:
        return None
    try:
        year, month, day = (int(part) for part in iso[:10].split("-"))
    except ValueError:
        return iso
    names = _MONTH_NAMES.get(code, _MONTH_NAMES["fr"])
    return f"{'1er' if day == 1 and code != 'en' else day} {names[month - 1]} {year}"


def source_line(source: str | None, date: str | None, code: str = "fr") -> str:
    """How an article is named beside its title: « Libération · 30 avril 2015 »."""
    return " · ".join(part for part in (source, long_date(date, code)) if part)
