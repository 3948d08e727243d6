"""Outlets a question names (« selon Le Figaro », « que dit Libération », « d'après Le Monde »,
« dans Les Échos », "according to Le Monde", "what does the Guardian say"), matched against the
outlets of the index, and cut from the question so that the search is about its subject.

Matching is tolerant of case, accents, the article (« le Monde », « Monde », « LeMonde »), of
« .fr » and of spacing and hyphens (« Radio Canada »). How sure a mention must be depends on
what introduces it:
- after « selon », « d'après », « que dit », "according to", "what does … say" (and the like),
  any spelling is an outlet;
- after a plain preposition (« dans », « du », « chez », "in", "from"), the name must be written
  with its capital (« dans le Monde » is the paper, « dans le monde » the world);
- alone, only a name of several words, written with its capitals (« Le Monde a-t-il … »): a
  single word alone is too often a word (« à la Libération »)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..languages import fold
from ..outlet_names import KNOWN_OUTLETS, domain_of, outlet_key
from .phrases import cut_phrases

__all__ = ["Outlets", "find_outlets", "outlet_key"]

_ARTICLES = ("le", "la", "les", "l", "the")
_TLD = r"(?:\.(?:fr|com|net|org|be|ch|ca|info|media|news|co\.uk|uk|de|es|it))?"
_STRONG = (
    r"selon|d'apres|a en croire|que (?:dit|disent|rapporte|rapportent|raconte|racontent|pense|ecrit|publie)"
    r"|qu'(?:ecrit|ecrivent|en dit|en pense|a (?:dit|ecrit|publie|rapporte))"
    r"|ce que (?:dit|disent|rapporte)|ce qu'(?:ecrit|en dit)|dans les colonnes (?:du |de la |des |de l'|de )?|sur le site (?:du |de la |des |de l'|de )?"
    r"|publies? (?:par|dans)|parus? dans|according to|as reported by|reported by|published (?:by|in)|what (?:does|did|do|has|have)|how (?:does|did)"
)
_WEAK = r"dans|chez|par|du|de|des|d'|in|from|by|at|on"
_AND = r"\s*(?:,|et|and|ou|or)\s*"
_SAYS = r"(?:\s+(?:say|says|said|report|reports|reported|write|writes|wrote|think|thinks|cover|covers))?"


@dataclass(frozen=True)
class Outlets:
    """The outlets a question restricts itself to: the index's names for them (every spelling
    the index holds), the phrases that named them, and outlets named that the index lacks."""

    names: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # known outlets named by the question, with no article indexed

    def __bool__(self) -> bool:
        return bool(self.names or self.missing)


def find_outlets(question: str, known: Iterable[str]) -> tuple[Outlets, str]:
    """The outlets of the index a question names, and the question without the phrases.

    Args:
        question: as the user wrote it.
        known: the outlet names of the indexed articles (`Article.source`), any spellings.
    """
    indexed: dict[str, list[str]] = {}
    for name in known:
        if name and outlet_key(name) and not _is_path(name):
            indexed.setdefault(outlet_key(name), []).append(name)
    vocabulary = {**{key: names[0] for key, names in indexed.items()}, **{k: v for k, v in _table().items() if k not in indexed}}
    spans = _mentions(question, vocabulary)
    keys = list(dict.fromkeys(key for _, _, found in spans for key in found))
    outlets = Outlets(
        names=tuple(dict.fromkeys(name for key in keys if key in indexed for name in indexed[key])),
        matched=tuple(question[s:e].strip() for s, e, _ in spans),
        missing=tuple(vocabulary[key] for key in keys if key not in indexed),
    )
    return outlets, cut_phrases(question, [(s, e) for s, e, _ in spans])


def _is_path(name: str) -> bool:
    """A file's path stands for the outlet of an article read from a file without one."""
    return ("/" in name or "\\" in name) and not domain_of(name)


def _table() -> dict[str, str]:
    """The known outlets' proper names by key (one spelling per key)."""
    return {outlet_key(name): name for name in dict.fromkeys(KNOWN_OUTLETS.values())}


def _name_pattern(name: str) -> str:
    """A folded regex for an outlet's name: any article or none, glued or not, words joined by
    spaces, hyphens, dots or nothing, and an optional domain ending."""
    domain = domain_of(name)
    words = re.findall(r"\w+", fold(re.sub(r"\.\w+$", "", domain) if domain else name, same_length=True))
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    core = r"[\s\-.']*".join(re.escape(w) for w in words)
    return rf"(?:(?:{'|'.join(_ARTICLES)})[\s']*)?{core}{_TLD}"


def _mentions(question: str, vocabulary: dict[str, str]) -> list[tuple[int, int, list[str]]]:
    """(start, end, outlet keys) of each phrase naming outlets, strong cues first, no overlaps."""
    if not vocabulary:
        return []
    patterns, any_name, cues = _compiled(tuple(vocabulary.items()))
    found: list[tuple[int, int, list[str]]] = []
    for cue, capital_needed, alone in cues:
        for match in cue.finditer(fold(question, same_length=True)):
            keys = _keys_in(question, match, patterns, any_name, capital_needed, vocabulary if alone else None)
            start, end = match.span()
            if keys and all(end <= s or start >= e for s, e, _ in found):
                found.append((start, end, keys))
    return sorted(found)


@lru_cache(maxsize=16)
def _compiled(vocabulary: tuple[tuple[str, str], ...]):
    """The name patterns, any name, and the phrases by cue strength: (regex, capital needed, alone)."""
    patterns = {key: _name_pattern(name) for key, name in vocabulary}
    any_name = "(?:" + "|".join(sorted(patterns.values(), key=len, reverse=True)) + ")"
    names = rf"(?P<names>{any_name}(?:{_AND}{any_name})*)"
    cues = [
        (re.compile(rf"(?<![\w'])(?:{_STRONG})\s*{names}{_SAYS}(?!\w)"), False, False),
        (re.compile(rf"(?<![\w'])(?:{_WEAK})\s*{names}(?!\w)"), True, False),
        (re.compile(rf"(?<![\w']){names}(?!\w)"), True, True),
    ]
    return {key: re.compile(p) for key, p in patterns.items()}, re.compile(any_name), cues


def _keys_in(question: str, match: re.Match, patterns: dict, any_name: re.Pattern, capital_needed: bool, alone: dict | None) -> list[str]:
    """The outlets named in a match's names, checked for capitals where the cue is weak, and
    where there is none (`alone`: the vocabulary) for the whole name as the outlet writes it."""
    keys = []
    for name in any_name.finditer(match["names"]):
        text = name.group()
        written = question[match.start("names") + name.start() : match.start("names") + name.end()]
        key = next((k for k, p in patterns.items() if p.fullmatch(text)), None)
        if key is None:
            return []
        words = re.findall(r"\w+", written)
        core = words[1:] if len(words) > 1 and fold(words[0], same_length=True) in _ARTICLES else words
        if capital_needed and not (core and core[0][:1].isupper()):
            return []
        if alone is not None and not _written_whole(words, re.findall(r"\w+", alone[key])):
            return []
        keys.append(key)
    return keys


def _written_whole(words: list[str], name: list[str]) -> bool:
    """« Le Monde » for Le Monde, not « la Libération » for Libération: a name of several words,
    its article included, each word written as the outlet writes it (accents aside)."""
    return (
        len(name) > 1
        and [fold(w, same_length=True) for w in words] == [fold(w, same_length=True) for w in name]
        and all(w[:1].isupper() == n[:1].isupper() for w, n in zip(words[1:], name[1:]))
    )
