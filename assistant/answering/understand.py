"""Understanding a message: its language, and whether it leans on the conversation before it.

A follow-up (« Et quand est-il arrivé ? ») is rewritten by the model into a standalone question
before retrieval, which costs a model call: several seconds on two cores, as long as the answer
itself. Most messages of a chat name what they ask about and need no rewriting, so only those
that point back are rewritten: a pronoun, possessive or demonstrative standing for something
said before, an opening « et » / « and », or too few words of their own to search with. The
test errs towards rewriting: a needless rewrite costs seconds, a missed one a wrong search.
Languages other than French and English are always rewritten (no word lists for them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import languages, prompts
from ..reading import referents
from ..text import STOPWORDS, content_words, strip_markers
from ..types import Turn
from . import summarize
from .pipeline import Decision
from .query import Query

if TYPE_CHECKING:
    from ..generation import Generator

# Third-person pronouns, possessives and demonstratives: words that stand for something named
# earlier in the conversation.
POINTING = {
    "fr": frozenset("il elle ils elles lui eux leur leurs son sa ses ce cet cette ces celui celle ceux celles cela ça ceci y".split()),
    "en": frozenset("he she it they him her them his hers its their theirs this that these those there".split()),
}
# A message opening with one of these (or « what about », « how about ») continues the previous
# question (« Et Zaluzhny ? »).
OPENERS = frozenset("et mais aussi puis alors ensuite sinon and but also then so".split())
# Question words carry no subject of their own: « Combien de soldats ? » needs one.
QUESTION_WORDS = frozenset(
    "qui que quoi quel quelle quels quelles lequel laquelle lesquels lesquelles où quand comment pourquoi combien "
    "who what which when where why how whose many much".split()
)
MIN_OWN_WORDS = 2  # content words a standalone question names at least (« Qui est Milley ? » has 1)

_WORD = re.compile(r"\w+", re.UNICODE)
# « il y a », « y a-t-il » (typed « y a t'il » too), « est-ce que »: impersonal, they stand for nothing
_IMPERSONAL = re.compile(r"\b(?:il y (?:a|avait|aura|eut)|y (?:a|avait|aura|eut)[ -]t[-' ]il|est[- ]ce)\b", re.IGNORECASE)
_INVERTED = frozenset("il elle ils elles".split())
_NOT_NAMES = QUESTION_WORDS | STOPWORDS  # capitalised only at the start of a question


def needs_context(question: str, language: str) -> bool:
    """True when `question` (in `language`, an ISO code) cannot be searched as it stands."""
    pointing = POINTING.get(language)
    if pointing is None:
        return True
    question = _IMPERSONAL.sub(" ", question)
    words = [(match.group().lower(), match.start()) for match in _WORD.finditer(question)]
    if not words or words[0][0] in OPENERS or words[1:2] and words[1][0] == "about":  # « What about … ? »
        return True
    if any(word in pointing and not _repeats_named_subject(question, words, i) for i, (word, _) in enumerate(words)):
        return True
    own = content_words(" ".join(w for w, _ in words if w not in QUESTION_WORDS))
    return len(own) < MIN_OWN_WORDS


def _repeats_named_subject(question: str, words: list[tuple[str, int]], i: int) -> bool:
    """« Où Milley a-t-il rencontré Zaluzhny ? »: a pronoun hyphenated to its verb after a named
    subject (a capitalised word past the question words) repeats that subject; it points nowhere."""
    word, start = words[i]
    euphonic = i >= 2 and words[i - 1][0] == "t"  # « a-t-il », typed « a t il » too
    if word not in _INVERTED or not (euphonic or question[start - 1 : start] == "-"):
        return False
    verb = i - 2 if euphonic else i - 1
    before = [question[s : s + len(w)] for w, s in words[: max(verb, 0)]]
    return any(w[:1].isupper() and w.lower() not in _NOT_NAMES for w in before)


class Understand:
    """The message's language, and the standalone question to search for.

    Reads: message, history. Fills: language, question. A message that names its subject is
    searched as it stands; one that points back (see `needs_context`) gets the name its pronoun
    stands for (`referents`), or, when that rule cannot place it, is rewritten by the model from
    the last turns."""

    name = "understand"
    reads = ("message", "history")
    fills = ("language", "question")
    RECENT_TURNS = 6  # the turns that carry the context a follow-up needs

    def __init__(self, llm: Callable[[], Generator]) -> None:
        self._llm = llm  # loaded on first use: most messages need no rewriting

    def run(self, query: Query) -> Decision:
        query.language = languages.detect(query.message)
        query.question = query.message
        if summarize.intent(query.message):  # « Résume l'article sur … »: search for what it is about
            query.question = summarize.subject(query.message)
            return Decision("summary asked", {"language": query.language, "question": query.question})
        if not query.history or not needs_context(query.message, query.language):
            return Decision("as written", {"language": query.language})
        resolved = referents.resolve(query.message, query.history, query.language)
        if resolved:  # a pronoun whose name the last turn gives: no model call
            query.question = resolved
            return Decision("pronoun resolved", {"language": query.language, "question": query.question})
        query.question = self._rewrite(query.message, query.history)
        return Decision("rewritten", {"language": query.language, "question": query.question})

    def _rewrite(self, message: str, history: list[Turn]) -> str:
        turns = history[-self.RECENT_TURNS :]
        # Markers mean nothing without the passages: « Sur le Rhône [1]. » is « Sur le Rhône. »
        transcript = "\n".join(f"{'User' if turn.role == 'user' else 'Assistant'}: {strip_markers(turn.text)}" for turn in turns)
        prompt = prompts.render("condense", chat_history=transcript, question=message)
        rewritten = self._llm().complete([{"role": "user", "content": prompt}], max_tokens=64).strip()
        rewritten = rewritten.splitlines()[0].strip().strip('"«» ') if rewritten else ""
        return rewritten or message
