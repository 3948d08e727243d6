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
from ..outlet_names import KNOWN_OUTLETS, domain_of, outlet_aliases, outlet_key
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
# Someone a question quotes, before the outlet it may name: « selon le démographe X de … ».
_ATTRIBUTION = re.compile(r"(?<![\w'])(?:selon|d'apres|a en croire|according to|as reported by)(?!\w)")
# What goes on after a name to make it another proper name: a hyphenated or a capitalised word.
_LONGER_NAME = re.compile(r"-\w|[ \t]+[A-ZÀ-ÖØ-Þ][\w-]")
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

    An outlet matches by any of its names and domains (`outlet_names.outlet_aliases`: « AOC »
    is the index's « AOC media », « Mediapart » its blogs.mediapart.fr). A name that only begins a
    longer proper name (« La Croix-Rouge », « Marianne Dupont ») is none, and one that follows a
    person, a title, a survey or an organisation (« selon le sondage de l'institut X », "according
    to a study by X") is an outlet only when the index holds it: it is reported neither missing
    nor cut.

    Args:
        question: as the user wrote it.
        known: the outlet names of the indexed articles (`Article.source`) and their sites'
            domains, any spellings.
    """
    indexed: dict[str, list[str]] = {}
    by_alias: dict[str, list[str]] = {}
    ordered = [name for name in dict.fromkeys(known) if name and outlet_key(name) and not _is_path(name)]
    for name in ordered:
        indexed.setdefault(outlet_key(name), []).append(name)
        for alias in outlet_aliases(name):
            by_alias.setdefault(alias, []).append(name)
    # An outlet the table knows is read under its proper name (« Le Figaro » for lefigaro.fr).
    vocabulary = {**{key: _table().get(key, names[0]) for key, names in indexed.items()}, **{k: v for k, v in _table().items() if k not in indexed}}
    names: list[str] = []
    missing: list[str] = []
    spans = []
    for start, end, keys, sure in _mentions(question, vocabulary):
        found = {key: _spellings(vocabulary[key], by_alias, ordered) for key in keys}
        if not sure and not any(found.values()):
            continue  # « selon le démographe … »: a name the index lacks is no outlet there
        spans.append((start, end))
        for key, hits in found.items():
            if hits:
                names.extend(hits)
            else:
                missing.append(vocabulary[key])
    outlets = Outlets(
        names=tuple(dict.fromkeys(names)),
        matched=tuple(question[s:e].strip() for s, e in spans),
        missing=tuple(dict.fromkeys(m for m in missing if m not in names)),
    )
    return outlets, cut_phrases(question, spans)


def _spellings(name: str, by_alias: dict[str, list[str]], ordered: list[str]) -> list[str]:
    """The index's names for the outlet `name`, in the order the index gave them."""
    hits = {n for alias in outlet_aliases(name) for n in by_alias.get(alias, ())}
    return [n for n in ordered if n in hits]


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


def _mentions(question: str, vocabulary: dict[str, str]) -> list[tuple[int, int, list[str], bool]]:
    """(start, end, outlet keys, sure) of each phrase naming outlets, strong cues first, no
    overlaps; not sure when an attribution to someone else comes first in its clause (« selon le
    démographe X, dans Le Monde »)."""
    if not vocabulary:
        return []
    patterns, any_name, cues = _compiled(tuple(vocabulary.items()))
    folded = fold(question, same_length=True)
    found: list[tuple[int, int, list[str], bool]] = []
    for strength, (cue, capital_needed, alone) in enumerate(cues):
        for match in cue.finditer(folded):
            keys = _keys_in(question, match, patterns, any_name, capital_needed, vocabulary if alone else None)
            start, end = match.span()
            if not keys or _LONGER_NAME.match(question, end) or any(start < e and end > s for s, e, _, _ in found):
                continue  # « La Croix-Rouge », « Marianne Dupont »: a name that goes on is another one
            clause = re.split(r"[,.;:?!]", folded[:start])[-1]
            found.append((start, end, keys, strength == 0 or not _ATTRIBUTION.search(clause)))
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
