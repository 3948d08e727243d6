"""Reading text (pure functions): sentences with exact offsets, words, stems, numbers, stopwords,
citation markers.

Everything that reads text (chunking, evidence, grounding, follow-ups, the evaluation) reads it
through here, so that « M. Milley » is one sentence and « rencontré » matches « rencontre »
everywhere alike."""

from __future__ import annotations

import re

from . import languages
from .languages import fold

# -- sentences -------------------------------------------------------------------------------

# Words that end with a period without ending the sentence (French first, some English).
ABBREVIATIONS = frozenset(
    """m mm mme mmes mlle mlles dr pr me mgr st ste gén gen col cdt lt sgt cap adj maj
    av apr env etc cf ex ibid op vol chap fig éd ed p pp n no nº tél art al coll dir trad
    janv févr fév avr juil sept oct nov déc mr mrs ms jr sr vs inc ltd corp co dept est approx""".split()
)

# A sentence ends with . ! ? or …, possibly followed by closing quotes or brackets (French
# typography puts a space, often a non-breaking one, before « » »), then space.
_END = re.compile(r"[.!?…]+(?:[ \u00a0\u202f]*[»”])?[\"')\]’]*(?=\s)")
_WORD_BEFORE = re.compile(r"([\w.-]+)$")
_LONGEST_WORD = 64


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of `text`, without surrounding whitespace.
    Lines are hard boundaries: a headline and its paragraph never share a sentence."""
    spans: list[tuple[int, int]] = []
    for block_start, block_end in _lines(text):
        start = block_start
        for match in _END.finditer(text, block_start, block_end):
            if _is_abbreviation(text, match.start()) or not _starts_sentence(text, match.end(), block_end):
                continue
            spans.append((start, match.end()))
            start = match.end()
        spans.append((start, block_end))
    return [strip_span(text, s, e) for s, e in spans if text[s:e].strip()]


def neighbours(text: str, start: int, end: int) -> tuple[str, str]:
    """The sentences of `text` just before and just after its sentence text[start:end] ("" at
    either end of the text)."""
    spans = split_sentences(text)
    here = next((i for i, span in enumerate(spans) if span == (start, end)), None)
    if here is None:
        return "", ""
    return (text[slice(*spans[here - 1])] if here > 0 else "", text[slice(*spans[here + 1])] if here + 1 < len(spans) else "")


def sentences(text: str) -> list[str]:
    """The sentences of `text` as strings."""
    return [text[s:e] for s, e in split_sentences(text)]


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span narrowed to exclude surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _lines(text: str) -> list[tuple[int, int]]:
    blocks, start = [], 0
    for match in re.finditer(r"\n", text):
        blocks.append((start, match.start()))
        start = match.end()
    blocks.append((start, len(text)))
    return [(s, e) for s, e in blocks if text[s:e].strip()]


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    # The word before the dot, looked for in the characters just before it (searched from the
    # start of the text, each dot read the whole text again). A word the window cuts is decided
    # as a whole one is: by what follows its last dot, inside the window, or by its length.
    match = _WORD_BEFORE.search(text, max(0, dot - _LONGEST_WORD), dot)
    if not match:
        return False
    word = match.group(1).lower().rsplit(".", 1)[-1].lstrip("-")
    # Single letters are initials (« Mark A. Milley ») or parts of « J.-C. ».
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _starts_sentence(text: str, pos: int, limit: int) -> bool:
    """What follows the punctuation looks like the start of a sentence, not a lower-case run-on."""
    rest = text[pos:limit].lstrip()
    return not rest or not rest[0].islower()


# -- words -----------------------------------------------------------------------------------

WORD = re.compile(r"\w+", re.UNICODE)

# Words that carry no meaning of their own, per language read. A word is a stopword when it is one
# in any of these languages: a question in one language is often answered from a passage in another.
STOPWORDS_BY_LANGUAGE = {code: languages.get(code).STOPWORDS for code in languages.READ}
STOPWORDS = languages.union("STOPWORDS")
STEM_CHARS = 6  # crude, but enough to match « rencontré » with « rencontre » and « ukrainienne » with « ukrainien »


def stem(word: str) -> str:
    return fold(word)[:STEM_CHARS]


def content_words(text: str) -> set[str]:
    """The stems of the words of `text` that carry meaning (stopwords and lone letters left out)."""
    words = (fold(w) for w in WORD.findall(text))
    return {w[:STEM_CHARS] for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())}


# -- citation markers ------------------------------------------------------------------------

# [1], [1, 2], [1,2,3] and the full-width brackets small models sometimes emit.
MARKER = re.compile(r"\s*[\[【]\s*(\d+(?:\s*[,;]\s*\d+)*)\s*[\]】]")


def strip_markers(text: str) -> str:
    """The text without its [n] markers: « Sur le Rhône [1]. » -> « Sur le Rhône. »"""
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text)).strip()


# -- numbers ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# What a passage may spell out where an answer writes digits (« deux ans » -> « 2 ans »).
_NUMBER_WORDS = languages.union("SPELLED_NUMBERS")
_SPELLED = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def numbers(text: str) -> set[str]:
    """The numbers written in digits (« 2,5 » and « 2.5 » alike)."""
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def stated_numbers(text: str) -> set[str]:
    """The numbers a text states, in digits or in words."""
    spelled = {_NUMBER_WORDS.get(word.lower(), "1") for word in _SPELLED.findall(text)}
    return numbers(text) | spelled


def unsupported_numbers(sentence: str, source: str) -> set[str]:
    """Numbers in the sentence that the source never states: the usual sign of an invented fact."""
    return numbers(sentence) - stated_numbers(source)
