"""Every language the assistant knows, one module of data each, and what reads them: which
language a text is in, the words read in questions and passages, the sentences written to the
reader, dates written the language's way, and the one fold (`folding`).

A language module holds the fields of WRITTEN (its name, its keyword index's Snowball stemmer,
the sentences and dates it writes), and, for the languages of READ, the fields of READ_FIELDS
(the words matched in questions, passages and model outputs). To add a language: copy `es.py`
to `xx.py` and translate it, add it to LANGUAGES below, and give it a test beside Spanish's in
tests/test_languages.py.

Fallbacks, as before the package: a language without a module writes its sentences in English
(`get`) and its dates the French way (`long_date`); detection answers French when unsure."""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType

from ..errors import InputError
from . import de, en, es, fr, it, nl, pt
from .folding import fold

__all__ = ["LANGUAGES", "READ", "detect", "fold", "get", "long_date", "name", "snowball", "source_line", "sureness", "union"]

# Detection's closed set, in this order.
LANGUAGES: dict[str, ModuleType] = {"fr": fr, "en": en, "es": es, "de": de, "it": it, "pt": pt, "nl": nl}
# The languages whose words are matched, whatever the language of the question: a question in one
# is often answered from a passage in another. Another one joins after a measured run.
READ = ("fr", "en")
DEFAULT = "fr"  # the product is French first

WRITTEN = ("NAME", "SNOWBALL", "MONTH_NAMES", "DATE", "FIRST_DAY", "REFUSAL", "WHY", "QUOTE", "OTHER_FIGURE", "CONFIDENCE", "SCOPE_NOTICE", "ARTICLES")
READ_FIELDS = ("STOPWORDS", "MONTHS", "MONTH_ABBREVIATIONS", "WEEKDAYS", "COUNTS", "UNITS", "SPELLED_NUMBERS", "QUANTITIES", "NO_ANSWER")


def get(code: str | None, fallback: str = "en") -> ModuleType:
    """The module of the language `code` (an ISO code), else `fallback`'s: English, the language
    of the sentences of a language without a translation."""
    return LANGUAGES.get(code or "", LANGUAGES[fallback])


def snowball(code: str) -> str:
    """The Snowball stemmer's name for a keyword index in the language `code`.

    Raises:
        InputError: no module for `code`, naming those there are.
    """
    if code not in LANGUAGES:
        raise InputError(f"no language {code!r} for the keyword index (ASSISTANT_INDEX_LANGUAGE): one of {', '.join(LANGUAGES)}")
    return LANGUAGES[code].SNOWBALL


def union(field: str) -> frozenset | dict | tuple | str:
    """A field of READ_FIELDS merged over the languages read, in their order: the stop words of
    any, every month name, one regular expression of them all."""
    values = [getattr(LANGUAGES[code], field) for code in READ]
    if isinstance(values[0], dict):
        return {key: value for table in values for key, value in table.items()}
    if isinstance(values[0], tuple):
        return tuple(dict.fromkeys(word for words in values for word in words))
    if isinstance(values[0], str):
        return "|".join(values)
    return frozenset().union(*values)


# -- which language ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))  # a closed set: short questions confuse open-set detection
    return identifier


def detect(text: str) -> str:
    """ISO code of the text's language among LANGUAGES; French when unsure (the product is French first)."""
    code, probability = _identifier().classify(text)
    return code if probability >= 0.5 else DEFAULT


def name(code: str) -> str:
    """The language's name in English (« French » for a code without a module)."""
    return get(code, DEFAULT).NAME


# -- written -----------------------------------------------------------------------------------


def long_date(iso: str | None, code: str = DEFAULT) -> str | None:
    """« 30 avril 2015 », "30 April 2015", « 30 de abril de 2015 » from "2015-04-30" (a time after
    the day is ignored; French for a language without month names); None when there is no date."""
    if not iso:
        return None
    try:
        year, month, day = (int(part) for part in iso[:10].split("-"))
    except ValueError:
        return iso
    language = get(code, DEFAULT)
    return language.DATE.format(day=language.FIRST_DAY if day == 1 else day, month=language.MONTH_NAMES[month - 1], year=year)


def source_line(source: str | None, date: str | None, code: str = DEFAULT) -> str:
    """How an article is named beside its title: « Libération · 30 avril 2015 »."""
    return " · ".join(part for part in (source, long_date(date, code)) if part)


SURE = 0.8  # a short answer at least this likely to be right is called sure


def sureness(answer, code: str) -> str:
    """How sure an answer (`types.Answer`) is, in words in the language `code` (nothing when no
    confidence was measured): « réponse sûre (confiance 91 %) »."""
    if answer.refused or answer.confidence is None:
        return ""
    words = get(code).CONFIDENCE
    said = words["quote"] if answer.outcome == "quote" else words["sure" if answer.confidence >= SURE else "likely"]
    return f"{said} ({words['confidence'].format(percent=round(100 * answer.confidence))})"
