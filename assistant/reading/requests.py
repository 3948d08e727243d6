"""Questions about the articles themselves rather than about their stories (pure): which of two
articles came out first (« Entre l'article de Gala et celui d'AOC, lequel a été publié en
premier ? »), which one speaks of something (« Des deux articles, lequel parle du Covid ? »),
what an article picked by its date says (« Quel est l'article le plus récent du Monde ? »), and
whether a question asks how a figure changed or differs between two (« Comment la prévision
a-t-elle évolué entre février et mai ? »).

Each reads the folded question (lowercase, no accents), French and English."""

from __future__ import annotations

import re

from ..languages import fold
from ..text import content_words

_WHICH = r"(?:lequel|laquelle|lesquels|quel (?:article|papier|texte|reportage)|quelle (?:depeche|publication)|which(?: one| article| story| piece| report)?)"
_PUBLISHED = (
    r"(?:a ete |est |etait |fut |has been |was |were |is )?"
    r"(?:publie|publiee|paru|parue|sorti|sortie|mis en ligne|published|posted|out|came out|appeared|released)"
)
_EARLY = r"(?:en premier|le premier|la premiere|d'abord|le plus tot|avant l'autre|first|earlier|earliest|sooner)"
_LATE = r"(?:en dernier|le dernier|la derniere|le plus tard|apres l'autre|last|later|latest|most recently)"
_OLD = r"(?:est |etait |is )?(?:le plus ancien|la plus ancienne|plus ancien|plus ancienne|the oldest|older|the earliest)"
_NEW = r"(?:est |etait |is )?(?:le plus recent|la plus recente|plus recent|plus recente|the newest|newer|the most recent|more recent)"
_FIRST = re.compile(rf"\b{_WHICH}\b.*?(?:\b{_PUBLISHED}\b.*?\b{_EARLY}\b|\b{_OLD}\b)|\b{_EARLY}\b.*\b{_PUBLISHED}\b.*\b(?:lequel|laquelle|which)\b")
_LAST = re.compile(rf"\b{_WHICH}\b.*?(?:\b{_PUBLISHED}\b.*?\b{_LATE}\b|\b{_NEW}\b)")
_SPEAKS = (
    r"(?:parle|parlent|traite|traitent|evoque|evoquent|aborde|abordent|concerne|concernent|mentionne|mentionnent|porte|portent|"
    r"raconte|racontent|talks?|speaks?|deals?|covers?|mentions?|is about|are about|was about|discuss(?:es)?)"
)
_WHICH_SPEAKS = re.compile(rf"\b{_WHICH}\b\s+(?:(?:des|de ces|of the|of these) (?:deux|trois|two|three) (?:articles|papers|stories) )?(?:\w+ )?{_SPEAKS}\b")
# « Des deux articles de Radio-Canada, lequel parle … »: the choice may come before the question word.
_AMONG_SPEAKS = re.compile(rf"\b(?:des|de ces|of the|of these) (?:deux|trois|two|three)\b.*\b{_WHICH}\b\s+{_SPEAKS}\b")
_CHANGE = re.compile(
    r"\b(?:evolue|evoluer|evolution|change|changer|changement|varie|varier|difference|differe|ecart|compare|comparer|comparaison|"
    r"par rapport|plutot que|changed|evolved|differ|differs|difference|compared?|versus|vs|gap)\b"
)

# Words a question about an article uses without naming its subject: « Quel est l'article le
# plus récent du Monde ? », « Que recommande le plus ancien article de Libération ? », "What is
# the latest story about?"; a question left with nothing else asks for the article itself.
_ABOUT_THE_ARTICLE = content_words(
    "article articles papier papiers depeche texte reportage publication archive index quel quelle quels est etait sont c'est "
    "que quoi qu'est ce dont de quoi il elle parle parlent dit disent raconte racontent traite evoque aborde explique annonce "
    "rapporte recommande recommandent conseille propose affirme ecrit contient sujet contenu plus ancien ancienne recent recente premier premiere "
    "dernier derniere date t-il t-elle story stories piece report what which is was about say says said tell tells recommend recommends "
    "write writes wrote contain contains oldest newest latest earliest first last most recent topic subject"
)


def which_first(question: str) -> str | None:
    """ "oldest" when the question asks which of the articles came out first (or is the oldest),
    "latest" when it asks which came out last; None otherwise."""
    folded = fold(question)
    if _FIRST.search(folded):
        return "oldest"
    if _LAST.search(folded):
        return "latest"
    return None


def asks_which_article(question: str) -> bool:
    """« Des deux articles, lequel parle de … ? », "Which article is about …?": the answer is an
    article, named."""
    folded = fold(question)
    return bool(_WHICH_SPEAKS.search(folded) or _AMONG_SPEAKS.search(folded))


def spoken_of(question: str) -> str:
    """What « lequel parle de la COVID-19 ? » asks about (« la COVID-19 »), as the question writes
    it; the question itself when it says no more."""
    folded = fold(question, same_length=True)
    found = re.search(rf"\b{_SPEAKS}\b\s*(?:(?:de la|de l'|des|du|de|d'|of|about|on|with)\s*)?(?=\w)", folded)
    rest = question[found.end() :].strip(" ?!.") if found else ""
    return rest if content_words(rest) else question


def names_no_subject(question: str) -> bool:
    """True when the question, once its dates and outlets are cut, asks about an article without
    naming what it is about (« Quel est l'article ? », « De quoi parle-t-il ? », "What does the
    article say?"): the article is the one its date or outlet picks, not one to search for."""
    return not (content_words(question) - _ABOUT_THE_ARTICLE)


def asks_change(question: str) -> bool:
    """« Comment X a-t-il évolué … », « Quelle différence entre … », "How did X change …": the
    answer states two figures or sentences, each with its source."""
    return bool(_CHANGE.search(fold(question)))
